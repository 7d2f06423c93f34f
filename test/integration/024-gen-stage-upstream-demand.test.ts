/**
 * GenStage's `gen_stage_test.exs` (SEMANTICS §7.5), part 1: demand. Producer to consumer (the
 * batching of STG-R6, broadcast demand shared by its consumers: STG-R18), producer to
 * producer_consumer to consumer, and the demand modes (STG-R12). Set-up and helpers:
 * 024-gen-stage-upstream/kit.ts.
 *
 * Broadcast cases: upstream lets its consumers race to subscribe and looks at later events; here
 * the producer starts in accumulate mode (or the producer_consumer subscribes upstream last), so
 * every consumer is subscribed before the first event and the first batches can be asserted.
 */
import assert from 'node:assert/strict'
import { Stage, type Pid } from '../../src/index.ts'
import { DemandEcho, Dropper, Listener, Tally, Twice } from '../fixtures/upstream-stages.ts'
import { Wire } from '../fixtures/stages.ts'
import {
  consumed, consumedFrom, doubled, is, killStarted, newProbe, next, node, nothingYet, probe, range, spawn, startSuiteNode, stopNode,
} from './024-gen-stage-upstream/kit.ts'

describe('GenStage upstream (gen_stage_test.exs): demand', function () {
  this.timeout(20000)

  before(startSuiteNode)
  after(stopNode)
  beforeEach(newProbe)
  afterEach(killStarted)

  describe('producer-to-consumer demand', () => {
    it('with default max and min demand', async () => {
      const producer = await spawn(Tally, {}, { thread: 1 })
      const consumer = await spawn(Listener, { report: probe.pid, subscribeTo: [producer] }, { thread: 2 })
      assert.deepEqual(await consumed(consumer), range(0, 499))
      assert.deepEqual(await consumed(consumer), range(500, 999))
    })

    it('with 80% min demand', async () => {
      const producer = await spawn(Tally, {}, { thread: 1 })
      const consumer = await spawn(Listener, { report: probe.pid, subscribeTo: [{ to: producer, minDemand: 80, maxDemand: 100 }] }, { thread: 2 })
      assert.deepEqual(await consumed(consumer), range(0, 19))
      assert.deepEqual(await consumed(consumer), range(20, 39))
      assert.deepEqual(await consumedFrom('consumed', consumer, 1000), range(1000, 1019))
    })

    it('with 20% min demand', async () => {
      const producer = await spawn(Tally, {}, { thread: 1 })
      const consumer = await spawn(Listener, { report: probe.pid, subscribeTo: [{ to: producer, minDemand: 20, maxDemand: 100 }] }, { thread: 2 })
      for (const [a, b] of [[0, 79], [80, 99], [100, 179], [180, 259], [260, 279]] as const) assert.deepEqual(await consumed(consumer), range(a, b))
    })

    it('with 1 max and 0 min demand', async () => {
      const producer = await spawn(Tally, {}, { thread: 1 })
      const consumer = await spawn(Listener, { report: probe.pid }, { thread: 2 })
      await Stage.subscribe(node, consumer, { to: producer, maxDemand: 1, minDemand: 0 })
      for (const e of [0, 1, 2]) assert.deepEqual(await consumed(consumer), [e])
    })

    /** A broadcast producer (accumulating until `go`) and two consumers of max 10 and 20, both subscribed. */
    const broadcast = async (manualFirst = false): Promise<{ producer: Pid; c1: Pid; c2: Pid; go: () => Promise<unknown> }> => {
      const producer = await spawn(Tally, { broadcast: true, demand: 'accumulate', report: probe.pid, reportDemand: true }, { thread: 1 })
      const c1 = await spawn(Listener, { report: probe.pid, manual: manualFirst }, { thread: 2 })
      const c2 = await spawn(Listener, { report: probe.pid }, { thread: 2 })
      await Stage.subscribe(node, c1, { to: producer, maxDemand: 10, minDemand: 0 })
      await Stage.subscribe(node, c2, { to: producer, maxDemand: 20, minDemand: 0 })
      for (let i = 0; i < 2; i++) await next('subscribed', producer)
      return { producer, c1, c2, go: () => Stage.demand(node, producer, 'forward') }
    }

    it('with shared (broadcast) demand', async () => {
      const { c1, c2, go } = await broadcast()
      await go()
      for (const [a, b] of [[0, 9], [10, 19], [20, 29]] as const) {
        assert.deepEqual(await consumed(c1), range(a, b))
        assert.deepEqual(await consumed(c2), range(a, b), 'the same events, in the same batches')
      }
    })

    it('with shared (broadcast) demand does not result in duplicate upstream demand', async () => {
      const { producer, c1, c2, go } = await broadcast()
      await go()
      // Asked 10 by one and 20 by the other, the producer is asked for 10 (the smaller) once:
      // not 30, nor 10 and 20. Each round after that again asks what the slower one can take.
      for (let round = 0; round < 3; round++) {
        assert.equal((await next('demand', producer)).n, 10)
        assert.deepEqual(await consumed(c1), range(round * 10, round * 10 + 9))
        assert.deepEqual(await consumed(c2), range(round * 10, round * 10 + 9))
      }
    })

    it('STG-T12 with shared (broadcast) demand, the producer emits only what the slowest consumer asked for', async () => {
      const { producer, c1, c2, go } = await broadcast(true)
      await go()
      // c2 asked 20 but c1 (manual) has asked nothing yet: nothing may go out.
      for (const c of [c1, c2]) await nothingYet(c, producer)
      await node.call(c1, { ask: 3 })
      assert.equal((await next('demand', producer)).n, 3)
      assert.deepEqual(await consumed(c1), [0, 1, 2])
      assert.deepEqual(await consumed(c2), [0, 1, 2])
      for (const c of [c1, c2]) await nothingYet(c, producer)
      await node.call(c1, { ask: 5 })
      assert.equal((await next('demand', producer)).n, 5)
      assert.deepEqual(await consumed(c1), range(3, 7))
      assert.deepEqual(await consumed(c2), range(3, 7))
    })
  })

  describe('producer-producer_consumer-consumer demand', () => {
    // The doubler's upstream batches follow its own subscription (STG-R6); what reaches the
    // consumer is each batch doubled, cut by the consumer's max - min.
    for (const late of [false, true]) {
      it(`with 80% min demand with ${late ? 'late' : 'init'} subscription`, async () => {
        const producer = await spawn(Tally, {}, { thread: 1 })
        const up = { to: producer, maxDemand: 100, minDemand: 80 }
        const doubler = await spawn(Twice, { report: probe.pid, ...(late ? {} : { subscribeTo: [up] }) }, { thread: 2 })
        const consumer = await spawn(Listener, { report: probe.pid, ...(late ? {} : { subscribeTo: [{ to: doubler, maxDemand: 100, minDemand: 50 }] }) }, { thread: 2 })
        if (late) {
          await Stage.subscribe(node, consumer, { to: doubler, maxDemand: 100, minDemand: 50 })
          await Stage.subscribe(node, doubler, up)
        }
        assert.deepEqual((await next('pc-consumed', doubler)).events, range(0, 19))
        assert.deepEqual(await consumed(consumer), doubled(0, 19))
        assert.deepEqual(await consumed(consumer), doubled(20, 39))
        assert.deepEqual(await consumedFrom('pc-consumed', doubler, 100), range(100, 119))
      })

      it(`with 20% min demand with ${late ? 'later' : 'init'} subscription`, async () => {
        const producer = await spawn(Tally, {}, { thread: 1 })
        const up = { to: producer, maxDemand: 100, minDemand: 20 }
        const doubler = await spawn(Twice, { report: probe.pid, ...(late ? {} : { subscribeTo: [up] }) }, { thread: 2 })
        const consumer = await spawn(Listener, { report: probe.pid, ...(late ? {} : { subscribeTo: [{ to: doubler, maxDemand: 100, minDemand: 50 }] }) }, { thread: 2 })
        if (late) {
          await Stage.subscribe(node, consumer, { to: doubler, maxDemand: 100, minDemand: 50 })
          await Stage.subscribe(node, doubler, up)
        }
        assert.deepEqual((await next('pc-consumed', doubler)).events, range(0, 79))
        const got: unknown[] = []
        while (got.length < 150) got.push(...await consumed(consumer))
        assert.deepEqual(got.slice(0, 150), doubled(0, 74), 'in order, doubled, nothing lost')
        assert.deepEqual(await consumedFrom('pc-consumed', doubler, 100), range(100, 179))
      })
    }

    it('keeps emitting events even when discarded', async () => {
      const producer = await spawn(Tally, {}, { thread: 1 })
      const dropper = await spawn(Dropper, { report: probe.pid, subscribeTo: [{ to: producer, maxDemand: 100, minDemand: 80 }] }, { thread: 2 })
      await spawn(Listener, { report: probe.pid, subscribeTo: [{ to: dropper, maxDemand: 100, minDemand: 50 }] }, { thread: 2 })
      assert.deepEqual((await next('discarded', dropper)).events, range(0, 19))
      assert.deepEqual(await consumedFrom('discarded', dropper, 100), range(100, 119))
      assert.deepEqual(await consumedFrom('discarded', dropper, 1000), range(1000, 1019))
    })

    /** A broadcasting doubler with two consumers (max 10 and 20) and `extra` subscribers, all subscribed before it subscribes upstream. */
    const broadcastDoubler = async (extra: (doubler: Pid) => void = () => {}): Promise<{ producer: Pid; doubler: Pid; c1: Pid; c2: Pid; up: () => Promise<unknown> }> => {
      const producer = await spawn(Tally, {}, { thread: 1 })
      const doubler = await spawn(Twice, { report: probe.pid, broadcast: true }, { thread: 2 })
      const c1 = await spawn(Listener, { report: probe.pid }, { thread: 2 })
      const c2 = await spawn(Listener, { report: probe.pid }, { thread: 2 })
      extra(doubler)
      await Stage.subscribe(node, c1, { to: doubler, maxDemand: 10, minDemand: 0 })
      await Stage.subscribe(node, c2, { to: doubler, maxDemand: 20, minDemand: 0 })
      return { producer, doubler, c1, c2, up: () => Stage.subscribe(node, doubler, { to: producer }) }
    }

    it('with shared (broadcast) demand', async () => {
      const { doubler, c1, c2, up } = await broadcastDoubler()
      for (let i = 0; i < 2; i++) await next('pc-subscribed', doubler)
      await up()
      assert.deepEqual(await consumed(c1), doubled(0, 4))
      assert.deepEqual(await consumed(c2), doubled(0, 4))
      assert.deepEqual(await consumed(c1), doubled(5, 9))
      assert.deepEqual(await consumed(c2), doubled(5, 9))
    })

    it('with shared (broadcast) demand and synchronizer subscriber', async () => {
      const wire = await spawn(Wire, { report: probe.pid }, { thread: 0 })
      // A raw subscriber that subscribes and never asks holds everyone back, until it cancels.
      const { producer, doubler, c1, c2, up } = await broadcastDoubler((d) => node.send(wire, { wire: 'subscribe', to: d, tag: 'stale' }))
      for (let i = 0; i < 3; i++) await next('pc-subscribed', doubler)
      await up()
      // c1's call to the producer comes back behind the events the producer sent the doubler (one
      // ring from the producer's thread to theirs), so those are in the doubler's mailbox ahead of
      // c1's call to it below.
      await node.call(c1, { sync: producer })
      await next('synced', c1)
      for (const c of [c1, c2]) await nothingYet(c, doubler)
      node.send(wire, { wire: 'cancel', to: doubler, tag: 'stale', reason: 'killed' })
      assert.deepEqual(await consumed(c1), doubled(0, 4))
      assert.deepEqual(await consumed(c2), doubled(0, 4))
    })
  })

  describe('demand', () => {
    it('can be set to :accumulate via API', async () => {
      const producer = await spawn(Tally, {}, { thread: 1 })
      assert.equal(await Stage.demand(node, producer), 'forward')
      assert.equal(await Stage.demand(node, producer, 'accumulate'), 'accumulate')
      const consumer = await spawn(Listener, { report: probe.pid }, { thread: 2 })
      await Stage.subscribe(node, consumer, { to: producer, maxDemand: 4, minDemand: 0 })
      await nothingYet(consumer, producer)
      await Stage.demand(node, producer, 'forward')
      assert.equal(await Stage.demand(node, producer), 'forward')
      assert.deepEqual(await consumed(consumer), [0, 1, 2, 3])
    })

    it('can be set to :forward via API before subscriptions', async () => {
      const producer = await spawn(Tally, { demand: 'accumulate' }, { thread: 1 })
      assert.equal(await Stage.demand(node, producer), 'accumulate')
      assert.equal(await Stage.demand(node, producer, 'forward'), 'forward')
      const consumer = await spawn(Listener, { report: probe.pid }, { thread: 2 })
      await Stage.subscribe(node, consumer, { to: producer, maxDemand: 4, minDemand: 0 })
      assert.deepEqual(await consumed(consumer), [0, 1, 2, 3])
    })

    it('is not reset when set to :accumulate and is already accumulating', async () => {
      const producer = await spawn(Tally, { demand: 'accumulate' }, { thread: 1 })
      const consumer = await spawn(Listener, { report: probe.pid }, { thread: 2 })
      await Stage.subscribe(node, consumer, { to: producer, maxDemand: 4, minDemand: 0 })
      await nothingYet(consumer, producer)
      await Stage.demand(node, producer, 'accumulate')
      await Stage.demand(node, producer, 'forward')
      assert.deepEqual(await consumed(consumer), [0, 1, 2, 3], 'the ask held before the second accumulate was kept')
    })

    it('does not combine demands when accumulating', async () => {
      const producer = await spawn(DemandEcho, undefined, { thread: 1 })
      // Both consumers on one thread: their subscribes and asks reach the producer in this order.
      const c1 = await spawn(Listener, { report: probe.pid }, { thread: 2 })
      const c2 = await spawn(Listener, { report: probe.pid }, { thread: 2 })
      await Stage.subscribe(node, c1, { to: producer, maxDemand: 2 })
      await Stage.subscribe(node, c2, { to: producer, maxDemand: 2 })
      for (const c of [c1, c2]) await nothingYet(c, producer)
      await Stage.demand(node, producer, 'forward')
      // Two held asks of 2 each are replayed one by one (not one ask of 4): handleDemand(2) twice.
      assert.deepEqual(await consumed(c1), [2])
      assert.deepEqual(await consumed(c2), [2])
      // Each then consumed its single event (batch size max - min = 1) and asks 1 more.
      assert.deepEqual(await consumed(c1), [1])
    })
  })
})
