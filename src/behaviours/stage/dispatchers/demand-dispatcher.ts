/**
 * DemandDispatcher: GenStage's default dispatcher (STG-R17). Each batch of events goes to the
 * consumer with the highest outstanding demand, as many as it asked for, then to the next one;
 * what nobody asked for goes back to the producer's buffer.
 *
 * The idea: consumers form one list sorted by outstanding demand, highest first (ties keep the
 * order they reached that demand in). A dispatch takes the head, gives it up to its demand,
 * puts it back in sorted place, and stops at the first consumer with no demand.
 *
 *   consumers (demand)     dispatch [a b c d e f g]        after
 *   c1 5, c3 3, c2 0       c1 ◀ a b c d e,  c3 ◀ f g       c3 1, c1 0, c2 0   leftover: none
 *
 *   call             effect on the list                      upstream demand returned
 *   subscribe        appended with demand 0                  0
 *   ask(n, c)        c's demand + n, re-sorted               n, less what pending already covers
 *   cancel(c)        removed; its demand joins `pending`     0
 *
 * `pending` is demand the producer was asked for on behalf of consumers that have left
 * (STG-R15): events for it are still coming, so later asks are served from it first instead
 * of asking upstream again.
 *
 * Greedy consumers: every consumer is expected to ask at most `maxDemand` (an option, or else
 * the first ask seen). An ask above it is served, and reported as a `greedy_consumer` warning.
 *
 * `shuffleDemandsOnFirstDispatch` randomises the order of equal demands before the first
 * dispatch, so the consumer that subscribed first is not always the one served first. (GenStage
 * shuffles regardless of demand, which can put a consumer with no demand at the head and end
 * that dispatch early; here the highest demand still goes first.)
 */
import type { Pid } from '../../../core/pid.ts'
import { makeError } from '../../../core/errors.ts'
import { checkOptionKeys } from '../../../core/option-keys.ts'
import {
  NONE, checkAsk, demandOnly,
  type DemandStep, type Delivery, type Dispatcher, type DispatchStep, type DispatcherWarning, type InfoPlacement,
  type SubscribeOptions, type SubscriptionKey,
} from './dispatcher.ts'

/**
 * What `new DemandDispatcher(options)` takes; all optional. Unknown keys fail
 * `ERR_UNKNOWN_OPTION`, wrong types `ERR_INVALID_ARG_TYPE`, a `maxDemand` that is not a positive
 * integer `ERR_INVALID_ARG_VALUE`.
 */
export interface DemandDispatcherOptions {
  /** Shuffle consumers with equal demand before the first dispatch (default false). */
  readonly shuffleDemandsOnFirstDispatch?: boolean
  /** The largest ask expected from a consumer (default: the first ask seen). */
  readonly maxDemand?: number
  /** Random numbers in [0, 1) for the shuffle (default Math.random); pass a seeded one to replay a run. */
  readonly random?: () => number
}

const KNOWN = ['shuffleDemandsOnFirstDispatch', 'maxDemand', 'random'] as const

interface Entry<K> {
  readonly sub: K
  readonly consumer: Pid
  demand: number
}

/**
 * Sends each batch to the consumer with the highest demand (GenStage.DemandDispatcher).
 *
 * Gotchas: all consumers should ask the same max demand, or the greedy one gets more than its
 * share. Keys are compared as Map keys (see SubscriptionKey).
 *
 * @example
 * const d = new DemandDispatcher<number, string>()
 * d.subscribe('a', {}, pidA); d.ask(3, 'a').demand      // 3: serve 3 upstream
 * d.dispatch([1, 2, 3, 4])                              // deliveries [{ sub: 'a', events: [1, 2, 3] }], leftover [4]
 * @throws ERR_UNKNOWN_OPTION, ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE (options)
 * @inlineType SubscribeOptions
 */
export class DemandDispatcher<E, K = SubscriptionKey> implements Dispatcher<E, K> {
  /** Highest demand first; equal demands in the order they got there. */
  readonly #order: Entry<K>[] = []
  readonly #bySub = new Map<K, Entry<K>>()
  #pending = 0
  #maxDemand: number | undefined
  #shuffle: boolean
  readonly #random: () => number

