/**
 * Stage (SEMANTICS §7): demand batching (STG-R6), backpressure across threads, the producer
 * buffer (STG-R11), cancel modes (STG-R9), producer_consumer chains, accumulate mode, the
 * broadcast and partition dispatchers driven by real stages, and subscription errors.
 */
import assert from 'node:assert/strict'
import { Node, Server, Stage, hasCode, type Pid } from '../../src/index.ts'
import { Probe, ProbeActor, probe as makeProbe } from '../../src/testing/index.ts'
import { Collector, Counter, Doubler, InfoEmitter, Pusher, QuietPusher, Returner, Sink } from '../fixtures/stages.ts'

const FIXTURES = new URL('../fixtures/stages.ts', import.meta.url)

interface Batch { event: 'events'; events: unknown[]; from: Pid; producer: Pid; queued: number; tag?: string }
const batch = (from?: Pid) => (m: unknown): boolean =>
  (m as Batch).event === 'events' && (from === undefined || (m as Batch).from.equals(from))
const cancelled = (m: unknown): boolean => (m as { event?: string }).event === 'cancel'

describe('Stage', function () {
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

  const batches = async (n: number, from?: Pid): Promise<unknown[][]> => {
    const out: unknown[][] = []
    for (let i = 0; i < n; i++) out.push(((await probe.expect(batch(from))) as Batch).events)
    return out
  }

  describe('STG-R6 batching: max - min per batch, refill once demand is down to min', () => {
    for (const [max, min, sizes] of [[1000, 500, [500, 500, 500]], [100, 80, [20, 20, 20, 20, 20]], [100, 20, [80, 20, 80, 80, 20]], [1, 0, [1, 1, 1]]] as const) {
      it(`STG-T1/T2/T3 max ${max} / min ${min} → batches ${sizes.join(', ')}`, async () => {
        const producer = await node.spawn(Counter, {}, { thread: 1 })
        const consumer = await node.spawn(Collector, { report: probe.pid, subscribeTo: [{ to: producer, maxDemand: max, minDemand: min }] }, { thread: 2 })
        const got = await batches(sizes.length, consumer)
        assert.deepEqual(got.map((b) => b.length), [...sizes])
        assert.deepEqual(got.flat(), Array.from({ length: got.flat().length }, (_, i) => i), 'in order, none lost')
        await Server.stop(node, consumer)
        await Server.stop(node, producer)
      })
    }
  })

  it('backpressure across threads: a slow consumer bounds the producer (its buffer, its output, the mailbox)', async () => {
    const producer = await node.spawn(Counter, {}, { thread: 1 })
    const consumer = await node.spawn(Collector, { report: probe.pid, delayMs: 20, subscribeTo: [{ to: producer, maxDemand: 10, minDemand: 5 }] }, { thread: 2 })
    let received = 0
    let maxQueued = 0
    for (let i = 0; i < 12; i++) {
      const b = (await probe.expect(batch(consumer))) as Batch
      received += b.events.length
      maxQueued = Math.max(maxQueued, b.queued)
      const produced = await node.call(producer, 'produced') as number
      // The producer made at most what was asked: what arrived plus one max demand in flight.
      assert.ok(produced <= received + 10, `produced ${produced}, received ${received}`)
    }
    assert.equal(await Stage.estimateBufferedCount(node, producer), 0)
    assert.ok(maxQueued <= 2, `consumer mailbox reached ${maxQueued}`)
    await Server.stop(node, consumer)
    await Server.stop(node, producer)
  })

  describe('STG-R11 the producer buffer', () => {
    for (const [keep, expected] of [['last', ['c', 'd', 'e']], ['first', ['a', 'b', 'c']]] as const) {
      it(`keeps the ${keep} events when full, and delivers the buffer first once a consumer asks`, async () => {
        const producer = await node.spawn(Pusher, { bufferSize: 3, bufferKeep: keep }, { thread: 1 })
        await node.call(producer, { push: ['a', 'b', 'c', 'd', 'e'] })
        assert.deepEqual(await node.call(producer, 'counts'), { buffered: 3, discarded: 2 })
        const consumer = await node.spawn(Collector, { report: probe.pid, subscribeTo: [{ to: producer, maxDemand: 4, minDemand: 0 }] }, { thread: 2 })
        assert.deepEqual(await batches(1, consumer), [expected])
        await node.call(producer, { push: ['f'] })
        assert.deepEqual(await batches(1, consumer), [['f']])
        assert.deepEqual(await node.call(producer, 'counts'), { buffered: 0, discarded: 2 })
        await Server.stop(node, consumer)
        await Server.stop(node, producer)
      })
    }
  })

  describe('STG-R9 cancel modes when the producer goes', () => {
    for (const [mode, reason, stops] of [
      ['permanent', 'kill', true], ['transient', 'kill', true], ['transient', 'normal', false], ['temporary', 'kill', false],
    ] as const) {
      it(`${mode}, producer ends ${reason === 'kill' ? 'killed' : reason}: the consumer ${stops ? 'stops' : 'lives on'}`, async () => {
        const producer = await node.spawn(Pusher, {}, { thread: 1 })
        const consumer = await node.spawn(Collector, { report: probe.pid, subscribeTo: [{ to: producer, cancel: mode }] }, { thread: 2 })
        await node.call(producer, { push: ['x'] })
        await probe.expect(batch(consumer))
        const down = node.monitor(consumer).down
        if (reason === 'kill') node.exit(producer, 'kill')
        else await Server.stop(node, producer, 'normal')
        const why = (await probe.expect(cancelled)) as { why: { kind: string; reason: unknown } }
        assert.deepEqual(why.why, { kind: 'down', reason: reason === 'kill' ? 'killed' : 'normal' })
        if (stops) assert.equal((await down).reason, 'killed')
        else {
          assert.equal(await Stage.estimateBufferedCount(node, producer).catch((e: { code?: string }) => e.code), 'ERR_NOPROC')
          await Server.stop(node, consumer)
        }
      })
    }
  })

  it('a producer_consumer chain across three threads keeps order and applies the transform', async () => {
    const producer = await node.spawn(Counter, {}, { thread: 1 })
    const doubler = await node.spawn(Doubler, { subscribeTo: [{ to: producer, maxDemand: 50, minDemand: 25 }] }, { thread: 2 })
    const consumer = await node.spawn(Collector, { report: probe.pid, subscribeTo: [{ to: doubler, maxDemand: 50, minDemand: 25 }] }, { thread: 0 })
    const got: number[] = []
    while (got.length < 500) got.push(...((await probe.expect(batch(consumer))) as Batch).events as number[])
    assert.deepEqual(got.slice(0, 500), Array.from({ length: 500 }, (_, i) => i * 2))
    for (const p of [consumer, doubler, producer]) await Server.stop(node, p)
  })

  it('STG-T17 (STG-R12) accumulate holds demand until demand(forward)', async () => {
    const producer = await node.spawn(Counter, { demand: 'accumulate' }, { thread: 1 })
    const consumer = await node.spawn(Sink, { report: probe.pid, subscribeTo: [{ to: producer, maxDemand: 5, minDemand: 0 }] }, { thread: 2 })
    // The consumer's call reaches the producer behind its subscribe and ask: nothing produced.
    assert.equal(await node.call(consumer, { via: producer, request: 'produced' }), 0)
    assert.equal(await Stage.demand(node, producer), 'accumulate')
    assert.equal(await Stage.demand(node, producer, 'forward'), 'forward')
    assert.deepEqual(await batches(1, consumer), [[0, 1, 2, 3, 4]])
    await Server.stop(node, consumer)
    await Server.stop(node, producer)
  })

  it('STG-T12 (STG-R18) a broadcast producer sends every event to every consumer, at the slower one\'s pace', async () => {
    // Accumulate until both have subscribed (a new subscriber joins with no demand, STG-R18). The
    // consumers run on the node's thread, so their subscribes reach the producer before the forward.
    const producer = await node.spawn(Counter, { dispatcher: 'broadcast', demand: 'accumulate' }, { thread: 1 })
    const a = await node.spawn(Collector, { report: probe.pid, subscribeTo: [{ to: producer, maxDemand: 10, minDemand: 0 }] }, { thread: 0 })
    const b = await node.spawn(Collector, { report: probe.pid, subscribeTo: [{ to: producer, maxDemand: 20, minDemand: 0 }] }, { thread: 0 })
    await Stage.demand(node, producer, 'forward')
    const firstA = (await batches(1, a))[0] as number[]
    const firstB = (await batches(1, b))[0] as number[]
    assert.deepEqual(firstA, Array.from({ length: 10 }, (_, i) => i))
    assert.deepEqual(firstB, firstA, 'the smallest demand (10) paces both')
    for (const p of [a, b, producer]) await Server.stop(node, p)
  })

  it('STG-T15 (STG-R19) a partition producer sends each event to the consumer of its partition', async () => {
    const producer = await node.spawn(Counter, { dispatcher: { partitions: 2 } }, { thread: 1 })
    const even = await node.spawn(Collector, { report: probe.pid, tag: 'even', subscribeTo: [{ to: producer, partition: 0, maxDemand: 10, minDemand: 5 }] }, { thread: 2 })
    const odd = await node.spawn(Collector, { report: probe.pid, tag: 'odd', subscribeTo: [{ to: producer, partition: 1, maxDemand: 10, minDemand: 5 }] }, { thread: 0 })
    const e = (await batches(2, even)).flat() as number[]
    const o = (await batches(2, odd)).flat() as number[]
    assert.ok(e.length > 0 && e.every((x) => x % 2 === 0))
    assert.ok(o.length > 0 && o.every((x) => x % 2 === 1))
    for (const p of [even, odd, producer]) await Server.stop(node, p)
  })

  it('STG-T4/T10 (STG-R2/R3) subscription errors: bad options, subscribing a producer, an unknown producer', async () => {
    const producer = await node.spawn(Counter, {}, { thread: 1 })
    const consumer = await node.spawn(Collector, { report: probe.pid }, { thread: 2 })
    await assert.rejects(Stage.subscribe(node, consumer, { to: producer, maxDemand: 0 }), (e) => hasCode(e, 'ERR_STAGE_BAD_OPTS'))
    await assert.rejects(Stage.subscribe(node, consumer, { to: producer, minDemand: 10, maxDemand: 10 }), (e) => hasCode(e, 'ERR_STAGE_BAD_OPTS'))
    await assert.rejects(Stage.subscribe(node, consumer, { to: producer, cancel: 'x' as never }), (e) => hasCode(e, 'ERR_STAGE_BAD_OPTS'))
    await assert.rejects(Stage.subscribe(node, producer, { to: consumer }), (e) => hasCode(e, 'ERR_STAGE_NOT_A_CONSUMER'))
    const temp = await Stage.subscribe(node, consumer, { to: 'no-such-producer', cancel: 'temporary' })
    assert.ok(temp.tag !== undefined)
    assert.deepEqual(((await probe.expect(cancelled)) as { why: unknown }).why, { kind: 'down', reason: 'noproc' })
    const down = node.monitor(consumer).down
    await Stage.subscribe(node, consumer, { to: 'no-such-producer' })
    assert.equal((await down).reason, 'noproc')
    await Server.stop(node, producer)
  })

  it('STG-T18 an info waits behind the events buffered ahead of it', async () => {
    const producer = await node.spawn(Pusher, { report: probe.pid }, { thread: 1 })
    await node.call(producer, { push: ['a', 'b', 'c'] })
    Stage.asyncInfo(node, producer, 'first')
    Stage.asyncInfo(node, producer, 'second')
    const isInfo = (m: unknown): boolean => (m as { event?: string }).event === 'info'
    // A plain message goes to handleInfo at once: had an info not waited, it would be reported first.
    node.send(producer, 'now')
    await probe.expectNoneBefore(isInfo, (m) => isInfo(m) && (m as { message?: string }).message === 'now')
    const consumer = await node.spawn(Collector, { report: probe.pid, subscribeTo: [{ to: producer, maxDemand: 10, minDemand: 0 }] }, { thread: 2 })
    assert.deepEqual(await batches(1, consumer), [['a', 'b', 'c']])
    assert.deepEqual([await probe.expect(isInfo), await probe.expect(isInfo)].map((m) => (m as { message: string }).message), ['first', 'second'])
    Stage.asyncInfo(node, producer, 'now')
    assert.equal(((await probe.expect(isInfo)) as { message: string }).message, 'now')
    await Server.stop(node, consumer)
    await Server.stop(node, producer)
  })

  it('STG-T30 a consumer returning events: they are dropped with a report, and it keeps running', async () => {
    const reports = await node.spawn(ProbeActor, undefined, { thread: 0, name: 'stage-reports' })
    const sink = new Probe(reports, node.localInstance(reports) as ProbeActor)
    const producer = await node.spawn(Pusher, {}, { thread: 1 })
    const consumer = await node.spawn(Returner, { report: probe.pid, subscribeTo: [{ to: producer, maxDemand: 5, minDemand: 0 }] },
      { thread: 2, env: { 'skein.reports': 'stage-reports' } })
    await node.call(producer, { push: ['a', 'b'] })
    await probe.expect(batch(consumer))
    assert.deepEqual(await sink.expect((m) => (m as { kind?: string }).kind === 'stage'),
      { type: 'report', kind: 'stage', stage: consumer, event: 'consumer_events_dropped', count: 2 })
    await node.call(producer, { push: ['c'] })
    assert.deepEqual(((await probe.expect(batch(consumer))) as Batch).events, ['c'])
    for (const p of [consumer, producer]) await Server.stop(node, p)
    node.exit(reports, 'kill')
  })

  it('STG-T6/T7 a full buffer reports what it discards, unless formatDiscarded says not to', async () => {
    const reports = await node.spawn(ProbeActor, undefined, { thread: 0, name: 'discard-reports' })
    const sink = new Probe(reports, node.localInstance(reports) as ProbeActor)
    const env = { 'skein.reports': 'discard-reports' }
    const loud = await node.spawn(Pusher, { bufferSize: 3 }, { thread: 1, env })
    const quiet = await node.spawn(QuietPusher, { bufferSize: 3 }, { thread: 1, env })
    const discarded = (m: unknown): boolean => (m as { event?: string }).event === 'discarded'
    const downs = [sink.monitor(loud), sink.monitor(quiet)]
    for (const p of [quiet, loud]) await node.call(p, { push: ['a', 'b', 'c', 'd', 'e'] })
    const r = (await sink.expect(discarded)) as { stage: Pid; count: number }
    assert.ok(r.stage.equals(loud))
    assert.equal(r.count, 2)
    assert.deepEqual(await node.call(quiet, 'counts'), { buffered: 3, discarded: 2 })
    for (const p of [loud, quiet]) await Server.stop(node, p)
    // A DOWN is the last message a process sends the sink: neither reported another discard.
    for (const ref of downs) await sink.expectNoneBefore(discarded, ref)
    node.exit(reports, 'kill')
  })

  it('STG-T25 resubscribe: the old subscription ends with the reason, the new one runs with its own demand', async () => {
    const a = await node.spawn(Counter, {}, { thread: 1 })
    const b = await node.spawn(Counter, { start: 1000 }, { thread: 1 })
    const consumer = await node.spawn(Collector, { report: probe.pid }, { thread: 2 })
    const from = await Stage.subscribe(node, consumer, { to: a, maxDemand: 10, minDemand: 5 })
    await probe.expect(batch(consumer))
    const down = node.monitor(consumer).down
    await Stage.resubscribe(node, consumer, from, 'changed', { to: b, maxDemand: 4, minDemand: 0 })
    assert.deepEqual(((await probe.expect(cancelled)) as { why: unknown }).why, { kind: 'cancel', reason: 'changed' })
    let got = (await probe.expect(batch(consumer))) as Batch
    while (!got.producer.equals(b)) got = (await probe.expect(batch(consumer))) as Batch
    assert.ok(got.events.length <= 4 && (got.events[0] as number) >= 1000)
    await Server.stop(node, consumer)
    assert.equal((await down).reason, 'normal', 'the permanent consumer did not stop on the resubscribe')
    for (const p of [a, b]) await Server.stop(node, p)
  })

  it('handleCall may answer later: noreply() now, this.reply(from, v) from another callback', async () => {
    const producer = await node.spawn(Pusher, {}, { thread: 1 })
    const held = node.call(producer, 'hold')
    await node.call(producer, 'release')
    assert.equal(await held, 'released')
    await Server.stop(node, producer)
  })

  it('Stage.cancel ends a subscription from outside; the consumer hears it and its mode applies', async () => {
    const producer = await node.spawn(Counter, {}, { thread: 1 })
    const consumer = await node.spawn(Collector, { report: probe.pid }, { thread: 2 })
    const from = await Stage.subscribe(node, consumer, { to: producer, maxDemand: 5, minDemand: 0, cancel: 'temporary' })
    await probe.expect(batch(consumer))
    Stage.cancel(node, from, 'enough')
    assert.deepEqual(((await probe.expect(cancelled)) as { why: unknown }).why, { kind: 'cancel', reason: 'enough' })
    await Server.stop(node, consumer)
    await Server.stop(node, producer)
  })

  describe('handleInfo for a Stage.asyncInfo message (STG-R14) is a callback like any other', () => {
    const subscribed = async (): Promise<[Pid, Pid]> => {
      const producer = await node.spawn(InfoEmitter, { report: probe.pid }, { thread: 1 })
      const consumer = await node.spawn(Collector, { report: probe.pid, subscribeTo: [{ to: producer, maxDemand: 10, minDemand: 0 }] }, { thread: 2 })
      await probe.expect((m) => (m as { event?: string }).event === 'demand')
      return [producer, consumer]
    }

    it('dispatches the events it returns, resolves with, or emits with this.emit, each at once', async () => {
      const [producer, consumer] = await subscribed()
      Stage.asyncInfo(node, producer, { give: ['a', 'b'] })
      assert.deepEqual(await batches(1, consumer), [['a', 'b']])
      Stage.asyncInfo(node, producer, { emit: ['c'] })
      assert.deepEqual(await batches(1, consumer), [['c']], 'this.emit goes out with no later callback')
      Stage.asyncInfo(node, producer, { later: ['d', 'e'] })
      assert.deepEqual(await batches(1, consumer), [['d', 'e']])
      for (const p of [consumer, producer]) await Server.stop(node, p)
    })

    it('crashes the stage when it rejects, as when it throws', async () => {
      const [producer, consumer] = await subscribed()
      const down = node.monitor(producer).down
      Stage.asyncInfo(node, producer, { reject: 'boom' })
      assert.equal(((await down).reason as Error).message, 'boom')
      await Server.stop(node, consumer).catch(() => {})
    })
  })
})
