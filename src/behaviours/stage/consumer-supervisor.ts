/**
 * ConsumerSupervisor: a consumer stage that starts one child per event (GenStage's
 * ConsumerSupervisor). The concurrency bound is the demand: it asks `maxDemand` when it
 * subscribes, and asks again only as children finish, once at least `minDemand` of them have,
 * so at most `maxDemand` children run at a time (about (max + min) / 2 on average).
 *
 *   producer ──events──▶ ConsumerSupervisor ──start child(args ++ [event])──▶ child … exits
 *                          ▲                                                   │
 *                          └──────── ask n once n ≥ minDemand children ended ◀─┘
 *
 *   a child's end        what happens (STG-R20/R21)
 *   temporary, any       forgotten; its unit of demand is free
 *   transient, clean     the same ('normal', 'shutdown', { shutdown: _ })
 *   transient, other     restarted with the same arguments (it keeps its unit of demand); the
 *                        restart counts toward maxRestarts within maxSeconds, past which the
 *                        supervisor exits 'shutdown'. A restart that fails to start marks the
 *                        child 'restarting' and is retried through the mailbox, each try counted
 *                        (OTP's try_again_restart); one that answers 'ignore' is forgotten.
 *   a start for an event that fails or ignores counts as finished at once.
 *
 * Subscriptions end by their cancel mode, as for any consumer (temporary: the children carry on);
 * Stage.subscribe works on it as on a Stage. The supervisor client functions work on it:
 * Supervisor.whichChildren (in start order) / countChildren / terminateChild(pid) /
 * startChild(extraArgs) (a child with no event, holding no demand). Stopping it shuts every
 * child down at once with the template's shutdown (as simple_one_for_one).
 *
 * A callback module on the gen layer (gen.ts): Server.stop's request and the parent's EXIT stop
 * it there, and a call it does not answer is refused there (ERR_UNSUPPORTED_REQUEST).
 */
import { IGNORE, kBehaviour, kInit, type Settle } from '../../core/process-context.ts'
import { isDownMessage, isExitMessage, type CallMessage } from '../../core/envelope.ts'
import { formatReason, isCleanReason, type ExitReason } from '../../core/exit.ts'
import { Pid, type Ref } from '../../core/pid.ts'
import { makeError } from '../../core/errors.ts'
import { Gen, answer, kGenCall, kGenInfo, kGenTerminate } from '../gen.ts'
import { shutDown, startLinked } from '../children.ts'
import { RestartWindow } from '../restart-window.ts'
import { emitReport, type SupervisorEvent } from '../reports.ts'
import { fail, mergeArgs, reasonOf, type ChildInfo, type ChildStartResult, type Normalized } from '../supervisor-spec.ts'
import { checkSpec, plain, type ConsumerSupervisorSpec } from './consumer-supervisor-spec.ts'
import { openSubscription, isStageMessage, isSubscribeRequest, type SubscribeOptions, type SubscriptionFrom, type ToProducer } from './protocol.ts'

export type { ConsumerSupervisorSpec } from './consumer-supervisor-spec.ts'

/**
 * A child's arguments for `event` (OTP's template args ++ [event]): an array template gets the
 * event appended, an object template gets `{ event }` merged in, no template args: the event.
 */
function eventArgs(templateArgs: unknown, event: unknown): unknown {
  if (templateArgs === undefined) return event
  return mergeArgs(templateArgs, Array.isArray(templateArgs) ? [event] : { event })
}

interface Subscription {
  readonly producer: Pid
  readonly tag: Ref
  readonly monitor: Ref
  readonly min: number
  readonly max: number
  readonly cancel: 'permanent' | 'transient' | 'temporary'
  /** Children finished since the last ask. */
  done: number
}

interface Child {
  /** Names it in retry messages and keeps its place in start order. */
  readonly n: number
  pid: Pid | 'restarting'
  /** The pid it last ran as: terminateChild(that pid) ends a restart loop. */
  last: Pid
  /** Its start arguments (kept only for transient children, which may restart). */
  readonly args: unknown
  /** The subscription whose demand it holds (none for startChild). */
  readonly sub: number | undefined
}

/** A failed restart to try again, sent to self (OTP's try_again_restart). */
interface Retry {
  readonly $csRetry: number
}

const isRetry = (m: unknown): m is Retry =>
  typeof m === 'object' && m !== null && typeof (m as { $csRetry?: unknown }).$csRetry === 'number'

type Launched = { readonly pid: Pid; readonly info: unknown } | 'ignore'

/** The Supervisor client functions it answers; any other `$sup` is refused as an unknown call. */
type AdminRequest =
  | { readonly $sup: 'whichChildren' }
  | { readonly $sup: 'countChildren' }
  | { readonly $sup: 'terminateChild'; readonly child: unknown }
  | { readonly $sup: 'startChild'; readonly spec: unknown }

