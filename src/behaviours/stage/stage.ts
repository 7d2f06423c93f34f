/**
 * Stage: GenStage. Producers emit events only as consumers ask for them, so a slow consumer
 * bounds what a fast producer makes (backpressure), on one thread or across threads.
 *
 *   consumer: subscribes, asks maxDemand; each events message is cut into batches of
 *             max - min; after each batch handleEvents runs, and once the demand still out is
 *             at most min it asks for the difference up to max again (STG-R6)
 *   producer: an ask goes through the dispatcher (who gets which events); the demand that
 *             results is served from the buffer first, the rest by handleDemand(n) (STG-R10);
 *             events nobody can take yet are buffered (bufferSize, keep first/last: STG-R11)
 *   producer_consumer: both; upstream events wait until downstream demand lets them through
 *             handleEvents, so it asks upstream only as fast as it is asked; an upstream
 *             cancel waits behind the events queued before it (STG-R16)
 *
 * Callbacks return the events they emit (producer and producer_consumer); `this.emit(...)`
 * adds events from any callback (handleCall, handleInfo, ...), dispatched before a reply is sent
 * (STG-R13). A subscription ends by cancel or by its other side going down; the consumer's
 * cancel mode then decides: permanent stops it, transient stops it unless the reason is clean,
 * temporary keeps it running (STG-R9).
 */
import {
  IGNORE, kBehaviour, kDispatch, kInit, kTerminate,
  type BehaviourInstance, type Caller, type Settle,
} from '../../core/process-context.ts'
import { isCallMessage, isDownMessage, isExitMessage, isStopRequest, type CallMessage, type From } from '../../core/envelope.ts'
import { isCleanReason, type ExitReason } from '../../core/exit.ts'
import type { Address, Pid, Ref } from '../../core/pid.ts'
import { makeError } from '../../core/errors.ts'
import { ProcessBase } from '../process-base.ts'
import { kAction } from '../server.ts'
import { emitReport } from '../reports.ts'
import { answer } from '../answer.ts'
import { DemandDispatcher } from './dispatchers/demand-dispatcher.ts'
import { StageBuffer } from './buffer.ts'
import type { DemandStep, Dispatcher, DispatchStep } from './dispatchers/dispatcher.ts'
import {
  openSubscription, isStageMessage,
  type CancelMode, type CancelReason, type ConsumerFrom, type StageMessage, type SubscribeOptions, type SubscriptionFrom, type ToProducer,
} from './protocol.ts'

/**
 * A stage's role: a producer emits events on demand, a consumer asks for them and handles them,
 * a producer_consumer does both (it consumes from upstream and produces for downstream).
 */
export type StageType = 'producer' | 'consumer' | 'producer_consumer'

/**
 * What a Stage's `init` returns: the stage's type and options. Options a type does not use are
 * ignored.
 *
 * @throws ERR_STAGE_BAD_OPTS (the start fails `ERR_INIT_FAILED`) for an unknown `type`
 * @example
 * ```ts
 * init(): StageSpec<number> {
 *   return { type: 'producer', dispatcher: new BroadcastDispatcher(), demand: 'accumulate', bufferSize: 1000 }
 * }
 * ```
 */
export interface StageSpec<E> {
  /** Required: `'producer'`, `'consumer'` or `'producer_consumer'`. */
  readonly type: StageType
  /** producer, producer_consumer: who gets which events (default: a DemandDispatcher). */
  readonly dispatcher?: Dispatcher<E, number>
  /** producer: 'accumulate' holds asks (and emitted events) until demand('forward'). Default 'forward'. */
  readonly demand?: 'forward' | 'accumulate'
  /** Events kept while nobody can take them (producer 10 000, producer_consumer Infinity). */
  readonly bufferSize?: number
  /** When the buffer overflows: 'last' drops the oldest (default), 'first' drops the incoming. */
  readonly bufferKeep?: 'first' | 'last'
  /** consumer, producer_consumer: subscriptions made as the stage starts. */
  readonly subscribeTo?: readonly (Address | SubscribeOptions)[]
}

type Emitted<E> = readonly E[] | void

interface ProducerSide {
  readonly consumer: Pid
  readonly tag: Ref
  readonly monitor: Ref
}

interface ConsumerSide {
  readonly from: SubscriptionFrom
  readonly monitor: Ref
  readonly min: number
  readonly max: number
  readonly cancel: CancelMode
  manual: boolean
  /** Demand asked and not yet answered with events. */
  pending: number
}

