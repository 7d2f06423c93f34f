/**
 * What a Stage does with each message: the private half of the Stage facade (stage.ts keeps the
 * public API, the callbacks and their docs). It routes a mailbox message to the producer side
 * (stage-producer.ts) or the consumer side (stage-consumer.ts), turns what a callback returns
 * (and `this.emit`) into events for the producer side, keeps syncInfo/asyncInfo in order behind
 * the events ahead of them, and answers calls, the client functions' among them.
 *
 *   gen layer ──info──┬─ subscribe / ask / cancel ──────────▶ producer side
 *                     ├─ events / cancelled / DOWN ─────────▶ consumer side (or producer side)
 *                     ├─ $stageInfo ─▶ behind waiting upstream events, else the producer side
 *                     └─ other ─▶ handleInfo
 *             ──call──▶ the client functions' requests, else handleCall ──▶ the gen layer's reading
 *             ──cast──▶ handleCast
 *   a callback's result ──then──▶ emit ──▶ producer side (a consumer drops them, with a report)
 *   after each message: handleInfo for each info that fell due (STG-R14)
 *
 * Server.stop's request and the parent's EXIT never get here: the gen layer (gen.ts) stops the
 * stage. What handleCall returns is read by the gen layer too, once the stage has checked it
 * (no continue, timeout or ignore: a stage has no handleContinue or idle timeout) and sent out
 * the events the callback emitted, so they go before its reply (STG-R13), as GenStage does
 * before handing gen_server its reply.
 */
import type { Settle } from '../../core/process-context.ts'
import { isDownMessage, type CallMessage, type From } from '../../core/envelope.ts'
import { makeError } from '../../core/errors.ts'
import { checkOptionKeys } from '../../core/option-keys.ts'
import { isThenable } from '../../core/thenable.ts'
import { isAction, kAction, type ServerAction } from '../server-action.ts'
import { emitReport } from '../reports.ts'
import { answer, kCallResult, type Gen } from '../gen.ts'
import { StageProducer, type ProducerOptions } from './stage-producer.ts'
import { StageConsumer } from './stage-consumer.ts'
import {
  isStageMessage,
  type CancelReason, type ConsumerFrom, type StageMessage, type SubscribeOptions, type SubscriptionFrom,
} from './protocol.ts'

/** The calls the Stage client functions make (Stage.subscribe's also reaches a ConsumerSupervisor). */
export type AdminRequest =
  | { readonly $stageAdmin: 'subscribe'; readonly opts: SubscribeOptions }
  | { readonly $stageAdmin: 'resubscribe'; readonly from: SubscriptionFrom; readonly reason: unknown; readonly opts: SubscribeOptions }
  | { readonly $stageAdmin: 'demand'; readonly mode: 'forward' | 'accumulate' | undefined }
  | { readonly $stageAdmin: 'buffered' }

const isInfoRequest = (m: unknown): m is { $stageInfo: unknown } =>
  typeof m === 'object' && m !== null && '$stageInfo' in m

const ADMIN_OPS: readonly string[] = ['subscribe', 'resubscribe', 'demand', 'buffered']

const isAdmin = (r: unknown): r is AdminRequest =>
  typeof r === 'object' && r !== null && ADMIN_OPS.includes((r as { $stageAdmin?: unknown }).$stageAdmin as string)

/** A request in the client functions' namespace that none of them makes: the stage refuses it, as any unknown call. */
export const isUnknownAdmin = (r: unknown): boolean =>
  typeof r === 'object' && r !== null && typeof (r as { $stageAdmin?: unknown }).$stageAdmin === 'string' && !isAdmin(r)

type Type = 'producer' | 'consumer' | 'producer_consumer'

/** The keys of a StageSpec (stage.ts); any other fails ERR_UNKNOWN_OPTION. */
const SPEC_KEYS: readonly string[] = ['type', 'dispatcher', 'demand', 'bufferSize', 'bufferKeep', 'subscribeTo']

/** The Stage as its engine calls it: the process on the gen layer, and the callbacks (and ask) a subclass overrides. */
export type EngineStage<E> = Gen & {
  handleDemand(demand: number): unknown
  handleEvents(events: E[], from: SubscriptionFrom): unknown
  handleSubscribe(role: 'producer' | 'consumer', opts: Readonly<Record<string, unknown>>, from: SubscriptionFrom | ConsumerFrom): 'automatic' | 'manual'
  formatDiscarded(n: number): boolean
  handleCancel(why: CancelReason, from: SubscriptionFrom | ConsumerFrom): void
  handleCall(request: unknown, from: From): unknown
  handleCast(request: unknown): void
  handleInfo(message: unknown): unknown
  ask(from: SubscriptionFrom, n: number): void
}

