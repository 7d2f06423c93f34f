/**
 * A growable FIFO on a power-of-two circular array. Mailboxes, run queues and ring overflow
 * queues use it: push and shift are O(1) and allocate only when the queue doubles.
 */
export class Fifo<T> {
  #items: (T | undefined)[]
  #mask: number
  #head = 0
  #size = 0

  constructor(initialCapacity = 16) {
    let cap = 4
    while (cap < initialCapacity) cap *= 2
    this.#items = new Array<T | undefined>(cap)
    this.#mask = cap - 1
  }

  get length(): number {
    return this.#size
  }

  push(item: T): void {
    if (this.#size > this.#mask) this.#grow()
    this.#items[(this.#head + this.#size) & this.#mask] = item
    this.#size++
  }

  /** Remove and return the oldest item; undefined when empty. */
  shift(): T | undefined {
    if (this.#size === 0) return undefined
    const i = this.#head
    const item = this.#items[i]
    this.#items[i] = undefined
    this.#head = (i + 1) & this.#mask
    this.#size--
    return item
  }

  /** Remove the first item matching `pred`; keeps the order of the rest. O(n). */
  removeFirst(pred: (item: T) => boolean): boolean {
    for (let k = 0; k < this.#size; k++) {
      const i = (this.#head + k) & this.#mask
      if (pred(this.#items[i] as T)) {
        for (let j = k; j < this.#size - 1; j++) {
          this.#items[(this.#head + j) & this.#mask] = this.#items[(this.#head + j + 1) & this.#mask]
        }
        this.#items[(this.#head + this.#size - 1) & this.#mask] = undefined
        this.#size--
        return true
      }
    }
    return false
  }

  clear(): void {
    if (this.#size > 0) this.#items.fill(undefined)
    this.#head = 0
    this.#size = 0
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let k = 0; k < this.#size; k++) yield this.#items[(this.#head + k) & this.#mask] as T
  }

  #grow(): void {
    const old = this.#items
    const cap = old.length * 2
    const items = new Array<T | undefined>(cap)
    for (let k = 0; k < this.#size; k++) items[k] = old[(this.#head + k) & this.#mask]
    this.#items = items
    this.#mask = cap - 1
    this.#head = 0
  }
}