/** producer_consumer: what waits for downstream demand, in arrival order (STG-R14, STG-R16). */
type Waiting<E> =
  | { readonly events: E[]; readonly sub: ConsumerSide }
  | { readonly info: unknown }
  | { readonly cancel: CancelReason; readonly sub: ConsumerSide }

type AdminRequest =
  | { readonly $stageAdmin: 'subscribe'; readonly opts: SubscribeOptions }
  | { readonly $stageAdmin: 'resubscribe'; readonly from: SubscriptionFrom; readonly reason: unknown; readonly opts: SubscribeOptions }
  | { readonly $stageAdmin: 'demand'; readonly mode: 'forward' | 'accumulate' | undefined }
  | { readonly $stageAdmin: 'buffered' }

const isInfoRequest = (m: unknown): m is { $stageInfo: unknown } =>
  typeof m === 'object' && m !== null && '$stageInfo' in m

const isAdmin = (r: unknown): r is AdminRequest =>
  typeof r === 'object' && r !== null && typeof (r as { $stageAdmin?: unknown }).$stageAdmin === 'string'

/**
 * GenStage: a process in a pipeline of events with backpressure. A producer emits events only
 * when its consumers have asked for them (demand), so a slow consumer bounds how much a fast
 * producer makes, with no unbounded queue, on one thread or across threads.
 *
 * Extend it and return a {@link StageSpec} from `init` (or `'ignore'`). `Args` is what `init`
 * takes, `E` the events. A producer implements `handleDemand`; a consumer and a
 * producer_consumer implement `handleEvents`. Callbacks that produce return the events they
 * emit (an array, or nothing); `this.emit(...events)` adds events from any callback.
 *
 * Details:
 * - A consumer subscribes (`subscribeTo` in its spec, or `Stage.subscribe`) and asks
 *   `maxDemand`; it gets events in batches of at most `maxDemand - minDemand` and asks again as
 *   it handles them. A producer serves an ask from its buffer first, then calls `handleDemand`.
 * - A producer's dispatcher decides which consumer gets which events: {@link DemandDispatcher}
 *   (default), {@link BroadcastDispatcher} or {@link PartitionDispatcher}.
 * - When a subscription ends (a cancel, or the other side going down), the consumer runs
 *   `handleCancel`, then its `cancel` mode decides: `'permanent'` (default) stops it with the
 *   reason, `'transient'` unless the reason is clean, `'temporary'` keeps it running.
 * - Started linked and trapping exits, an EXIT from its parent stops it with the parent's reason.
 * - Calls, casts and other messages reach `handleCall`, `handleCast` and `handleInfo`; events
 *   emitted in `handleCall` go out before its reply.
 *
 * Gotchas:
 * - A consumer's callbacks emit nothing: events it returns or emits are dropped with a `stage`
 *   report (`consumer_events_dropped`).
 * - The buffer is not backpressure: events emitted beyond the demand are buffered, and past
 *   `bufferSize` dropped with a `discarded` report. Emit only what was asked for; a producer with
 *   nothing to give returns `[]` and emits later with `this.emit`.
 * - Functions cannot cross threads: a `selector` in subscription options works only on the
 *   producer's thread, and a dispatcher with a `hash` must be made in the producer's `init`.
 * - A producer may not return `'manual'` from `handleSubscribe` (it crashes with `ERR_BAD_RETURN_VALUE`).
 *
 * @throws ERR_STAGE_BAD_OPTS, ERR_STAGE_NOT_A_CONSUMER (the start rejects ERR_INIT_FAILED) for a bad spec or `subscribeTo`
 * @throws ERR_STAGE_NO_HANDLER (the stage crashes) when a callback its type needs is missing
 * @example
 * ```ts
 * export class Numbers extends Stage<void, number> {
 *   n = 0
 *   init(): StageSpec<number> { return { type: 'producer' } }
 *   override handleDemand(demand: number) { return Array.from({ length: demand }, () => this.n++) }
 * }
 * export class Printer extends Stage<{ from: Pid }, number> {
 *   init(args: { from: Pid }): StageSpec<number> {
 *     return { type: 'consumer', subscribeTo: [{ to: args.from, maxDemand: 1000, minDemand: 500 }] }
 *   }
 *   override handleEvents(events: number[]) { console.log(events.length) }
 * }
 * const numbers = await node.spawn(Numbers, undefined, { thread: 1 })
 * await node.spawn(Printer, { from: numbers }, { thread: 2 })
 * ```
 */
