/**
 * Behaviour classes by wire key, for this thread. Every thread loads the node's modules, so a
 * class exported by one of them has the same key (`moduleUrl#export`) everywhere; a class met
 * in a cross-thread value travels as its key and arrives as that thread's own class. Lets a
 * child spec like `{ start: [Worker, args] }` go to a supervisor on another thread.
 */

const keyByClass = new WeakMap<object, string>()
const classByKey = new Map<string, unknown>()

export function registerWireClass(key: string, cls: object): void {
  if (!keyByClass.has(cls)) keyByClass.set(cls, key)
  classByKey.set(key, cls)
}

/** The wire key of a registered class, or undefined. */
export function wireKeyOf(value: unknown): string | undefined {
  return typeof value === 'function' ? keyByClass.get(value) : undefined
}

/** The class registered under `key` on this thread, or undefined. */
export function wireClass(key: string): unknown {
  return classByKey.get(key)
}
