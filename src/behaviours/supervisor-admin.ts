/**
 * A Supervisor's admin requests (OTP's start_child, terminate_child, restart_child, delete_child,
 * which_children, count_children, get_childspec). The client functions (Supervisor.startChild,
 * ...) send them as calls; the supervisor answers them through the gen layer's `answer`, so a
 * failure is the caller's rejection with OTP's reason ('already_present', 'not_found', ...), and
 * any other `$sup` is refused as an unknown call. They read and change the children table
 * (supervisor-children.ts); starting and shutting a child down are the supervisor's, passed in
 * as ports.
 *
 *   client ──call { $sup: op, ... }──▶ Supervisor ──adminOp(ports, request)──▶ table, start, shutdown
 */
import type { Caller } from '../core/process-context.ts'
import { Pid, type Address } from '../core/pid.ts'
import { formatReason, type ExitReason } from '../core/exit.ts'
import { fail, normalize, reasonOf, type AutoShutdown, type ChildStartResult } from './supervisor-spec.ts'
import type { Child, SupervisorChildren } from './supervisor-children.ts'

/** The admin requests the client functions send (as calls). */
export type AdminRequest =
  | { readonly $sup: 'startChild'; readonly spec: unknown }
  | { readonly $sup: 'terminateChild'; readonly child: string | Pid }
  | { readonly $sup: 'restartChild'; readonly id: string }
  | { readonly $sup: 'deleteChild'; readonly id: string }
  | { readonly $sup: 'whichChildren' }
  | { readonly $sup: 'countChildren' }
  | { readonly $sup: 'getChildSpec'; readonly child: string | Pid }

const OPS: readonly string[] = ['startChild', 'terminateChild', 'restartChild', 'deleteChild', 'whichChildren', 'countChildren', 'getChildSpec']

/** One of the admin requests; any other `$sup` is an unknown call. */
export const isAdmin = (r: unknown): r is AdminRequest =>
  typeof r === 'object' && r !== null && OPS.includes((r as { $sup?: unknown }).$sup as string)

/** Send an admin request (no timeout: a start may take as long as the child's init). */
export function admin(caller: Caller, supervisor: Address, request: AdminRequest): Promise<unknown> {
  return caller.call(supervisor, request, { timeout: Infinity })
}

/** What the admin requests need of their supervisor. */
export interface AdminPorts {
  readonly children: SupervisorChildren
  readonly autoShutdown: AutoShutdown
  /** Start `child` (linked) and record its pid; resolves with the start's info, rejects with why it failed. */
  start(child: Child): Promise<unknown>
  /** Shut `child` down (SUP-R6) and wait until it is gone. */
  shutdown(child: Child): Promise<ExitReason>
}

/** Answer an admin request. @throws (rejects) the coded errors of the client functions */
export async function adminOp(ports: AdminPorts, r: AdminRequest): Promise<unknown> {
  const children = ports.children
  switch (r.$sup) {
    case 'startChild':
      return startChild(ports, r.spec)
    case 'terminateChild':
      return terminateChild(ports, r.child)
    case 'restartChild':
      return startAsResult(ports, stopped(children, r.id, 'restartChild'))
    case 'deleteChild':
      children.remove(stopped(children, r.id, 'deleteChild'))
      return undefined
    case 'whichChildren':
      return children.which()
    case 'countChildren':
      return children.count()
    case 'getChildSpec':
      return children.specOf(r.child)
  }
}

/** The child `id`, which must be neither running nor restarting (restartChild, deleteChild). */
function stopped(children: SupervisorChildren, id: string, op: string): Child {
  const child = children.byId(id, op)
  if (child.pid === 'restarting') throw fail('ERR_CHILD_RESTARTING', 'restarting', id)
  if (child.pid !== undefined) throw fail('ERR_CHILD_RUNNING', 'running', id)
  return child
}

async function startChild(ports: AdminPorts, raw: unknown): Promise<ChildStartResult> {
  const children = ports.children
  const template = children.template
  if (template !== null) {
    const child = children.make(template, raw)
    const result = await startAsResult(ports, child)
    // Temporary children keep no arguments: they are never restarted (SUP-R3).
    if (template.restart === 'temporary') child.extra = undefined
    if (child.pid instanceof Pid) children.list.push(child)
    return result
  }
  const spec = normalize(raw, ports.autoShutdown, false)
  const existing = children.ofId(spec.id)
  if (existing !== undefined) {
    if (existing.pid instanceof Pid) {
      throw fail('ERR_ALREADY_STARTED', { already_started: existing.pid }, spec.id, existing.pid.toString())
    }
    throw fail('ERR_ALREADY_PRESENT', 'already_present', spec.id)
  }
  const child = children.make(spec, undefined)
  const result = await startAsResult(ports, child)
  if (child.pid !== undefined || spec.restart !== 'temporary') children.list.push(child)
  return result
}

/** Start through the API: a failure is ERR_CHILD_START with the start's reason. */
async function startAsResult(ports: AdminPorts, child: Child): Promise<ChildStartResult> {
  let info: unknown
  try {
    info = await ports.start(child)
  } catch (error) {
    child.pid = undefined
    const reason = reasonOf(error)
    throw fail('ERR_CHILD_START', reason, child.spec.id ?? 'of the template', formatReason(reason))
  }
  const pid = child.pid instanceof Pid ? child.pid : undefined
  return info === undefined ? { pid } : { pid, info }
}

async function terminateChild(ports: AdminPorts, which: string | Pid): Promise<void> {
  const children = ports.children
  if (children.template !== null) {
    if (!(which instanceof Pid)) throw fail('ERR_SIMPLE_ONE_FOR_ONE', 'simple_one_for_one', 'terminateChild by id')
    // A child being restarted is known by the pid it last ran as; stopping it ends the retry loop (SUP-R5).
    const child = children.ofDynamicPid(which)
    if (child === undefined) {
      if (children.isRetired(which)) return
      throw fail('ERR_CHILD_NOT_FOUND', 'not_found', which.toString())
    }
    if (child.pid instanceof Pid) await ports.shutdown(child)
    else child.pid = undefined
    children.remove(child)
    return
  }
  if (which instanceof Pid) throw fail('ERR_CHILD_NOT_FOUND', 'not_found', which.toString())
  const child = children.ofId(which)
  if (child === undefined) throw fail('ERR_CHILD_NOT_FOUND', 'not_found', JSON.stringify(which))
  // A child being restarted is simply stopped: that ends the retry loop (SUP-R5).
  if (child.pid instanceof Pid) await ports.shutdown(child)
  else child.pid = undefined
  if (child.spec.restart === 'temporary') children.remove(child)
}