export class StageEngine<E> {
  readonly #stage: EngineStage<E>
  #type: Type = 'consumer'
  /** producer, producer_consumer: consumers, dispatcher, demand mode, buffer, infos due (null: a consumer). */
  #producer: StageProducer<E> | null = null
  /** Subscriptions to producers (a pure producer's stays empty); configure makes it anew for the spec's type. */
  #consumer: StageConsumer<E>
  #emitted: E[] = []
  /** stop() was called: infos still due are not handled (GenStage's would stay in the dead mailbox). */
  #stopping = false

  constructor(stage: EngineStage<E>) {
    this.#stage = stage
    this.#consumer = this.#consumerSide('consumer')
  }

  /** Events waiting in the buffer. */
  get buffered(): number {
    return this.#producer?.buffered ?? 0
  }

  /** Events dropped because the buffer was full. */
  get discarded(): number {
    return this.#producer?.discarded ?? 0
  }

  /** The stage is stopping: infos still due are not handled. */
  stop(): void {
    this.#stopping = true
  }

  /** Events from `this.emit`, dispatched when the current callback returns. */
  emit(events: readonly E[]): void {
    for (const e of events) this.#emitted.push(e)
  }

  /** Manual mode: ask the producer of `from` for `n` more events. */
  ask(from: SubscriptionFrom, n: number): void {
    this.#consumer.ask(from, n)
  }

  /** @throws ERR_STAGE_NOT_A_CONSUMER, ERR_STAGE_BAD_OPTS */
  subscribe(opts: SubscribeOptions): SubscriptionFrom {
    return this.#consumer.subscribe(opts)
  }

  /** The spec `init` returned: the type, and the producer side for a producer or producer_consumer. @throws ERR_STAGE_BAD_OPTS */
  configure(spec: ProducerOptions<E> & { readonly type: string }): void {
    const type = spec?.type
    if (type !== 'producer' && type !== 'consumer' && type !== 'producer_consumer') {
      throw makeError('ERR_STAGE_BAD_OPTS', `type must be producer, consumer or producer_consumer, got ${String(type)}`)
    }
    checkOptionKeys('a StageSpec', spec, SPEC_KEYS, (key) => ({ bad_opts: `unknown option ${key}` }))
    this.#type = type
    this.#consumer = this.#consumerSide(type)
    if (type === 'consumer') return
    // STG-R10: the demand the buffer cannot serve goes to handleDemand (a producer), or lets as
    // many upstream events through (a producer_consumer).
    const produce = type === 'producer'
      ? (n: number): Settle => this.#then(this.#stage.handleDemand(n))
      : (n: number): Settle => this.#consumer.allow(n)
    this.#producer = new StageProducer<E>(this.#stage, type, spec, produce)
  }