export abstract class Stage<Args = void, E = unknown> extends ProcessBase implements BehaviourInstance {
  /** @hidden The behaviour kind the runtime reads. */
  static readonly [kBehaviour] = 'stage'

  #type: StageType = 'consumer'
  #dispatcher: Dispatcher<E, number> | null = null
  #accumulating = false
  /** Asks held while accumulating, replayed in order by demand('forward'). */
  #heldAsks: ToProducer[] = []
  /** producer, producer_consumer: events nobody could take yet, and infos waiting behind them. */
  #buffer = new StageBuffer<E>(10_000, 'last')
  /** producer side: consumers by tag key. */
  readonly #consumers = new Map<number, ProducerSide>()
  /** consumer side: producers by tag key. */
  readonly #producers = new Map<number, ConsumerSide>()
  /** Monitor ref key → tag key of the subscription it watches. */
  readonly #monitors = new Map<number, number>()
  /** producer_consumer: events still allowed downstream, and upstream batches waiting for it. */
  #allowance = 0
  #waiting: Waiting<E>[] = []
  #emitted: E[] = []
  /**
   * syncInfo/asyncInfo messages now due, handed to handleInfo once the current message is done
   * (GenStage's dispatcher sends them to self): never from inside a dispatch, so the events
   * handleInfo returns or emits go through #then like any callback's, and its Promise is awaited.
   */
  readonly #dueInfos: unknown[] = []
  /** stop() was called: infos still due are not handled (GenStage's would stay in the dead mailbox). */
  #stopping = false

  /**
   * Called once with the spawn arguments: return the stage's spec, or `'ignore'` not to start
   * (`node.spawn` then rejects `ERR_INIT_IGNORED`). The subscriptions in `subscribeTo` are made
   * as it returns. A throw fails the start with `ERR_INIT_FAILED`.
   */
  abstract init(args: Args): StageSpec<E> | 'ignore' | Promise<StageSpec<E> | 'ignore'>

  // ── callbacks ───────────────────────────────────────────────────────────────────────────

  /** producer: emit up to `demand` events (fewer is fine: remember the shortfall; more are buffered). */
  handleDemand(_demand: number): Emitted<E> | Promise<Emitted<E>> {
    throw makeError('ERR_STAGE_NO_HANDLER', this.self.toString(), 'handleDemand')
  }

  /** consumer: handle a batch; producer_consumer: return the events it makes of them. */
  handleEvents(_events: E[], _from: SubscriptionFrom): Emitted<E> | Promise<Emitted<E>> {
    throw makeError('ERR_STAGE_NO_HANDLER', this.self.toString(), 'handleEvents')
  }

  /** Both sides: return 'manual' (consumer side only) to ask with this.ask yourself. */
  handleSubscribe(_role: 'producer' | 'consumer', _opts: Readonly<Record<string, unknown>>, _from: SubscriptionFrom | ConsumerFrom): 'automatic' | 'manual' {
    return 'automatic'
  }

  /** The buffer dropped `n` events; return false to make no report of it (GenStage's format_discarded). */
  formatDiscarded(_n: number): boolean {
    return true
  }

  /** A subscription ended (before the cancel mode applies, on the consumer side). */
  handleCancel(_why: CancelReason, _from: SubscriptionFrom | ConsumerFrom): void {}

  /**
   * A call: the return value is the reply; `noreply()` answers later with this.reply(from, v).
   * Events emitted meanwhile go out before the reply. Without an override a call crashes the
   * stage (`ERR_STAGE_NO_HANDLER`).
   */
  handleCall(_request: unknown, _from: From): unknown {
    throw makeError('ERR_STAGE_NO_HANDLER', this.self.toString(), 'handleCall')
  }

  /** A cast; events it returns are emitted (producers). Ignored unless overridden. */
  handleCast(_request: unknown): void {}

  /**
   * Any other message (a DOWN of a monitor it made itself, a timer's message, ...), and the
   * message of `Stage.asyncInfo` once the events ahead of it have gone out. Events it returns
   * (or resolves with, or emits with `this.emit`) are emitted, as from any callback; a throw or
   * a rejection crashes the stage. Ignored unless overridden.
   */
  handleInfo(_message: unknown): Emitted<E> | Promise<Emitted<E>> {}

