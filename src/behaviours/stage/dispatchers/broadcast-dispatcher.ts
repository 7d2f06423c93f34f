/**
 * BroadcastDispatcher: every event goes to every consumer, never beyond any consumer's demand
 * (STG-R18). The pace is the slowest consumer's.
 *
 * The idea: only the demand *all* consumers share can be served, so the dispatcher keeps the
 * minimum. Each consumer's demand is stored above that shared part: whenever an ask or a cancel
 * raises the minimum, the minimum moves from every consumer into `waiting` (events it may
 * broadcast now). `requested` is upstream demand asked and not yet answered by events; only
 * what `waiting` needs beyond it is asked upstream, so no demand is asked twice (consumers with
 * max 10 and 20 → upstream `ask 10`, once).
 *
 *   step                       c1    c2    waiting  requested  upstream demand
 *   c1 subscribes, asks 10     0     -     10       10         10
 *   c2 subscribes              10    0     0        10         0    (c2 has asked nothing: pause)
 *   c2 asks 20                 0     10    10       10         0    (10 are on their way)
 *   10 events dispatched       0     10    0        0          both consumers get all 10
 *
 * A new subscriber starts at 0, so broadcasting pauses until it asks (start the producer in
 * accumulate mode to line up a fixed set of consumers). Cancelling the slowest consumer can
 * raise the minimum, so cancel may return demand.
 *
 * Selectors: a subscription may pass `selector: (event) => truthy`. A consumer gets only the
 * events its selector keeps; the ones filtered out still used its demand, so dispatch returns
 * them as recredits, which the stage feeds back as asks from that consumer.
 *
 * One consumer (pid) may hold one subscription: a second one throws ERR_STAGE_ALREADY_SUBSCRIBED;
 * the stage cancels it with reason already_subscribed, which never stops the consumer (STG-R9).
 *
 * Unlike GenStage (which lowers `requested` only by the events it delivers): every event
 * dispatch sees lowers it, leftover included. A leftover event answered upstream demand too;
 * it waits in the producer's buffer, and the buffer is only drained by demand this dispatcher
 * returns. Counting only delivered events left `requested` expecting events that were already
 * buffered, so a later ask returned 0 and the buffered events were never sent (for example: c1
 * asks 10, c2 subscribes, the 10 events arrive and are buffered, c2 asks 10 → GenStage returns
 * 0 and both consumers wait for ever; here it returns 10, served from the buffer). Empty
 * deliveries (a selector kept nothing) are left out.
 */
import type { Pid } from '../../../core/pid.ts'
import { makeError } from '../../../core/errors.ts'
import { checkOptionKeys } from '../../../core/option-keys.ts'
import {
  NONE, checkAsk, demandOnly,
  type DemandStep, type Delivery, type Dispatcher, type DispatchStep, type InfoPlacement, type Recredit,
  type SubscribeOptions, type SubscriptionKey,
} from './dispatcher.ts'

/** Keeps the events a subscription wants (any truthy result keeps it). */
export type Selector<E> = (event: E) => unknown

interface Entry<E, K> {
  readonly sub: K
  readonly consumer: Pid
  readonly selector: Selector<E> | undefined
  /** Demand above the shared part already moved into `waiting`. */
  demand: number
}

/**
 * Sends every event to every consumer at the slowest consumer's pace (GenStage.BroadcastDispatcher).
 * Takes no options; subscriptions may pass `selector`.
 *
 * @example
 * const d = new BroadcastDispatcher<number, string>()
 * d.subscribe('a', {}, pidA); d.subscribe('b', { selector: (n: number) => n % 2 === 0 }, pidB)
 * d.ask(2, 'a').demand   // 0: b has asked nothing yet
 * d.ask(2, 'b').demand   // 2
 * d.dispatch([1, 2])     // a ◀ [1, 2], b ◀ [2], recredits [{ sub: 'b', n: 1 }]
 * @throws ERR_UNKNOWN_OPTION (any option)
 * @inlineType SubscribeOptions
 */
export class BroadcastDispatcher<E, K = SubscriptionKey> implements Dispatcher<E, K> {
  /** Subscription order; deliveries follow it. */
  readonly #subs = new Map<K, Entry<E, K>>()
  #waiting = 0
  #requested = 0

