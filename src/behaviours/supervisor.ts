/**
 * Supervisor: OTP's supervisor. A process that starts children, watches them through links
 * (it traps exits), and restarts them by strategy, within a restart intensity.
 *
 * The idea: `init(args)` returns a spec (flags + child specs); children start one at a time,
 * in order, each linked. An EXIT from a child runs the restart decision:
 *
 *   restart type   restarted when it ends with
 *   permanent      anything
 *   transient      anything but a clean reason ('normal', 'shutdown', { shutdown: _ })
 *   temporary      never (its spec is deleted)
 *
 *   strategy             what is restarted when child k must be
 *   one_for_one          k
 *   one_for_all          every child: the others are shut down (reverse order), then all start again
 *   rest_for_one         k and the children started after it (those shut down in reverse order first)
 *   simple_one_for_one   k; children are started only by startChild(extraArgs), from one template
 *
 * Every restart decision is timed; more than `intensity` of them within `period` seconds and
 * the supervisor gives up: it shuts every child down (reverse start order) and exits 'shutdown'.
 * A restart that fails to start marks the child 'restarting' and retries through the mailbox
 * (each retry counts), so a child that cannot start escalates to the supervisor's parent.
 *
 * Shutting one child down (SUP-R6): monitor it, unlink, then 'brutal_kill' → kill; a number T →
 * exit 'shutdown', wait T ms, then kill; 'infinity' → exit 'shutdown' and wait. The whole
 * supervisor shuts down in reverse start order, one child at a time (simple_one_for_one: all at
 * once, one shared timer).
 *
 * Client functions are static and take the caller first (the node, or `this` in a process):
 * startChild, terminateChild, restartChild, deleteChild, whichChildren, countChildren,
 * getChildSpec; failures are coded errors whose `reason` is OTP's ('already_present', ...).
 * They are answered in supervisor-admin.ts, from the children table (supervisor-children.ts).
 *
 * A callback module on the gen layer (gen.ts), as OTP's supervisor is a gen_server: the gen
 * layer takes Server.stop's request and the parent's EXIT (the supervisor stops with the
 * parent's reason) and refuses calls that are not admin requests; EXITs from other processes
 * than its children are dropped.
 */
import { IGNORE, kBehaviour, kInit, type Caller, type Settle } from '../core/process-context.ts'
import { isExitMessage, type CallMessage } from '../core/envelope.ts'
import { Pid, type Address } from '../core/pid.ts'
import { isCleanReason, type ExitReason } from '../core/exit.ts'
import {
  checkChildSpecs, fail, mergeArgs, normalize, readFlags, reasonOf, withoutArgs,
  type AutoShutdown, type ChildCounts, type ChildInfo, type ChildSpec, type ChildStartResult, type Strategy, type SupervisorSpec,
} from './supervisor-spec.ts'
import { SupervisorChildren, type Child } from './supervisor-children.ts'
import { admin, adminOp, isAdmin, type AdminPorts } from './supervisor-admin.ts'
import { emitReport, type SupervisorEvent } from './reports.ts'
import { Gen, answer, kGenCall, kGenInfo, kGenTerminate } from './gen.ts'
import { shutDown, startLinked } from './children.ts'
import { RestartWindow } from './restart-window.ts'

/** A restart to retry, sent to self after a failed restart (OTP's try_again_restart). */
interface Retry {
  readonly $supRetry: number
}

const isRetry = (m: unknown): m is Retry =>
  typeof m === 'object' && m !== null && typeof (m as { $supRetry?: unknown }).$supRetry === 'number'

