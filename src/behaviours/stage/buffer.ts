/**
 * A producer's buffer (STG-R11, STG-R14): the events nobody could take yet, in order, bounded by
 * `size` (keep 'last' drops the oldest, keep 'first' drops the incoming), and the info messages
 * that must wait until the events buffered ahead of them have gone out. Pure: the stage turns
 * what it returns into dispatches, handleInfo calls and discard reports.
 *
 *   store(events) → how many were dropped      take(n) → up to n events, oldest first
 *   mark(info)    → held behind what is here   due()   → infos whose events have all left
 */
export class StageBuffer<E> {
  readonly #size: number
  readonly #keepLast: boolean
  #events: E[] = []
  /** Events ever taken off the front (by take or by dropping the oldest): where marks stand. */
  #taken = 0
  #marks: { at: number; message: unknown }[] = []
  #discarded = 0

  constructor(size: number, keep: 'first' | 'last') {
    this.#size = size
    this.#keepLast = keep === 'last'
  }

  /** Events held now. */
  get length(): number {
    return this.#events.length
  }

  /** Events dropped so far. */
  get discarded(): number {
    return this.#discarded
  }

  /** Keep `events`; returns how many events (of these or older ones) were dropped to stay within size. */
  store(events: readonly E[]): number {
    const buffer = this.#events
    let dropped: number
    if (this.#keepLast) {
      for (const e of events) buffer.push(e)
      dropped = Math.max(0, buffer.length - this.#size)
      if (dropped > 0) {
        buffer.splice(0, dropped)
        this.#taken += dropped
      }
    } else {
      const room = Math.max(0, this.#size - buffer.length)
      for (let i = 0; i < events.length && i < room; i++) buffer.push(events[i] as E)
      dropped = Math.max(0, events.length - room)
    }
    this.#discarded += dropped
    return dropped
  }

  /** Up to `n` events off the front. */
  take(n: number): E[] {
    const out = this.#events.splice(0, Math.min(n, this.#events.length))
    this.#taken += out.length
    return out
  }

  /** Hold `message` until the events now buffered have left; false if none are (it is due now). */
  mark(message: unknown): boolean {
    if (this.#events.length === 0) return false
    this.#marks.push({ at: this.#taken + this.#events.length, message })
    return true
  }

  /** The held messages whose events have all left, oldest first. */
  due(): unknown[] {
    const out: unknown[] = []
    while (this.#marks.length > 0 && (this.#marks[0] as { at: number }).at <= this.#taken) {
      out.push((this.#marks.shift() as { message: unknown }).message)
    }
    return out
  }
}
