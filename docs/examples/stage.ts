/**
 * Stage (GenStage): a producer, a producer_consumer and a consumer on three threads, with
 * demand-driven flow; then the broadcast and partition dispatchers.
 * Run: node --import tsx docs/examples/stage.ts
 */
import assert from 'node:assert/strict'
import { isMainThread } from 'node:worker_threads'
import {
  BroadcastDispatcher, Node, PartitionDispatcher, Stage, noreply,
  type From, type Pid, type StageSpec, type SubscribeOptions,
} from '../../src/index.ts'

interface NumbersArgs {
  readonly count: number
  readonly dispatcher?: 'broadcast' | 'partition'
}

/** A producer of 0, 1, 2, ... (count events in all), made only as consumers ask for them. */
export class Numbers extends Stage<NumbersArgs, number> {
  next = 0
  count = 0

  init(args: NumbersArgs): StageSpec<number> {
    this.count = args.count
    if (args.dispatcher === 'broadcast') {
      // Accumulate: hold the asks until every consumer is subscribed, then demand('forward').
      return { type: 'producer', dispatcher: new BroadcastDispatcher(), demand: 'accumulate' }
    }
    if (args.dispatcher === 'partition') {
      return { type: 'producer', dispatcher: new PartitionDispatcher({ partitions: 2, hash: (n: number) => [n, n % 2] }) }
    }
    return { type: 'producer' }
  }

  override handleDemand(demand: number): number[] {
    const n = Math.min(demand, this.count - this.next)
    return Array.from({ length: n }, () => this.next++)
  }
}

/** A producer_consumer: squares what it gets, as fast as its own consumers ask. */
export class Squares extends Stage<{ from: Pid }, number> {
  init(args: { from: Pid }): StageSpec<number> {
    return { type: 'producer_consumer', subscribeTo: [{ to: args.from, maxDemand: 10, minDemand: 5 }] }
  }

  override handleEvents(events: number[]): number[] {
    return events.map((n) => n * n)
  }
}

interface SumArgs {
  readonly subscribe: SubscribeOptions
  /** Keep only even events (a broadcast selector: made here, since functions cannot cross threads). */
  readonly evenOnly?: boolean
}

/** A consumer: adds up its events; the call { after: n } is answered once n events have come. */
export class Sum extends Stage<SumArgs, number> {
  sum = 0
  seen = 0
  largestBatch = 0
  waiting: { from: From; after: number }[] = []

  init(args: SumArgs): StageSpec<number> {
    const selector = args.evenOnly === true ? { selector: (n: number) => n % 2 === 0 } : {}
    return { type: 'consumer', subscribeTo: [{ ...args.subscribe, ...selector }] }
  }

  override handleEvents(events: number[]): void {
    for (const n of events) this.sum += n
    this.seen += events.length
    this.largestBatch = Math.max(this.largestBatch, events.length)
    this.answer()
  }

  override handleCall(request: { after: number }, from: From) {
    this.waiting.push({ from, after: request.after })
    this.answer()
    return noreply()
  }

  answer(): void {
    this.waiting = this.waiting.filter((w) => {
      if (this.seen < w.after) return true
      this.reply(w.from, { sum: this.sum, seen: this.seen, largestBatch: this.largestBatch })
      return false
    })
  }
}

type Total = { sum: number; seen: number; largestBatch: number }

async function main(): Promise<void> {
  const node = await Node.start({ threads: 2, modules: [new URL(import.meta.url)] })
  try {
    // numbers (thread 1) → squares (thread 2) → sum (main thread). Demand goes upstream, events down.
    const numbers = await node.spawn(Numbers, { count: 100 }, { thread: 1 })
    const squares = await node.spawn(Squares, { from: numbers }, { thread: 2 })
    const sum = await node.spawn(Sum, { subscribe: { to: squares, maxDemand: 10, minDemand: 5 } }, { thread: 0 })
    const total = await node.call<Total>(sum, { after: 100 })
    assert.equal(total.sum, 328350)                      // 0² + 1² + ... + 99²
    assert.ok(total.largestBatch <= 5)                   // batches of maxDemand - minDemand at most
    console.log(`sum of squares below 100: ${total.sum}, in batches of at most ${total.largestBatch}`)

    // Broadcast: every consumer gets every event it selects. The consumers subscribe from their
    // init, on the producer's thread, before node.spawn returns: both are in when demand is forwarded.
    const broadcaster = await node.spawn(Numbers, { count: 10, dispatcher: 'broadcast' }, { thread: 1 })
    const all = await node.spawn(Sum, { subscribe: { to: broadcaster } }, { thread: 1 })
    const evens = await node.spawn(Sum, { subscribe: { to: broadcaster }, evenOnly: true }, { thread: 1 })
    await Stage.demand(node, broadcaster, 'forward')
    const [a, e] = [await node.call<Total>(all, { after: 10 }), await node.call<Total>(evens, { after: 5 })]
    assert.deepEqual([a.sum, e.sum], [45, 20])
    console.log(`broadcast: all 0..9 sum to ${a.sum}, the even ones to ${e.sum}`)

    // Partition: the hash sends each event to one partition; each partition has one consumer.
    const partitioned = await node.spawn(Numbers, { count: 10, dispatcher: 'partition' }, { thread: 1 })
    const p0 = await node.spawn(Sum, { subscribe: { to: partitioned, partition: 0 } }, { thread: 2 })
    const p1 = await node.spawn(Sum, { subscribe: { to: partitioned, partition: 1 } })
    const [even, odd] = [await node.call<Total>(p0, { after: 5 }), await node.call<Total>(p1, { after: 5 })]
    assert.deepEqual([even.sum, odd.sum], [20, 25])
    console.log(`partition 0 got the even numbers (sum ${even.sum}), partition 1 the odd ones (sum ${odd.sum})`)
  } finally {
    await node.stop()
  }
}

// Every thread imports this file (it is in `modules`); only the main thread runs the program.
if (isMainThread) main().catch((error: unknown) => { console.error(error); process.exit(1) })
