/**
 * Reports: what OTP's logger prints when a server crashes or a supervisor acts (SRV-R11 and the
 * supervisor's trace events), plus a pool's dropped messages and a stage's discarded events.
 * Where a report goes is read from the process's environment, so a node, an application or one
 * subtree can choose:
 *
 *   env 'skein.reports'   effect
 *   (unset)               error reports to stderr (progress reports dropped); the process
 *                         environment variable SKEIN_REPORTS=off turns that default off
 *   false                 nothing
 *   'name'                every report, progress included, sent as a message to that registered
 *                         process (a logger process; tests use a probe): `{ type: 'report', ... }`
 *
 * Clean reasons ('normal', 'shutdown', { shutdown: _ }) never make an error report.
 */
import { formatReason, type ExitReason } from '../core/exit.ts'
import type { Pid } from '../core/pid.ts'
import type { ProcessBase } from './process-base.ts'

export const REPORTS_ENV = 'skein.reports'

/** A server ended abnormally: its reason, the message it was handling, and the caller if it was a call. */
export interface CrashReport {
  readonly type: 'report'
  readonly kind: 'crash'
  readonly process: Pid
  readonly behaviour: string
  readonly reason: ExitReason
  readonly lastMessage: unknown
  readonly client: Pid | undefined
}

export type SupervisorEvent =
  | 'child_started'
  | 'child_terminated'
  | 'restart'
  | 'start_error'
  | 'shutdown'
  | 'shutdown_error'
  | 'reached_max_restart_intensity'

/** A supervisor's event; `progress` ones (a child started, shut down as asked) go only to a report process. */
export interface SupervisorReport {
  readonly type: 'report'
  readonly kind: 'supervisor'
  readonly supervisor: Pid
  readonly event: SupervisorEvent
  readonly child: { readonly id: string | undefined; readonly pid: Pid | undefined } | undefined
  readonly reason: ExitReason
  readonly progress: boolean
}

/** A pool could hand a message to none of its workers (all restarting, or full on its thread). */
export interface PoolReport {
  readonly type: 'report'
  readonly kind: 'pool'
  readonly pool: Pid
  readonly event: 'dropped'
  readonly message: unknown
}

/** A consumer stage's callback returned events: it has nowhere to send them (STG-R13). */
export interface StageReport {
  readonly type: 'report'
  readonly kind: 'stage'
  readonly stage: Pid
  /** consumer_events_dropped: a consumer's callback returned events; discarded: a full producer buffer dropped some. */
  readonly event: 'consumer_events_dropped' | 'discarded'
  readonly count: number
}

export type Report = CrashReport | SupervisorReport | PoolReport | StageReport

/** Send `report` where the process's environment says; never throws. */
export function emitReport(process: ProcessBase, report: Report): void {
  const sink = process.env(REPORTS_ENV)
  if (sink === false) return
  if (typeof sink === 'string') {
    try {
      process.trySend(sink, report)
    } catch {
      // A reason or message that cannot travel to the logger's thread goes as text.
      process.trySend(sink, { ...report, ...textOf(report) })
    }
    return
  }
  if (globalThis.process?.env.SKEIN_REPORTS === 'off' || (report.kind === 'supervisor' && report.progress)) return
  console.error(formatReport(report))
}

/** The fields of a report that may not travel, as text. */
function textOf(r: Report): Record<string, string> {
  if (r.kind === 'pool') return { message: formatReason(r.message) }
  if (r.kind === 'stage') return {}
  if (r.kind === 'crash') return { reason: formatReason(r.reason), lastMessage: formatReason(r.lastMessage) }
  return { reason: formatReason(r.reason) }
}

function formatReport(r: Report): string {
  if (r.kind === 'pool') return `skein: pool ${r.pool.toString()} dropped a message: no worker could take it`
  if (r.kind === 'stage') {
    return r.event === 'discarded'
      ? `skein: stage ${r.stage.toString()} has discarded ${r.count} events from its buffer`
      : `skein: consumer stage ${r.stage.toString()} returned ${r.count} events; a consumer emits none: dropped`
  }
  if (r.kind === 'crash') {
    const client = r.client === undefined ? '' : `\n  client:  ${r.client.toString()}`
    return `skein: ${r.behaviour} ${r.process.toString()} terminating\n  reason:  ${formatReason(r.reason)}\n` +
      `  last message: ${formatReason(r.lastMessage)}${client}`
  }
  const child = r.child === undefined ? '' : `\n  child:   ${r.child.id ?? '(dynamic)'} ${r.child.pid?.toString() ?? ''}`
  return `skein: supervisor ${r.supervisor.toString()} ${r.event}${child}\n  reason:  ${formatReason(r.reason)}`
}
