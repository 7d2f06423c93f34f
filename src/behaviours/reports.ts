/**
 * Reports: what OTP's logger prints when a server crashes or a supervisor acts (SRV-R11 and the
 * supervisor's trace events), plus a pool's dropped messages and a stage's discarded events.
 * Where a report goes is read from the process's environment, so a node, an application or one
 * subtree can choose:
 *
 *   env 'skein.reports'   effect
 *   (unset)               error reports to stderr, with the stack of a reason that is an
 *                         Error (progress reports dropped); the process environment
 *                         variable SKEIN_REPORTS=off turns that default off
 *   false                 nothing
 *   'name'                every report, progress included, sent as a message to that registered
 *                         process (a logger process; tests use a probe): `{ type: 'report', ... }`
 *
 * Clean reasons ('normal', 'shutdown', { shutdown: _ }) never make an error report.
 */
import { formatStray, type StrayReport } from '../core/stray-report.ts'
import { REPORTS_ENV, deliverReport } from '../core/report-sink.ts'
import { formatReason, type ExitReason } from '../core/exit.ts'
import type { Pid } from '../core/pid.ts'
import type { ProcessBase } from './process-base.ts'

export { REPORTS_ENV }

/**
 * A server ended abnormally (OTP's gen_server crash report): its reason, the message it was
 * handling, and the caller if it was a call. A Server makes it as it ends; a clean reason
 * never does.
 */
export interface CrashReport {
  /** Always `'report'`. */
  readonly type: 'report'
  /** Always `'crash'`. */
  readonly kind: 'crash'
  /** The server that ended. */
  readonly process: Pid
  /** Its class name. */
  readonly behaviour: string
  /** Its exit reason (as text when sent to a report process on a thread it cannot reach). */
  readonly reason: ExitReason
  /** The message being handled: `{ call: request }`, `{ cast: request }`, or the message itself. */
  readonly lastMessage: unknown
  /** The caller, when the message was a call. */
  readonly client: Pid | undefined
}

/**
 * What a supervisor reports (OTP's supervisor reports): a child started (progress), a child
 * ended (`child_terminated`), a restart (progress), a child that failed to start, the supervisor's
 * own shutdown, a child that did not stop cleanly when shut down, and giving up after too many
 * restarts.
 */
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
  /** Always `'report'`. */
  readonly type: 'report'
  /** Always `'supervisor'`. */
  readonly kind: 'supervisor'
  /** The supervisor (or WorkerSupervisor partition) that acted. */
  readonly supervisor: Pid
  /** What happened. */
  readonly event: SupervisorEvent
  /** The child concerned (none for the supervisor's own shutdown): `id` is undefined for a ConsumerSupervisor's children, `pid` when it has none now. */
  readonly child: { readonly id: string | undefined; readonly pid: Pid | undefined } | undefined
  /** The exit reason, or why a start failed (undefined for progress events that have none). */
  readonly reason: ExitReason
  /** True for progress reports (a child started or restarted, an expected end, the supervisor's own shutdown): only a report process gets them. */
  readonly progress: boolean
}

/** A pool could hand a message to none of its workers (all restarting, or full on its thread). */
export interface PoolReport {
  /** Always `'report'`. */
  readonly type: 'report'
  /** Always `'pool'`. */
  readonly kind: 'pool'
  /** The pool. */
  readonly pool: Pid
  /** Always `'dropped'`. */
  readonly event: 'dropped'
  /** The message no worker took. */
  readonly message: unknown
}

/** A stage dropped events: a consumer's callback returned some (STG-R13), or a producer's full buffer discarded some (STG-R11). */
export interface StageReport {
  /** Always `'report'`. */
  readonly type: 'report'
  /** Always `'stage'`. */
  readonly kind: 'stage'
  /** The stage that dropped them. */
  readonly stage: Pid
  /** consumer_events_dropped: a consumer's callback returned events; discarded: a full producer buffer dropped some. */
  readonly event: 'consumer_events_dropped' | 'discarded'
  /** How many events were dropped. */
  readonly count: number
}

/**
 * Any report, sent as a message (`{ type: 'report', kind, ... }`) to the process named by the
 * env key `skein.reports`, or printed to stderr when it is unset (errors only).
 *
 * Details: the key is read from the reporting process's environment, so the node (`env`
 * option), an application, or a subtree (`setEnv` in a supervisor, a WorkerSupervisor's
 * `reportTo`) chooses; `false` turns reports off. With the key unset, the OS environment
 * variable `SKEIN_REPORTS=off` silences stderr.
 *
 * @example
 * ```ts
 * class Logger extends Actor<void, Report> {
 *   receive(r: Report) { if (r.kind === 'crash') console.error(`${r.behaviour} crashed`, r.reason) }
 * }
 * const node = await Node.start({ env: { 'skein.reports': 'logger' } })
 * await node.spawn(Logger, undefined, { name: 'logger' })
 * ```
 */
export type Report = CrashReport | SupervisorReport | PoolReport | StageReport | StrayReport

/** Send `report` where the process's environment says; never throws. */
export function emitReport(process: ProcessBase, report: Report): void {
  deliverReport(process.env(REPORTS_ENV), report, {
    send: (name, r) => void process.trySend(name, r),
    asText: (r) => ({ ...r, ...textOf(r) }),
    print: (r) => (r.kind === 'supervisor' && r.progress ? undefined : formatReport(r)),
  })
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
  if (r.kind === 'stray') return formatStray(r)
  if (r.kind === 'stage') {
    return r.event === 'discarded'
      ? `skein: stage ${r.stage.toString()} has discarded ${r.count} events from its buffer`
      : `skein: consumer stage ${r.stage.toString()} returned ${r.count} events; a consumer emits none: dropped`
  }
  if (r.kind === 'crash') {
    const client = r.client === undefined ? '' : `\n  client:  ${r.client.toString()}`
    return `skein: ${r.behaviour} ${r.process.toString()} terminating\n  reason:  ${formatReason(r.reason)}\n` +
      `  last message: ${formatReason(r.lastMessage)}${client}${stackOf(r.reason)}`
  }
  const child = r.child === undefined ? '' : `\n  child:   ${r.child.id ?? '(dynamic)'} ${r.child.pid?.toString() ?? ''}`
  return `skein: supervisor ${r.supervisor.toString()} ${r.event}${child}\n  reason:  ${formatReason(r.reason)}${stackOf(r.reason)}`
}

/**
 * The stack of a reason that is an Error (one from another thread keeps its stack: see the
 * codec), as indented lines after the report; '' for other reasons. Its first line repeats the
 * message, which the reason line shows already.
 */
function stackOf(reason: ExitReason): string {
  const stack = reason instanceof Error ? reason.stack : undefined
  if (typeof stack !== 'string') return ''
  const frames = stack.split('\n').filter((line) => /^\s+at /.test(line))
  return frames.length === 0 ? '' : `\n  stack:\n${frames.map((line) => `    ${line.trim()}`).join('\n')}`
}
