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
 *
 * A callback module on the gen layer (gen.ts), as a GenStage is a gen_server: Server.stop's
 * request and the parent's EXIT stop it there, and the gen layer reads handleCall's result once
 * the engine (stage-engine.ts) has checked it and sent out the events it emitted.
 */
import { IGNORE, kBehaviour, kDispatch, kInit, type Caller, type Settle } from '../../core/process-context.ts'
import type { CallMessage, CastMessage, From } from '../../core/envelope.ts'
import type { ExitReason } from '../../core/exit.ts'
import type { Address } from '../../core/pid.ts'
import { makeError } from '../../core/errors.ts'
import { Gen, kGenCall, kGenCast, kGenDispatch, kGenInfo, kGenTerminate } from '../gen.ts'
import type { Dispatcher } from './dispatchers/dispatcher.ts'
import { StageEngine, isUnknownAdmin, type AdminRequest } from './stage-engine.ts'
import type { CancelReason, ConsumerFrom, SubscribeOptions, SubscriptionFrom, ToProducer } from './protocol.ts'

/**
 * A stage's role: a producer emits events on demand, a consumer asks for them and handles them,
 * a producer_consumer does both (it consumes from upstream and produces for downstream).
 */
export type StageType = 'producer' | 'consumer' | 'producer_consumer'

/**
 * What a Stage's `init` returns: the stage's type and options. Options a type does not use are
 * ignored; a key that is none of these fails the start (a misspelling is not ignored).
 *
 * @throws ERR_STAGE_BAD_OPTS (the start fails `ERR_INIT_FAILED`) for an unknown `type`
 * @throws ERR_UNKNOWN_OPTION (the start fails `ERR_INIT_FAILED`) for a key not listed here
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
export abstract class Stage<Args = void, E = unknown> extends Gen {
  /** @hidden The behaviour kind the runtime reads. */
  static readonly [kBehaviour] = 'stage'

  /** Everything behind the callbacks (stage-engine.ts, with stage-producer.ts and stage-consumer.ts). */
  readonly #engine: StageEngine<E> = new StageEngine<E>(this)

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
   * A call: the return value is the reply, as for a Server: a plain value or `replyWith(v)`
   * replies `v`; `noreply()` answers later with this.reply(from, v); `stop(reason, reply?)`
   * stops the stage and sends `reply` once `terminate` has run. Events emitted meanwhile go out
   * before the reply. A stage has no handleContinue or idle timeout: a `continue` or `timeout`
   * in `next`, or `ignore()`, crashes it with `ERR_BAD_RETURN_VALUE`. Without an override a call
   * crashes the stage (`ERR_STAGE_NO_HANDLER`).
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
    this.#engine.emit(events)
  }

  /** Manual mode: ask the producer of `from` for `n` more events. */
  ask(from: SubscriptionFrom, n: number): void {
    this.#engine.ask(from, n)
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
    this.#engine.stop()
    super.stop(reason)
  }

  /** Events waiting in the buffer. */
  get bufferedCount(): number {
    return this.#engine.buffered
  }

  /** Events dropped because the buffer was full. */
  get discardedCount(): number {
    return this.#engine.discarded
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
    this.#engine.configure(spec)
    for (const to of spec.subscribeTo ?? []) this.#engine.subscribe(isAddress(to) ? { to } : to as SubscribeOptions)
  }

  /** @hidden The runtime's hook: one mailbox message through the gen layer, then the infos it made due. */
  override [kDispatch](message: unknown): Settle {
    return this.#engine.afterMessage(this[kGenDispatch](message))
  }

  /** @hidden The gen layer's hook: the client functions' requests, else handleCall. */
  override [kGenCall](m: CallMessage): Settle {
    if (isUnknownAdmin(m.request)) return super[kGenCall](m)
    return this.#engine.call(m)
  }

  /** @hidden The gen layer's hook: handleCast. */
  override [kGenCast](m: CastMessage): Settle {
    return this.#engine.cast(m.request)
  }

  /** @hidden The gen layer's hook: the stage protocol, DOWNs of subscriptions, asyncInfo, else handleInfo. */
  override [kGenInfo](message: unknown): Settle {
    return this.#engine.info(message)
  }

  /** @hidden The gen layer's hook: terminate (the reply of a handleCall's stop(reason, reply) follows it). */
  override [kGenTerminate](reason: ExitReason): Settle {
    return this.terminate(reason)
  }
}

/** A pid, a name or an alias (not a SubscribeOptions object, which has `to`). */
const isAddress = (v: unknown): v is Address => typeof v !== 'object' || v === null || !('to' in v)

function admin(caller: Caller, stage: Address, request: AdminRequest): Promise<unknown> {
  return caller.call(stage, request, { timeout: Infinity })
}