  /** Called when the stage ends by its own act or node shutdown (not when killed), with the reason. */
  terminate(_reason: ExitReason): Settle {}

  // ── inside the stage ────────────────────────────────────────────────────────────────────

  /** Emit events from any callback: dispatched when it returns (before the reply of a call). */
  emit(...events: E[]): void {
    for (const e of events) this.#emitted.push(e)
  }

  /** Manual mode: ask the producer of `from` for `n` more events. */
  ask(from: SubscriptionFrom, n: number): void {
    const sub = this.#producers.get(from.tag.key)
    if (sub === undefined) return
    sub.pending += n
    this.send(from.producer, { $stage: 'ask', consumer: this.self, tag: from.tag, n } satisfies ToProducer)
  }

  /**
   * End a subscription from this side. Either way the cancel goes to the producer (on the
   * producer side: to itself, after this callback), which drops the consumer, runs its
   * handleCancel and answers the consumer with 'cancelled', whose cancel mode then applies.
   */
  cancelSubscription(from: SubscriptionFrom | ConsumerFrom, reason: unknown = 'normal'): void {
    const [producer, consumer] = 'producer' in from ? [from.producer, this.self] : [this.self, from.consumer]
    this.send(producer, { $stage: 'cancel', consumer, tag: from.tag, reason } satisfies ToProducer)
  }

  /** End this stage with `reason` (default 'normal') once the current callback returns. */
  override stop(reason?: ExitReason): void {
    this.#stopping = true
    super.stop(reason)
  }

  /** Events waiting in the buffer. */
  get bufferedCount(): number {
    return this.#buffer.length
  }

  /** Events dropped because the buffer was full. */
  get discardedCount(): number {
    return this.#buffer.discarded
  }

  // ── client functions ───────────────────────────────────────────────────────────────────

  /**
   * Subscribe `consumer` (a consumer or producer_consumer Stage, or a ConsumerSupervisor) to
   * `opts.to`; resolves with the subscription once the request is sent (GenStage's
   * sync_subscribe). A producer that is not there ends the subscription at once with 'noproc'.
   * Rejects ERR_STAGE_BAD_OPTS, ERR_STAGE_NOT_A_CONSUMER.
   * @example
   * ```ts
   * const sub = await Stage.subscribe(node, printer, { to: numbers, maxDemand: 10 })
   * Stage.cancel(node, sub)      // later: ends it, the consumer's cancel mode applies
   * ```
   */
  static subscribe(caller: Caller, consumer: Address, opts: SubscribeOptions): Promise<SubscriptionFrom> {
    return admin(caller, consumer, { $stageAdmin: 'subscribe', opts }) as Promise<SubscriptionFrom>
  }

  /** End subscription `from` with `reason` and subscribe `consumer` with `opts` instead (STG-R5). */
  static resubscribe(caller: Caller, consumer: Address, from: SubscriptionFrom, reason: unknown, opts: SubscribeOptions): Promise<SubscriptionFrom> {
    return admin(caller, consumer, { $stageAdmin: 'resubscribe', from, reason, opts }) as Promise<SubscriptionFrom>
  }

  /**
   * End a subscription from outside: the producer drops it and tells the consumer, whose cancel
   * mode then applies (`from` is what Stage.subscribe resolved with).
   */
  static cancel(caller: Caller, from: SubscriptionFrom, reason: unknown = 'normal'): void {
    caller.send(from.producer, { $stage: 'cancel', consumer: from.consumer, tag: from.tag, reason } satisfies ToProducer)
  }

  /**
   * A producer's demand mode; with `mode`, switch to it (STG-R12). `'accumulate'` (a pure
   * producer only; a producer_consumer stays 'forward') holds asks and emitted events until
   * `'forward'`, which replays the asks in order. Rejects ERR_STAGE_NOT_A_PRODUCER for a consumer.
   */
  static demand(caller: Caller, producer: Address, mode?: 'forward' | 'accumulate'): Promise<'forward' | 'accumulate'> {
    return admin(caller, producer, { $stageAdmin: 'demand', mode }) as Promise<'forward' | 'accumulate'>
  }

  /** Deliver `message` to the stage's handleInfo after the events now ahead of it have gone out (STG-R14). */
  static asyncInfo(caller: Caller, stage: Address, message: unknown): void {
    caller.send(stage, { $stageInfo: message })
  }

