/**
 * Stage suite, producer side (SEMANTICS §7.6): the buffer before and beyond its size (STG-T5..T7),
 * events emitted by a call before its reply (T19), producer_consumer backpressure (T20), manual
 * demand (T22, T23), a consumer going down at the producer (T26), broadcast selectors and
 * stale subscribers through real stages (T13, T14), upstream asks per batch (T2), and the
 * partition dispatcher's queues and errors through real stages (T15, T16). Named after the STG-T
 * id and, where there is one, the GenStage test it ports.
 */
import assert from 'node:assert/strict'
import { Node, Server, Stage, hasCode, type CancelReason, type Pid } from '../../src/index.ts'
import { probe as makeProbe, type Probe } from '../../src/testing/index.ts'
import { Collector, Counter, Doubler, Sink, Source } from '../fixtures/stages.ts'

const FIXTURES = new URL('../fixtures/stages.ts', import.meta.url)

interface Report { event: string; from: Pid; events: unknown[]; producer?: Pid; n?: number; why?: CancelReason; queued?: number }
interface SourceState { buffered: number; discarded: number; demands: number[]; cancels: CancelReason[] }

/** A report of `event` from `pid`. */
const is = (event: string, pid: Pid) => (m: unknown): boolean =>
  (m as Report).event === event && (m as Report).from.equals(pid)

