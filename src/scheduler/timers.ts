/**
 * A timer queue: a binary min-heap of deadlines behind one event-loop timer armed for the
 * earliest. Call timeouts and sendAfter use it, so a call costs a heap push, not a setTimeout.
 * Cancelled entries are removed lazily. The clock is injectable for deterministic tests.
 */
import { realClock, type Clock } from '../core/clock.ts'

interface Entry {
  at: number
  seq: number
  fn: ((arg: never) => void) | null
  /** Passed to fn: lets a caller use one function for many timers instead of a closure each. */
  arg: unknown
}

/** What schedule() returns: the timer itself (no id table to keep), for cancel(). */
export type TimerId = { readonly at: number }

export class TimerQueue {
  readonly #clock: Clock
  readonly #heap: Entry[] = []
  /** Timers pending (the heap also holds cancelled ones until they surface or a compaction). */
  #live = 0
  #seq = 0
  #armedAt = Infinity
  #handle: unknown = null

  constructor(clock: Clock = realClock) {
    this.#clock = clock
  }

  /** The clock's current time in ms. */
  now(): number {
    return this.#clock.now()
  }

  get size(): number {
    return this.#live
  }

  /** Run `fn(arg)` after `ms` milliseconds; returns the timer, for cancel(). */
  schedule<A = undefined>(ms: number, fn: (arg: A) => void, arg?: A): TimerId {
    const entry: Entry = { at: this.#clock.now() + Math.max(0, ms), seq: ++this.#seq, fn, arg }
    this.#live++
    this.#push(entry)
    if (entry.at < this.#armedAt) this.#arm(entry.at)
    return entry
  }

  /** True if the timer was pending and will now never run. */
  cancel(id: TimerId | null): boolean {
    const entry = id as Entry | null
    if (entry === null || entry.fn === null) return false
    entry.fn = null
    entry.arg = undefined
    this.#live--
    // Lazy deletion would let a flood of answered calls grow the heap to their timeout's worth
    // of entries; rebuild once dead entries outnumber live ones.
    if (this.#heap.length > 1024 && this.#heap.length > 2 * this.#live) this.#compact()
    return true
  }

  #compact(): void {
    const live = this.#heap.filter((e) => e.fn !== null)
    this.#heap.length = 0
    for (const e of live) this.#push(e)
  }

  /** Drop every timer and the event-loop handle. */
  clear(): void {
    for (const e of this.#heap) e.fn = null
    this.#heap.length = 0
    this.#live = 0
    if (this.#handle !== null) this.#clock.clearTimeout(this.#handle)
    this.#handle = null
    this.#armedAt = Infinity
  }

  /** Milliseconds until the earliest pending timer (Infinity if none). */
  nextDelay(): number {
    const top = this.#heap[0]
    return top === undefined ? Infinity : Math.max(0, top.at - this.#clock.now())
  }

  /** Run every timer that is due. */
  fire(): void {
    const now = this.#clock.now()
    const heap = this.#heap
    while (heap.length > 0 && (heap[0] as Entry).at <= now) {
      const entry = this.#pop()
      if (entry.fn === null) continue
      this.#live--
      const fn = entry.fn as (arg: unknown) => void
      const arg = entry.arg
      entry.fn = null
      entry.arg = undefined
      fn(arg)
    }
    while (heap.length > 0 && (heap[0] as Entry).fn === null) this.#pop()
    this.#handle = null
    this.#armedAt = Infinity
    if (heap.length > 0) this.#arm((heap[0] as Entry).at)
  }

  #arm(at: number): void {
    if (this.#handle !== null) this.#clock.clearTimeout(this.#handle)
    this.#armedAt = at
    this.#handle = this.#clock.setTimeout(() => this.fire(), Math.max(0, at - this.#clock.now()))
  }

  #push(e: Entry): void {
    const heap = this.#heap
    heap.push(e)
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = heap[parent] as Entry
      if (p.at < e.at || (p.at === e.at && p.seq < e.seq)) break
      heap[i] = p
      i = parent
    }
    heap[i] = e
  }

  #pop(): Entry {
    const heap = this.#heap
    const top = heap[0] as Entry
    const last = heap.pop() as Entry
    if (heap.length > 0) {
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        if (l >= heap.length) break
        const r = l + 1
        let c = l
        if (r < heap.length && ((heap[r] as Entry).at < (heap[l] as Entry).at ||
          ((heap[r] as Entry).at === (heap[l] as Entry).at && (heap[r] as Entry).seq < (heap[l] as Entry).seq))) c = r
        const child = heap[c] as Entry
        if (last.at < child.at || (last.at === child.at && last.seq < child.seq)) break
        heap[i] = child
        i = c
      }
      heap[i] = last
    }
    return top
  }
}
