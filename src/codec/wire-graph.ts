/**
 * The wire graph: how a message travels when cbor-x cannot take it as it is. cbor-x encodes
 * and decodes by recursion, and its stack runs out near 800 levels of nesting on the main
 * thread (Sets and Errors; plain objects near 1100); it writes strings as UTF-8, which has no
 * lone surrogates; and it knows nothing of behaviour classes. So the slow path (validate.ts's
 * prepareForWire, taken when the fast check fails) flattens the value, without recursion, into
 * one table of nodes, each holding its children as indices into the table. Whatever the
 * value's depth, cbor-x then sees only three levels, and the reader rebuilds the value, again
 * without recursion.
 *
 *   node                                        is
 *   [LEAF, v]                                   a primitive or a leaf object (Pid, Ref, Date, ...)
 *   [OBJECT | NULL_OBJECT, k1, c1, k2, c2, ...]  a plain object (or one with a null prototype)
 *   [ARRAY, c1, c2, ...]                         an array
 *   [MAP, key1, value1, ...]  [SET, c1, ...]     a Map, a Set (children as indices)
 *   [ERROR, name, message, stack, code, reason]  an Error; code and reason are indices or -1
 *
 * Nodes are numbered in the order the walk meets them, so a child's index is above its
 * parent's: building from the last node to the first finds every child built. Strings that
 * are not well-formed UTF-16 (keys, values, an Error's texts) travel as WireString (their code
 * units); behaviour classes as WireClass tokens. The rules:
 *   - a value MUST NOT nest deeper than MAX_DEPTH containers, nor contain itself (a cycle);
 *   - a shared object is copied at each place it appears, as cbor-x does;
 *   - a getter that throws, a function that is not a registered class, a symbol and an
 *     instance of an unknown class fail ERR_NOT_SERIALIZABLE, naming the path.
 */
import { Pid, Ref } from '../core/pid.ts'
import { hasCode, makeError } from '../core/errors.ts'
import { wireKeyOf } from '../core/wire-classes.ts'

/**
 * How deep a message that crosses threads may nest: containers (objects, arrays, Maps, Sets,
 * an Error's reason) within one another. Documented in the README ("Messages").
 */
export const MAX_DEPTH = 10_000

/** A behaviour class on the wire: its key (see core/wire-classes.ts and the codec extension). */
export class WireClass {
  readonly key: string
  constructor(key: string) {
    this.key = key
  }
}

/** A string that is not well-formed UTF-16 (a lone surrogate), as its code units: UTF-8 cannot carry it. */
export class WireString {
  readonly units: Uint16Array
  constructor(units: Uint16Array) {
    this.units = units
  }

  static of(s: string): WireString {
    const units = new Uint16Array(s.length)
    for (let i = 0; i < s.length; i++) units[i] = s.charCodeAt(i)
    return new WireString(units)
  }

  toString(): string {
    let out = ''
    // fromCharCode with a spread argument list: in slices, to stay below engines' argument limits.
    for (let i = 0; i < this.units.length; i += 8192) out += String.fromCharCode(...this.units.subarray(i, i + 8192))
    return out
  }
}

/** A value flattened for the wire (see the banner). */
export class WireGraph {
  readonly nodes: readonly (readonly unknown[])[]
  constructor(nodes: readonly (readonly unknown[])[]) {
    this.nodes = nodes
  }
}

export type Kind = 'plain' | 'array' | 'map' | 'set' | 'error' | 'leaf' | undefined

const objectProto = Object.prototype

/** What an object is on the wire: a container, a leaf with its own encoding, or (undefined) nothing that can travel. */
export function kindOf(v: object): Kind {
  const proto = Object.getPrototypeOf(v) as unknown
  if (proto === objectProto || proto === null) return 'plain'
  if (Array.isArray(v)) return 'array'
  if (v instanceof Pid || v instanceof Ref || v instanceof WireClass || v instanceof Date || v instanceof RegExp) return 'leaf'
  // An Error travels with its code and reason (see the codec's extension): those must travel too.
  if (v instanceof Error) return 'error'
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return 'leaf'
  if (v instanceof Map) return 'map'
  if (v instanceof Set) return 'set'
  return undefined
}

