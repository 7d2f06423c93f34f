/**
 * FakeClock: the FakeContext's deterministic clock. It starts at 0 and moves only by `advance`,
 * which fires what falls due in time order (sendAfter timers and delay promises), letting the
 * code each one wakes run before the next fires.
 */
import type { Address } from '../../../src/core/pid.ts'
import type { TimerRef } from '../../../src/core/process-context.ts'

/** A sendAfter on the fake clock: pending until it fires or is cancelled. */
export class FakeTimer implements TimerRef {
  state: 'pending' | 'cancelled' | 'fired' = 'pending'
  readonly to: Address
  readonly message: unknown
  readonly ms: number
  readonly due: number

  constructor(to: Address, message: unknown, ms: number, due: number) {
    this.to = to
    this.message = message
    this.ms = ms
    this.due = due
  }

  cancel(): boolean {
    if (this.state !== 'pending') return false
    this.state = 'cancelled'
    return true
  }
}

/** A delay(ms) waiting on the fake clock. */
interface Sleeper {
  readonly due: number
  readonly wake: () => void
}

export class FakeClock {
  #now = 0
  readonly #timers: FakeTimer[] = []
  readonly #sleepers: Sleeper[] = []

  now(): number {
    return this.#now
  }

  /** A timer that fires `ms` from now. */
  timer(to: Address, message: unknown, ms: number): FakeTimer {
    const timer = new FakeTimer(to, message, ms, this.#now + ms)
    this.#timers.push(timer)
    return timer
  }

  /** A promise that resolves `ms` from now. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#sleepers.push({ due: this.#now + ms, wake: resolve }))
  }

  /** Timers still pending, earliest first. */
  pending(): FakeTimer[] {
    return this.#timers.filter((t) => t.state === 'pending').sort((a, b) => a.due - b.due)
  }

  /**
   * Move `ms` forward: each timer or sleeper that falls due, earliest first, fires (a timer
   * through `fire`, a sleeper by resolving), and what it wakes runs before the next one.
   */
  async advance(ms: number, fire: (timer: FakeTimer) => void): Promise<void> {
    const target = this.#now + ms
    for (;;) {
      const timer = this.pending()[0]
      const sleeper = this.#sleepers.slice().sort((a, b) => a.due - b.due)[0]
      const next = Math.min(timer?.due ?? Infinity, sleeper?.due ?? Infinity)
      if (next > target) break
      this.#now = Math.max(this.#now, next)
      if (sleeper !== undefined && sleeper.due === next) {
        this.#sleepers.splice(this.#sleepers.indexOf(sleeper), 1)
        sleeper.wake()
      } else if (timer !== undefined) {
        fire(timer)
      }
      await settle()
    }
    this.#now = target
    await settle()
  }
}

/** Let every promise continuation that is ready run (one macrotask turn). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
