/**
 * The stage protocol: the messages producers and consumers exchange (GenStage's $gen_producer
 * and $gen_consumer, with the same meaning), the subscription options, and their checks.
 *
 *   consumer ──{$stage:'subscribe', consumer, tag, opts}──▶ producer     (then asks)
 *   consumer ──{$stage:'ask', consumer, tag, n}──────────▶ producer
 *   consumer ──{$stage:'cancel', consumer, tag, reason}──▶ producer
 *   producer ──{$stage:'events', producer, tag, events}──▶ consumer
 *   producer ──{$stage:'cancelled', producer, tag, reason}▶ consumer
 *
 * A subscription is named by its tag (a Ref the consumer makes) on both sides.
 */
import type { Address, Pid, Ref } from '../../core/pid.ts'
import { makeError } from '../../core/errors.ts'
import type { ProcessBase } from '../process-base.ts'

export type ToProducer =
  | { readonly $stage: 'subscribe'; readonly consumer: Pid; readonly tag: Ref; readonly opts: Readonly<Record<string, unknown>> }
  | { readonly $stage: 'ask'; readonly consumer: Pid; readonly tag: Ref; readonly n: number }
  | { readonly $stage: 'cancel'; readonly consumer: Pid; readonly tag: Ref; readonly reason: unknown }

export type ToConsumer<E = unknown> =
  | { readonly $stage: 'events'; readonly producer: Pid; readonly tag: Ref; readonly events: readonly E[] }
  | { readonly $stage: 'cancelled'; readonly producer: Pid; readonly tag: Ref; readonly reason: unknown }

export type StageMessage = ToProducer | ToConsumer

export const isStageMessage = (m: unknown): m is StageMessage =>
  typeof m === 'object' && m !== null && typeof (m as { $stage?: unknown }).$stage === 'string'

/**
 * What a consumer does when one of its subscriptions ends (GenStage's `cancel` option):
 * `'permanent'` stops it with the reason, `'transient'` stops it unless the reason is clean
 * (`'normal'`, `'shutdown'`, `{ shutdown: _ }`), `'temporary'` keeps it running.
 */
export type CancelMode = 'permanent' | 'transient' | 'temporary'

/** The call Stage.subscribe makes to a consumer (a Stage or a ConsumerSupervisor). */
export interface SubscribeRequest {
  readonly $stageAdmin: 'subscribe'
  readonly opts: SubscribeOptions
}

export const isSubscribeRequest = (r: unknown): r is SubscribeRequest =>
  typeof r === 'object' && r !== null && (r as { $stageAdmin?: unknown }).$stageAdmin === 'subscribe'

/**
 * How a consumer subscribes; keys other than these go to the producer's dispatcher (e.g.
 * `partition`, `selector`).
 *
 * Details: the consumer asks `maxDemand` at once; each events message is cut into batches of
 * at most `maxDemand - minDemand`, and once the demand still out is down to `minDemand` it asks
 * for the difference up to `maxDemand` again.
 *
 * Gotcha: dispatcher options that are functions (`selector`) only work when the consumer runs on
 * the producer's thread.
 *
 * @throws ERR_STAGE_BAD_OPTS (the subscribe fails) for a missing `to`, a `maxDemand` that is not
 *   an integer >= 1, a `minDemand` outside 0..maxDemand - 1, or an unknown `cancel`
 * @example
 * ```ts
 * await Stage.subscribe(node, consumer, { to: producer, maxDemand: 100, minDemand: 50, cancel: 'transient', partition: 0 })
 * ```
 */
export interface SubscribeOptions {
  /** The producer (a pid or a registered name). */
  readonly to: Address
  /** Most events asked for and not yet received (default 1000). */
  readonly maxDemand?: number
  /** Ask again once the demand still out is down to this (default floor(maxDemand / 2)). */
  readonly minDemand?: number
  /** What the consumer does when this subscription ends (default 'permanent': it stops with the reason). */
  readonly cancel?: CancelMode
  readonly [dispatcherOption: string]: unknown
}