  #consumerSide(type: Type): StageConsumer<E> {
    return new StageConsumer<E>(
      this.#stage, type,
      (events, from) => this.#then(this.#stage.handleEvents(events, from)),
      (message) => this.#producer?.placeInfo(message),
    )
  }

  /** After each mailbox message (once it has settled): the infos it made due. */
  afterMessage(settled: Settle): Settle {
    if (isThenable(settled)) return Promise.resolve(settled).then(() => this.#handleDueInfos())
    return this.#handleDueInfos()
  }

  /** Any message but a call or a cast (the gen layer has taken the system ones). */
  info(message: unknown): Settle {
    if (isStageMessage(message)) return this.#onStage(message)
    if (isInfoRequest(message)) return this.#info(message.$stageInfo)
    if (isDownMessage(message)) {
      const key = this.#producer?.tagOf(message.ref.key) ?? this.#consumer.tagOf(message.ref.key)
      if (key !== undefined) return this.#ended(key, { kind: 'down', reason: message.reason })
    }
    return this.#then(this.#stage.handleInfo(message))
  }

  /** A cast: handleCast, whose events are emitted. */
  cast(request: unknown): Settle {
    return this.#then(this.#stage.handleCast(request))
  }

  #onStage(m: StageMessage): Settle {
    const producer = this.#producer
    switch (m.$stage) {
      case 'subscribe':
        if (producer !== null) return producer.onSubscribe(m.consumer, m.tag, m.opts)
        this.#stage.send(m.consumer, { $stage: 'cancelled', producer: this.#stage.self, tag: m.tag, reason: 'not_a_producer' })
        return
      case 'ask': return producer?.onAsk(m)
      case 'cancel': return producer?.consumerLeft(m.tag.key, { kind: 'cancel', reason: m.reason })
      case 'events': return this.#consumer.onEvents(m.producer, m.tag, m.events as E[])
      case 'cancelled': return this.#ended(m.tag.key, { kind: 'cancel', reason: m.reason })
    }
  }

  /** A subscription ended: one of a producer's consumers, else one of a consumer's subscriptions. */
  #ended(key: number, why: CancelReason): Settle {
    const producer = this.#producer
    if (producer !== null && producer.hasConsumer(key)) return producer.consumerLeft(key, why)
    return this.#consumer.ended(key, why)
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
    const producer = this.#producer
    if (producer === null) {
      // STG-R13: a consumer has nowhere to send events: they are dropped, with a report.
      this.#emitted = []
      const stage = this.#stage
      emitReport(stage, { type: 'report', kind: 'stage', stage: stage.self, event: 'consumer_events_dropped', count: extra.length + list.length })
      return
    }
    const all = extra.length === 0 ? list : [...extra, ...list]
    this.#emitted = []
    if (this.#type === 'producer_consumer') this.#consumer.spend(all.length)
    producer.emit(all)
  }

  // ── info ordering (STG-R14) ──────────────────────────────────────────────────────────

  /** syncInfo/asyncInfo: handled once everything ahead of it (buffered or waiting events) has gone out. */
  #info(message: unknown): Settle {
    // A consumer has nothing ahead of it: the info is due at once.
    if (this.#producer === null) return this.#then(this.#stage.handleInfo(message))
    if (!this.#consumer.holdInfo(message)) this.#producer.info(message)
  }

  /**
   * handleInfo for each info now due, in the order they fell due, each through #then (its events
   * dispatched, its Promise awaited). Events dispatched here may make more infos due: the loop
   * takes them too.
   */
  #handleDueInfos(): Settle {
    const due = this.#producer?.dueInfos
    while (due !== undefined && due.length > 0 && !this.#stopping) {
      const result = this.#then(this.#stage.handleInfo(due.shift()))
      if (isThenable(result)) return Promise.resolve(result).then(() => this.#handleDueInfos())
    }
  }

  // ── calls ─────────────────────────────────────────────────────────────────────────────

  /** A call: the client functions' requests, else handleCall (an unknown admin request is the Stage's to refuse). */
  call(m: CallMessage): Settle {
    const stage = this.#stage
    if (isAdmin(m.request)) return answer(stage, m.from, () => this.#admin(m.request as AdminRequest))
    const result = stage.handleCall(m.request, m.from)
    if (isThenable(result)) return Promise.resolve(result).then((r) => this.#callResult(m.from, r))
    return this.#callResult(m.from, result)
  }

  /**
   * What handleCall returned: checked against a stage's rules (no continue, timeout or ignore),
   * then the events the callback emitted go out, then the gen layer reads it as Server's: a
   * plain value or replyWith(v) is the reply, noreply() answers later, stop(reason, reply?)
   * stops the stage and replies once terminate has run (OTP's order).
   */
  #callResult(from: From, r: unknown): Settle {
    if (isAction(r)) checkCallAction(r)
    this.#emit(undefined)
    return this.#stage[kCallResult](from, r)
  }

  #admin(r: AdminRequest): unknown {
    switch (r.$stageAdmin) {
      case 'subscribe':
        return this.#consumer.subscribe(r.opts)
      case 'resubscribe':
        return this.#consumer.resubscribe(r.from, r.reason, r.opts)
      case 'buffered':
        return this.#asProducer().buffered
      case 'demand':
        return this.#asProducer().demand(r.mode)
    }
  }

  /** The producer side, for a client function only a producer answers. @throws ERR_STAGE_NOT_A_PRODUCER */
  #asProducer(): StageProducer<E> {
    if (this.#producer === null) throw makeError('ERR_STAGE_NOT_A_PRODUCER', this.#stage.self.toString())
    return this.#producer
  }
}

/**
 * A stage's rule for handleCall's actions, checked before any event goes out: ignore() is a bad
 * return, and so is a `next` asking for a continue or a timeout (only `hibernate`, a no-op as in
 * Server, means anything to a stage).
 */
function checkCallAction(action: ServerAction): void {
  if (action[kAction] === 'ignore') throw makeError('ERR_BAD_RETURN_VALUE', 'handleCall', 'ignore()')
  if (action[kAction] !== 'reply' && action[kAction] !== 'noreply') return
  const next = action.next
  if (next !== undefined && ('continue' in next || next.timeout !== undefined)) {
    throw makeError('ERR_BAD_RETURN_VALUE', 'handleCall', `${action[kAction] === 'reply' ? 'replyWith' : 'noreply'}(..., { continue | timeout }): a Stage has no handleContinue or idle timeout`)
  }
}
