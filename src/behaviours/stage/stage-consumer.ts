/**
 * A Stage's consumer side (a consumer, a producer_consumer): its subscriptions to producers,
 * the asks that keep each one's demand between min and max (STG-R6), and how a subscription
 * ends (STG-R5, STG-R9). For a producer_consumer it is also the gate between upstream and
 * downstream: upstream events wait until the producer side has demand for them (the
 * allowance), and the infos and cancels that arrived behind them wait their turn (STG-R14,
 * STG-R16). Split out of stage.ts (one file per side, so each reads alone): the engine
 * (stage-engine.ts) routes the consumer's messages here, and runs handleEvents for it (`handle`),
 * emitting what it returns.
 *
 *   producer ──events──▶ onEvents ──(producer_consumer: waiting, until allowance)──▶ batches
 *            ◀──ask─────  of max - min, each through handle; once the demand still out is
 *                         down to min, ask up to max again
 *   producer ──cancelled / DOWN──▶ ended: handleCancel, then the cancel mode
 */
import type { Settle } from '../../core/process-context.ts'
import { isCleanReason } from '../../core/exit.ts'
import type { Pid, Ref } from '../../core/pid.ts'
import { makeError } from '../../core/errors.ts'
import { isThenable } from '../../core/thenable.ts'
import type { ProcessBase } from '../process-base.ts'
import {
  openSubscription,
  type CancelMode, type CancelReason, type SubscribeOptions, type SubscriptionFrom, type ToProducer,
} from './protocol.ts'

/** The Stage as its consumer side calls it: the process, and what a subclass may override (ask and stop too). */
export type ConsumerStage = ProcessBase & {
  handleSubscribe(role: 'producer', opts: Readonly<Record<string, unknown>>, from: SubscriptionFrom): 'automatic' | 'manual'
  handleCancel(why: CancelReason, from: SubscriptionFrom): void
  ask(from: SubscriptionFrom, n: number): void
}

/** One subscription of this consumer to a producer. */
interface Subscription {
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
  | { readonly events: E[]; readonly sub: Subscription }
  | { readonly info: unknown }
  | { readonly cancel: CancelReason; readonly sub: Subscription }

export class StageConsumer<E> {
  readonly #stage: ConsumerStage
  readonly #type: 'producer' | 'consumer' | 'producer_consumer'
  /** handleEvents, with what it returns emitted by the Stage. */
  readonly #handle: (events: E[], from: SubscriptionFrom) => Settle
  /** producer_consumer: an info that waited here goes on to the producer side. */
  readonly #placeInfo: (message: unknown) => void
  /** Producers by tag key. */
  readonly #producers = new Map<number, Subscription>()
  /** Monitor ref key → tag key of the subscription it watches. */
  readonly #monitors = new Map<number, number>()
  /** producer_consumer: events still allowed downstream, and upstream batches waiting for it. */
  #allowance = 0
  readonly #waiting: Waiting<E>[] = []

  constructor(
    stage: ConsumerStage,
    type: 'producer' | 'consumer' | 'producer_consumer',
    handle: (events: E[], from: SubscriptionFrom) => Settle,
    placeInfo: (message: unknown) => void,
  ) {
    this.#stage = stage
    this.#type = type
    this.#handle = handle
    this.#placeInfo = placeInfo
  }

  /** The tag key of the subscription that monitor `refKey` watches, if it is one of this side's. */
  tagOf(refKey: number): number | undefined {
    return this.#monitors.get(refKey)
  }