  constructor(options: DemandDispatcherOptions = {}) {
    checkOptionKeys('DemandDispatcher', options, KNOWN)
    const { shuffleDemandsOnFirstDispatch = false, maxDemand, random = Math.random } = options
    if (typeof shuffleDemandsOnFirstDispatch !== 'boolean') {
      throw makeError('ERR_INVALID_ARG_TYPE', 'shuffleDemandsOnFirstDispatch', 'a boolean', shuffleDemandsOnFirstDispatch)
    }
    if (maxDemand !== undefined && (!Number.isSafeInteger(maxDemand) || maxDemand <= 0)) {
      throw makeError('ERR_INVALID_ARG_VALUE', 'maxDemand', 'a positive integer', maxDemand)
    }
    if (typeof random !== 'function') throw makeError('ERR_INVALID_ARG_TYPE', 'random', 'a function', random)
    this.#shuffle = shuffleDemandsOnFirstDispatch
    this.#maxDemand = maxDemand
    this.#random = random
  }

  /** Demand already asked upstream for consumers that have since left. */
  get pending(): number {
    return this.#pending
  }

  /** The max demand asks are checked against (undefined until the first ask, unless set). */
  get maxDemand(): number | undefined {
    return this.#maxDemand
  }

  /** Outstanding demand per consumer, in the order the next dispatch serves them. */
  demands(): Array<{ sub: K; demand: number }> {
    return this.#order.map((e) => ({ sub: e.sub, demand: e.demand }))
  }

  subscribe(sub: K, _opts: SubscribeOptions, consumer: Pid): number {
    if (this.#bySub.has(sub)) throw makeError('ERR_STAGE_DUPLICATE_SUBSCRIPTION', 'DemandDispatcher', sub)
    const entry: Entry<K> = { sub, consumer, demand: 0 }
    this.#bySub.set(sub, entry)
    this.#order.push(entry)
    return 0
  }

  cancel(sub: K): DemandStep<E, K> {
    const entry = this.#take(sub)
    this.#bySub.delete(sub)
    this.#pending += entry.demand
    return demandOnly(0)
  }

  ask(n: number, sub: K): DemandStep<E, K> {
    checkAsk(n)
    const entry = this.#take(sub)
    const max = (this.#maxDemand ??= n)
    const warnings: readonly DispatcherWarning<K>[] = n > max
      ? [{ type: 'greedy_consumer', sub, consumer: entry.consumer, maxDemand: max, asked: n }]
      : NONE
    entry.demand += n
    this.#insert(entry)
    // Events for a departed consumer's demand are still on their way: they serve this ask.
    const covered = Math.min(this.#pending, n)
    this.#pending -= covered
    return { demand: n - covered, deliveries: NONE, infos: NONE, warnings }
  }

  dispatch(events: readonly E[]): DispatchStep<E, K> {
    if (this.#shuffle) this.#shuffleOnce()
    const deliveries: Delivery<E, K>[] = []
    let at = 0
    while (at < events.length) {
      const head = this.#order[0]
      if (head === undefined || head.demand === 0) break
      const take = Math.min(head.demand, events.length - at)
      deliveries.push({ sub: head.sub, events: events.slice(at, at + take) })
      at += take
      head.demand -= take
      this.#order.shift()
      this.#insert(head)
    }
    return { deliveries, leftover: events.slice(at), recredits: NONE }
  }

  info(_message: unknown): InfoPlacement {
    return 'now'
  }

  /** Remove `sub`'s entry from the order and return it. @throws ERR_STAGE_UNKNOWN_SUBSCRIPTION */
  #take(sub: K): Entry<K> {
    const entry = this.#bySub.get(sub)
    if (entry === undefined) throw makeError('ERR_STAGE_UNKNOWN_SUBSCRIPTION', 'DemandDispatcher', sub)
    this.#order.splice(this.#order.indexOf(entry), 1)
    return entry
  }

  /** Put `entry` before the first consumer with strictly less demand: equal demands stay first come, first served. */
  #insert(entry: Entry<K>): void {
    const i = this.#order.findIndex((e) => e.demand < entry.demand)
    if (i === -1) this.#order.push(entry)
    else this.#order.splice(i, 0, entry)
  }

  /**
   * GenStage shuffles the whole list, which can put a consumer with no demand at the head and
   * stop that dispatch early. We shuffle, then stable-sort by demand: ties come out in random
   * order and the highest demand still goes first.
   */
  #shuffleOnce(): void {
    this.#shuffle = false
    const order = this.#order
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(this.#random() * (i + 1))
      const a = order[i] as Entry<K>
      order[i] = order[j] as Entry<K>
      order[j] = a
    }
    order.sort((x, y) => y.demand - x.demand)
  }
}
