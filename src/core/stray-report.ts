/**
 * The report of an error no process owns (see scheduler/stray-promises.ts): a rejection nobody
 * handled or an uncaught throw, on a thread that survives it. One of the `Report` kinds.
 */
import { formatReason } from './exit.ts'

/** An error no process owns reached a worker thread's top; the thread went on. */
export interface StrayReport {
  /** Always `'report'`. */
  readonly type: 'report'
  /** Always `'stray'`. */
  readonly kind: 'stray'
  /** The thread it happened on (0 is the main thread). */
  readonly thread: number
  /** A promise rejected with nobody to handle it, or a throw from a timer or listener. */
  readonly what: 'unhandled rejection' | 'uncaught exception'
  /** What it rejected with or threw (as text when sent to a report process it cannot reach). */
  readonly reason: unknown
}

/** The report as stderr shows it: the reason with its stack. */
export function formatStray(r: StrayReport): string {
  const reason = r.reason instanceof Error && typeof r.reason.stack === 'string' ? r.reason.stack : formatReason(r.reason)
  return `skein: thread ${r.thread}: ${r.what} that no process owns (the thread goes on)\n  reason:  ${reason.replace(/\n/g, '\n  ')}`
}