const ADMIN_OPS: readonly string[] = ['whichChildren', 'countChildren', 'terminateChild', 'startChild']

const isAdmin = (r: unknown): r is AdminRequest =>
  typeof r === 'object' && r !== null && ADMIN_OPS.includes((r as { $sup?: unknown }).$sup as string)

/** A Stage client function's request other than subscribe (demand, buffered, ...): it is not a producer. */
const isStageAdmin = (r: unknown): boolean =>
  typeof r === 'object' && r !== null && (r as { $stageAdmin?: unknown }).$stageAdmin !== undefined

/**
 * A consumer stage that starts one child process per event it receives, from one child template
 * (GenStage's ConsumerSupervisor): "run a job per item, N at a time, with backpressure to the
 * source". Its demand is the concurrency limit: it asks `maxDemand` when it subscribes and asks
 * again only as children finish, so at most `maxDemand` children run at a time.
 *
 * Extend it and return a {@link ConsumerSupervisorSpec} from `init` (or `'ignore'`).
 *
 * Details:
 * - A child's arguments for an event: an array template gets the event appended
 *   (`[...args, event]`), an object template gets `{ ...args, event }`, no template arguments:
 *   the event itself. Children are linked to it and run on its thread unless the template's
 *   spawn options place them.
 * - `temporary` children are never restarted; `transient` ones are restarted with the same
 *   event unless they end cleanly, counted against `maxRestarts` in `maxSeconds` (beyond: it
 *   exits 'shutdown'). A child whose first start fails or ignores counts as finished at once.
 * - It asks again once at least `minDemand` children (at least 1) have finished since its last ask.
 * - A subscription's end applies its cancel mode, as for any consumer (`'temporary'`: the
 *   children carry on).
 * - The Supervisor client functions work on it: `whichChildren` (in start order), `countChildren`,
 *   `terminateChild` (by pid only: `ERR_SIMPLE_ONE_FOR_ONE` by id), and `startChild(extraArgs)` (a
 *   child with no event, holding no demand). `Stage.subscribe` works as on a consumer stage.
 *   Other calls fail `ERR_UNSUPPORTED_REQUEST`.
 * - Stopping it shuts every child down at once with the template's `shutdown`.
 *
 * Gotcha: it is only a consumer: a stage that subscribes to it is cancelled with 'not_a_producer'.
 *
 * @throws ERR_BAD_CHILD_SPEC, ERR_SUPERVISOR_DATA, ERR_UNKNOWN_OPTION, ERR_BAD_RETURN_VALUE (the
 *   start rejects ERR_INIT_FAILED with the error as `reason`) for a bad spec
 * @example
 * ```ts
 * export class Jobs extends ConsumerSupervisor<{ from: Pid }> {
 *   init(args: { from: Pid }): ConsumerSupervisorSpec {
 *     return {
 *       child: { id: 'job', start: [JobRunner, { tracker: 'tracker' }], restart: 'transient' },
 *       subscribeTo: [{ to: args.from, maxDemand: 3, minDemand: 1 }],
 *     }
 *   }
 * }
 * await node.spawn(Jobs, { from: producer })   // at most 3 JobRunners at a time
 * ```
 */
export abstract class ConsumerSupervisor<Args = void> extends Gen {
  /** @hidden The behaviour kind the runtime reads. */
  static readonly [kBehaviour] = 'consumer_supervisor'

  #template!: Normalized
  #window = new RestartWindow(3, 5000)
  /** Children by n: Map order is start order (a restarted child moves to the end). */
  readonly #children = new Map<number, Child>()
  readonly #byPid = new Map<number, Child>()
  #seq = 0
  readonly #subs = new Map<number, Subscription>()
  readonly #monitors = new Map<number, number>()

  /** The child template and options, or 'ignore' not to start. */
  abstract init(args: Args): ConsumerSupervisorSpec | 'ignore' | Promise<ConsumerSupervisorSpec | 'ignore'>

  /** @hidden The runtime's hook: runs `init`, checks the spec, subscribes. */
  async [kInit](args: unknown): Promise<void | typeof IGNORE> {
    const spec = await this.init(args as Args)
    if (spec === 'ignore') return IGNORE
    const checked = checkSpec(spec)
    this.#template = checked.template
    this.#window = new RestartWindow(checked.maxRestarts, checked.periodMs)
    this.trapExit(true)
    for (const opts of checked.subscribeTo) this.#subscribe(opts)
  }

