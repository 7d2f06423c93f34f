/**
 * Probe: a test-owned process on the main thread that records every message it receives, so a
 * test can wait for an event instead of sleeping: `await probe.expect((m) => ..., 2000)`.
 */
import { inspect } from 'node:util'
import { Actor } from '../behaviours/actor.ts'
import { isDeepStrictEqual } from 'node:util'
import type { Pid, Ref } from '../core/pid.ts'
import { isDownMessage, isExitMessage, type DownMessage, type ExitMessage } from '../core/envelope.ts'
import type { ExitReason } from '../core/exit.ts'

function describe(messages: unknown[]): string {
  return inspect(messages, { depth: 4, breakLength: Infinity })
}

interface Waiter {
  readonly match: (m: unknown) => boolean
  readonly resolve: (m: unknown) => void
}

/**
 * The process behind a {@link Probe}: it traps exits and records every message it receives.
 * Use {@link probe} to spawn one; tests talk to the {@link Probe}.
 */
export class ProbeActor extends Actor<void, unknown> {
  /** Messages recorded and not yet taken, oldest first. */
  readonly received: unknown[] = []

  override init(): void {
    // A probe linked to a process must hear of its end, never die of it.
    this.trapExit(true)
  }
  #waiters: Waiter[] = []

  receive(message: unknown): void {
    const i = this.#waiters.findIndex((w) => w.match(message))
    if (i >= 0) {
      const [w] = this.#waiters.splice(i, 1)
      w?.resolve(message)
      return
    }
    this.received.push(message)
  }

  /**
   * Take the first recorded (or the next arriving) message matching `match`; reject after
   * `timeoutMs` (real time) with the unmatched messages in the error. With `earlier`, the
   * messages recorded before the one taken are pushed onto it (they stay recorded).
   */
  take(match: (m: unknown) => boolean, timeoutMs: number, earlier?: unknown[]): Promise<unknown> {
    const at = this.received.findIndex(match)
    if (at >= 0) {
      earlier?.push(...this.received.slice(0, at))
      return Promise.resolve(this.received.splice(at, 1)[0])
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: (m) => {
          clearTimeout(timer)
          // Read now, inside receive: everything recorded so far arrived before `m`.
          earlier?.push(...this.received)
          resolve(m)
        },
      }
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter)
        reject(new Error(`probe: no matching message within ${timeoutMs} ms; unmatched: ${describe(this.received)}`))
      }, timeoutMs)
      this.#waiters.push(waiter)
    })
  }
}

/**
 * What a test holds: a probe process's pid and expectations on what it receives, so a test
 * waits for an event instead of sleeping. Make one with {@link probe}.
 *
 * Gotchas: `expect` takes the matching message out of the record; its timeout is real time,
 * also under a VirtualClock; check `pending` at the end of a test to catch unexpected messages.
 *
 * @example
 * ```ts
 * const p = await probe(node)
 * const pid = await node.spawn(Worker, { reportTo: p.pid })
 * await p.expect((m: { done?: boolean }) => m.done === true, 2000)
 * const ref = p.monitor(pid)
 * node.exit(pid, 'kill')
 * await p.expectDown(ref, 'killed')
 * ```
 */
export class Probe {
  /** The probe's pid: give it to the processes under test as where to report. */
  readonly pid: Pid
  readonly #actor: ProbeActor

  constructor(pid: Pid, actor: ProbeActor) {
    this.pid = pid
    this.#actor = actor
  }

  /**
   * Resolve with the first recorded or arriving message matching `match`, taking it out of the
   * record; reject after `timeoutMs` (real time) with what was received instead.
   */
  expect<T = unknown>(match: (m: T) => boolean, timeoutMs = 5000): Promise<T> {
    return this.#actor.take(match as (m: unknown) => boolean, timeoutMs) as Promise<T>
  }

  /** expect, under the name the SEMANTICS harness uses. */
  expectMessage<T = unknown>(match: (m: T) => boolean, timeoutMs = 5000): Promise<T> {
    return this.expect(match, timeoutMs)
  }

  /** Link the probe to `pid` (it traps exits): its end arrives as an EXIT message (see expectExit). */
  link(pid: Pid): void {
    this.#actor.link(pid)
  }

