/**
 * Births: frames that reach this thread for a process that does not exist *yet*.
 *
 * A spawn onto another thread allocates the pid at once (from the target thread's shared
 * counter) and sends a SPAWN frame; a third thread that learns the pid may send to it before
 * that frame arrives, on another ring. As in Erlang, a pid you hold must be live: such frames
 * are held here and replayed, in order, right after the process starts.
 *
 * A counter is *resolved* once its SPAWN arrived or its spawner abandoned it (ABANDON frame, e.g.
 * the name was taken). Every counter below the watermark is resolved; resolved counters above it
 * are in a set, which stays small because SPAWN frames arrive nearly in counter order. A frame for
 * an unresolved, allocated counter is held; for a resolved one (the process died) it is not.
 * A counter that stays unresolved for STUCK_MS (its spawner thread died with the SPAWN unread) is
 * given up, so the watermark cannot stall.
 */
const STUCK_MS = 10_000

export type HeldFrame = readonly [kind: number, value: unknown]

const NONE: readonly HeldFrame[] = Object.freeze([])

export class Births {
  readonly #counters: BigInt64Array
  readonly #thread: number
  #watermark: number
  readonly #resolved = new Set<number>()
  readonly #held = new Map<number, HeldFrame[]>()
  /** When the watermark last moved, once something waits on it (-1: not measured yet). */
  #advancedAt = -1

  constructor(counters: BigInt64Array, thread: number) {
    this.#counters = counters
    this.#thread = thread
    // Counters allocated before this thread (incarnation) started belong to its predecessor.
    this.#watermark = Number(Atomics.load(counters, thread))
  }

  /** Frames held now, across all unborn processes. */
  get heldCount(): number {
    let n = 0
    for (const list of this.#held.values()) n += list.length
    return n
  }

  /** True if `key` was allocated on this thread and its process has not started yet. */
  isUnborn(key: number): boolean {
    this.#unstick()
    if (key < this.#watermark || this.#resolved.has(key)) return false
    // Any thread may allocate: read the shared counter (a hint that only grows).
    return key < Number(Atomics.load(this.#counters, this.#thread))
  }

  hold(key: number, kind: number, value: unknown): void {
    let list = this.#held.get(key)
    if (list === undefined) this.#held.set(key, (list = []))
    list.push([kind, value])
  }

  /** The process `key` started (or never will): returns the frames held for it, in order. */
  resolve(key: number): readonly HeldFrame[] {
    let held = NONE
    if (this.#held.size > 0) {
      held = this.#held.get(key) ?? NONE
      this.#held.delete(key)
    }
    // The common case (a local spawn, or SPAWN frames in counter order) costs no set and no clock.
    if (key === this.#watermark && this.#resolved.size === 0) {
      this.#watermark++
      this.#advancedAt = -1
    } else if (key >= this.#watermark) {
      this.#resolved.add(key)
      this.#advance()
    }
    return held
  }

  #advance(): void {
    const before = this.#watermark
    while (this.#resolved.delete(this.#watermark)) this.#watermark++
    if (this.#watermark !== before) this.#advancedAt = -1
  }

  /** Give up on the counter the watermark waits for if it has waited too long. */
  #unstick(): void {
    if (this.#resolved.size === 0 && this.#held.size === 0) return
    // The clock starts when something is first seen waiting on the watermark.
    if (this.#advancedAt < 0) this.#advancedAt = performance.now()
    if (performance.now() - this.#advancedAt < STUCK_MS) return
    this.#held.delete(this.#watermark)
    this.#watermark++
    this.#advance()
    this.#advancedAt = performance.now()
  }
}
