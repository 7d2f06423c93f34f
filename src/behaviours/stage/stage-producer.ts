/**
 * A Stage's producer side (a producer, a producer_consumer): its consumers, its dispatcher, its
 * demand mode and its buffer. Split out of stage.ts (one file per side, so each reads alone):
 * the engine (stage-engine.ts) hands this side the messages for a producer and the events the
 * callbacks emit; this side calls the Stage's callbacks, and `produce(n)` for demand it cannot
 * serve from the buffer.
 *
 *   consumer ──subscribe──▶ onSubscribe: handleSubscribe, dispatcher.subscribe, monitor
 *   consumer ──ask n─────▶ onAsk: held while accumulating (STG-R12), else dispatcher.ask ──▶
 *                          deliveries, infos now due, demand d: d from the buffer first, the
 *                          rest by produce (handleDemand, or a producer_consumer's upstream) (STG-R10)
 *   engine ──emit(events)▶ dispatcher.dispatch ──▶ deliveries; leftover to the buffer (STG-R11);
 *                          recredits come back as asks to self
 *   engine ──info(msg)───▶ behind the buffered events, then the dispatcher's; due: dueInfos (STG-R14)
 *   consumer ──cancel / DOWN──▶ consumerLeft: handleCancel, dispatcher.cancel
 */
import type { Settle } from '../../core/process-context.ts'
import type { Pid, Ref } from '../../core/pid.ts'
import { makeError } from '../../core/errors.ts'
import type { ProcessBase } from '../process-base.ts'
import { emitReport } from '../reports.ts'
import { DemandDispatcher } from './dispatchers/demand-dispatcher.ts'
import { StageBuffer } from './buffer.ts'
import type { DemandStep, Dispatcher, DispatchStep } from './dispatchers/dispatcher.ts'
import type { CancelReason, ConsumerFrom, ToProducer } from './protocol.ts'

/** The Stage as its producer side calls it: the process, and the callbacks a subclass overrides. */
export type ProducerStage = ProcessBase & {
  handleSubscribe(role: 'consumer', opts: Readonly<Record<string, unknown>>, from: ConsumerFrom): 'automatic' | 'manual'
  handleCancel(why: CancelReason, from: ConsumerFrom): void
  formatDiscarded(n: number): boolean
}

/** The producer options of a StageSpec (see StageSpec for their meaning and defaults). */
export interface ProducerOptions<E> {
  readonly dispatcher?: Dispatcher<E, number>
  readonly demand?: 'forward' | 'accumulate'
  readonly bufferSize?: number
  readonly bufferKeep?: 'first' | 'last'
}

/** One consumer of this producer. */
interface Subscriber {
  readonly consumer: Pid
  readonly tag: Ref
  readonly monitor: Ref
}

export class StageProducer<E> {
  readonly #stage: ProducerStage
  readonly #type: 'producer' | 'producer_consumer'
  readonly #dispatcher: Dispatcher<E, number>
  /** Demand the buffer could not serve: handleDemand (a producer) or the upstream events (a producer_consumer). */
  readonly #produce: (n: number) => Settle
  #accumulating: boolean
  /** Asks held while accumulating, replayed in order by demand('forward'). */
  #heldAsks: ToProducer[] = []
  /** Events nobody could take yet, and infos waiting behind them. */
  readonly #buffer: StageBuffer<E>
  /** Consumers by tag key. */
  readonly #consumers = new Map<number, Subscriber>()
  /** Monitor ref key → tag key of the consumer it watches. */
  readonly #monitors = new Map<number, number>()
  /**
   * syncInfo/asyncInfo messages now due, handed to handleInfo by the Stage once the current
   * message is done (GenStage's dispatcher sends them to self): never from inside a dispatch, so
   * the events handleInfo returns or emits go through the Stage like any callback's, and its
   * Promise is awaited.
   */
  readonly dueInfos: unknown[] = []

  constructor(stage: ProducerStage, type: 'producer' | 'producer_consumer', opts: ProducerOptions<E>, produce: (n: number) => Settle) {
    this.#stage = stage
    this.#type = type
    this.#produce = produce
    this.#dispatcher = opts.dispatcher ?? new DemandDispatcher<E, number>()
    this.#accumulating = opts.demand === 'accumulate'
    this.#buffer = new StageBuffer(opts.bufferSize ?? (type === 'producer' ? 10_000 : Infinity), opts.bufferKeep ?? 'last')
  }

  /** Events waiting in the buffer. */
  get buffered(): number {
    return this.#buffer.length
  }

  /** Events dropped because the buffer was full. */
  get discarded(): number {
    return this.#buffer.discarded
  }

  /** Whether `key` is the tag of one of this producer's consumers. */
  hasConsumer(key: number): boolean {
    return this.#consumers.has(key)
  }

  /** The tag key of the consumer that monitor `refKey` watches, if it is one of this side's. */
  tagOf(refKey: number): number | undefined {
    return this.#monitors.get(refKey)
  }

