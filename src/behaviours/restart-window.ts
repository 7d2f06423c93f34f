/**
 * A restart intensity window (SUP-R4): restarts are timed, those older than `periodMs` drop out,
 * and a restart that leaves more than `max` in the window exceeds the intensity.
 */
export class RestartWindow {
  readonly #max: number
  readonly #periodMs: number
  /** Restart times, oldest first. */
  readonly #times: number[] = []

  constructor(max: number, periodMs: number) {
    this.#max = max
    this.#periodMs = periodMs
  }

  /** Record a restart at `now`; false when that exceeds the intensity. */
  record(now: number): boolean {
    if (this.#max === Infinity) return true
    const times = this.#times
    let expired = 0
    while (expired < times.length && (times[expired] as number) <= now - this.#periodMs) expired++
    if (expired > 0) times.splice(0, expired)
    times.push(now)
    return times.length <= this.#max
  }
}
