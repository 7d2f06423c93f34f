/**
 * PartitionDispatcher: each event goes to one partition, chosen by a hash of the event, and
 * each partition has at most one consumer (STG-R19).
 *
 * The idea: the producer is asked for the sum of all partitions' demand (`waiting`), but the
 * hash, not the demand, decides where each event goes. A partition that gets more events than
 * its consumer asked for keeps the rest in its own queue, and hands them out when that
 * partition asks again; a partition with no consumer queues everything until one subscribes
 * and asks. A slow or missing partition therefore never holds up the others, but it can
 * buffer without bound when the hash is uneven (documented, not an error).
 *
 *   partition state        dispatch of its events               its consumer asks n
 *   demand d (no queue)    first d delivered, the rest queued   demand d + n
 *   queue q                all appended to q                    up to n taken from q (a queue
 *                                                               emptied with n left: demand n)
 *
 *   options    partitions: N (names 0..N-1) or a list of names; hash: event → [event, name] | 'none'
 *   subscribe  opts.partition: the name (missing, unknown or taken → error)
 *   hash       'none' discards the event (it uses no demand); a name that is not a partition
 *              throws ERR_STAGE_UNKNOWN_PARTITION: the producer crashes, as in GenStage
 *
 * Upstream demand: an ask adds n to `waiting` (less `pending`, demand asked for consumers that
 * have left, as in DemandDispatcher). Queued events were already counted when they arrived, so
 * serving them from a queue does not reduce what is asked upstream. A consumer that leaves with
 * a queue drops the queued events, and that many are asked upstream again.
 *
 * Info messages (STG-R14): info(msg) is due at once when no partition holds queued events;
 * otherwise a marker joins every non-empty queue, and the message comes back in the `infos` of
 * the ask or cancel step that drains the last of those markers, so it is handled only after
 * every event queued before it has been handed out.
 *
 * Unlike GenStage: a marker is released as soon as the events ahead of it are out (GenStage
 * stops at the asked count and leaves a marker at the head until that partition asks again),
 * and a queue that empties turns back into plain demand, so a later info is not held by an
 * empty queue. The default hash is FNV-1a over the event (phash2 does not exist here), and maps
 * to the partition names in their declared order; a dispatch that throws changes nothing.
 */
import type { Pid } from '../../../core/pid.ts'
import { hashKey, hashString } from '../../../core/hash.ts'
import { makeError } from '../../../core/errors.ts'
import { checkOptionKeys } from '../../../core/option-keys.ts'
import {
  NONE, checkAsk, demandOnly,
  type DemandStep, type Delivery, type Dispatcher, type DispatchStep, type InfoPlacement,
  type SubscribeOptions, type SubscriptionKey,
} from './dispatcher.ts'

/** A partition's name: an integer `0..N-1` when partitions are given as a count, else any string or number. */
export type PartitionName = string | number

/** Where an event goes: `[event to deliver, partition]`, or 'none' to discard it. */
export type PartitionHash<E> = (event: E) => readonly [E, PartitionName] | 'none'

/**
 * What `new PartitionDispatcher(options)` takes: the partitions, and how an event picks one.
 * Unknown keys fail `ERR_UNKNOWN_OPTION`; names that are not integers without a `hash` fail
 * `ERR_STAGE_HASH_REQUIRED`.
 *
 * @example
 * ```ts
 * new PartitionDispatcher<Order>({ partitions: ['eu', 'us'], hash: (o) => [o, o.region] })
 * ```
 */
export interface PartitionDispatcherOptions<E> {
  /** How many partitions (named 0..N-1), or their names. Names that are not integers need `hash`. */
  readonly partitions: number | readonly PartitionName[]
  /** Default: a stable hash of the event (strings, numbers, JSON-able values) modulo the partition count. */
  readonly hash?: PartitionHash<E>
}

const KNOWN = ['partitions', 'hash'] as const

/** A syncInfo message waiting in `remaining` partition queues. */
class InfoMark {
  readonly message: unknown
  remaining = 0
  constructor(message: unknown) {
    this.message = message
  }
}

/** A FIFO of events and info marks; `events` counts the events only. */
class Backlog<E> {
  #items: Array<E | InfoMark> = []
  #head = 0
  events = 0

  get empty(): boolean {
    return this.#head === this.#items.length
  }

  push(item: E | InfoMark): void {
    this.#items.push(item)
    if (!(item instanceof InfoMark)) this.events++
  }

  peek(): E | InfoMark | undefined {
    return this.#items[this.#head]
  }

