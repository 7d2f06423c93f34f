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
 * Children follow the template's restart type: temporary never restarts, transient restarts
 * unless it ends cleanly (with the same event); restarts count toward maxRestarts within
 * maxSeconds, beyond which the supervisor exits 'shutdown'. A restarting child still holds its
 * unit of demand. A child whose start fails or ignores counts as finished. Subscriptions end by
 * their cancel mode, as for any consumer (temporary: the children carry on).
 *
 * The supervisor client functions work on it: Supervisor.whichChildren / countChildren /
 * terminateChild(pid) / startChild(extraArgs) (a child with no event).
 */
import {
  kBehaviour, kDispatch, kInit, kTerminate, type BehaviourInstance, type Settle,
} from '../../core/process-context.ts'
import { isCallMessage, isDownMessage, isExitMessage, isStopRequest, type CallMessage } from '../../core/envelope.ts'
import { isCleanReason, type ExitReason } from '../../core/exit.ts'
import { Pid, type Address, type Ref } from '../../core/pid.ts'
import { makeError } from '../../core/errors.ts'
import { ProcessBase } from '../process-base.ts'
import { answer } from '../answer.ts'
import { shutDown, startLinked } from '../children.ts'
import { RestartWindow } from '../restart-window.ts'
import { mergeArgs, normalize, type ChildInfo, type ChildSpec, type Normalized } from '../supervisor-spec.ts'
import { openSubscription, isStageMessage, type SubscribeOptions, type ToProducer } from './protocol.ts'

/**
 * A child's arguments for `event` (OTP's template args ++ [event]): an array template gets the
 * event appended, an object template gets `{ event }` merged in, no template args: the event.
 */
function eventArgs(templateArgs: unknown, event: unknown): unknown {
  if (templateArgs === undefined) return event
  return mergeArgs(templateArgs, Array.isArray(templateArgs) ? [event] : { event })
}

export interface ConsumerSupervisorSpec {
  /** The child template; its restart must be 'transient' or 'temporary'. */
  readonly child: ChildSpec
  /** Most restarts within maxSeconds (default 3 in 5). */
  readonly maxRestarts?: number
  readonly maxSeconds?: number
  readonly subscribeTo?: readonly (Address | SubscribeOptions)[]
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
  pid: Pid | undefined
  /** Its start arguments (kept only for transient children, which may restart). */
  readonly args: unknown
  /** The subscription whose demand it holds (none for startChild). */
  readonly sub: number | undefined
}

export abstract class ConsumerSupervisor<Args = void> extends ProcessBase implements BehaviourInstance {
  static readonly [kBehaviour] = 'consumer_supervisor'

  #template!: Normalized
  #window = new RestartWindow(3, 5000)
  readonly #children = new Map<number, Child>()
  readonly #subs = new Map<number, Subscription>()
  readonly #monitors = new Map<number, number>()

  abstract init(args: Args): ConsumerSupervisorSpec | Promise<ConsumerSupervisorSpec>

  async [kInit](args: unknown): Promise<void> {
    const spec = await this.init(args as Args)
    this.#template = normalize(spec.child, 'never', true)
    if (this.#template.restart === 'permanent') {
      const error = makeError('ERR_BAD_CHILD_SPEC', 'template', "a ConsumerSupervisor's children must be transient or temporary")
      error.reason = { invalid_restart_type: 'permanent' }
      throw error
    }
    this.#window = new RestartWindow(spec.maxRestarts ?? 3, (spec.maxSeconds ?? 5) * 1000)
    this.trapExit(true)
    for (const to of spec.subscribeTo ?? []) {
      this.#subscribe(typeof to === 'object' && to !== null && 'to' in to ? to as SubscribeOptions : { to: to as Address })
    }
  }

  [kDispatch](message: unknown): Settle {
    if (isStageMessage(message)) {
      switch (message.$stage) {
        case 'events': return this.#onEvents(message.tag.key, message.events)
        case 'cancelled': return this.#ended(message.tag.key, message.reason)
        default: return // a producer message: this stage is only a consumer
      }
    }
    if (isExitMessage(message)) {
      const child = this.#children.get(message.from.key)
      if (child !== undefined) return this.#childExited(message.from, child, message.reason)
      if (this.parent !== undefined && message.from.equals(this.parent)) this.stop(message.reason)
      return
    }
    if (isDownMessage(message)) {
      const key = this.#monitors.get(message.ref.key)
      if (key !== undefined) this.#ended(key, message.reason)
      return
    }
    if (isCallMessage(message)) return this.#onCall(message)
  }

