/**
 * RefTable: a map from ref keys to entries, for the few that a process holds at once (its
 * pending calls, the callers watching it). A call adds one entry at the caller and one at the
 * target, and removes both when the reply comes: with a `Map`, each emptied table is shrunk and
 * the next call grows it again, which cost more than the rest of the call's bookkeeping. Here
 * up to SMALL entries sit in two arrays searched linearly (newest last, where a reply usually
 * finds its call) that never shrink; beyond SMALL the table moves to a `Map`, and back once it
 * is empty.
 */

const SMALL = 8

export class RefTable<V> {
  readonly #keys: number[] = []
  readonly #values: (V | undefined)[] = []
  #n = 0
  #big: Map<number, V> | null = null

  get size(): number {
    return this.#big === null ? this.#n : this.#big.size
  }

  get(key: number): V | undefined {
    if (this.#big !== null) return this.#big.get(key)
    const keys = this.#keys
    for (let i = this.#n - 1; i >= 0; i--) if (keys[i] === key) return this.#values[i]
    return undefined
  }

  has(key: number): boolean {
    return this.#big !== null ? this.#big.has(key) : this.#indexOf(key) >= 0
  }

  set(key: number, value: V): void {
    if (this.#big !== null) {
      this.#big.set(key, value)
      return
    }
    const i = this.#indexOf(key)
    if (i >= 0) {
      this.#values[i] = value
      return
    }
    const n = this.#n
    if (n === SMALL) {
      this.#grow().set(key, value)
      return
    }
    this.#keys[n] = key
    this.#values[n] = value
    this.#n = n + 1
  }

  /** Remove `key`; true if it was there. */
  delete(key: number): boolean {
    const big = this.#big
    if (big !== null) {
      const had = big.delete(key)
      if (big.size === 0) this.#big = null
      return had
    }
    const i = this.#indexOf(key)
    if (i < 0) return false
    const last = --this.#n
    this.#keys[i] = this.#keys[last] as number
    this.#values[i] = this.#values[last]
    this.#values[last] = undefined
    return true
  }

  /** A snapshot of the entries: the table may change while the caller goes through them. */
  values(): V[] {
    if (this.#big !== null) return [...this.#big.values()]
    return this.#values.slice(0, this.#n) as V[]
  }

  #indexOf(key: number): number {
    const keys = this.#keys
    for (let i = this.#n - 1; i >= 0; i--) if (keys[i] === key) return i
    return -1
  }

  #grow(): Map<number, V> {
    const big = new Map<number, V>()
    for (let i = 0; i < this.#n; i++) {
      big.set(this.#keys[i] as number, this.#values[i] as V)
      this.#values[i] = undefined
    }
    this.#n = 0
    this.#big = big
    return big
  }
}