  shift(): E | InfoMark {
    const item = this.#items[this.#head++] as E | InfoMark
    if (!(item instanceof InfoMark)) this.events--
    // Drop the consumed prefix once it is the larger half: amortised O(1) per item.
    if (this.#head > 32 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return item
  }
}

interface Partition<E, K> {
  readonly name: PartitionName
  owner: { readonly sub: K; readonly consumer: Pid } | undefined
  /** Demand of its consumer not yet met; always 0 while `queue` is set. */
  demand: number
  /** Events that arrived beyond its demand, with info marks; undefined when there are none. */
  queue: Backlog<E> | undefined
}

/**
 * Routes each event to one partition's consumer by a hash (GenStage.PartitionDispatcher).
 *
 * @example
 * const d = new PartitionDispatcher<number, string>({
 *   partitions: ['odd', 'even'], hash: (n) => [n, n % 2 === 0 ? 'even' : 'odd'] })
 * d.subscribe('c', { partition: 'odd' }, pid); d.ask(2, 'c').demand   // 2
 * d.dispatch([1, 2, 3])   // c ◀ [1, 3]; 2 is queued for 'even' until a consumer of it asks
 * @throws ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_STAGE_HASH_REQUIRED, ERR_UNKNOWN_OPTION (options)
 * @inlineType SubscribeOptions
 */
export class PartitionDispatcher<E, K = SubscriptionKey> implements Dispatcher<E, K> {
  /** Declaration order; dispatch delivers in it. */
  readonly #partitions = new Map<PartitionName, Partition<E, K>>()
  readonly #bySub = new Map<K, Partition<E, K>>()
  readonly #hash: PartitionHash<E>
  #waiting = 0
  #pending = 0

  constructor(options: PartitionDispatcherOptions<E>) {
    checkOptionKeys('PartitionDispatcher', options, KNOWN)
    const names = readNames(options?.partitions, options?.hash !== undefined)
    for (const name of names) this.#partitions.set(name, { name, owner: undefined, demand: 0, queue: undefined })
    const { hash } = options
    if (hash !== undefined && typeof hash !== 'function') throw makeError('ERR_INVALID_ARG_TYPE', 'hash', 'a function', hash)
    this.#hash = hash ?? ((event) => [event, names[defaultHash(event) % names.length] as PartitionName])
  }

  /** Upstream demand asked and not yet met by dispatched events. */
  get waiting(): number {
    return this.#waiting
  }

  /** Demand asked upstream for consumers that have left; later asks are served from it first. */
  get pending(): number {
    return this.#pending
  }