  /** Subscribe to `opts.to` and, unless handleSubscribe says 'manual', ask maxDemand. @throws ERR_STAGE_NOT_A_CONSUMER, ERR_STAGE_BAD_OPTS */
  subscribe(opts: SubscribeOptions): SubscriptionFrom {
    const stage = this.#stage
    if (this.#type === 'producer') throw makeError('ERR_STAGE_NOT_A_CONSUMER', stage.self.toString())
    const { from, monitor, demand, sent } = openSubscription(stage, opts)
    const sub: Subscription = { from, monitor, min: demand.min, max: demand.max, cancel: demand.cancel, manual: false, pending: 0 }
    this.#producers.set(from.tag.key, sub)
    this.#monitors.set(monitor.key, from.tag.key)
    if (!sent) return from
    sub.manual = stage.handleSubscribe('producer', demand.dispatcherOpts, from) === 'manual'
    if (!sub.manual) stage.ask(from, demand.max)
    return from
  }

  /**
   * STG-R5: the old subscription ends with `reason` (handleCancel runs, its cancel mode does not
   * apply: the consumer is moving, not losing its producer), then the new one starts.
   */
  resubscribe(old: SubscriptionFrom, reason: unknown, opts: SubscribeOptions): SubscriptionFrom {
    const sub = this.#producers.get(old.tag.key)
    if (sub !== undefined) {
      const stage = this.#stage
      this.#producers.delete(old.tag.key)
      this.#monitors.delete(sub.monitor.key)
      stage.demonitor(sub.monitor, { flush: true })
      stage.send(sub.from.producer, { $stage: 'cancel', consumer: stage.self, tag: sub.from.tag, reason } satisfies ToProducer)
      stage.handleCancel({ kind: 'cancel', reason }, sub.from)
    }
    return this.subscribe(opts)
  }

  /** Ask the producer of `from` for `n` more events (nothing if the subscription is gone). */
  ask(from: SubscriptionFrom, n: number): void {
    const sub = this.#producers.get(from.tag.key)
    if (sub === undefined) return
    sub.pending += n
    this.#stage.send(from.producer, { $stage: 'ask', consumer: this.#stage.self, tag: from.tag, n } satisfies ToProducer)
  }

  /** STG-R6: events for a consumer, in batches of max - min, asking again whenever demand falls to min. */
  onEvents(producer: Pid, tag: Ref, events: E[]): Settle {
    const sub = this.#producers.get(tag.key)
    if (sub === undefined) {
      // STG-R4: events for a subscription this stage does not have: tell their producer (a pure
      // producer has no subscriptions of its own and ignores them).
      if (this.#type !== 'producer') {
        this.#stage.send(producer, { $stage: 'cancel', consumer: this.#stage.self, tag, reason: 'unknown_subscription' } satisfies ToProducer)
      }
      return
    }
    if (this.#type === 'producer_consumer') {
      this.#waiting.push({ events, sub })
      return this.#drain()
    }
    return this.#handleBatches(events, sub)
  }

  /** producer_consumer: downstream asked for `n` more than the buffer held; let that many upstream events through. */
  allow(n: number): Settle {
    this.#allowance += n
    return this.#drain()
  }

  /** producer_consumer: `n` events went downstream (or to the buffer). */
  spend(n: number): void {
    this.#allowance = Math.max(0, this.#allowance - n)
  }

  /** STG-R14: a producer_consumer holds an info behind the upstream events still waiting; false if none are. */
  holdInfo(message: unknown): boolean {
    if (this.#type !== 'producer_consumer' || this.#waiting.length === 0) return false
    this.#waiting.push({ info: message })
    return true
  }

  /** A subscription ended (a 'cancelled' from its producer, or its DOWN). */
  ended(key: number, why: CancelReason): Settle {
    const sub = this.#producers.get(key)
    if (sub === undefined) return
    this.#producers.delete(key)
    this.#monitors.delete(sub.monitor.key)
    this.#stage.demonitor(sub.monitor, { flush: true })
    // STG-R16: a producer_consumer handles the events queued before the cancel first.
    if (this.#type === 'producer_consumer' && this.#waiting.length > 0) {
      this.#waiting.push({ cancel: why, sub })
      return
    }
    this.#cancelled(sub, why)
  }

  #handleBatches(events: E[], sub: Subscription): Settle {
    if (sub.manual) return this.#handle(events, sub.from)
    const size = sub.max - sub.min
    let at = 0
    const next = (): Settle => {
      while (at < events.length) {
        const batch = at === 0 && events.length <= size ? events : events.slice(at, at + size)
        at += batch.length
        const result = this.#handle(batch, sub.from)
        const after = (): void => this.#consumed(sub, batch.length)
        if (isThenable(result)) return result.then(() => { after(); return next() })
        after()
      }
    }
    return next()
  }

  /** A batch is handled: refill demand up to max once it is down to min. */
  #consumed(sub: Subscription, n: number): void {
    sub.pending = Math.max(0, sub.pending - n)
    if (sub.pending <= sub.min && this.#producers.has(sub.from.tag.key)) this.#stage.ask(sub.from, sub.max - sub.pending)
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

  /** handleCancel, then the cancel mode (STG-R9); true when it stops the stage. */
  #cancelled(sub: Subscription, why: CancelReason): boolean {
    this.#stage.handleCancel(why, sub.from)
    // already_subscribed never stops the consumer.
    const reason = why.reason
    if (reason === 'already_subscribed' || sub.cancel === 'temporary') return false
    if (sub.cancel === 'transient' && isCleanReason(reason)) return false
    this.#stage.stop(reason)
    return true
  }
}