  /** @hidden The gen layer's hook: the stage protocol, a child's EXIT, a retry, a subscription's DOWN. */
  override [kGenInfo](message: unknown): Settle {
    if (isStageMessage(message)) {
      switch (message.$stage) {
        case 'events':
          if (!this.#subs.has(message.tag.key)) {
            // STG-R4: events for a subscription it does not have: tell their producer.
            this.send(message.producer, { $stage: 'cancel', consumer: this.self, tag: message.tag, reason: 'unknown_subscription' } satisfies ToProducer)
            return
          }
          return this.#onEvents(message.tag.key, message.events)
        case 'cancelled': return this.#ended(message.tag.key, message.reason)
        case 'subscribe':
          // STG-R4: it is only a consumer.
          this.send(message.consumer, { $stage: 'cancelled', producer: this.self, tag: message.tag, reason: 'not_a_producer' })
          return
        default: return
      }
    }
    if (isExitMessage(message)) {
      // Not a child's: dropped (the parent's is the gen layer's: it stops with the parent's reason).
      const child = this.#byPid.get(message.from.key)
      return child === undefined ? undefined : this.#childExited(child, message.reason)
    }
    if (isRetry(message)) {
      const child = this.#children.get(message.$csRetry)
      return child?.pid === 'restarting' ? this.#restart(child) : undefined
    }
    if (isDownMessage(message)) {
      const key = this.#monitors.get(message.ref.key)
      if (key !== undefined) this.#ended(key, message.reason)
    }
  }

  /**
   * @hidden The gen layer's hook: Stage.subscribe, the Supervisor client functions it answers;
   * the other Stage client functions fail ERR_STAGE_NOT_A_PRODUCER; any other call is refused.
   */
  override [kGenCall](m: CallMessage): Settle {
    const r = m.request
    if (isSubscribeRequest(r)) return answer(this, m.from, () => this.#subscribe(r.opts))
    if (isAdmin(r)) return answer(this, m.from, () => this.#admin(r))
    if (isStageAdmin(r)) return this.replyError(m.from, makeError('ERR_STAGE_NOT_A_PRODUCER', this.self.toString()))
    return super[kGenCall](m)
  }

  /** @hidden The gen layer's hook: terminate shuts every child down. */
  override [kGenTerminate](_reason: ExitReason): Settle {
    return this.#shutdownAll()
  }

  #report(event: SupervisorEvent, pid: Pid | undefined, reason: ExitReason, progress: boolean): void {
    emitReport(this, { type: 'report', kind: 'supervisor', supervisor: this.self, event, child: { id: undefined, pid }, reason, progress })
  }

  // ── subscriptions and demand ──────────────────────────────────────────────────────────

  #subscribe(opts: SubscribeOptions): SubscriptionFrom {
    const { from, monitor, demand, sent } = openSubscription(this, opts)
    const sub: Subscription = { producer: from.producer, tag: from.tag, monitor, min: demand.min, max: demand.max, cancel: demand.cancel, done: 0 }
    this.#subs.set(from.tag.key, sub)
    this.#monitors.set(monitor.key, from.tag.key)
    if (sent) this.send(from.producer, { $stage: 'ask', consumer: this.self, tag: from.tag, n: demand.max } satisfies ToProducer)
    return from
  }