const LEAF = 0
const OBJECT = 1
const NULL_OBJECT = 2
const ARRAY = 3
const MAP = 4
const SET = 5
const ERROR = 6
const NONE = -1

/** One value to place: where its index goes (node `into`, slot `at`), and how the path to it reads. */
interface Task {
  readonly value: unknown
  readonly into: unknown[] | null
  readonly at: number
  readonly depth: number
  readonly up: Task | null
  readonly step: string
}

/** Marks the end of a container's children in the walk: it is no longer an ancestor. */
interface Leave {
  readonly leave: object
}

/**
 * `v` as a WireGraph, walked without recursion.
 * @throws ERR_NOT_SERIALIZABLE naming the first offending path (`what` is its root)
 */
export function toWireGraph(v: unknown, what: string): WireGraph {
  const nodes: unknown[][] = []
  const ancestors = new Set<object>()
  const work: (Task | Leave)[] = [{ value: v, into: null, at: 0, depth: 0, up: null, step: what }]
  for (let item = work.pop(); item !== undefined; item = work.pop()) {
    if ('leave' in item) {
      ancestors.delete(item.leave)
      continue
    }
    if (item.into !== null) item.into[item.at] = nodes.length
    const node = place(item, work, ancestors)
    nodes.push(node)
  }
  return new WireGraph(nodes)
}

/** The node for `task`'s value; its children go on `work` (with the Leave that ends them). */
function place(task: Task, work: (Task | Leave)[], ancestors: Set<object>): unknown[] {
  const v = task.value
  const t = typeof v
  if (t === 'string') return [LEAF, wireText(v as string)]
  if (t === 'function') {
    const key = wireKeyOf(v as object)
    if (key === undefined) throw fail(task, `a function (${(v as { name?: string }).name || 'anonymous'})`)
    return [LEAF, new WireClass(key)]
  }
  if (t === 'symbol') throw fail(task, 'a symbol')
  if (t !== 'object' || v === null) return [LEAF, v]
  try {
    return placeObject(task, v as object, work, ancestors)
  } catch (error) {
    // A getter, an iterator or a Proxy trap of the user's threw.
    if (hasCode(error, 'ERR_NOT_SERIALIZABLE')) throw error
    throw fail(task, `reading it threw (${error instanceof Error ? error.message : String(error)})`)
  }
}

function placeObject(task: Task, o: object, work: (Task | Leave)[], ancestors: Set<object>): unknown[] {
  const kind = kindOf(o)
  if (kind === 'leaf') return [LEAF, o]
  if (kind === undefined) throw fail(task, `an instance of class ${(o as { constructor?: { name?: string } }).constructor?.name ?? 'unknown'} (no codec extension)`)
  if (ancestors.has(o)) throw fail(task, 'a cycle (the value contains itself)')
  const depth = task.depth + 1
  if (depth > MAX_DEPTH) throw fail(task, `nesting deeper than ${MAX_DEPTH} levels (the most a message crossing threads may have)`)
  ancestors.add(o)
  work.push({ leave: o })
  const child = (node: unknown[], value: unknown, step: string): void => {
    node.push(NONE)
    work.push({ value, into: node, at: node.length - 1, depth, up: task, step })
  }
  switch (kind) {
    case 'plain': {
      const node: unknown[] = [Object.getPrototypeOf(o) === null ? NULL_OBJECT : OBJECT]
      for (const k in o) {
        node.push(wireText(k))
        child(node, read(task, o as Record<string, unknown>, k), `.${k}`)
      }
      return node
    }
    case 'array': {
      const a = o as unknown[]
      const node: unknown[] = [ARRAY]
      for (let i = 0; i < a.length; i++) child(node, read(task, a as unknown as Record<string, unknown>, String(i)), `[${i}]`)
      return node
    }
    case 'map': {
      const node: unknown[] = [MAP]
      let i = 0
      for (const [k, x] of o as Map<unknown, unknown>) {
        child(node, k, `<key ${i}>`)
        child(node, x, `<entry ${i++}>`)
      }
      return node
    }
    case 'set': {
      const node: unknown[] = [SET]
      let i = 0
      for (const x of o as Set<unknown>) child(node, x, `<entry ${i++}>`)
      return node
    }
    case 'error': {
      const e = o as Error & { code?: unknown; reason?: unknown }
      const node: unknown[] = [ERROR, wireText(String(e.name)), wireText(String(e.message)), typeof e.stack === 'string' ? wireText(e.stack) : null]
      if (e.code === undefined || e.code === null) node.push(NONE)
      else child(node, e.code, '.code')
      if (e.reason === undefined || e.reason === null) node.push(NONE)
      else child(node, e.reason, '.reason')
      return node
    }
  }
}

