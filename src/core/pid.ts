/**
 * Pids and refs: immutable, comparable by value, never reused within a node's life.
 *
 * A pid has the four fields of Erlang's NEW_PID_EXT. Within a node the thread that owns the
 * process lives in the high 8 bits of `id`; the low 24 bits and `serial` together hold that
 * thread slot's 53-bit spawn counter, which is shared memory and survives a thread restart,
 * so a replacement thread never hands out a pid its predecessor used.
 */

/** The node name of a node not in a cluster (Erlang's `nonode@nohost`); printed as `0`. */
export const LOCAL_NODE = 'nonode@nohost'
/** Where the owning thread starts in a pid's `id`. */
export const THREAD_SHIFT = 24
/** The spawn-counter bits of a pid's `id` (below the thread). */
export const LOCAL_ID_MASK = 0xffffff
const SERIAL_UNIT = 0x1000000 // 2 ** 24
const KEY_UNIT = 0x100000000 // 2 ** 32

declare const kProcessType: unique symbol

/**
 * A pid that remembers, for the type checker only, the class of what runs behind it (an Actor
 * or Server subclass, say), so `send`, `call` and `cast` can check messages, requests and
 * replies against the types the class declares (see `MessageOf`, `CallOf`, `CastOf`, `ReplyOf`).
 * `node.spawn(Class)` and `this.spawn(Class)` give one. It is a Pid, and a plain Pid is
 * assignable to it.
 */
export type TypedPid<T> = Pid & {
  /** @hidden */
  readonly [kProcessType]?: T
}

/**
 * A process identifier: immutable, compared by value, never reused within a node's life (a pid
 * of a process that has ended stays dead, whatever is spawned later).
 *
 * Details: the four fields are those of Erlang's NEW_PID_EXT; printed as `<0.thread.n.serial>`
 * (`0` for the local node). A Pid travels between threads as itself: a message may carry one.
 *
 * Gotchas:
 * - Compare with `equals`, never `===`: a pid that crossed threads is another object.
 * - As a Map key use `key` (a number unique within the node), not the Pid object.
 *
 * @example
 * ```ts
 * const pid = await node.spawn(Counter, { start: 0 }, { thread: 1 })
 * pid.thread                        // 1
 * String(pid)                       // '<0.1.5.0>', say
 * const byKey = new Map([[pid.key, pid]])
 * ```
 */
export class Pid {
  /** The node it belongs to (`'nonode@nohost'` until nodes are distributed). */
  readonly node: string
  /** The owning thread (high 8 bits) and the low 24 bits of that thread's spawn counter. */
  readonly id: number
  /** The rest of the spawn counter, above the 24 bits in `id`. */
  readonly serial: number
  /** The node's incarnation: a pid from an earlier run of the node never matches a live one. */
  readonly creation: number
  /** Unique number for this pid within its node: usable as a Map key. */
  readonly key: number

  constructor(node: string, id: number, serial: number, creation: number) {
    this.node = node
    this.id = id
    this.serial = serial
    this.creation = creation
    this.key = serial * KEY_UNIT + id
  }

  /** Index of the scheduler thread that owns the process (0 is the main thread). */
  get thread(): number {
    return this.id >>> THREAD_SHIFT
  }

  /** The owning thread's spawn counter value: the key in that thread's process table. */
  get localKey(): number {
    return this.serial * SERIAL_UNIT + (this.id & LOCAL_ID_MASK)
  }

  /** True if `other` is a Pid naming the same process (same node, creation and key). */
  equals(other: unknown): boolean {
    return other instanceof Pid && other.key === this.key && other.node === this.node && other.creation === this.creation
  }

  /** Erlang's form: `<node.thread.n.serial>`, with `0` for the local node. */
  toString(): string {
    const node = this.node === LOCAL_NODE ? '0' : this.node
    return `<${node}.${this.thread}.${this.id & LOCAL_ID_MASK}.${this.serial}>`
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Pid${this.toString()}`
  }
}

/** The pid whose two words (`id`, `serial`: how a frame's header and the name table hold one) are given. */
export function pidFromWords(node: string, creation: number, id: number, serial: number): Pid {
  return new Pid(node, id >>> 0, serial >>> 0, creation)
}

/** The process-table key (Pid.localKey) of the pid with these two words. */
export function localKeyOfWords(id: number, serial: number): number {
  return (serial >>> 0) * SERIAL_UNIT + ((id >>> 0) & LOCAL_ID_MASK)
}

/** Build the pid for spawn counter `counter` of thread `thread`. */
export function pidFor(node: string, creation: number, thread: number, counter: number): Pid {
  const id = ((thread << THREAD_SHIFT) | (counter % SERIAL_UNIT)) >>> 0
  return new Pid(node, id, Math.floor(counter / SERIAL_UNIT), creation)
}

/**
 * A unique reference (Erlang's `make_ref()`): what `makeRef`, `monitor` and `createAlias` return,
 * and what names a call. Immutable, compared by value, never reused within a node's life.
 *
 * Details: `key` packs the creating thread (low 8 bits) and that thread's ref counter; each
 * thread incarnation starts its counter in a fresh range, so refs are never reused either.
 * Printed as `#Ref<0.thread.n>`. A Ref made by `createAlias` is also an address: messages sent
 * to it reach its creator until the alias is deleted.
 *
 * Gotcha: compare with `equals` (or by `key`), never `===`: a ref that crossed threads is
 * another object.
 */
export class Ref {
  /** Type-only: keeps a Pid from passing for a Ref (they share their fields' shapes). */
  declare private readonly refBrand: never
  /** The node it was made on. */
  readonly node: string
  /** Unique number for this ref within its node: usable as a Map key. */
  readonly key: number
  /** The node's incarnation when it was made. */
  readonly creation: number

  constructor(node: string, key: number, creation: number) {
    this.node = node
    this.key = key
    this.creation = creation
  }

  /** True if `other` is a Ref with the same node, creation and key. */
  equals(other: unknown): boolean {
    return other instanceof Ref && other.key === this.key && other.node === this.node && other.creation === this.creation
  }

  /** Erlang's form: `#Ref<node.thread.n>`, with `0` for the local node. */
  toString(): string {
    const node = this.node === LOCAL_NODE ? '0' : this.node
    return `#Ref<${node}.${this.key % 256}.${Math.floor(this.key / 256)}>`
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString()
  }
}

/** A name-based process address as carried by a DOWN for a monitor made by name. */
export interface NamedProcess {
  /** The registered name the monitor was made by. */
  readonly name: string
  /** The node the name was looked up on. */
  readonly node: string
}

/** Where a message may be sent: a pid, a registered name, or an alias (a Ref made by createAlias). */
export type Address = Pid | string | Ref

/** The registry key of an alias: a name no user can register (user names may not start with NUL). */
export function aliasName(ref: Ref): string {
  return `\u0000alias:${ref.key}:${ref.creation}`
}