/**
 * OTP's supervisor: starts children, watches them (it traps exits), and restarts them by
 * strategy within a restart intensity. Extend it and return a {@link SupervisorSpec} from `init`.
 *
 * Details:
 * - Children start one at a time, in order, each linked. Restart types: `permanent` (always),
 *   `transient` (unless it ends 'normal', 'shutdown' or `{ shutdown: _ }`), `temporary` (never).
 * - Strategies: `one_for_one`, `one_for_all`, `rest_for_one`, `simple_one_for_one` (children from
 *   one template, started only by `startChild(caller, sup, extraArgs)`).
 * - More than `intensity` restarts within `period` seconds: every child is shut down (reverse
 *   start order) and the supervisor exits 'shutdown', escalating to its own parent.
 * - Children may run on any thread (spawn options in their `start` tuple).
 *
 * Gotchas:
 * - The default intensity is 1 restart in 5 s, as in OTP.
 * - A child class that runs on another thread must be exported by a module in `modules`.
 * - A `start` function (instead of a tuple) cannot cross threads.
 *
 * @throws ERR_SUPERVISOR_DATA, ERR_BAD_CHILD_SPEC (the start rejects ERR_INIT_FAILED with them as
 *   `reason`); a child that fails to start fails the supervisor's start with reason
 *   `{ shutdown: { failed_to_start_child: id, reason } }`
 * @example
 * ```ts
 * export class Tree extends Supervisor<void> {
 *   init(): SupervisorSpec {
 *     return {
 *       strategy: 'one_for_one', intensity: 3, period: 5,
 *       children: [
 *         { id: 'cache', start: [Cache, { size: 1000 }] },
 *         { id: 'indexer', start: [Indexer, {}, { thread: 1 }], shutdown: 10_000 },
 *       ],
 *     }
 *   }
 * }
 * const sup = await node.spawn(Tree)
 * await Supervisor.whichChildren(node, sup)   // [{ id: 'indexer', ... }, { id: 'cache', ... }]
 * ```
 */
export abstract class Supervisor<Args = void> extends Gen {
  /** @hidden The behaviour kind the runtime reads. */
  static readonly [kBehaviour] = 'supervisor'

  #strategy: Strategy = 'one_for_one'
  #window = new RestartWindow(1, 5000)
  #auto: AutoShutdown = 'never'
  #whenEmpty = false
  readonly #children = new SupervisorChildren()

  /**
   * Return the supervisor's flags and children (a {@link SupervisorSpec}), or 'ignore' not to
   * start. Called once, with the start arguments; may be async.
   */
  abstract init(args: Args): SupervisorSpec | 'ignore' | Promise<SupervisorSpec | 'ignore'>

  // ── client functions ──────────────────────────────────────────────────────────────────

  /**
   * Add a child (a ChildSpec; for simple_one_for_one, the extra arguments, merged into the
   * template's: arrays concatenate, objects merge) and start it. Resolves `{ pid, info? }`; `pid`
   * is undefined when the child's init returned ignore.
   *
   * @throws ERR_ALREADY_STARTED (rejects; `reason` `{ already_started: pid }`), ERR_ALREADY_PRESENT
   *   (`'already_present'`), ERR_CHILD_START (`reason`: why), ERR_BAD_CHILD_SPEC
   * @example
   * ```ts
   * const { pid } = await Supervisor.startChild(node, sup, { id: 'extra', start: [Cache, { size: 10 }] })
   * ```
   */
  static startChild(caller: Caller, supervisor: Address, spec: ChildSpec | unknown): Promise<ChildStartResult> {
    return admin(caller, supervisor, { $sup: 'startChild', spec }) as Promise<ChildStartResult>
  }

  /**
   * Shut a child down by id (its spec is kept, except a temporary child's) or, for
   * simple_one_for_one, by pid. A child being restarted just stops being retried.
   *
   * @throws ERR_CHILD_NOT_FOUND (rejects); ERR_SIMPLE_ONE_FOR_ONE for an id on a simple_one_for_one supervisor
   */
  static async terminateChild(caller: Caller, supervisor: Address, child: string | Pid): Promise<void> {
    await admin(caller, supervisor, { $sup: 'terminateChild', child })
  }

  /**
   * Start a terminated child again, from its kept spec.
   *
   * @throws ERR_CHILD_RUNNING, ERR_CHILD_RESTARTING, ERR_CHILD_NOT_FOUND, ERR_CHILD_START (rejects);
   *   ERR_SIMPLE_ONE_FOR_ONE on a simple_one_for_one supervisor
   */
  static restartChild(caller: Caller, supervisor: Address, id: string): Promise<ChildStartResult> {
    return admin(caller, supervisor, { $sup: 'restartChild', id }) as Promise<ChildStartResult>
  }