  /** Events waiting in a producer's buffer. Rejects ERR_STAGE_NOT_A_PRODUCER for a consumer. */
  static estimateBufferedCount(caller: Caller, producer: Address): Promise<number> {
    return admin(caller, producer, { $stageAdmin: 'buffered' }) as Promise<number>
  }

  // ── runtime hooks ─────────────────────────────────────────────────────────────────────

  /** @hidden The runtime's hook: runs `init`, then the spec's subscriptions. */
  async [kInit](args: unknown): Promise<void | typeof IGNORE> {
    const spec = await this.init(args as Args)
    if (spec === 'ignore') return IGNORE
    this.#configure(spec)
    for (const to of spec.subscribeTo ?? []) this.#subscribe(isAddress(to) ? { to } : to as SubscribeOptions)
  }

  /** @hidden The runtime's hook: one mailbox message, then the infos it made due. */
  [kDispatch](message: unknown): Settle {
    const settled = this.#route(message)
    if (isThenable(settled)) return Promise.resolve(settled).then(() => this.#handleDueInfos())
    return this.#handleDueInfos()
  }

  #route(message: unknown): Settle {
    if (isStageMessage(message)) return this.#onStage(message)
    if (isInfoRequest(message)) return this.#info(message.$stageInfo)
    if (isDownMessage(message)) {
      const key = this.#monitors.get(message.ref.key)
      if (key !== undefined) return this.#ended(key, { kind: 'down', reason: message.reason })
      return this.#then(this.handleInfo(message))
    }
    if (isCallMessage(message)) return this.#onCall(message)
    const m = message as { type?: unknown; request?: unknown }
    if (m !== null && typeof m === 'object' && m.type === '$cast') return this.#then(this.handleCast(m.request))
    if (isExitMessage(message) && this.parent !== undefined && message.from.equals(this.parent)) {
      this.stop(message.reason)
      return
    }
    return this.#then(this.handleInfo(message))
  }

  /** @hidden The runtime's hook: runs `terminate`. */
  [kTerminate](reason: ExitReason): Settle {
    return this.terminate(reason)
  }

  // ── set-up ────────────────────────────────────────────────────────────────────────────

