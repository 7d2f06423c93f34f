/**
 * On the main thread, a rejection that no Skein process made is the program's own business: Skein
 * listens for 'unhandledRejection' only to end the process that made a stray promise (see
 * scheduler/stray-promises.ts), and a listener of its own would otherwise silence Node's
 * handling of every other one. So for a rejection no process owns:
 *
 *   the program has its own 'unhandledRejection' listener   it got the event: nothing more
 *   it has none                                             what Node does without a listener,
 *                                                           per --unhandled-rejections:
 *     throw (default), strict      raised as an uncaught exception (the process exits 1)
 *     warn, warn-with-error-code   a warning (and exit code 1 for the latter)
 *     none                         nothing
 */

const NODE_DEFAULT = 'throw'

/** The --unhandled-rejections mode in force (command line, then NODE_OPTIONS). */
function mode(): string {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)]
  for (const f of flags) {
    const m = /^--unhandled-rejections=(.+)$/.exec(f)
    if (m !== null) return m[1] as string
  }
  return NODE_DEFAULT
}

/** As Node words a rejection with a reason that is not an Error. */
function asError(reason: unknown): Error {
  if (reason instanceof Error) return reason
  const error = new Error('This error originated either by throwing inside of an async function without a catch block, ' +
    `or by rejecting a promise which was not handled with .catch(). The promise rejected with the reason "${String(reason)}".`)
  ;(error as Error & { code: string }).code = 'ERR_UNHANDLED_REJECTION'
  return error
}

/** Rejections already seen (a listener may emit the event again for the same promise). */
const seen = new WeakSet<Promise<unknown>>()

/** Skein's handler for rejections no process owns, on the main thread. */
export function mainThreadUnowned(reason: unknown, promise: Promise<unknown>): void {
  if (seen.has(promise)) return
  seen.add(promise)
  // Decided once the event has reached every listener: a listener may take itself off while it
  // emits the event again (mocha does, to hand a rejection from a test to the default handling),
  // so the count while the event is being delivered can miss the program's own listener.
  process.nextTick(() => {
    // Skein's listener is one of them: another one is the program's.
    if (process.listenerCount('unhandledRejection') > 1) return
    defaultHandling(reason)
  })
}

/** What Node does with an unhandled rejection when nobody listens. */
function defaultHandling(reason: unknown): void {
  const handling = mode()
  switch (handling) {
    case 'none':
      return
    case 'warn':
    case 'warn-with-error-code':
      process.emitWarning(asError(reason).message, 'UnhandledPromiseRejectionWarning')
      if (handling === 'warn-with-error-code') process.exitCode = 1
      return
    default:
      // As Node raises it: the program's 'uncaughtException' listeners see it, and without one
      // the process ends with exit code 1.
      throw asError(reason)
  }
}