/**
 * A consumer's handle on one of its subscriptions: ask and cancel through it. `Stage.subscribe`
 * resolves with it, and a consumer's `handleEvents` and `handleCancel` get it.
 *
 * Gotcha: it names the consumer too, so tell it from a {@link ConsumerFrom} by `'producer' in from`.
 */
export interface SubscriptionFrom {
  /** The producer. */
  readonly producer: Pid
  /** The consumer that made the subscription (what `Stage.cancel` names as the cancel's sender). */
  readonly consumer: Pid
  /** Names the subscription on both sides (made by the consumer). */
  readonly tag: Ref
}

/** A producer's handle on one of its consumers, as its `handleSubscribe` and `handleCancel` get it. */
export interface ConsumerFrom {
  /** The consumer. */
  readonly consumer: Pid
  /** Names the subscription on both sides. */
  readonly tag: Ref
}

/** Why a subscription ended: a cancel from the other side, or its process went down. */
export interface CancelReason {
  /** `'cancel'`: the other side cancelled (or refused the subscription); `'down'`: its process ended. */
  readonly kind: 'cancel' | 'down'
  /** The cancel's reason, or the exit reason ('noproc' for a producer that was not there). */
  readonly reason: unknown
}

export interface Demand {
  readonly min: number
  readonly max: number
  readonly cancel: CancelMode
  /** What is left for the producer's dispatcher. */
  readonly dispatcherOpts: Readonly<Record<string, unknown>>
}

const CANCELS: readonly string[] = ['permanent', 'transient', 'temporary']

function badOpts(message: string): Error {
  const error = makeError('ERR_STAGE_BAD_OPTS', message)
  ;(error as { reason?: unknown }).reason = { bad_opts: message }
  return error
}

/** STG-R2: max >= 1 (default 1000), min in [0, max - 1] (default max / 2), a known cancel mode. @throws ERR_STAGE_BAD_OPTS */
export function checkSubscribe(opts: SubscribeOptions): Demand {
  if (typeof opts !== 'object' || opts === null || opts.to === undefined) throw badOpts('a subscription needs `to` (the producer)')
  const { to: _, maxDemand, minDemand, cancel, ...dispatcherOpts } = opts
  const max = maxDemand ?? 1000
  if (!Number.isInteger(max) || max < 1) throw badOpts(`maxDemand must be an integer >= 1, got ${String(max)}`)
  const min = minDemand ?? Math.floor(max / 2)
  if (!Number.isInteger(min) || min < 0 || min >= max) throw badOpts(`minDemand must be an integer from 0 to ${max - 1}, got ${String(min)}`)
  const mode = cancel ?? 'permanent'
  if (!CANCELS.includes(mode)) throw badOpts(`cancel must be permanent, transient or temporary, got ${String(mode)}`)
  return { min, max, cancel: mode, dispatcherOpts }
}

/** A consumer's side of a new subscription (see openSubscription). */
export interface Opened {
  readonly from: SubscriptionFrom
  /** The consumer's monitor of the producer: its DOWN ends the subscription. */
  readonly monitor: Ref
  readonly demand: Demand
  /** False for a producer that is not there: the monitor reports 'noproc' (STG-R3). */
  readonly sent: boolean
}

/**
 * Start a subscription from consumer `self`: check the options, monitor the producer (by name
 * too: an unknown one gives 'noproc' at once), and send it the subscribe. The caller asks.
 * @throws ERR_STAGE_BAD_OPTS
 */
export function openSubscription(self: ProcessBase, opts: SubscribeOptions): Opened {
  const demand = checkSubscribe(opts)
  const tag = self.makeRef()
  const monitor = self.monitor(opts.to)
  const producer = typeof opts.to === 'string' ? self.whereis(opts.to) : opts.to as Pid
  const from: SubscriptionFrom = { producer: producer ?? self.self, consumer: self.self, tag }
  if (producer === undefined) return { from, monitor, demand, sent: false }
  self.send(producer, { $stage: 'subscribe', consumer: self.self, tag, opts: demand.dispatcherOpts } satisfies ToProducer)
  return { from, monitor, demand, sent: true }
}
