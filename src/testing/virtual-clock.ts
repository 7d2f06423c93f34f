/**
 * VirtualClock: time that moves only when a test says so. Give it to `Node.start({ threads: 0,
 * clock })` and every timer of the main thread runs on it: sendAfter, call timeouts, a Server's
 * idle timeout, `this.delay`, `this.now()`, a supervisor's restart window and shutdown timers.
 * `await clock.advance(ms)` fires what falls due, in deadline order, letting the processes run
 * between timers, so "killed after 1000 ms" or "no restart within 1 s" are tested in no time.
 *
 * Worker threads keep real time: run virtual-clock tests with `threads: 0` (or keep the
 * processes under test on the main thread).
 */
import type { Clock } from '../core/clock.ts'

interface Pending {
  readonly at: number
  readonly seq: number
  readonly fn: () => void
}

/** Let the runtime run what is ready: a few event-loop rounds (microtasks and immediates). */
async function settle(rounds = 8): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve))
}

/**
 * A clock that moves only when the test calls {@link VirtualClock.advance}. Pass it as
 * `Node.start({ threads: 0, clock })`: every timer of the main thread then runs on it (sendAfter,
 * call timeouts, Server idle timeouts, `this.delay`, `this.now()`, supervisor restart windows
 * and shutdown timers), so time-dependent behaviour is checked at exact instants, in no real time.
 *
 * Gotchas: worker threads keep real time (use `threads: 0`); a probe's `expect` timeout is real
 * time: advance first, then expect.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock()
 * const node = await Node.start({ threads: 0, clock })
 * const p = await probe(node)
 * node.sendAfter(p.pid, 'tick', 1000)
 * await clock.advance(1000)
 * await p.expect((m) => m === 'tick')   // node.now() === 1000
 * ```
 */
export class VirtualClock implements Clock {
  #now: number
  #seq = 0
  readonly #pending = new Map<number, Pending>()

  /** Time starts at `start` ms. */
  constructor(start = 0) {
    this.#now = start
  }

  /** The virtual time, in ms. */
  now(): number {
    return this.#now
  }

  /** The runtime's timer hook: run `fn` once time reaches now + `ms`. */
  setTimeout(fn: () => void, ms: number): unknown {
    const seq = ++this.#seq
    this.#pending.set(seq, { at: this.#now + Math.max(0, ms), seq, fn })
    return seq
  }

  /** The runtime's timer hook: forget a timer. */
  clearTimeout(handle: unknown): void {
    this.#pending.delete(handle as number)
  }

  /** Timers waiting (the runtime keeps at most one per thread armed; this counts those). */
  get pending(): number {
    return this.#pending.size
  }

  /**
   * Move time forward by `ms`, firing every timer that falls due, earliest first, and letting
   * the processes run after each. Resolves once time is `now + ms` and the runtime has settled.
   *
   * @throws RangeError unless `ms` is a number >= 0
   */
  async advance(ms: number): Promise<void> {
    if (typeof ms !== 'number' || !(ms >= 0)) throw new RangeError(`advance: expected ms >= 0, got ${String(ms)}`)
    const end = this.#now + ms
    for (;;) {
      await settle()
      const due = this.#earliest(end)
      if (due === undefined) break
      this.#pending.delete(due.seq)
      this.#now = due.at
      due.fn()
    }
    this.#now = end
    await settle()
  }

  /** Let the runtime run without moving time. */
  settle(): Promise<void> {
    return settle()
  }

  #earliest(limit: number): Pending | undefined {
    let best: Pending | undefined
    for (const p of this.#pending.values()) {
      if (p.at <= limit && (best === undefined || p.at < best.at || (p.at === best.at && p.seq < best.seq))) best = p
    }
    return best
  }
}
