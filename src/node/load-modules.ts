/**
 * The main thread's import of the node's `modules`, at Node.start, and the one way it can never
 * finish: a listed module that awaits Node.start at its top level (the program's own file,
 * listed so its actors run on every thread). Its import waits for its evaluation, which waits
 * for Node.start, which waits for the import.
 *
 *   Node.start ─▶ loadModules: import each module in turn, a 'beforeExit' listener armed
 *   an import settles ─▶ the next one; all done ─▶ the listener is removed
 *   the event loop runs dry while an import is pending ─▶ 'beforeExit' ─▶ reject ERR_MODULE_AWAITS_NODE_START
 *
 * Why 'beforeExit' and not a timeout: a module may take long to load (a top-level await of a
 * connection), and no time is too long for one. An import pending when the loop has nothing left
 * to run can never settle, since only a callback could settle it. Node would then end the
 * process with code 13 ("unsettled top-level await") and nothing else; the error says what to
 * do instead. Gotcha: while something else keeps the loop alive (a server the program started
 * before Node.start), the loop never runs dry and the start waits, as before.
 */
import { makeError } from '../core/errors.ts'
import type { BehaviourRegistry } from '../process/behaviour-registry.ts'

/**
 * Import `urls` into `registry` on the main thread, in order.
 * @throws ERR_MODULE_AWAITS_NODE_START (rejects) as above
 * @throws ERR_MODULE_LOAD_FAILED (rejects) when an import throws (thread 0; `cause` is Node's error)
 */
export async function loadModules(registry: BehaviourRegistry, urls: readonly string[]): Promise<void> {
  if (urls.length === 0) return
  let stalled: ((error: Error) => void) | undefined
  let current = ''
  const onBeforeExit = (): void => stalled?.(makeError('ERR_MODULE_AWAITS_NODE_START', current))
  process.on('beforeExit', onBeforeExit)
  try {
    for (const url of urls) {
      current = url
      await new Promise<void>((resolve, reject) => {
        stalled = reject
        registry.load(url, 0).then(() => resolve(), reject)
      })
    }
  } finally {
    process.off('beforeExit', onBeforeExit)
  }
}
