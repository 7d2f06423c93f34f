/**
 * Can a value cross threads, and in what form? Plain data, Pid, Ref, Error, Date, Map, Set,
 * RegExp, typed arrays and ArrayBuffers can; functions (other than registered behaviour
 * classes), symbols, class instances without a codec extension and cycles cannot.
 *
 *   fast check (ok)            allocates nothing; true for plain data at most FAST_DEPTH deep
 *                              with well-formed strings: cbor-x encodes it as it is
 *   slow path (toWireGraph)    anything else: a flat table of nodes (wire-graph.ts) that takes
 *                              behaviour classes, lone surrogates and nesting up to MAX_DEPTH,
 *                              or ERR_NOT_SERIALIZABLE naming the path of what cannot travel
 *
 * The fast check reads the value once and the encoder again; a getter that throws sends the
 * value down the slow path, which reads each property once and names the one that threw.
 */
import { hasCode, makeError } from '../core/errors.ts'
import { MAX_DEPTH, kindOf, toWireGraph } from './wire-graph.ts'

export { MAX_DEPTH }

/**
 * Deepest nesting the fast check passes. cbor-x recurses once per level (several frames for
 * an Error or a Set), and the main thread's stack holds about 800 such levels: 100 leaves
 * room for whatever called send. Deeper values take the slow path.
 */
const FAST_DEPTH = 100

function ok(v: unknown, depth: number): boolean {
  const t = typeof v
  // UTF-8 (cbor's text) cannot carry a lone surrogate: such a string takes the slow path.
  if (t === 'string') return (v as string).isWellFormed()
  if (t !== 'object') return t !== 'function' && t !== 'symbol'
  if (v === null) return true
  if (depth > FAST_DEPTH) return false
  switch (kindOf(v as object)) {
    case 'plain':
      for (const k in v as Record<string, unknown>) if (!k.isWellFormed() || !ok((v as Record<string, unknown>)[k], depth + 1)) return false
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
      const e = v as Error & { code?: unknown; reason?: unknown }
      return ok(e.name, depth) && ok(e.message, depth) && (e.stack === undefined || ok(e.stack, depth)) &&
        ok(e.code, depth + 1) && ok(e.reason, depth + 1)
    }
    case 'leaf':
      return true
    default:
      return false
  }
}

/** True if `v` can be sent to another thread. Never throws. */
export function isSerializable(v: unknown): boolean {
  try {
    prepareForWire(v)
    return true
  } catch {
    return false
  }
}

/**
 * `v` ready for the wire: itself when the fast check passes, else its WireGraph.
 * @throws ERR_NOT_SERIALIZABLE naming the first offending path (`what` is its root)
 */
export function prepareForWire(v: unknown, what = 'message'): unknown {
  let fast = false
  try {
    fast = ok(v, 0)
  } catch {
    // A getter or a Proxy trap threw: the slow path reads again and names it.
  }
  if (fast) return v
  try {
    return toWireGraph(v, what)
  } catch (error) {
    if (hasCode(error, 'ERR_NOT_SERIALIZABLE')) throw error
    // Out of memory or stack in the walk itself: still a coded failure of this send, not of the thread.
    throw makeError('ERR_NOT_SERIALIZABLE', what, error instanceof Error ? error.message : String(error))
  }
}

/** @throws ERR_NOT_SERIALIZABLE naming the first offending path. */
export function assertSerializable(v: unknown, what = 'message'): void {
  prepareForWire(v, what)
}
