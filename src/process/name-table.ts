/**
 * The node-wide name registry, in shared memory so that every thread resolves a name
 * synchronously and a name is unique across the node.
 *
 * Layout (Int32 words): header line 0 = LOCK, COUNT, TOMBS; line 1 = VERSION. Then `capacity`
 * slots of SLOT_WORDS: [state, hash, pid id, pid serial, utf8 length, utf8 bytes...].
 * Open addressing with linear probing; a power-of-two capacity.
 *
 * Rules: every read or write of slots MUST hold LOCK (a spin lock held for a few hundred ns,
 * never across user code). Every change MUST bump VERSION after the slots are written, so a
 * thread's cache, which it clears whenever VERSION moves, never serves a stale binding.
 */
import { hashString } from '../core/hash.ts'
import { makeError } from '../core/errors.ts'
import { THREAD_SHIFT, pidFromWords, Pid } from '../core/pid.ts'

const LOCK = 0
const COUNT = 1
const TOMBS = 2
const VERSION = 16
const HEADER_WORDS = 32
const SLOT_WORDS = 32
const NAME_OFFSET_BYTES = 20
export const MAX_NAME_BYTES = SLOT_WORDS * 4 - NAME_OFFSET_BYTES

const EMPTY = 0
const USED = 1
const TOMB = 2

const encoder = new TextEncoder()

export function nameTableBytes(capacity: number): number {
  return (HEADER_WORDS + capacity * SLOT_WORDS) * 4
}

export class NameTable {
  readonly capacity: number
  readonly #words: Int32Array
  readonly #bytes: Uint8Array
  readonly #mask: number
  readonly #node: string
  readonly #creation: number
  readonly #scratch = new Uint8Array(MAX_NAME_BYTES * 3 + 8)
  readonly #cache = new Map<string, Pid>()
  #cacheVersion = -1

