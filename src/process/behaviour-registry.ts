/**
 * Behaviour classes are identified across threads by `moduleURL#exportName`. Every thread
 * imports the node's `modules` and registers each exported behaviour class under that key, so a
 * SPAWN frame can name a class another thread will find.
 */
import { kDispatch, type BehaviourClass } from '../core/process-context.ts'
import { makeError } from '../core/errors.ts'
import { registerWireClass } from '../core/wire-classes.ts'

/**
 * A behaviour class named by its module and export instead of given as a value, for
 * `node.spawn` and `node.startProcess`: the class is looked up among the exports of the node's
 * `modules`.
 *
 * @throws ERR_UNKNOWN_BEHAVIOUR (the spawn rejects) when no module in `modules` exports a behaviour class by that name
 * @example
 * ```ts
 * await node.spawn({ module: new URL('./workers.js', import.meta.url).href, export: 'Indexer' }, args, { thread: 1 })
 * ```
 */
export interface BehaviourRef {
  /** The module's URL (`file:` URL string) or path, as listed in `modules`. */
  readonly module: string
  /** The name the module exports the class under. */
  readonly export: string
}

export function isBehaviourClass(v: unknown): v is BehaviourClass {
  return typeof v === 'function' && typeof (v as { prototype?: Record<symbol, unknown> }).prototype?.[kDispatch] === 'function'
}

export class BehaviourRegistry {
  readonly #byKey = new Map<string, BehaviourClass>()
  readonly #byClass = new Map<BehaviourClass, string>()
  readonly #modules = new Set<string>()

  /**
   * Import `url` (an entry of the node's `modules`) on thread `thread` and register its behaviour
   * exports; resolves with how many.
   * @throws ERR_MODULE_LOAD_FAILED (rejects) when the import throws; `cause` is that error (ERR_MODULE_NOT_FOUND, ...)
   */
  async load(url: string, thread: number): Promise<number> {
    let ns: Record<string, unknown>
    try {
      ns = (await import(url)) as Record<string, unknown>
    } catch (cause) {
      // The entry itself missing (not a module it imports): under plain node, most often a .ts URL in compiled code.
      const entryNotFound = (cause as { code?: unknown; url?: unknown } | null)?.code === 'ERR_MODULE_NOT_FOUND' &&
        (cause as { url?: unknown }).url === url
      const error = makeError('ERR_MODULE_LOAD_FAILED', url, thread, cause instanceof Error ? cause.message : String(cause), entryNotFound)
      error.cause = cause
      throw error
    }
    this.#modules.add(url)
    let n = 0
    for (const [name, value] of Object.entries(ns)) {
      if (!isBehaviourClass(value)) continue
      const key = `${url}#${name}`
      this.#byKey.set(key, value)
      if (!this.#byClass.has(value)) this.#byClass.set(value, key)
      registerWireClass(key, value)
      n++
    }
    return n
  }

  /** The key of a registered class, or undefined. */
  keyOf(cls: BehaviourClass): string | undefined {
    return this.#byClass.get(cls)
  }

  /** @throws ERR_UNKNOWN_BEHAVIOUR */
  resolveKey(key: string): BehaviourClass {
    const cls = this.#byKey.get(key)
    if (cls !== undefined) return cls
    const hash = key.lastIndexOf('#')
    throw makeError('ERR_UNKNOWN_BEHAVIOUR', key.slice(0, hash), key.slice(hash + 1))
  }

  /** @throws ERR_UNKNOWN_BEHAVIOUR naming the module and export that were not found */
  resolve(ref: BehaviourRef): BehaviourClass {
    return this.resolveKey(`${ref.module}#${ref.export}`)
  }
}
