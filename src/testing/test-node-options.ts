/**
 * Node.start options for a test: send checks on. A message that holds a function (or anything
 * else that cannot be encoded) passes between processes of one thread, where it is handed over
 * as it is, and fails `ERR_NOT_SERIALIZABLE` only once its receiver runs on another thread.
 * `checkSends` checks every send as if it crossed threads, so such a message fails in the test,
 * on whatever thread the processes happen to run.
 */

/**
 * `options` with `checkSends: true` unless it sets `checkSends` itself: what a test passes to
 * `Node.start`.
 *
 * Details: generic over the options object (the kit does not depend on the node's types); any
 * other key passes through unchanged, and `Node.start` validates them all.
 *
 * @example
 * ```ts
 * const node = await Node.start(testNodeOptions({ threads: 2, modules: [new URL('./actors.js', import.meta.url)] }))
 * node.send(localPid, { onDone: () => {} })   // throws ERR_NOT_SERIALIZABLE, as across threads
 * ```
 */
export function testNodeOptions<O extends object>(options?: O): O & { checkSends: boolean } {
  return { checkSends: true, ...options } as O & { checkSends: boolean }
}