  /** Monitor `pid` from the probe: its end arrives as a DOWN message (see expectDown). */
  monitor(pid: Pid): Ref {
    return this.#actor.monitor(pid)
  }

  /** The EXIT from linked `pid`; with `reason`, it must be that reason (compared structurally). */
  async expectExit(pid: Pid, reason?: ExitReason, timeoutMs = 5000): Promise<ExitMessage> {
    const m = await this.expect<ExitMessage>((x) => isExitMessage(x) && x.from.equals(pid), timeoutMs)
    if (reason !== undefined && !isDeepStrictEqual(m.reason, reason)) {
      throw new Error(`probe: ${pid.toString()} exited with ${inspect(m.reason)}, expected ${inspect(reason)}`)
    }
    return m
  }

  /** The DOWN for monitor `ref`; with `reason`, it must be that reason (compared structurally). */
  async expectDown(ref: Ref, reason?: ExitReason, timeoutMs = 5000): Promise<DownMessage> {
    const m = await this.expect<DownMessage>((x) => isDownMessage(x) && x.ref.equals(ref), timeoutMs)
    if (reason !== undefined && !isDeepStrictEqual(m.reason, reason)) {
      throw new Error(`probe: monitor ${ref.toString()} fired with ${inspect(m.reason)}, expected ${inspect(reason)}`)
    }
    return m
  }

  /** Resolve if no message matching `match` arrives within `windowMs` (real time). */
  async expectNone(match: (m: unknown) => boolean, windowMs: number): Promise<void> {
    let got: unknown
    try {
      got = await this.#actor.take(match, windowMs)
    } catch {
      return
    }
    throw new Error(`probe: unexpected message ${JSON.stringify(got)}`)
  }

  /**
   * Resolve with the first message matching `marker` (taking it out of the record) if no
   * message matching `match` was recorded before it; reject with the one that was. `marker` may
   * be a monitor's Ref: then it is that monitor's DOWN.
   *
   * Details: this proves "nothing happened" without a time window. Have the marker sent along
   * the path the unwanted message would take, after the point where it would have been sent:
   * messages from one sender to one receiver arrive in the order sent, so an unwanted message
   * would be recorded before the marker. A DOWN is the last thing a process sends, so
   * `expectNoneBefore(match, probe.monitor(pid))` after ending `pid` covers all it ever sent.
   *
   * Gotchas: a matching message recorded earlier in the test and not taken counts too (take it
   * first); `timeoutMs` (real time) bounds the wait for the marker.
   *
   * @example
   * ```ts
   * const ref = p.monitor(server)
   * node.exit(server, 'kill')
   * await p.expectNoneBefore((m: { event?: string }) => m.event === 'terminate', ref)  // killed: no terminate
   * ```
   */
  async expectNoneBefore<T = unknown>(match: (m: T) => boolean, marker: ((m: T) => boolean) | Ref, timeoutMs = 5000): Promise<T> {
    const isMarker = typeof marker === 'function'
      ? marker as (m: unknown) => boolean
      : (m: unknown): boolean => isDownMessage(m) && m.ref.equals(marker)
    const earlier: unknown[] = []
    const got = await this.#actor.take(isMarker, timeoutMs, earlier)
    const at = earlier.findIndex(match as (m: unknown) => boolean)
    if (at >= 0) throw new Error(`probe: unexpected message ${describe([earlier[at]])} before the marker ${describe([got])}`)
    return got as T
  }

  /** Forget every recorded message not yet taken. */
  clear(): void {
    this.#actor.received.length = 0
  }

  /** Every message recorded and not yet taken. */
  get pending(): readonly unknown[] {
    return this.#actor.received
  }
}

/** What `probe()` needs from a node (a `Node` has it). */
export interface ProbeHost {
  spawn(behaviour: typeof ProbeActor, args?: undefined, options?: { thread: number }): Promise<Pid>
  localInstance(pid: Pid): unknown
}

/**
 * Spawn a probe on the main thread of `node` and return its handle.
 *
 * @example
 * ```ts
 * const p = await probe(node)
 * node.sendAfter(p.pid, 'tick', 10)
 * await p.expect((m) => m === 'tick')
 * ```
 */
export async function probe(node: ProbeHost): Promise<Probe> {
  const pid = await node.spawn(ProbeActor, undefined, { thread: 0 })
  return new Probe(pid, node.localInstance(pid) as ProbeActor)
}