  #configure(spec: StageSpec<E>): void {
    const type = spec?.type
    if (type !== 'producer' && type !== 'consumer' && type !== 'producer_consumer') {
      throw makeError('ERR_STAGE_BAD_OPTS', `type must be producer, consumer or producer_consumer, got ${String(type)}`)
    }
    this.#type = type
    if (type === 'consumer') return
    this.#dispatcher = spec.dispatcher ?? new DemandDispatcher<E, number>()
    this.#accumulating = spec.demand === 'accumulate'
    this.#buffer = new StageBuffer(spec.bufferSize ?? (type === 'producer' ? 10_000 : Infinity), spec.bufferKeep ?? 'last')
  }

  #subscribe(opts: SubscribeOptions): SubscriptionFrom {
    if (this.#type === 'producer') throw makeError('ERR_STAGE_NOT_A_CONSUMER', this.self.toString())
    const { from, monitor, demand, sent } = openSubscription(this, opts)
    const sub: ConsumerSide = { from, monitor, min: demand.min, max: demand.max, cancel: demand.cancel, manual: false, pending: 0 }
    this.#producers.set(from.tag.key, sub)
    this.#monitors.set(monitor.key, from.tag.key)
    if (!sent) return from
    sub.manual = this.handleSubscribe('producer', demand.dispatcherOpts, from) === 'manual'
    if (!sub.manual) this.ask(from, demand.max)
    return from
  }

  // ── messages ──────────────────────────────────────────────────────────────────────────

  #onStage(m: StageMessage): Settle {
    switch (m.$stage) {
      case 'subscribe': return this.#onSubscribe(m.consumer, m.tag, m.opts)
      case 'ask': return this.#onAsk(m)
      case 'cancel': return this.#consumerLeft(m.tag.key, { kind: 'cancel', reason: m.reason })
      case 'events': return this.#onEvents(m.producer, m.tag, m.events as E[])
      case 'cancelled': return this.#ended(m.tag.key, { kind: 'cancel', reason: m.reason })
    }
  }

  #onSubscribe(consumer: Pid, tag: Ref, opts: Readonly<Record<string, unknown>>): Settle {
    const refuse = (reason: unknown): void => this.send(consumer, { $stage: 'cancelled', producer: this.self, tag, reason })
    if (this.#dispatcher === null) return refuse('not_a_producer')
    if (this.#consumers.has(tag.key)) return refuse('duplicated_subscription')
    const from: ConsumerFrom = { consumer, tag }
    if (this.handleSubscribe('consumer', opts, from) === 'manual') {
      throw makeError('ERR_BAD_RETURN_VALUE', 'handleSubscribe (a producer may only be automatic)', 'manual')
    }
    let demand: number
    try {
      demand = this.#dispatcher.subscribe(tag.key, opts, consumer)
    } catch (error) {
      const code = (error as { code?: unknown }).code
      return refuse(code === 'ERR_STAGE_ALREADY_SUBSCRIBED' ? 'already_subscribed' : error)
    }
    const monitor = this.monitor(consumer)
    this.#consumers.set(tag.key, { consumer, tag, monitor })
    this.#monitors.set(monitor.key, tag.key)
    return demand > 0 ? this.#serve(demand) : undefined
  }

  #onAsk(m: Extract<ToProducer, { $stage: 'ask' }>): Settle {
    if (this.#dispatcher === null) return
    if (!this.#consumers.has(m.tag.key)) {
      this.send(m.consumer, { $stage: 'cancelled', producer: this.self, tag: m.tag, reason: 'unknown_subscription' })
      return
    }
    if (this.#accumulating) {
      this.#heldAsks.push(m)
      return
    }
    return this.#step(this.#dispatcher.ask(m.n, m.tag.key))
  }

  /** Make a dispatcher step's deliveries, hand its infos to handleInfo, serve its demand. */
  #step(step: DemandStep<E, number>): Settle {
    for (const d of step.deliveries) this.#deliver(d.sub, d.events)
    for (const info of step.infos) this.#dueInfos.push(info)
    return step.demand > 0 ? this.#serve(step.demand) : undefined
  }

  /** STG-R10: upstream demand `n`: from the buffer first, the rest from handleDemand (or, for a producer_consumer, upstream events). */
  #serve(n: number): Settle {
    const fromBuffer = Math.min(n, this.#buffer.length)
    if (fromBuffer > 0) {
      this.#dispatch(this.#buffer.take(fromBuffer))
      for (const info of this.#buffer.due()) this.#placeInfo(info)
    }
    const rest = n - fromBuffer
    if (rest <= 0) return
    if (this.#type === 'producer_consumer') {
      this.#allowance += rest
      return this.#drain()
    }
    return this.#then(this.handleDemand(rest))
  }

  /** A callback's return (and this.emit): emitted events go to the dispatcher. */
  #then(result: unknown): Settle {
    if (isThenable(result)) return Promise.resolve(result).then((events) => this.#emit(events))
    this.#emit(result)
  }

  #emit(events: unknown): void {
    const extra = this.#emitted
    const list = Array.isArray(events) ? (events as E[]) : []
    if (extra.length === 0 && list.length === 0) return
    if (this.#dispatcher === null) {
      // STG-R13: a consumer has nowhere to send events: they are dropped, with a report.
      this.#emitted = []
      emitReport(this, { type: 'report', kind: 'stage', stage: this.self, event: 'consumer_events_dropped', count: extra.length + list.length })
      return
    }
    const all = extra.length === 0 ? list : [...extra, ...list]
    this.#emitted = []
    if (this.#type === 'producer_consumer') this.#allowance = Math.max(0, this.#allowance - all.length)
    if (this.#accumulating) this.#store(all)
    else this.#dispatch(all)
  }

  #dispatch(events: E[]): void {
    const step: DispatchStep<E, number> = (this.#dispatcher as Dispatcher<E, number>).dispatch(events)
    for (const d of step.deliveries) this.#deliver(d.sub, d.events)
    if (step.leftover.length > 0) this.#store(step.leftover)
    for (const r of step.recredits) {
      const c = this.#consumers.get(r.sub)
      if (c !== undefined) this.send(this.self, { $stage: 'ask', consumer: c.consumer, tag: c.tag, n: r.n } satisfies ToProducer)
    }
  }

  #deliver(key: number, events: readonly E[]): void {
    const c = this.#consumers.get(key)
    if (c !== undefined && events.length > 0) this.send(c.consumer, { $stage: 'events', producer: this.self, tag: c.tag, events })
  }

  /** STG-R11: keep what nobody can take (bufferSize, keep first or last), reporting what is dropped. */
  #store(events: readonly E[]): void {
    const dropped = this.#buffer.store(events)
    for (const info of this.#buffer.due()) this.#placeInfo(info)
    if (dropped > 0 && this.formatDiscarded(dropped)) {
      emitReport(this, { type: 'report', kind: 'stage', stage: this.self, event: 'discarded', count: dropped })
    }
  }

  /** STG-R6: events for a consumer, in batches of max - min, asking again whenever demand falls to min. */
  #onEvents(producer: Pid, tag: Ref, events: E[]): Settle {
    const sub = this.#producers.get(tag.key)
    if (sub === undefined) {
      // STG-R4: events for a subscription this stage does not have: tell their producer (a pure
      // producer has no subscriptions of its own and ignores them).
      if (this.#type !== 'producer') {
        this.send(producer, { $stage: 'cancel', consumer: this.self, tag, reason: 'unknown_subscription' } satisfies ToProducer)
      }
      return
    }
    if (this.#type === 'producer_consumer') {
      this.#waiting.push({ events, sub })
      return this.#drain()
    }
    return this.#handleBatches(events, sub)
  }

  #handleBatches(events: E[], sub: ConsumerSide): Settle {
    if (sub.manual) return this.#then(this.handleEvents(events, sub.from))
    const size = sub.max - sub.min
    let at = 0
    const next = (): Settle => {
      while (at < events.length) {
        const batch = at === 0 && events.length <= size ? events : events.slice(at, at + size)
        at += batch.length
        const result = this.#then(this.handleEvents(batch, sub.from))
        const after = (): void => this.#consumed(sub, batch.length)
        if (isThenable(result)) return result.then(() => { after(); return next() })
        after()
      }
    }
    return next()
  }

  /** A batch is handled: refill demand up to max once it is down to min. */
  #consumed(sub: ConsumerSide, n: number): void {
    sub.pending = Math.max(0, sub.pending - n)
    if (sub.pending <= sub.min && this.#producers.has(sub.from.tag.key)) this.ask(sub.from, sub.max - sub.pending)
  }

  /** producer_consumer: handle waiting upstream events while downstream demand allows (STG-R16). */
  #drain(): Settle {
    const waiting = this.#waiting
    // Infos and cancels need no demand: they wait only for the events queued ahead of them.
    while (waiting.length > 0 && (this.#allowance > 0 || !('events' in (waiting[0] as object)))) {
      const next = waiting.shift() as Waiting<E>
      if ('info' in next) {
        this.#placeInfo(next.info)
        continue
      }
      if ('cancel' in next) {
        if (this.#cancelled(next.sub, next.cancel)) return
        continue
      }
      const result = this.#handleBatches(next.events, next.sub)
      if (isThenable(result)) return result.then(() => this.#drain())
    }
  }

  // ── info ordering (STG-R14) ──────────────────────────────────────────────────────────

  /** syncInfo/asyncInfo: handled once everything ahead of it (buffered or waiting events) has gone out. */
  #info(message: unknown): Settle {
    // A consumer has nothing ahead of it: the info is due at once.
    if (this.#dispatcher === null) return this.#then(this.handleInfo(message))
    if (this.#type === 'producer_consumer' && this.#waiting.length > 0) {
      this.#waiting.push({ info: message })
      return
    }
    if (!this.#buffer.mark(message)) this.#placeInfo(message)
  }

  /** Past the buffer: the dispatcher may still hold events ahead of it (partitions), else it is due now. */
  #placeInfo(message: unknown): void {
    if ((this.#dispatcher as Dispatcher<E, number>).info(message) === 'now') this.#dueInfos.push(message)
  }

  /**
   * handleInfo for each info now due, in the order they fell due, each through #then (its events
   * dispatched, its Promise awaited). Events dispatched here may make more infos due: the loop
   * takes them too.
   */
  #handleDueInfos(): Settle {
    const due = this.#dueInfos
    while (due.length > 0 && !this.#stopping) {
      const result = this.#then(this.handleInfo(due.shift()))
      if (isThenable(result)) return Promise.resolve(result).then(() => this.#handleDueInfos())
    }
  }

  // ── ends of subscriptions ─────────────────────────────────────────────────────────────

  /** Producer side: a consumer cancelled or went down. */
  #consumerLeft(key: number, why: CancelReason): Settle {
    const c = this.#consumers.get(key)
    if (c === undefined || this.#dispatcher === null) return
    this.#consumers.delete(key)
    this.#monitors.delete(c.monitor.key)
    this.demonitor(c.monitor, { flush: true })
    // A cancel is answered with a cancel, so the consumer runs its own cancel handling too.
    if (why.kind === 'cancel') this.send(c.consumer, { $stage: 'cancelled', producer: this.self, tag: c.tag, reason: why.reason })
    this.handleCancel(why, { consumer: c.consumer, tag: c.tag })
    return this.#step(this.#dispatcher.cancel(key))
  }

  /** Consumer side (or a producer's monitor of a consumer): a subscription ended. */
  #ended(key: number, why: CancelReason): Settle {
    if (this.#consumers.has(key)) return this.#consumerLeft(key, why)
    const sub = this.#producers.get(key)
    if (sub === undefined) return
    this.#producers.delete(key)
    this.#monitors.delete(sub.monitor.key)
    this.demonitor(sub.monitor, { flush: true })
    // STG-R16: a producer_consumer handles the events queued before the cancel first.
    if (this.#type === 'producer_consumer' && this.#waiting.length > 0) {
      this.#waiting.push({ cancel: why, sub })
      return
    }
    this.#cancelled(sub, why)
  }

  /** handleCancel, then the cancel mode (STG-R9); true when it stops the stage. */
  #cancelled(sub: ConsumerSide, why: CancelReason): boolean {
    this.handleCancel(why, sub.from)
    // already_subscribed never stops the consumer.
    const reason = why.reason
    if (reason === 'already_subscribed' || sub.cancel === 'temporary') return false
    if (sub.cancel === 'transient' && isCleanReason(reason)) return false
    this.stop(reason)
    return true
  }

  // ── calls ─────────────────────────────────────────────────────────────────────────────

  #onCall(m: CallMessage): Settle {
    if (isStopRequest(m.request)) {
      this.stop(m.request.reason)
      return
    }
    if (isAdmin(m.request)) return answer(this, m.from, () => this.#admin(m.request as AdminRequest))
    const result = this.handleCall(m.request, m.from)
    // STG-R13: events emitted by the callback go out before its reply; noreply() answers later.
    const done = (value: unknown): void => {
      this.#emit(undefined)
      if (!isNoreply(value)) this.reply(m.from, value)
    }
    if (isThenable(result)) return Promise.resolve(result).then(done)
    done(result)
  }

  #admin(r: AdminRequest): unknown {
    switch (r.$stageAdmin) {
      case 'subscribe':
        return this.#subscribe(r.opts)
      case 'resubscribe': {
        // STG-R5: the old subscription ends with `reason` (handleCancel runs, its cancel mode does
        // not apply: the consumer is moving, not losing its producer), then the new one starts.
        const old = this.#producers.get(r.from.tag.key)
        if (old !== undefined) {
          this.#producers.delete(r.from.tag.key)
          this.#monitors.delete(old.monitor.key)
          this.demonitor(old.monitor, { flush: true })
          this.send(old.from.producer, { $stage: 'cancel', consumer: this.self, tag: old.from.tag, reason: r.reason } satisfies ToProducer)
          this.handleCancel({ kind: 'cancel', reason: r.reason }, old.from)
        }
        return this.#subscribe(r.opts)
      }
      case 'buffered':
        if (this.#dispatcher === null) throw makeError('ERR_STAGE_NOT_A_PRODUCER', this.self.toString())
        return this.#buffer.length
      case 'demand': {
        if (this.#dispatcher === null) throw makeError('ERR_STAGE_NOT_A_PRODUCER', this.self.toString())
        if (r.mode === 'accumulate' && this.#type === 'producer') this.#accumulating = true
        if (r.mode === 'forward' && this.#accumulating) {
          this.#accumulating = false
          // Replay what was held, in arrival order: the asks come back as messages to self.
          for (const ask of this.#heldAsks) this.send(this.self, ask)
          this.#heldAsks = []
        }
        return this.#accumulating ? 'accumulate' : 'forward'
      }
    }
  }
}

/** handleCall returned noreply() (from server.ts): the stage answers later with this.reply(from, v). */
const isNoreply = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && kAction in v && (v as { [kAction]: unknown })[kAction] === 'noreply'

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'

/** A pid, a name or an alias (not a SubscribeOptions object, which has `to`). */
const isAddress = (v: unknown): v is Address => typeof v !== 'object' || v === null || !('to' in v)

function admin(caller: Caller, stage: Address, request: AdminRequest): Promise<unknown> {
  return caller.call(stage, request, { timeout: Infinity })
}