/** `o[key]`; a getter that throws fails with the path to it. */
function read(task: Task, o: Record<string, unknown>, key: string): unknown {
  try {
    return o[key]
  } catch (error) {
    throw fail(task, `reading it threw (${error instanceof Error ? error.message : String(error)})`, Array.isArray(o) ? `[${key}]` : `.${key}`)
  }
}

const wireText = (s: string): string | WireString => (s.isWellFormed() ? s : WireString.of(s))

/** ERR_NOT_SERIALIZABLE at `task`'s path (plus `step`), shortened in the middle when long. */
function fail(task: Task, why: string, step = ''): Error {
  const steps: string[] = step === '' ? [] : [step]
  for (let at: Task | null = task; at !== null; at = at.up) steps.push(at.step)
  steps.reverse()
  const path = steps.length <= 12 ? steps.join('')
    : `${steps.slice(0, 6).join('')}…(${steps.length - 11} more)…${steps.slice(-5).join('')}`
  return makeError('ERR_NOT_SERIALIZABLE', path, why)
}

/** The value a WireGraph's nodes describe (what the reader's codec extension returns). */
export function fromWireGraph(nodes: readonly (readonly unknown[])[]): unknown {
  const built = new Array<unknown>(nodes.length)
  // Children come after their parent: from the last node back, every child is built already.
  for (let i = nodes.length - 1; i >= 0; i--) built[i] = build(nodes[i] as readonly unknown[], built)
  return built[0]
}

function build(node: readonly unknown[], built: readonly unknown[]): unknown {
  const at = (slot: number): unknown => built[node[slot] as number]
  switch (node[0]) {
    case LEAF: return node[1]
    case OBJECT:
    case NULL_OBJECT: {
      const o: Record<string, unknown> = node[0] === OBJECT ? {} : Object.create(null) as Record<string, unknown>
      for (let i = 1; i < node.length; i += 2) {
        const key = String(node[i])
        // A key "__proto__" is data, not the prototype (which an assignment would set).
        if (key === '__proto__') Object.defineProperty(o, key, { value: at(i + 1), enumerable: true, writable: true, configurable: true })
        else o[key] = at(i + 1)
      }
      return o
    }
    case ARRAY: return node.slice(1).map((_, i) => at(i + 1))
    case MAP: {
      const m = new Map<unknown, unknown>()
      for (let i = 1; i < node.length; i += 2) m.set(at(i), at(i + 1))
      return m
    }
    case SET: {
      const s = new Set<unknown>()
      for (let i = 1; i < node.length; i++) s.add(at(i))
      return s
    }
    case ERROR: return buildError(node, at)
    default: throw makeError('ERR_NOT_SERIALIZABLE', 'a wire graph', `an unknown node kind ${String(node[0])}`)
  }
}

const errorBases: Record<string, ErrorConstructor> = {
  TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError,
}

/** An Error as the codec's Error extension rebuilds one: its class by name, its stack, code and reason. */
export function rebuildError(name: string, message: string, stack: string | null, code: unknown, reason: unknown): Error {
  const error = new (errorBases[name] ?? Error)(message) as Error & { code?: unknown; reason?: unknown }
  if (error.name !== name) Object.defineProperty(error, 'name', { value: name, configurable: true, writable: true })
  if (stack !== null) error.stack = stack
  if (code !== null && code !== undefined) Object.defineProperty(error, 'code', { value: code, enumerable: true, configurable: true })
  if (reason !== null && reason !== undefined) error.reason = reason
  return error
}

function buildError(node: readonly unknown[], at: (slot: number) => unknown): Error {
  const text = (v: unknown): string => String(v)
  return rebuildError(text(node[1]), text(node[2]), node[3] === null ? null : text(node[3]),
    node[4] === NONE ? null : at(4), node[5] === NONE ? null : at(5))
}