describe('Stage suite: producers', function () {
  this.timeout(15000)
  let node: Node
  let probe: Probe

  before(async () => {
    node = await Node.start({ threads: 2, modules: [FIXTURES] })
  })
  after(() => node.stop())
  beforeEach(async () => {
    probe = await makeProbe(node)
  })

  const batches = async (n: number, consumer: Pid): Promise<unknown[][]> => {
    const out: unknown[][] = []
    for (let i = 0; i < n; i++) out.push((await probe.expect<Report>(is('events', consumer))).events)
    return out
  }
  /** Events `consumer` reports until there are at least `n`. */
  const collect = async (n: number, consumer: Pid): Promise<unknown[]> => {
    const out: unknown[] = []
    while (out.length < n) out.push(...(await probe.expect<Report>(is('events', consumer))).events)
    return out
  }
  const state = (producer: Pid): Promise<SourceState> => node.call<SourceState>(producer, 'state')
  const stopAll = async (...pids: Pid[]): Promise<void> => {
    for (const p of pids) await Server.stop(node, p)
  }
  const letters = (s: string): string[] => s.split('')

  describe('STG-R11 the buffer', () => {
    it('STG-T5 events buffered before any subscriber go out first: [a,b,c,d], [e], then handleDemand(3) (GenStage: buffer stores events when there is no demand)', async () => {
      const producer = await node.spawn(Source, { report: probe.pid, count: true }, { thread: 1 })
      await node.call(producer, { push: letters('abcde') })
      const consumer = await node.spawn(Collector, { report: probe.pid, subscribeTo: [{ to: producer, maxDemand: 4, minDemand: 0 }] }, { thread: 2 })
      assert.deepEqual(await batches(3, consumer), [letters('abcd'), ['e'], [0, 1, 2]])
      assert.equal((await probe.expect<Report>(is('demand', producer))).n, 3, 'the buffer served 5 of the second ask of 4+4')
      await stopAll(consumer, producer)
    })

    for (const [id, keep, first, second] of [['STG-T6', 'last', 'defg', 'h'], ['STG-T7', 'first', 'abcd', 'e']] as const) {
      it(`${id} a buffer of 5 given 8 events keeps the ${keep} 5 and counts 3 discarded → [${first}], [${second}] (GenStage: emits warning and keeps ${keep} when it exceeds configured size)`, async () => {
        const producer = await node.spawn(Source, { count: true, bufferSize: 5, bufferKeep: keep }, { thread: 1 })
        await node.call(producer, { push: letters('abcdefgh') })
        assert.deepEqual(await state(producer), { buffered: 5, discarded: 3, demands: [], cancels: [] })
        const consumer = await node.spawn(Collector, { report: probe.pid, subscribeTo: [{ to: producer, maxDemand: 4, minDemand: 0 }] }, { thread: 2 })
        assert.deepEqual(await batches(3, consumer), [letters(first), letters(second), [0, 1, 2]])
        assert.equal((await state(producer)).discarded, 3, 'delivering the buffer discards nothing more')
        await stopAll(consumer, producer)
      })
    }

    it('STG-T7 bufferSize Infinity keeps every event, where the default keeps the last 10 000 (GenStage: may have limit set to infinity)', async () => {
      const bounded = await node.spawn(Source, {}, { thread: 1 })
      const unbounded = await node.spawn(Source, { bufferSize: Infinity }, { thread: 1 })
      for (const p of [bounded, unbounded]) await node.call(p, { pushRange: 10_050 })
      assert.deepEqual(await state(bounded), { buffered: 10_000, discarded: 50, demands: [], cancels: [] })
      assert.deepEqual(await state(unbounded), { buffered: 10_050, discarded: 0, demands: [], cancels: [] })
      const consumer = await node.spawn(Collector, { report: probe.pid, subscribeTo: [{ to: unbounded, maxDemand: 20_000, minDemand: 0 }] }, { thread: 2 })
      assert.deepEqual(await collect(10_050, consumer), Array.from({ length: 10_050 }, (_, i) => i))
      await stopAll(consumer, bounded, unbounded)
    })
  })

  it('STG-T19 events a handleCall emits reach the consumer before the caller gets the reply (GenStage: handle_call/3 sends events before reply)', async () => {
    const producer = await node.spawn(Source, {}, { thread: 1 })
    // The consumer is the caller: the events are in its mailbox when the reply lets it go on.
    // (A reply settles after the turn that read it, so a reply sent first but read in the same
    // turn would pass too: this pins the guarantee, it cannot catch every reordering.)
    const consumer = await node.spawn(Sink, { report: probe.pid, subscribeTo: [{ to: producer, maxDemand: 10, minDemand: 0 }] }, { thread: 2 })
    assert.equal(await node.call(consumer, { via: producer, request: { push: ['x', 'y'] } }), 'ok')
    const first = await probe.expect<Report>((m) => (m as Report).from.equals(consumer))
    assert.equal(first.event, 'reply')
    assert.equal(first.queued, 1, 'the events message had arrived when the reply did')
    assert.deepEqual(await batches(1, consumer), [['x', 'y']])
    await stopAll(consumer, producer)
  })

  it('STG-T20 a producer_consumer whose consumer stops asking stops asking upstream (GenStage: stops asking when consumer stops asking)', async () => {
    const counter = await node.spawn(Counter, {}, { thread: 1 })
    const doubler = await node.spawn(Doubler, { subscribeTo: [{ to: counter, maxDemand: 10, minDemand: 5 }] }, { thread: 2 })
    const consumer = await node.spawn(Sink, { report: probe.pid, manual: true, subscribeTo: [{ to: doubler }] }, { thread: 0 })
    await node.call(consumer, { ask: 5 })
    assert.deepEqual(await batches(1, consumer), [[0, 2, 4, 6, 8]])
    // The consumer asks for nothing more: the upstream pull must come to rest, bounded. Nothing
    // signals that a chain over three threads is at rest: two windows bound it.
    await probe.expectNone(is('events', consumer), 150)
    const produced = await node.call<number>(counter, 'produced')
    await probe.expectNone(is('events', consumer), 150)
    assert.equal(await node.call(counter, 'produced'), produced, 'no more upstream demand')
    assert.ok(produced <= 20, `produced ${produced}: one upstream maxDemand beyond the handled batch at most`)
    await node.call(consumer, { ask: 5 })
    assert.deepEqual(await batches(1, consumer), [[10, 12, 14, 16, 18]], 'held back, not stalled')
    await stopAll(consumer, doubler, counter)
  })

  describe('STG-R8 manual demand', () => {
    for (const how of ['subscribeTo in init', 'Stage.subscribe'] as const) {
      it(`STG-T22 handleSubscribe answering manual: nothing flows until this.ask(from, 2), then exactly 2 (GenStage: manual demand can be set on subscribe${how === 'Stage.subscribe' ? '' : ' on init'})`, async () => {
        const counter = await node.spawn(Counter, {}, { thread: 1 })
        const to = { to: counter, maxDemand: 4, minDemand: 2 }
        const consumer = await node.spawn(Sink, { report: probe.pid, manual: true, ...(how === 'Stage.subscribe' ? {} : { subscribeTo: [to] }) }, { thread: 2 })
        if (how === 'Stage.subscribe') await Stage.subscribe(node, consumer, to)
        // A call from the consumer reaches the counter behind its subscribe and any ask it made.
        const produced = (): Promise<number> => node.call<number>(consumer, { via: counter, request: 'produced' })
        assert.equal(await produced(), 0)
        await node.call(consumer, { ask: 2 })
        assert.deepEqual(await batches(1, consumer), [[0, 1]])
        assert.equal(await produced(), 2)
        await node.call(consumer, { ask: 10 })
        assert.deepEqual(await batches(1, consumer), [[2, 3, 4, 5, 6, 7, 8, 9, 10, 11]], 'whole, not cut into batches of max - min')
        await stopAll(consumer, counter)
      })
    }

    it('STG-T23 a producer whose handleSubscribe answers manual exits ERR_BAD_RETURN_VALUE (GenStage: handle_subscribe/4 does not accept manual demand)', async () => {
      const producer = await node.spawn(Source, { manual: true }, { thread: 1 })
      const down = node.monitor(producer).down
      const consumer = await node.spawn(Sink, { report: probe.pid, subscribeTo: [{ to: producer, cancel: 'temporary' }] }, { thread: 2 })
      assert.ok(hasCode((await down).reason, 'ERR_BAD_RETURN_VALUE'), 'the producer crashed with a bad return value')
      const why = (await probe.expect<Report>(is('cancel', consumer))).why
      assert.equal(why?.kind, 'down')
      assert.ok(hasCode(why?.reason, 'ERR_BAD_RETURN_VALUE'))
      await stopAll(consumer)
    })
  })

  it('STG-T26 a consumer going down reaches the producer\'s handleCancel({down, reason}); its unmet demand is not asked for again (GenStage: handle_cancel/3 on consumer down)', async () => {
    const producer = await node.spawn(Source, { report: probe.pid }, { thread: 1 })
    // On the producer's thread: the producer's monitor of it is in place once the demand is
    // reported (across threads a kill could overtake the monitor, which then reads 'noproc').
    const gone = await node.spawn(Sink, { report: probe.pid, subscribeTo: [{ to: producer, maxDemand: 10, minDemand: 0 }] }, { thread: 1 })
    assert.equal((await probe.expect<Report>(is('demand', producer))).n, 10)
    node.exit(gone, 'kill')
    assert.deepEqual((await probe.expect<Report>(is('producer-cancel', producer))).why, { kind: 'down', reason: 'killed' })
    // On the node's thread, its subscribe and ask reach the producer before the push below.
    const next = await node.spawn(Sink, { report: probe.pid, subscribeTo: [{ to: producer, maxDemand: 10, minDemand: 0 }] }, { thread: 0 })
    await node.call(producer, { push: ['x'] })
    assert.deepEqual(await batches(1, next), [['x']])
    assert.deepEqual((await state(producer)).demands, [10], 'the new ask was served from the departed consumer\'s demand')
    await stopAll(next, producer)
  })

  describe('STG-R18 broadcast through real stages', () => {
    it('STG-T13 a subscriber with a selector gets only what it selects, and what it skips does not use up its demand (GenStage: subscribing with a selector function)', async () => {
      // The selector is a function: the consumer shares the producer's thread (no copy on the way).
      const producer = await node.spawn(Counter, { dispatcher: 'broadcast', demand: 'accumulate' }, { thread: 1 })
      const evens = await node.spawn(Sink, { report: probe.pid, select: 'even', subscribeTo: [{ to: producer, maxDemand: 10, minDemand: 0 }] }, { thread: 1 })
      const all = await node.spawn(Sink, { report: probe.pid, subscribeTo: [{ to: producer, maxDemand: 10, minDemand: 0 }] }, { thread: 1 })
      await Stage.demand(node, producer, 'forward')
      // Without re-credit, `evens` would get 5 of its 10 and wait for ever (it asks at 0 left).
      assert.deepEqual((await collect(20, evens)).slice(0, 20), Array.from({ length: 20 }, (_, i) => i * 2))
      assert.deepEqual((await collect(40, all)).slice(0, 40), Array.from({ length: 40 }, (_, i) => i))
      await stopAll(evens, all, producer)
    })

    it('STG-T14 a subscriber that has not asked pauses everyone until it is cancelled (GenStage: with shared (broadcast) demand and synchronizer subscriber)', async () => {
      const producer = await node.spawn(Counter, { dispatcher: 'broadcast' }, { thread: 1 })
      const a = await node.spawn(Sink, { report: probe.pid, subscribeTo: [{ to: producer, maxDemand: 10, minDemand: 0 }] }, { thread: 2 })
      await probe.expect(is('events', a))
      // On the node's thread, so its subscribe reaches the producer before the calls below.
      const stale = await node.spawn(Sink, { report: probe.pid, manual: true }, { thread: 0 })
      const from = await Stage.subscribe(node, stale, { to: producer, cancel: 'temporary' })
      const paused = await node.call<number>(producer, 'produced')
      // A call from `a` reaches the producer behind a's asks: two rounds cover the asks in flight
      // and those a makes for events still in flight to it. Nothing more is produced for them.
      for (let round = 0; round < 2; round++) {
        assert.equal(await node.call(a, { via: producer, request: 'produced' }), paused, 'nothing more is produced')
      }
      // Nor had anything reached the stale subscriber when the producer's answer to it did.
      assert.equal(await node.call(stale, { via: producer, request: 'produced' }), paused)
      assert.equal((await probe.expect<Report>(is('reply', stale))).queued, 0)
      Stage.cancel(node, from, 'stale')
      assert.deepEqual((await probe.expect<Report>(is('cancel', stale))).why, { kind: 'cancel', reason: 'stale' })
      await probe.expect((m) => is('events', a)(m) && (m as Report).events.includes(paused))
      await stopAll(a, stale, producer)
    })
  })

  it('STG-T2 with max 100 / min 80 each batch of 20 makes an upstream ask of 20', async () => {
    const producer = await node.spawn(Counter, { report: probe.pid }, { thread: 1 })
    const consumer = await node.spawn(Collector, { report: probe.pid, subscribeTo: [{ to: producer, maxDemand: 100, minDemand: 80 }] }, { thread: 2 })
    const demands: number[] = []
    for (let i = 0; i < 5; i++) demands.push((await probe.expect<Report>(is('demand', producer))).n as number)
    assert.deepEqual(demands, [100, 20, 20, 20, 20])
    assert.deepEqual((await batches(3, consumer)).map((b) => b.length), [20, 20, 20])
    await stopAll(consumer, producer)
  })

  describe('STG-R19 partitions through real stages', () => {
    it('STG-T15 events for a partition with no consumer wait in its queue and go to the consumer that subscribes to it', async () => {
      const producer = await node.spawn(Counter, { dispatcher: { partitions: 2 } }, { thread: 1 })
      const even = await node.spawn(Collector, { report: probe.pid, subscribeTo: [{ to: producer, partition: 0, maxDemand: 4, minDemand: 0 }] }, { thread: 2 })
      // Asked 4, the producer made 0..3: 0 and 2 went to partition 0, 1 and 3 wait for partition 1.
      assert.deepEqual(await batches(1, even), [[0, 2]])
      const odd = await node.spawn(Collector, { report: probe.pid, subscribeTo: [{ to: producer, partition: 1, maxDemand: 4, minDemand: 0 }] }, { thread: 2 })
      assert.deepEqual(await batches(1, odd), [[1, 3]])
      assert.ok((await collect(6, odd)).every((e) => (e as number) % 2 === 1), 'only its partition')
      await stopAll(even, odd, producer)
    })

    it('STG-T16 a subscription without a partition, to an unknown one or to a taken one is refused; a hash naming an unknown partition crashes the producer', async () => {
      const producer = await node.spawn(Counter, { dispatcher: { partitions: 2 } }, { thread: 1 })
      const first = await node.spawn(Collector, { report: probe.pid, subscribeTo: [{ to: producer, partition: 0, maxDemand: 4, minDemand: 0 }] }, { thread: 2 })
      const refused = await node.spawn(Collector, { report: probe.pid }, { thread: 2 })
      for (const [partition, code] of [[undefined, 'ERR_STAGE_PARTITION_REQUIRED'], [5, 'ERR_STAGE_UNKNOWN_PARTITION'], [0, 'ERR_STAGE_PARTITION_TAKEN']] as const) {
        await Stage.subscribe(node, refused, { to: producer, cancel: 'temporary', ...(partition === undefined ? {} : { partition }) })
        const why = (await probe.expect<Report>(is('cancel', refused))).why
        assert.equal(why?.kind, 'cancel')
        assert.ok(hasCode(why?.reason, code), `partition ${String(partition)}: ${code}`)
      }
      await stopAll(first, refused, producer)
      const broken = await node.spawn(Counter, { dispatcher: { partitions: 2, unknown: true } }, { thread: 1 })
      const down = node.monitor(broken).down
      const orphan = await node.spawn(Collector, { report: probe.pid, subscribeTo: [{ to: broken, partition: 0, cancel: 'temporary' }] }, { thread: 2 })
      assert.ok(hasCode((await down).reason, 'ERR_STAGE_UNKNOWN_PARTITION'))
      await stopAll(orphan)
    })
  })
})