  constructor(options: Readonly<Record<string, never>> = {}) {
    checkOptionKeys('BroadcastDispatcher', options, [])
  }

  /** Events that may be broadcast now (every consumer has room for them). */
  get waiting(): number {
    return this.#waiting
  }

  /** Upstream demand asked and not yet answered by dispatched events. */
  get requested(): number {
    return this.#requested
  }

  /** Each consumer's demand above what `waiting` already covers, in subscription order. */
  demands(): Array<{ sub: K; demand: number }> {
    return [...this.#subs.values()].map((e) => ({ sub: e.sub, demand: e.demand }))
  }

  /** @throws ERR_STAGE_DUPLICATE_SUBSCRIPTION, ERR_STAGE_ALREADY_SUBSCRIBED, ERR_INVALID_ARG_TYPE (selector) */
  subscribe(sub: K, opts: SubscribeOptions, consumer: Pid): number {
    const selector = opts.selector ?? undefined
    if (selector !== undefined && typeof selector !== 'function') {
      throw makeError('ERR_INVALID_ARG_TYPE', 'selector', 'a function (event) => boolean', selector)
    }
    if (this.#subs.has(sub)) throw makeError('ERR_STAGE_DUPLICATE_SUBSCRIPTION', 'BroadcastDispatcher', sub)
    for (const e of this.#subs.values()) {
      if (e.consumer.equals(consumer)) throw makeError('ERR_STAGE_ALREADY_SUBSCRIBED', String(consumer))
    }
    // The newcomer has asked nothing, so nothing may be broadcast: hand the shared part back
    // to the others. `requested` stays: those events are still coming and will be needed.
    if (this.#waiting > 0) {
      for (const e of this.#subs.values()) e.demand += this.#waiting
      this.#waiting = 0
    }
    this.#subs.set(sub, { sub, consumer, selector: selector as Selector<E> | undefined, demand: 0 })
    return 0
  }

  cancel(sub: K): DemandStep<E, K> {
    this.#entry(sub)
    this.#subs.delete(sub)
    if (this.#subs.size === 0) {
      this.#waiting = 0
      return demandOnly(0)
    }
    // The one that left may have been the slowest: the minimum can rise.
    return demandOnly(this.#sync())
  }

  ask(n: number, sub: K): DemandStep<E, K> {
    checkAsk(n)
    this.#entry(sub).demand += n
    return demandOnly(this.#sync())
  }

  dispatch(events: readonly E[]): DispatchStep<E, K> {
    // Every event seen answers upstream demand, delivered or not (see "Unlike GenStage" above).
    this.#requested = Math.max(0, this.#requested - events.length)
    const take = Math.min(this.#waiting, events.length)
    if (take === 0) return { deliveries: NONE, leftover: events.slice(), recredits: NONE }
    this.#waiting -= take
    const now = events.slice(0, take)
    const deliveries: Delivery<E, K>[] = []
    const recredits: Recredit<K>[] = []
    for (const e of this.#subs.values()) {
      const selector = e.selector
      if (selector === undefined) {
        deliveries.push({ sub: e.sub, events: now })
        continue
      }
      const selected = now.filter((event) => selector(event))
      if (selected.length < now.length) recredits.push({ sub: e.sub, n: now.length - selected.length })
      if (selected.length > 0) deliveries.push({ sub: e.sub, events: selected })
    }
    return { deliveries, leftover: events.slice(take), recredits }
  }

  info(_message: unknown): InfoPlacement {
    return 'now'
  }

  #entry(sub: K): Entry<E, K> {
    const entry = this.#subs.get(sub)
    if (entry === undefined) throw makeError('ERR_STAGE_UNKNOWN_SUBSCRIPTION', 'BroadcastDispatcher', sub)
    return entry
  }

  /** Move the demand every consumer shares into `waiting`; return what must be asked upstream for it. */
  #sync(): number {
    let min = Infinity
    for (const e of this.#subs.values()) if (e.demand < min) min = e.demand
    if (min > 0 && min !== Infinity) {
      for (const e of this.#subs.values()) e.demand -= min
      this.#waiting += min
    }
    const request = Math.max(0, this.#waiting - this.#requested)
    this.#requested += request
    return request
  }
}
