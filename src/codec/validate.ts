/**
 * Can a value cross threads? Plain data, Pid, Ref, Error, Date, Map, Set, RegExp, typed arrays
 * and ArrayBuffers can; functions, symbols, class instances without a codec extension and
 * cycles cannot. The fast check allocates nothing; on failure a second pass finds the path.
 */
import { Pid, Ref } from '../core/pid.ts'
import { makeError } from '../core/errors.ts'
import { wireKeyOf } from '../core/wire-classes.ts'

/** A behaviour class on the wire: its key (see core/wire-classes.ts and the codec extension). */
export class WireClass {
  readonly key: string
  constructor(key: string) {
    this.key = key
  }
}

const MAX_DEPTH = 200
const objectProto = Object.prototype

function isKnownObject(v: object): 'plain' | 'array' | 'map' | 'set' | 'error' | 'leaf' | undefined {
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

function ok(v: unknown, depth: number): boolean {
  const t = typeof v
  if (t !== 'object') return t !== 'function' && t !== 'symbol'
  if (v === null) return true
  if (depth > MAX_DEPTH) return false
  const kind = isKnownObject(v as object)
  switch (kind) {
    case 'plain':
      for (const k in v as Record<string, unknown>) if (!ok((v as Record<string, unknown>)[k], depth + 1)) return false
      return true
    case 'array': {
      const a = v as unknown[]
      for (let i = 0; i < a.length; i++) if (!ok(a[i], depth + 1)) return false
      return true
    }
    case 'map':
      for (const [k, x] of v as Map<unknown, unknown>) if (!ok(k, depth + 1) || !ok(x, depth + 1)) return false
      return true
    case 'set':
      for (const x of v as Set<unknown>) if (!ok(x, depth + 1)) return false
      return true
    case 'error': {
      const e = v as { code?: unknown; reason?: unknown }
      return ok(e.code, depth + 1) && ok(e.reason, depth + 1)
    }
    case 'leaf':
      return true
    default:
      return false
  }
}

function explain(v: unknown, path: string, depth: number): [string, string] | undefined {
  const t = typeof v
  if (t === 'function') return [path, `a function (${(v as { name?: string }).name || 'anonymous'})`]
  if (t === 'symbol') return [path, 'a symbol']
  if (t !== 'object' || v === null) return undefined
  if (depth > MAX_DEPTH) return [path, `nesting deeper than ${MAX_DEPTH} (a cycle?)`]
  const kind = isKnownObject(v as object)
  if (kind === undefined) {
    const name = (v as object).constructor?.name ?? 'unknown'
    return [path, `an instance of class ${name} (no codec extension)`]
  }
  if (kind === 'plain') {
    for (const k in v as Record<string, unknown>) {
      const r = explain((v as Record<string, unknown>)[k], `${path}.${k}`, depth + 1)
      if (r) return r
    }
  } else if (kind === 'array') {
    const a = v as unknown[]
    for (let i = 0; i < a.length; i++) {
      const r = explain(a[i], `${path}[${i}]`, depth + 1)
      if (r) return r
    }
  } else if (kind === 'error') {
    const e = v as { code?: unknown; reason?: unknown }
    return explain(e.code, `${path}.code`, depth + 1) ?? explain(e.reason, `${path}.reason`, depth + 1)
  } else if (kind === 'map' || kind === 'set') {
    let i = 0
    for (const x of v as Iterable<unknown>) {
      const r = explain(x, `${path}<entry ${i++}>`, depth + 1)
      if (r) return r
    }
  }
  return undefined
}

/** True if `v` can be sent to another thread. Never throws. */
export function isSerializable(v: unknown): boolean {
  return ok(v, 0)
}

/**
 * `v` ready for the wire: itself when it can travel as is; else a copy in which registered
 * behaviour classes are replaced by tokens (the reader gets its own thread's class back).
 * @throws ERR_NOT_SERIALIZABLE naming the first offending path
 */
export function prepareForWire(v: unknown, what = 'message'): unknown {
  if (ok(v, 0)) return v
  const swapped = swapClasses(v, 0)
  if (swapped !== v && ok(swapped, 0)) return swapped
  const [path, why] = explain(v, what, 0) ?? [what, 'an unsupported value']
  throw makeError('ERR_NOT_SERIALIZABLE', path, why)
}

/** @throws ERR_NOT_SERIALIZABLE naming the first offending path. */
export function assertSerializable(v: unknown, what = 'message'): void {
  prepareForWire(v, what)
}

/** A copy of `v` with registered classes swapped for WireClass tokens (`v` itself if none). */
function swapClasses(v: unknown, depth: number): unknown {
  if (typeof v === 'function') {
    const key = wireKeyOf(v)
    return key === undefined ? v : new WireClass(key)
  }
  if (typeof v !== 'object' || v === null || depth > MAX_DEPTH) return v
  switch (isKnownObject(v)) {
    case 'plain': {
      let out: Record<string, unknown> | null = null
      for (const k in v as Record<string, unknown>) {
        const x = (v as Record<string, unknown>)[k]
        const y = swapClasses(x, depth + 1)
        if (y !== x) out ??= { ...(v as Record<string, unknown>) }
        if (out !== null) out[k] = y
      }
      return out ?? v
    }
    case 'array': {
      const a = v as unknown[]
      const b = a.map((x) => swapClasses(x, depth + 1))
      return b.some((y, i) => y !== a[i]) ? b : v
    }
    default:
      return v
  }
}