  /**
   * Forget a terminated child's spec.
   *
   * @throws ERR_CHILD_RUNNING, ERR_CHILD_RESTARTING, ERR_CHILD_NOT_FOUND (rejects);
   *   ERR_SIMPLE_ONE_FOR_ONE on a simple_one_for_one supervisor
   */
  static async deleteChild(caller: Caller, supervisor: Address, id: string): Promise<void> {
    await admin(caller, supervisor, { $sup: 'deleteChild', id })
  }

  /**
   * Every child, most recently started first (as OTP lists them): `{ id, pid, type, restart }`,
   * `pid` undefined when not running and 'restarting' while a failed restart is retried.
   */
  static whichChildren(caller: Caller, supervisor: Address): Promise<ChildInfo[]> {
    return admin(caller, supervisor, { $sup: 'whichChildren' }) as Promise<ChildInfo[]>
  }

  /** How many children: `{ specs, active, supervisors, workers }`. */
  static countChildren(caller: Caller, supervisor: Address): Promise<ChildCounts> {
    return admin(caller, supervisor, { $sup: 'countChildren' }) as Promise<ChildCounts>
  }

  /**
   * A child's spec, with defaults filled in (simple_one_for_one: the template, by child pid;
   * a temporary child's: without its start arguments).
   *
   * @throws ERR_CHILD_NOT_FOUND (rejects)
   */
  static getChildSpec(caller: Caller, supervisor: Address, child: string | Pid): Promise<ChildSpec> {
    return admin(caller, supervisor, { $sup: 'getChildSpec', child }) as Promise<ChildSpec>
  }

  /**
   * Validate child specs as init would, without starting anything.
   *
   * @throws ERR_BAD_CHILD_SPEC, with OTP's `reason` (`'missing_id'`, `{ duplicate_child_name: id }`, ...)
   */
  static checkChildSpecs(specs: readonly ChildSpec[], autoShutdown: AutoShutdown = 'never'): void {
    checkChildSpecs(specs, autoShutdown)
  }

  // ── runtime and gen layer hooks ───────────────────────────────────────────────────────