  [kTerminate](_reason: ExitReason): Settle {
    return this.#shutdownAll()
  }

  // ── subscriptions and demand ──────────────────────────────────────────────────────────

  #subscribe(opts: SubscribeOptions): void {
    const { from: { producer, tag }, monitor, demand, sent } = openSubscription(this, opts)
    const sub: Subscription = { producer, tag, monitor, min: demand.min, max: demand.max, cancel: demand.cancel, done: 0 }
    this.#subs.set(tag.key, sub)
    this.#monitors.set(monitor.key, tag.key)
    if (sent) this.send(producer, { $stage: 'ask', consumer: this.self, tag, n: demand.max } satisfies ToProducer)
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
    if (!this.#subs.has(key)) return
    const start = this.#template.start
    const templateArgs = Array.isArray(start) ? start[1] : undefined
    for (const event of events) {
      if (!(await this.#start(eventArgs(templateArgs, event), key))) this.#finished(key)
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

  /** Start one child; false if it did not start (an error or ignore: it counts as finished). */
  async #start(args: unknown, sub: number | undefined): Promise<boolean> {
    let pid: Pid | undefined
    try {
      const r = await startLinked(this, this.#template.start, () => args, args)
      pid = r === 'ignore' ? undefined : r instanceof Pid ? r : r.pid
    } catch {
      return false
    }
    if (pid === undefined) return false
    this.#children.set(pid.key, { pid, args: this.#template.restart === 'transient' ? args : undefined, sub })
    return true
  }

  async #childExited(pid: Pid, child: Child, reason: ExitReason): Promise<void> {
    this.#children.delete(pid.key)
    const again = this.#template.restart === 'transient' && !isCleanReason(reason)
    if (!again) {
      this.#finished(child.sub)
      return
    }
    if (!this.#countRestart()) {
      this.stop('shutdown')
      return
    }
    if (!(await this.#start(child.args, child.sub))) this.#finished(child.sub)
  }

  #countRestart(): boolean {
    return this.#window.record(this.now())
  }

  /** Every child at once (as simple_one_for_one): exit 'shutdown', one shared timer, then kill. */
  async #shutdownAll(): Promise<void> {
    const pids = [...this.#children.values()].flatMap((c) => (c.pid === undefined ? [] : [c.pid]))
    this.#children.clear()
    await shutDown(this, pids, this.#template.shutdown)
  }

  // ── the supervisor client functions ───────────────────────────────────────────────────

  #onCall(m: CallMessage): Settle {
    if (isStopRequest(m.request)) {
      this.stop(m.request.reason)
      return
    }
    return answer(this, m.from, () => this.#admin(m.request as { $sup?: string; child?: unknown; spec?: unknown }))
  }

  async #admin(r: { $sup?: string; child?: unknown; spec?: unknown }): Promise<unknown> {
    switch (r.$sup) {
      case 'whichChildren':
        return [...this.#children.values()].reverse().map((c): ChildInfo => ({
          id: undefined, pid: c.pid, type: this.#template.type, restart: this.#template.restart,
        }))
      case 'countChildren': {
        const n = this.#children.size
        const sup = this.#template.type === 'supervisor'
        return { specs: 1, active: n, supervisors: sup ? n : 0, workers: sup ? 0 : n }
      }
      case 'terminateChild': {
        const pid = r.child
        if (!(pid instanceof Pid)) throw makeError('ERR_SIMPLE_ONE_FOR_ONE', 'terminateChild by id')
        const child = this.#children.get(pid.key)
        if (child === undefined) throw makeError('ERR_CHILD_NOT_FOUND', pid.toString())
        this.#children.delete(pid.key)
        const gone = this.watch(pid)
        this.unlink(pid)
        this.exit(pid, 'shutdown')
        await gone
        this.#finished(child.sub)
        return undefined
      }
      case 'startChild': {
        const args = this.#template.start
        const childArgs = Array.isArray(args) ? mergeArgs(args[1], r.spec) : r.spec
        if (!(await this.#start(childArgs, undefined))) throw makeError('ERR_CHILD_START', 'of the template', 'ignored or failed')
        const last = [...this.#children.values()].at(-1) as Child
        return { pid: last.pid }
      }
      default:
        throw makeError('ERR_UNSUPPORTED_REQUEST', this.self.toString())
    }
  }
}