  constructor(sab: SharedArrayBuffer, node: string, creation: number) {
    this.#words = new Int32Array(sab)
    this.#bytes = new Uint8Array(sab)
    this.capacity = (this.#words.length - HEADER_WORDS) / SLOT_WORDS
    this.#mask = this.capacity - 1
    this.#node = node
    this.#creation = creation
  }

  /** The pid registered as `name`, or undefined. */
  lookup(name: string): Pid | undefined {
    // Any thread: a seq-cst load of VERSION; writers bump it after changing slots.
    const version = Atomics.load(this.#words, VERSION)
    if (version !== this.#cacheVersion) {
      this.#cache.clear()
      this.#cacheVersion = version
    } else {
      const hit = this.#cache.get(name)
      if (hit !== undefined) return hit
    }
    const len = this.#encode(name)
    if (len < 0) return undefined
    this.#lock()
    try {
      const at = this.#find(hashString(name), len)
      if (at < 0) return undefined
      const pid = this.#pidAt(at)
      this.#cache.set(name, pid)
      return pid
    } finally {
      this.#unlock()
    }
  }

  /** Bind `name` to `pid`. @throws ERR_NAME_TAKEN, ERR_NAME_TOO_LONG, ERR_REGISTRY_FULL */
  register(name: string, pid: Pid): void {
    const len = this.#encode(name)
    if (len < 0) throw makeError('ERR_NAME_TOO_LONG', name, MAX_NAME_BYTES)
    const hash = hashString(name)
    this.#lock()
    try {
      const at = this.#find(hash, len)
      if (at >= 0) {
        const owner = this.#pidAt(at)
        const error = makeError('ERR_NAME_TAKEN', name, owner.toString())
        // OTP's {error, {already_started, Pid}}: the owner travels with the error.
        error.reason = { already_started: owner }
        throw error
      }
      const w = this.#words
      if ((w[COUNT] as number) + 1 > this.capacity * 0.75) throw makeError('ERR_REGISTRY_FULL', Math.floor(this.capacity * 0.75))
      if ((w[COUNT] as number) + (w[TOMBS] as number) + 1 > this.capacity * 0.75) this.#rehash()
      let i = hash & this.#mask
      for (;;) {
        const base = HEADER_WORDS + i * SLOT_WORDS
        const state = w[base]
        if (state !== USED) {
          if (state === TOMB) w[TOMBS] = (w[TOMBS] as number) - 1
          w[base + 1] = hash
          w[base + 2] = pid.id | 0
          w[base + 3] = pid.serial | 0
          w[base + 4] = len
          this.#bytes.set(this.#scratch.subarray(0, len), base * 4 + NAME_OFFSET_BYTES)
          w[base] = USED
          w[COUNT] = (w[COUNT] as number) + 1
          break
        }
        i = (i + 1) & this.#mask
      }
      this.#bump()
    } finally {
      this.#unlock()
    }
  }

  /** Remove `name` if it is bound to `pid` (or to anyone when `pid` is undefined). */
  unregister(name: string, pid?: Pid): boolean {
    const len = this.#encode(name)
    if (len < 0) return false
    this.#lock()
    try {
      const at = this.#find(hashString(name), len)
      if (at < 0) return false
      const w = this.#words
      if (pid !== undefined && (w[at + 2] !== (pid.id | 0) || w[at + 3] !== (pid.serial | 0))) return false
      this.#tomb(at)
      this.#bump()
      return true
    } finally {
      this.#unlock()
    }
  }

  /** Remove every name held by a process of thread `thread` (that thread died). */
  removeThread(thread: number): number {
    let removed = 0
    this.#lock()
    try {
      const w = this.#words
      for (let i = 0; i < this.capacity; i++) {
        const base = HEADER_WORDS + i * SLOT_WORDS
        if (w[base] === USED && ((w[base + 2] as number) >>> THREAD_SHIFT) === thread) {
          this.#tomb(base)
          removed++
        }
      }
      if (removed > 0) this.#bump()
    } finally {
      this.#unlock()
    }
    return removed
  }

  /** Every registered name (for introspection). */
  names(): string[] {
    const out: string[] = []
    const decoder = new TextDecoder()
    this.#lock()
    try {
      const w = this.#words
      for (let i = 0; i < this.capacity; i++) {
        const base = HEADER_WORDS + i * SLOT_WORDS
        if (w[base] !== USED) continue
        const start = base * 4 + NAME_OFFSET_BYTES
        out.push(decoder.decode(this.#bytes.slice(start, start + (w[base + 4] as number))))
      }
    } finally {
      this.#unlock()
    }
    return out
  }

  #encode(name: string): number {
    const { read, written } = encoder.encodeInto(name, this.#scratch)
    if (read !== name.length || written > MAX_NAME_BYTES) return -1
    return written
  }

  /** Under LOCK, with the name encoded in the scratch buffer: the slot base, or -1. */
  #find(hash: number, len: number): number {
    const w = this.#words
    const bytes = this.#bytes
    const scratch = this.#scratch
    let i = hash & this.#mask
    for (let probes = 0; probes < this.capacity; probes++) {
      const base = HEADER_WORDS + i * SLOT_WORDS
      const state = w[base]
      if (state === EMPTY) return -1
      if (state === USED && w[base + 1] === (hash | 0) && w[base + 4] === len) {
        const start = base * 4 + NAME_OFFSET_BYTES
        let same = true
        for (let k = 0; k < len; k++) {
          if (bytes[start + k] !== scratch[k]) {
            same = false
            break
          }
        }
        if (same) return base
      }
      i = (i + 1) & this.#mask
    }
    return -1
  }

  #pidAt(base: number): Pid {
    const w = this.#words
    return pidFromWords(this.#node, this.#creation, w[base + 2] as number, w[base + 3] as number)
  }

  #tomb(base: number): void {
    const w = this.#words
    w[base] = TOMB
    w[COUNT] = (w[COUNT] as number) - 1
    w[TOMBS] = (w[TOMBS] as number) + 1
  }

  /** Under LOCK: rewrite every live slot so tombstones disappear. */
  #rehash(): void {
    const w = this.#words
    const live: Int32Array[] = []
    for (let i = 0; i < this.capacity; i++) {
      const base = HEADER_WORDS + i * SLOT_WORDS
      if (w[base] === USED) live.push(w.slice(base, base + SLOT_WORDS))
    }
    w.fill(0, HEADER_WORDS)
    for (const s of live) {
      let i = (s[1] as number) & this.#mask
      while (w[HEADER_WORDS + i * SLOT_WORDS] !== EMPTY) i = (i + 1) & this.#mask
      w.set(s, HEADER_WORDS + i * SLOT_WORDS)
    }
    w[TOMBS] = 0
  }

  #bump(): void {
    // Lock holder: slot writes above happen-before this store; a reader seeing the new VERSION
    // clears its cache and re-reads the slots under LOCK.
    Atomics.add(this.#words, VERSION, 1)
  }

  #lock(): void {
    // Any thread: acquire. Held only for a probe sequence, never across user code or awaits.
    while (Atomics.compareExchange(this.#words, LOCK, 0, 1) !== 0) {
      // spin: the holder finishes in well under a microsecond
    }
  }

  #unlock(): void {
    // Release: our slot writes happen-before the next holder's CAS that reads 0.
    Atomics.store(this.#words, LOCK, 0)
  }
}
