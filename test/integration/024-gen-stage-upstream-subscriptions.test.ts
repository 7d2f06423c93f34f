/**
 * GenStage's `gen_stage_test.exs` (SEMANTICS §7.5), part 3: subscribing (sync_subscribe/2,
 * sync_resubscribe/2: STG-R2/R3/R5) and the producer, consumer and producer_consumer callbacks
 * (handle_subscribe, handle_cancel by cancel mode: STG-R9, handle_call, terminate). Set-up and
 * helpers: 024-gen-stage-upstream/kit.ts.
 */
import assert from 'node:assert/strict'
import { Server, Stage, hasCode, type SubscriptionFrom } from '../../src/index.ts'
import { Listener, Tally, Twice } from '../fixtures/upstream-stages.ts'
import {
  consumedFrom, is, killStarted, namesSub, newProbe, node, nothingYet, probe, spawn, startSuiteNode, stopNode, type Report,
} from './024-gen-stage-upstream/kit.ts'

describe('GenStage upstream (gen_stage_test.exs): subscriptions and callbacks', function () {
  this.timeout(20000)

  before(startSuiteNode)
  after(stopNode)
  beforeEach(newProbe)
  afterEach(killStarted)

  describe('sync_subscribe/2', () => {
    it('returns ok with reference', async () => {
      const producer = await spawn(Tally, {}, { thread: 1 })
      const consumer = await spawn(Listener, { report: probe.pid }, { thread: 2 })
      const from = await Stage.subscribe(node, consumer, { to: producer })
      assert.ok(from.producer.equals(producer) && from.tag !== undefined)
    })

    it('caller exits when the consumer is dead', async () => {
      const producer = await spawn(Tally, {}, { thread: 1 })
      const consumer = await spawn(Listener, { report: probe.pid }, { thread: 2 })
      await Server.stop(node, consumer)
      await assert.rejects(Stage.subscribe(node, consumer, { to: producer }), (e) => hasCode(e, 'ERR_NOPROC'))
    })

    it('returns errors on bad options', async () => {
      const consumer = await spawn(Listener, { report: probe.pid }, { thread: 2 })
      await assert.rejects(Stage.subscribe(node, consumer, { to: 'whatever', maxDemand: 0 }), (e) => hasCode(e, 'ERR_STAGE_BAD_OPTS'))
      await assert.rejects(Stage.subscribe(node, consumer, { to: 'whatever', minDemand: 2000 }), (e) => hasCode(e, 'ERR_STAGE_BAD_OPTS'))
      await Stage.subscribe(node, consumer, { to: 'whatever', cancel: 'temporary' })
      await probe.expect(is('cancelled', consumer))
      Stage.asyncInfo(node, consumer, 'alive')
      await probe.expect(is('info', consumer))
    })

    for (const mode of ['permanent', 'temporary'] as const) {
      it(`consumer ${mode === 'permanent' ? 'exits' : 'does not exit'} when producer is dead and subscription is ${mode}`, async () => {
        const producer = await spawn(Tally, {}, { thread: 1 })
        await Server.stop(node, producer)
        const consumer = await spawn(Listener, { report: probe.pid }, { thread: 2 })
        const down = node.monitor(consumer).down
        const from = await Stage.subscribe(node, consumer, { to: producer, cancel: mode })
        assert.ok(from.tag !== undefined, 'the caller gets its reference either way')
        assert.deepEqual(((await probe.expect(is('cancelled', consumer))) as Report).why, { kind: 'down', reason: 'noproc' })
        if (mode === 'permanent') assert.equal((await down).reason, 'noproc')
        else await probe.expect((Stage.asyncInfo(node, consumer, 'alive'), is('info', consumer)))
      })
    }

    it('handles subscription error gracefully', async () => {
      const producer = await spawn(Tally, { broadcast: true, report: probe.pid }, { thread: 1 })
      const consumer = await spawn(Listener, { report: probe.pid }, { thread: 2 })
      const down = node.monitor(consumer).down
      await Stage.subscribe(node, consumer, { to: producer })
      await Stage.subscribe(node, consumer, { to: producer })
      assert.deepEqual(((await probe.expect(is('cancelled', consumer))) as Report).why, { kind: 'cancel', reason: 'already_subscribed' })
      // The first subscription still works: the permanent consumer did not stop, and gets events.
      await node.call(producer, { queue: ['x'] })
      assert.deepEqual(await consumedFrom('consumed', consumer, 'x'), ['x'])
      await Server.stop(node, consumer)
      assert.equal((await down).reason, 'normal')
    })
  })

  describe('sync_resubscribe/2', () => {
    it('returns ok with reference even if previous subscription does not exist', async () => {
      const producer = await spawn(Tally, {}, { thread: 1 })
      const consumer = await spawn(Listener, { report: probe.pid }, { thread: 2 })
      const other = await spawn(Listener, { report: probe.pid }, { thread: 2 })
      const foreign: SubscriptionFrom = await Stage.subscribe(node, other, { to: producer, maxDemand: 1 })
      const from = await Stage.resubscribe(node, consumer, foreign, 'resubscribe', { to: producer })
      const sub = (await probe.expect(is('subscribed', consumer))) as Report
      assert.ok((sub.sub as SubscriptionFrom).tag.equals(from.tag))
      await nothingYet(consumer, producer, 'cancelled')
    })

    it('returns errors on bad options', async () => {
      const consumer = await spawn(Listener, { report: probe.pid }, { thread: 2 })
      const producer = await spawn(Tally, {}, { thread: 1 })
      const from = await Stage.subscribe(node, consumer, { to: producer, maxDemand: 1 })
      for (const bad of [{ maxDemand: 0 }, { minDemand: 2000 }]) {
        await assert.rejects(Stage.resubscribe(node, consumer, from, 'resubscribe', { to: 'whatever', ...bad }), (e) => hasCode(e, 'ERR_STAGE_BAD_OPTS'))
      }
    })
  })

  describe('producer callbacks', () => {
    it('handle_subscribe/4', async () => {
      const producer = await spawn(Tally, { report: probe.pid }, { thread: 1 })
      const consumer = await spawn(Listener, { report: probe.pid }, { thread: 2 })
      await namesSub('subscribed', producer, 'consumer', consumer, await Stage.subscribe(node, consumer, { to: producer }))
    })

    it('handle_cancel/3', async () => {
      const producer = await spawn(Tally, { report: probe.pid }, { thread: 1 })
      const consumer = await spawn(Listener, { report: probe.pid }, { thread: 2 })
      const from = await Stage.subscribe(node, consumer, { to: producer, cancel: 'temporary' })
      await probe.expect(is('subscribed', producer))
      Stage.cancel(node, from, 'oops')
      assert.deepEqual(((await probe.expect(is('cancelled', producer))) as Report).why, { kind: 'cancel', reason: 'oops' })
    })

    it('handle_call/3 may shut stage down', async () => {
      const producer = await spawn(Tally, {}, { thread: 1 })
      const down = node.monitor(producer).down
      assert.equal(await node.call(producer, { stop: 'shutdown' }), 'ok')
      assert.equal((await down).reason, 'shutdown')
    })
  })

  describe('consumer callbacks', () => {
    it('handle_subscribe/4', async () => {
      const producer = await spawn(Tally, {}, { thread: 1 })
      const consumer = await spawn(Listener, { report: probe.pid }, { thread: 2 })
      await namesSub('subscribed', consumer, 'producer', producer, await Stage.subscribe(node, consumer, { to: producer }))
    })

    // Upstream: producer callbacks terminate/2 and consumer callbacks terminate/1.
    for (const [name, kind] of [['terminate/2 (producer)', Tally], ['terminate/1', Listener]] as const) {
      it(name, async () => {
        const stage = await spawn(kind as typeof Tally, { report: probe.pid }, { thread: 2 })
        await Server.stop(node, stage)
        assert.equal(((await probe.expect(is('terminated', stage))) as Report).reason, 'normal')
      })
    }
  })

  // The side that is killed shares a thread with the one watching it, and the test waits until the
  // watcher has its monitor: a kill sent from another thread could otherwise overtake the monitor.
  describe('producer_consumer callbacks', () => {
    it('producer handle_subscribe/4', async () => {
      const doubler = await spawn(Twice, { report: probe.pid }, { thread: 1 })
      const consumer = await spawn(Listener, { report: probe.pid }, { thread: 2 })
      await namesSub('pc-subscribed', doubler, 'consumer', consumer, await Stage.subscribe(node, consumer, { to: doubler }))
    })

    for (const how of ['cancel', 'consumer down'] as const) {
      it(`producer handle_cancel/3${how === 'cancel' ? '' : ' on consumer down'}`, async () => {
        const doubler = await spawn(Twice, { report: probe.pid }, { thread: 1 })
        const consumer = await spawn(Listener, { report: probe.pid }, { thread: 1 })
        const from = await Stage.subscribe(node, consumer, { to: doubler, cancel: 'temporary' })
        await probe.expect(is('pc-subscribed', doubler))
        if (how === 'cancel') Stage.cancel(node, from, 'oops')
        else node.exit(consumer, 'kill')
        const why = ((await probe.expect(is('pc-cancelled', doubler))) as Report).why
        assert.deepEqual(why, how === 'cancel' ? { kind: 'cancel', reason: 'oops' } : { kind: 'down', reason: 'killed' })
      })
    }

    for (const [mode, stops] of [['temporary', false], ['permanent', true]] as const) {
      it(`consumer handle_cancel/3 on producer down with ${mode} subscription`, async () => {
        // A producer that emits nothing: queued upstream events would hold the cancel back (STG-R16).
        const producer = await spawn(Tally, { report: probe.pid, count: false }, { thread: 1 })
        const doubler = await spawn(Twice, { report: probe.pid }, { thread: 1 })
        const down = node.monitor(doubler).down
        await Stage.subscribe(node, doubler, { to: producer, cancel: mode })
        await probe.expect(is('subscribed', producer))
        node.exit(producer, 'kill')
        assert.deepEqual(((await probe.expect(is('pc-cancelled', doubler))) as Report).why, { kind: 'down', reason: 'killed' })
        if (stops) assert.equal((await down).reason, 'killed')
        else await probe.expect((Stage.asyncInfo(node, doubler, 'alive'), is('info', doubler)))
      })
    }
  })
})