  /** @hidden The runtime's hook: runs `init` and starts the children. */
  [kInit](args: unknown): Promise<void | typeof IGNORE> {
    this.trapExit(true)
    return Promise.resolve(this.init(args as Args)).then<void | typeof IGNORE>((spec) => (spec === 'ignore' ? IGNORE : this.#startAll(spec)))
  }

  /** @hidden The gen layer's hook: a child's EXIT (others are dropped, the parent's is the gen layer's), a retry. */
  override [kGenInfo](message: unknown): Settle {
    if (isExitMessage(message)) {
      const child = this.#children.ofPid(message.from)
      return child === undefined ? undefined : this.#childExited(child, message.reason)
    }
    if (isRetry(message)) return this.#retry(message.$supRetry)
  }

  /** @hidden The gen layer's hook: the client functions' requests; any other call is refused. */
  override [kGenCall](message: CallMessage): Settle {
    const r = message.request
    if (!isAdmin(r)) return super[kGenCall](message)
    const ports: AdminPorts = {
      children: this.#children, autoShutdown: this.#auto, start: (c) => this.#start(c), shutdown: (c) => this.#shutdown(c),
    }
    return answer(this, message.from, () => adminOp(ports, r))
  }

  /** @hidden The gen layer's hook: terminate shuts every child down. */
  override [kGenTerminate](reason: ExitReason): Settle {
    this.#report('shutdown', undefined, reason, true)
    return this.#shutdownAll()
  }

  /** A supervisor event to the report sink (see reports.ts); `progress` ones are not errors. */
  #report(event: SupervisorEvent, child: Child | undefined, reason: ExitReason, progress: boolean, pid?: Pid): void {
    const about = child === undefined ? undefined
      : { id: child.spec.id, pid: pid ?? (child.pid instanceof Pid ? child.pid : undefined) }
    emitReport(this, { type: 'report', kind: 'supervisor', supervisor: this.self, event, child: about, reason, progress })
  }

  // ── start ─────────────────────────────────────────────────────────────────────────────

  async #startAll(spec: SupervisorSpec): Promise<void> {
    const flags = readFlags(spec)
    this.#strategy = flags.strategy
    this.#window = new RestartWindow(flags.intensity, flags.periodMs)
    this.#auto = flags.autoShutdown
    this.#whenEmpty = flags.whenEmpty
    const children = spec.children
    if (this.#strategy === 'simple_one_for_one') {
      if (!Array.isArray(children) || children.length !== 1) {
        throw fail('ERR_BAD_CHILD_SPEC', { bad_start_spec: children }, 'simple_one_for_one', 'exactly one child spec (the template) is needed')
      }
      this.#children.template = normalize(children[0], this.#auto, true)
      return
    }
    if (!Array.isArray(children)) throw fail('ERR_BAD_CHILD_SPEC', { start_spec: children }, 'children', 'an array of child specs')
    Supervisor.checkChildSpecs(children, this.#auto)
    for (const spec of children) {
      const child = this.#children.make(normalize(spec, this.#auto, false), undefined)
      try {
        await this.#start(child)
      } catch (error) {
        await this.#shutdownAll()
        throw { shutdown: { failed_to_start_child: child.spec.id, reason: reasonOf(error) } }
      }
      if (child.pid !== undefined || child.spec.restart !== 'temporary') this.#children.list.push(child)
    }
  }

  /** Start `child` (linked); records its pid. Resolves with the start's info; rejects with why it failed. */
  async #start(child: Child): Promise<unknown> {
    const sofo = this.#children.template !== null
    const started = await startLinked(this, child.spec.start, sofo ? (args) => mergeArgs(args, child.extra) : undefined,
      sofo ? child.extra : undefined)
    if (started === 'ignore') {
      child.pid = undefined
      return undefined
    }
    const pid = started instanceof Pid ? started : started?.pid
    if (!(pid instanceof Pid)) throw fail('ERR_BAD_RETURN_VALUE', { bad_start_return: started }, 'a child start', started)
    this.#children.started(child, pid)
    this.#report('child_started', child, undefined, true)
    // A temporary child is never restarted, so its start arguments are not kept (SUP-R3).
    if (child.spec.restart === 'temporary' && !sofo) child.spec = withoutArgs(child.spec)
    return started instanceof Pid ? undefined : started.info
  }

  // ── exits and restarts ────────────────────────────────────────────────────────────────