  /** A child holding a unit of `key`'s demand finished: ask again once min of them have. */
  #finished(key: number | undefined): void {
    const sub = key === undefined ? undefined : this.#subs.get(key)
    if (sub === undefined) return
    sub.done++
    if (sub.done >= Math.max(1, sub.min)) {
      this.send(sub.producer, { $stage: 'ask', consumer: this.self, tag: sub.tag, n: sub.done } satisfies ToProducer)
      sub.done = 0
    }
  }

  async #onEvents(key: number, events: readonly unknown[]): Promise<void> {
    const start = this.#template.start
    const templateArgs = Array.isArray(start) ? start[1] : undefined
    for (const event of events) {
      const args = eventArgs(templateArgs, event)
      let launched: Launched
      try {
        launched = await this.#launch(args)
      } catch (error) {
        this.#report('start_error', undefined, reasonOf(error), false)
        launched = 'ignore'
      }
      if (launched === 'ignore') this.#finished(key)
      else this.#add(launched.pid, args, key)
    }
  }

  #ended(key: number, reason: unknown): void {
    const sub = this.#subs.get(key)
    if (sub === undefined) return
    this.#subs.delete(key)
    this.#monitors.delete(sub.monitor.key)
    this.demonitor(sub.monitor, { flush: true })
    if (sub.cancel === 'temporary' || (sub.cancel === 'transient' && isCleanReason(reason))) return
    this.stop(reason)
  }

  // ── children ──────────────────────────────────────────────────────────────────────────

  /** Run the template's start linked: the child and its info, or 'ignore'; rejects with why it failed. */
  async #launch(args: unknown): Promise<Launched> {
    const r: unknown = await startLinked(this, this.#template.start, () => args, args)
    if (r === 'ignore') return 'ignore'
    if (r instanceof Pid) return { pid: r, info: undefined }
    const withInfo = r as { pid?: unknown; info?: unknown } | null
    if (typeof withInfo === 'object' && withInfo !== null && withInfo.pid instanceof Pid) return { pid: withInfo.pid, info: withInfo.info }
    throw fail('ERR_BAD_RETURN_VALUE', { bad_start_return: plain(r) }, 'a child start', r)
  }

  #add(pid: Pid, args: unknown, sub: number | undefined): void {
    const child: Child = { n: ++this.#seq, pid, last: pid, args: this.#template.restart === 'transient' ? args : undefined, sub }
    this.#children.set(child.n, child)
    this.#byPid.set(pid.key, child)
  }

  /** It is gone: forget it and free its unit of demand. */
  #forget(child: Child): void {
    this.#children.delete(child.n)
    if (child.pid instanceof Pid) this.#byPid.delete(child.pid.key)
    this.#finished(child.sub)
  }

  #childExited(child: Child, reason: ExitReason): Settle {
    if (this.#template.restart === 'transient' && !isCleanReason(reason)) {
      this.#byPid.delete(child.last.key)
      child.pid = 'restarting'
      return this.#restart(child)
    }
    this.#forget(child)
  }

  /** One try at restarting `child` (marked 'restarting'), counted toward the intensity. */
  async #restart(child: Child): Promise<void> {
    if (!this.#window.record(this.now())) {
      this.#report('reached_max_restart_intensity', child.last, 'shutdown', false)
      this.stop('shutdown')
      return
    }
    let launched: Launched
    try {
      launched = await this.#launch(child.args)
    } catch (error) {
      this.#report('start_error', child.last, reasonOf(error), false)
      this.send(this.self, { $csRetry: child.n } satisfies Retry)
      return
    }
    if (launched === 'ignore') return this.#forget(child)
    // Re-inserted: whichChildren lists children by the start of the run they are in.
    this.#children.delete(child.n)
    child.pid = launched.pid
    child.last = launched.pid
    this.#children.set(child.n, child)
    this.#byPid.set(launched.pid.key, child)
  }

  /** Every child at once (as simple_one_for_one): the template's shutdown, one shared timer. */
  async #shutdownAll(): Promise<void> {
    const pids = [...this.#children.values()].flatMap((c) => (c.pid instanceof Pid ? [c.pid] : []))
    this.#children.clear()
    this.#byPid.clear()
    await shutDown(this, pids, this.#template.shutdown)
  }

  // ── calls: the supervisor client functions ─────────────────────────────────────────

  async #admin(r: AdminRequest): Promise<unknown> {
    switch (r.$sup) {
      case 'whichChildren':
        return [...this.#children.values()].map((c): ChildInfo => ({
          id: undefined, pid: c.pid, type: this.#template.type, restart: this.#template.restart,
        }))
      case 'countChildren': {
        const all = this.#children.size
        const active = [...this.#children.values()].filter((c) => c.pid instanceof Pid).length
        const sup = this.#template.type === 'supervisor'
        return { specs: 1, active, supervisors: sup ? all : 0, workers: sup ? 0 : all }
      }
      case 'terminateChild':
        return this.#terminateChild(r.child)
      case 'startChild':
        return this.#startChild(r.spec)
    }
  }

  /** By pid (a restarting child by the pid it last ran as); frees its unit of demand. */
  async #terminateChild(pid: unknown): Promise<void> {
    if (!(pid instanceof Pid)) throw fail('ERR_SIMPLE_ONE_FOR_ONE', 'simple_one_for_one', 'terminateChild by id')
    const child = this.#byPid.get(pid.key) ?? [...this.#children.values()].find((c) => c.pid === 'restarting' && c.last.equals(pid))
    if (child === undefined) throw fail('ERR_CHILD_NOT_FOUND', 'not_found', pid.toString())
    const running = child.pid
    this.#forget(child)
    if (running instanceof Pid) await shutDown(this, [running], this.#template.shutdown)
  }

  /** A child with no event (it holds no demand): the template's args merged with `extra`. */
  async #startChild(extra: unknown): Promise<ChildStartResult> {
    const start = this.#template.start
    const args = Array.isArray(start) ? mergeArgs(start[1], extra) : extra
    let launched: Launched
    try {
      launched = await this.#launch(args)
    } catch (error) {
      const reason = reasonOf(error)
      throw fail('ERR_CHILD_START', reason, 'of the template', formatReason(reason))
    }
    if (launched === 'ignore') return { pid: undefined }
    this.#add(launched.pid, args, undefined)
    return launched.info === undefined ? { pid: launched.pid } : { pid: launched.pid, info: launched.info }
  }
}
