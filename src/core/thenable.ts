/**
 * Whether a callback returned a Promise (or any object with a `then` method): the one test the
 * behaviours and the runtime use to tell a result to await from a plain one. A plain return is
 * the hot path, so it is handled without a closure and without `Promise.resolve`.
 */
export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'
}