  #childExited(child: Child, reason: ExitReason): Settle {
    const pid = child.pid instanceof Pid ? child.pid : undefined
    this.#children.forget(child)
    const { restart, significant } = child.spec
    // OTP's child_terminated error report: any end of a permanent child, an abnormal end of others.
    this.#report('child_terminated', child, reason, restart !== 'permanent' && isCleanReason(reason), pid)
    const again = restart === 'permanent' || (restart === 'transient' && !isCleanReason(reason))
    if (!again) {
      if (restart === 'temporary' || this.#children.template !== null) this.#children.remove(child)
      if (significant && this.#autoShutdownNow()) this.stop('shutdown')
      else if (this.#whenEmpty && !this.#children.list.some((c) => c.pid !== undefined)) this.stop('normal')
      return
    }
    return this.#restart(child)
  }

  #autoShutdownNow(): boolean {
    if (this.#auto === 'any_significant') return true
    if (this.#auto === 'all_significant') return !this.#children.list.some((c) => c.spec.significant && c.pid !== undefined)
    return false
  }

  /** SUP-R4: record a restart; false when that exceeds the intensity (the supervisor then gives up, reported). */
  #countRestart(child: Child): boolean {
    if (this.#window.record(this.now())) return true
    this.#report('reached_max_restart_intensity', child, 'shutdown', false)
    this.stop('shutdown')
    return false
  }

  async #restart(child: Child): Promise<void> {
    if (!this.#countRestart(child)) return
    this.#report('restart', child, undefined, true)
    const children = this.#children.list
    switch (this.#strategy) {
      case 'one_for_one':
      case 'simple_one_for_one':
        return this.#restartFrom([child])
      case 'one_for_all':
        await this.#shutdownSiblings(children.filter((c) => c !== child))
        return this.#restartFrom(children.slice())
      case 'rest_for_one': {
        const k = children.indexOf(child)
        await this.#shutdownSiblings(children.slice(k + 1))
        return this.#restartFrom(children.slice(k))
      }
    }
  }

  /** Shut these children down in reverse order; temporary ones are removed (SUP-R3). */
  async #shutdownSiblings(children: Child[]): Promise<void> {
    for (const c of children.reverse()) {
      if (c.pid instanceof Pid) await this.#shutdown(c)
      if (c.spec.restart === 'temporary') this.#children.remove(c)
    }
  }

  /**
   * Start `children` in order. If one fails: the ones started in this round are shut down
   * again (one_for_all) and the failed child is marked 'restarting' and retried via the mailbox.
   */
  async #restartFrom(children: Child[]): Promise<void> {
    const startedNow: Child[] = []
    for (const c of children) {
      if (!this.#children.list.includes(c)) continue
      if (c.pid instanceof Pid) continue
      try {
        await this.#start(c)
        startedNow.push(c)
      } catch (error) {
        this.#report('start_error', c, reasonOf(error), false)
        if (this.#strategy === 'one_for_all') await this.#shutdownSiblings(startedNow)
        c.pid = 'restarting'
        this.send(this.self, { $supRetry: c.n } satisfies Retry)
        return
      }
    }
  }

  async #retry(n: number): Promise<void> {
    const child = this.#children.ofN(n)
    if (child === undefined || child.pid !== 'restarting') return
    child.pid = undefined
    if (!this.#countRestart(child)) return
    const children = this.#children.list
    if (this.#strategy === 'one_for_all') {
      await this.#shutdownSiblings(children.filter((c) => c.pid instanceof Pid))
      return this.#restartFrom(children.slice())
    }
    if (this.#strategy === 'rest_for_one') return this.#restartFrom(children.slice(children.indexOf(child)))
    return this.#restartFrom([child])
  }

  // ── shutdown ──────────────────────────────────────────────────────────────────────────

  /** SUP-R6: shut one child down and wait until it is gone (monitor-based: an unlinked child cannot hang us). */
  async #shutdown(child: Child): Promise<ExitReason> {
    const pid = child.pid
    this.#children.forget(child)
    if (!(pid instanceof Pid)) return 'noproc'
    const [reason] = await shutDown(this, [pid], child.spec.shutdown)
    // SUP-R6: an end other than the one asked for is a shutdown_error, except a clean end of a
    // non-permanent child. 'noproc': the child was gone before we asked, typically stopped by its
    // own thread during node.stop (its end, if abnormal, was reported by the child itself).
    const expected = child.spec.shutdown === 'brutal_kill' ? 'killed' : 'shutdown'
    const quiet = reason === expected || reason === 'noproc' || (child.spec.restart !== 'permanent' && isCleanReason(reason))
    this.#report(quiet ? 'child_terminated' : 'shutdown_error', child, reason, quiet, pid)
    return reason
  }

  /** SUP-R7: every child, reverse start order, one at a time; simple_one_for_one: all at once. */
  async #shutdownAll(): Promise<void> {
    const template = this.#children.template
    if (template === null) {
      for (const c of this.#children.list.slice().reverse()) if (c.pid instanceof Pid) await this.#shutdown(c)
      return
    }
    const running = this.#children.list.filter((c): c is Child & { pid: Pid } => c.pid instanceof Pid)
    this.#children.list = []
    const pids = running.map((c) => c.pid)
    for (const c of running) this.#children.forget(c)
    await shutDown(this, pids, template.shutdown)
  }
}
