/**
 * Stage dispatchers: how a producer shares its events among its consumers (GenStage's
 * Dispatcher behaviour), as pure, synchronous state machines. A dispatcher sends nothing and
 * owns no process: the Stage that drives it does what each call returns.
 *
 * The idea: a producer never emits more than its consumers asked for. A consumer's ask goes to
 * the dispatcher, which turns it into the *upstream demand* the producer must serve, from its
 * buffer first and then through handleDemand (STG-R10). The events the producer emits come
 * back through dispatch, which says who gets which and hands back those nobody can take yet;
 * the producer buffers them (STG-R11).
 *
 *   at the stage                    dispatcher call              then the stage
 *   a consumer subscribes           subscribe(sub, opts, pid)    serves the returned demand (0 for these three)
 *   a consumer asks n               ask(n, sub)          ─┐      makes step.deliveries, then treats step.infos
 *   a consumer cancels, or DOWN     cancel(sub)          ─┘      as syncInfo messages now due, reports
 *                                                                step.warnings, serves step.demand
 *   a callback returned events      dispatch(events)             makes the deliveries in order, buffers the
 *   (or events leave the buffer)                                 leftover, posts each recredit to itself as an
 *                                                                ask(n, sub) from that consumer
 *   syncInfo / asyncInfo            info(msg)                    'now': msg is due at once; 'queued': it comes
 *                                                                back later in an ask or cancel step's infos
 *
 *   consumer ──ask n──▶ stage ──ask(n, sub)──▶ dispatcher ──demand d──▶ stage: d from buffer, rest to handleDemand
 *   handleDemand ──events──▶ stage ──dispatch(events)──▶ dispatcher ──deliveries──▶ consumers
 *                                                                   └─leftover──▶ stage buffer
 *
 * Three dispatchers, each in its own file: DemandDispatcher (the default: the highest demand
 * first, STG-R17), BroadcastDispatcher (every event to every consumer, at the slowest one's
 * pace, STG-R18), PartitionDispatcher (one consumer per partition, picked by a hash of the
 * event, STG-R19).
 *
 * Contract for the stage (what GenStage's producer guarantees its dispatcher):
 * - MUST call ask and cancel only with a key it subscribed and has not cancelled (anything else
 *   throws ERR_STAGE_UNKNOWN_SUBSCRIPTION: the stage answers an unknown ask itself, STG-R4);
 * - MUST pass every event it emits through dispatch, also events taken from its buffer, and also
 *   when no consumer is subscribed (they all come back as leftover): BroadcastDispatcher counts
 *   them against the demand it asked for;
 * - SHOULD run a recredit as a message to itself, after the current one, as GenStage does; a
 *   recredit for a subscription cancelled in between is dropped.
 */
import type { Pid } from '../../../core/pid.ts'
import { makeError } from '../../../core/errors.ts'

/**
 * The stage's handle on one subscription (its tag). Compared as a Map key (SameValueZero):
 * pass the same value every time (a primitive, or the stage's own record of the subscription;
 * two Ref objects with equal fields are different keys).
 */
export type SubscriptionKey = unknown

/** A consumer's subscription options as the dispatcher sees them; each reads only its own keys. */
export type SubscribeOptions = Readonly<Record<string, unknown>>

/** Events for one consumer, to send as one `$gen_consumer` message. */
export interface Delivery<E, K = SubscriptionKey> {
  readonly sub: K
  readonly events: readonly E[]
}

/** Demand to credit back to a consumer: events a Broadcast selector filtered out of its share. */
export interface Recredit<K = SubscriptionKey> {
  readonly sub: K
  readonly n: number
}

/** DemandDispatcher: a consumer asked for more than the expected max demand (greedy consumers get overloaded). */
export interface GreedyConsumerWarning<K = SubscriptionKey> {
  readonly type: 'greedy_consumer'
  readonly sub: K
  readonly consumer: Pid
  readonly maxDemand: number
  readonly asked: number
}

export type DispatcherWarning<K = SubscriptionKey> = GreedyConsumerWarning<K>

/** What ask and cancel hand back. */
export interface DemandStep<E, K = SubscriptionKey> {
  /** Upstream demand the producer must serve now (0 if none): from its buffer first, the rest through handleDemand. */
  readonly demand: number
  /** Events the dispatcher had queued and hands out now, in order (PartitionDispatcher). Make them before handling infos. */
  readonly deliveries: readonly Delivery<E, K>[]
  /** Info messages now due at the stage's own handleInfo, oldest first (PartitionDispatcher). */
  readonly infos: readonly unknown[]
  /** Things to report, never to throw for (DemandDispatcher's greedy consumer). */
  readonly warnings: readonly DispatcherWarning<K>[]
}

/** What dispatch hands back. */
export interface DispatchStep<E, K = SubscriptionKey> {
  /** Make these in order; a consumer appears at most once. */
  readonly deliveries: readonly Delivery<E, K>[]
  /** Events no consumer could take (no demand): the producer buffers them, in order. */
  readonly leftover: E[]
  /** BroadcastDispatcher selectors: ask(n, sub) again for each, as if the consumer had asked. */
  readonly recredits: readonly Recredit<K>[]
}

/** Whether an info message is due now, or waits behind events the dispatcher holds (STG-R14). */
export type InfoPlacement = 'now' | 'queued'

/**
 * A dispatcher as a Stage drives it. One instance serves one producer; calls are synchronous
 * and never reenter.
 * @inlineType SubscribeOptions
 */
export interface Dispatcher<E, K = SubscriptionKey> {
  /**
   * A consumer subscribed with these options. Returns new upstream demand (0 for the built-in
   * dispatchers).
   * @throws ERR_STAGE_DUPLICATE_SUBSCRIPTION, and the dispatcher's own option errors
   */
  subscribe(sub: K, opts: SubscribeOptions, consumer: Pid): number
  /** A consumer left (cancel or DOWN). @throws ERR_STAGE_UNKNOWN_SUBSCRIPTION */
  cancel(sub: K): DemandStep<E, K>
  /** A consumer asked for n (a positive integer) more events. @throws ERR_STAGE_UNKNOWN_SUBSCRIPTION, ERR_INVALID_ARG_VALUE */
  ask(n: number, sub: K): DemandStep<E, K>
  /** Hand out events the producer emitted (or took from its buffer). */
  dispatch(events: readonly E[]): DispatchStep<E, K>
  /** A syncInfo/asyncInfo message: due now, or queued behind events the dispatcher holds. */
  info(message: unknown): InfoPlacement
}

/** Shared empty list for steps that carry nothing (never mutated). */
export const NONE: readonly never[] = Object.freeze([])

/** A step that only carries upstream demand. */
export function demandOnly<E, K>(demand: number): DemandStep<E, K> {
  return { demand, deliveries: NONE, infos: NONE, warnings: NONE }
}

/** Demand from a consumer is a positive integer (GenStage never passes 0). @throws ERR_INVALID_ARG_VALUE */
export function checkAsk(n: number): void {
  if (!Number.isSafeInteger(n) || n <= 0) throw makeError('ERR_INVALID_ARG_VALUE', 'the asked demand', 'a positive integer', n)
}