  onSubscribe(consumer: Pid, tag: Ref, opts: Readonly<Record<string, unknown>>): Settle {
    const stage = this.#stage
    const refuse = (reason: unknown): void => stage.send(consumer, { $stage: 'cancelled', producer: stage.self, tag, reason })
    if (this.#consumers.has(tag.key)) return refuse('duplicated_subscription')
    const from: ConsumerFrom = { consumer, tag }
    if (stage.handleSubscribe('consumer', opts, from) === 'manual') {
      throw makeError('ERR_BAD_RETURN_VALUE', 'handleSubscribe (a producer may only be automatic)', 'manual')
    }
    let demand: number
    try {
      demand = this.#dispatcher.subscribe(tag.key, opts, consumer)
    } catch (error) {
      const code = (error as { code?: unknown }).code
      return refuse(code === 'ERR_STAGE_ALREADY_SUBSCRIBED' ? 'already_subscribed' : error)
    }
    const monitor = stage.monitor(consumer)
    this.#consumers.set(tag.key, { consumer, tag, monitor })
    this.#monitors.set(monitor.key, tag.key)
    return demand > 0 ? this.#serve(demand) : undefined
  }

  onAsk(m: Extract<ToProducer, { $stage: 'ask' }>): Settle {
    if (!this.#consumers.has(m.tag.key)) {
      this.#stage.send(m.consumer, { $stage: 'cancelled', producer: this.#stage.self, tag: m.tag, reason: 'unknown_subscription' })
      return
    }
    if (this.#accumulating) {
      this.#heldAsks.push(m)
      return
    }
    return this.#step(this.#dispatcher.ask(m.n, m.tag.key))
  }

  /** A consumer cancelled or went down. */
  consumerLeft(key: number, why: CancelReason): Settle {
    const c = this.#consumers.get(key)
    if (c === undefined) return
    const stage = this.#stage
    this.#consumers.delete(key)
    this.#monitors.delete(c.monitor.key)
    stage.demonitor(c.monitor, { flush: true })
    // A cancel is answered with a cancel, so the consumer runs its own cancel handling too.
    if (why.kind === 'cancel') stage.send(c.consumer, { $stage: 'cancelled', producer: stage.self, tag: c.tag, reason: why.reason })
    stage.handleCancel(why, { consumer: c.consumer, tag: c.tag })
    return this.#step(this.#dispatcher.cancel(key))
  }

  /** Events a callback emitted (the Stage has gathered them): held while accumulating, else dispatched. */
  emit(events: E[]): void {
    if (this.#accumulating) this.#store(events)
    else this.#dispatch(events)
  }

  /** STG-R12: switch to `mode` ('accumulate': a pure producer only); 'forward' replays the held asks. */
  demand(mode: 'forward' | 'accumulate' | undefined): 'forward' | 'accumulate' {
    if (mode === 'accumulate' && this.#type === 'producer') this.#accumulating = true
    if (mode === 'forward' && this.#accumulating) {
      this.#accumulating = false
      // Replay what was held, in arrival order: the asks come back as messages to self.
      for (const ask of this.#heldAsks) this.#stage.send(this.#stage.self, ask)
      this.#heldAsks = []
    }
    return this.#accumulating ? 'accumulate' : 'forward'
  }

  /** STG-R14: syncInfo/asyncInfo: held behind the buffered events, if any. */
  info(message: unknown): void {
    if (!this.#buffer.mark(message)) this.placeInfo(message)
  }

  /** Past the buffer: the dispatcher may still hold events ahead of it (partitions), else it is due now. */
  placeInfo(message: unknown): void {
    if (this.#dispatcher.info(message) === 'now') this.dueInfos.push(message)
  }

  /** Make a dispatcher step's deliveries, hand its infos to handleInfo, serve its demand. */
  #step(step: DemandStep<E, number>): Settle {
    for (const d of step.deliveries) this.#deliver(d.sub, d.events)
    for (const info of step.infos) this.dueInfos.push(info)
    return step.demand > 0 ? this.#serve(step.demand) : undefined
  }

  /** STG-R10: upstream demand `n`: from the buffer first, the rest from handleDemand (or, for a producer_consumer, upstream events). */
  #serve(n: number): Settle {
    const fromBuffer = Math.min(n, this.#buffer.length)
    if (fromBuffer > 0) {
      this.#dispatch(this.#buffer.take(fromBuffer))
      for (const info of this.#buffer.due()) this.placeInfo(info)
    }
    const rest = n - fromBuffer
    if (rest <= 0) return
    return this.#produce(rest)
  }

  #dispatch(events: E[]): void {
    const step: DispatchStep<E, number> = this.#dispatcher.dispatch(events)
    for (const d of step.deliveries) this.#deliver(d.sub, d.events)
    if (step.leftover.length > 0) this.#store(step.leftover)
    for (const r of step.recredits) {
      const c = this.#consumers.get(r.sub)
      if (c !== undefined) this.#stage.send(this.#stage.self, { $stage: 'ask', consumer: c.consumer, tag: c.tag, n: r.n } satisfies ToProducer)
    }
  }

  #deliver(key: number, events: readonly E[]): void {
    const c = this.#consumers.get(key)
    if (c !== undefined && events.length > 0) this.#stage.send(c.consumer, { $stage: 'events', producer: this.#stage.self, tag: c.tag, events })
  }

  /** STG-R11: keep what nobody can take (bufferSize, keep first or last), reporting what is dropped. */
  #store(events: readonly E[]): void {
    const dropped = this.#buffer.store(events)
    for (const info of this.#buffer.due()) this.placeInfo(info)
    if (dropped > 0 && this.#stage.formatDiscarded(dropped)) {
      emitReport(this.#stage, { type: 'report', kind: 'stage', stage: this.#stage.self, event: 'discarded', count: dropped })
    }
  }
}