  /** The partition names, in declaration order. */
  get partitions(): PartitionName[] {
    return [...this.#partitions.keys()]
  }

  /** Events queued for `partition` (0 if none). */
  queued(partition: PartitionName): number {
    return this.#partitions.get(partition)?.queue?.events ?? 0
  }

  /** @throws ERR_STAGE_PARTITION_REQUIRED, ERR_STAGE_UNKNOWN_PARTITION, ERR_STAGE_PARTITION_TAKEN, ERR_STAGE_DUPLICATE_SUBSCRIPTION */
  subscribe(sub: K, opts: SubscribeOptions, consumer: Pid): number {
    const name = opts.partition
    if (name === undefined || name === null) throw makeError('ERR_STAGE_PARTITION_REQUIRED')
    const partition = this.#partitions.get(name as PartitionName)
    if (partition === undefined) throw makeError('ERR_STAGE_UNKNOWN_PARTITION', name, this.partitions)
    if (partition.owner !== undefined) throw makeError('ERR_STAGE_PARTITION_TAKEN', name, String(partition.owner.consumer))
    if (this.#bySub.has(sub)) throw makeError('ERR_STAGE_DUPLICATE_SUBSCRIPTION', 'PartitionDispatcher', sub)
    partition.owner = { sub, consumer }
    this.#bySub.set(sub, partition)
    return 0
  }

  cancel(sub: K): DemandStep<E, K> {
    const partition = this.#partitionOf(sub)
    this.#bySub.delete(sub)
    partition.owner = undefined
    const queue = partition.queue
    if (queue === undefined) {
      this.#pending += partition.demand
      partition.demand = 0
      return demandOnly(0)
    }
    // The queued events leave with the consumer; ask upstream for as many again.
    partition.queue = undefined
    const infos: unknown[] = []
    let dropped = 0
    while (!queue.empty) {
      const item = queue.shift()
      if (item instanceof InfoMark) release(item, infos)
      else dropped++
    }
    this.#waiting += dropped
    return { demand: dropped, deliveries: NONE, infos: infos.length > 0 ? infos : NONE, warnings: NONE }
  }

  ask(n: number, sub: K): DemandStep<E, K> {
    checkAsk(n)
    const partition = this.#partitionOf(sub)
    let deliveries: readonly Delivery<E, K>[] = NONE
    let infos: readonly unknown[] = NONE
    if (partition.queue === undefined) partition.demand += n
    else [deliveries, infos] = this.#drain(partition, sub, n)
    const covered = Math.min(this.#pending, n)
    this.#pending -= covered
    this.#waiting += n - covered
    return { demand: n - covered, deliveries, infos, warnings: NONE }
  }

  /**
   * Hash the events `waiting` covers, then hand them out per partition. The hash runs before
   * any state changes, so a throwing hash leaves the dispatcher as it was.
   * @throws ERR_STAGE_BAD_HASH, ERR_STAGE_UNKNOWN_PARTITION (the producer should crash)
   */
  dispatch(events: readonly E[]): DispatchStep<E, K> {
    const batches = new Map<Partition<E, K>, E[]>()
    let waiting = this.#waiting
    let at = 0
    for (; at < events.length && waiting > 0; at++) {
      const routed = this.#hash(events[at] as E)
      if (routed === 'none') continue
      if (!Array.isArray(routed) || routed.length !== 2) throw makeError('ERR_STAGE_BAD_HASH', routed)
      const partition = this.#partitions.get(routed[1] as PartitionName)
      if (partition === undefined) throw makeError('ERR_STAGE_UNKNOWN_PARTITION', routed[1], this.partitions)
      const batch = batches.get(partition)
      if (batch === undefined) batches.set(partition, [routed[0] as E])
      else batch.push(routed[0] as E)
      waiting--
    }
    this.#waiting = waiting
    const deliveries: Delivery<E, K>[] = []
    for (const partition of this.#partitions.values()) {
      const batch = batches.get(partition)
      if (batch !== undefined) this.#place(partition, batch, deliveries)
    }
    return { deliveries, leftover: events.slice(at), recredits: NONE }
  }

  info(message: unknown): InfoPlacement {
    let mark: InfoMark | undefined
    for (const partition of this.#partitions.values()) {
      if (partition.queue === undefined) continue
      mark ??= new InfoMark(message)
      mark.remaining++
      partition.queue.push(mark)
    }
    return mark === undefined ? 'now' : 'queued'
  }

  #partitionOf(sub: K): Partition<E, K> {
    const partition = this.#bySub.get(sub)
    if (partition === undefined) throw makeError('ERR_STAGE_UNKNOWN_SUBSCRIPTION', 'PartitionDispatcher', sub)
    return partition
  }

  /** Deliver what the partition's demand covers; queue the rest. */
  #place(partition: Partition<E, K>, batch: E[], deliveries: Delivery<E, K>[]): void {
    if (partition.queue !== undefined) {
      for (const event of batch) partition.queue.push(event)
      return
    }
    const take = Math.min(partition.demand, batch.length)
    if (take > 0 && partition.owner !== undefined) {
      deliveries.push({ sub: partition.owner.sub, events: take === batch.length ? batch : batch.slice(0, take) })
      partition.demand -= take
    }
    if (take < batch.length) {
      const queue = new Backlog<E>()
      for (let i = take; i < batch.length; i++) queue.push(batch[i] as E)
      partition.queue = queue
    }
  }

  /**
   * Hand out up to n queued events, releasing the info marks passed on the way, including marks
   * left at the head once n is spent (their events are all out). An emptied queue turns back
   * into plain demand.
   */
  #drain(partition: Partition<E, K>, sub: K, n: number): [readonly Delivery<E, K>[], readonly unknown[]] {
    const queue = partition.queue as Backlog<E>
    const events: E[] = []
    const infos: unknown[] = []
    for (let item = queue.peek(); item !== undefined; item = queue.peek()) {
      if (item instanceof InfoMark) release(item, infos)
      else if (events.length === n) break
      else events.push(item)
      queue.shift()
    }
    if (queue.empty) {
      partition.queue = undefined
      partition.demand = n - events.length
    }
    return [events.length > 0 ? [{ sub, events }] : NONE, infos.length > 0 ? infos : NONE]
  }
}

/** One queue has passed the mark; the message is due once every queue holding it has. */
function release(mark: InfoMark, infos: unknown[]): void {
  if (--mark.remaining === 0) infos.push(mark.message)
}

/** @throws ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_STAGE_HASH_REQUIRED */
function readNames(partitions: unknown, hasHash: boolean): PartitionName[] {
  const expected = 'a positive integer or a non-empty list of unique names (strings or numbers)'
  let names: PartitionName[]
  if (typeof partitions === 'number') {
    if (!Number.isSafeInteger(partitions) || partitions <= 0) throw makeError('ERR_INVALID_ARG_VALUE', 'partitions', expected, partitions)
    names = Array.from({ length: partitions }, (_, i) => i)
  } else if (Array.isArray(partitions)) {
    names = [...partitions] as PartitionName[]
    const valid = names.every((p) => typeof p === 'string' || (typeof p === 'number' && Number.isFinite(p)))
    if (names.length === 0 || !valid || new Set(names).size !== names.length) {
      throw makeError('ERR_INVALID_ARG_VALUE', 'partitions', expected, partitions)
    }
  } else {
    throw makeError('ERR_INVALID_ARG_TYPE', 'partitions', expected, partitions)
  }
  const named = names.find((p) => !Number.isInteger(p))
  if (!hasHash && named !== undefined) throw makeError('ERR_STAGE_HASH_REQUIRED', named)
  return names
}

/** A stable, non-negative hash of an event: the same value hashes the same on every thread and run. */
function defaultHash(event: unknown): number {
  if (typeof event === 'string' || typeof event === 'number') return hashKey(event)
  if (typeof event === 'bigint' || typeof event === 'boolean') return hashString(`${typeof event}:${event}`)
  let json: string | undefined
  try {
    json = JSON.stringify(event)
  } catch {
    json = undefined
  }
  if (json === undefined) {
    throw makeError('ERR_INVALID_ARG_TYPE', 'an event for the default partition hash', 'a JSON-serializable value (or pass the hash option)', event)
  }
  return hashString(`json:${json}`)
}
