/**
 * GenStage's `gen_stage_test.exs` (SEMANTICS §7.5), part 2: the producer buffer (STG-R11) and
 * infos that wait behind the events ahead of them (STG-R14). Set-up and helpers:
 * 024-gen-stage-upstream/kit.ts.
 */
import assert from 'node:assert/strict'
import { Stage, type Pid } from '../../src/index.ts'
import { CountingLog, Listener, Tally, Twice } from '../fixtures/upstream-stages.ts'
import { Wire, type WireCommand } from '../fixtures/stages.ts'
import {
  consumed, is, killStarted, newProbe, node, probe, spawn, startSuiteNode, stopNode, type Report,
} from './024-gen-stage-upstream/kit.ts'

describe('GenStage upstream (gen_stage_test.exs): buffer and info', function () {
  this.timeout(20000)

  before(startSuiteNode)
  after(stopNode)
  beforeEach(newProbe)
  afterEach(killStarted)

  describe('buffer', () => {
    it('calls optional format_discarded callback with discarded count when it exceeds configured size', async () => {
      for (const log of [false, true]) {
        const producer = await spawn(CountingLog, { report: probe.pid, log }, { thread: 1 })
        await node.call(producer, { queue: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'] })
        assert.equal(((await probe.expect(is('format-discarded', producer))) as Report).n, 3)
        const consumer = await spawn(Listener, { report: probe.pid }, { thread: 2 })
        await Stage.subscribe(node, consumer, { to: producer, maxDemand: 4, minDemand: 0 })
        assert.deepEqual(await consumed(consumer), ['a', 'b', 'c', 'd'])
        assert.deepEqual(await consumed(consumer), ['e'])
        // Its DOWN is the last message it sends the probe: no other format_discarded came before.
        const ref = probe.monitor(producer)
        node.exit(producer, 'kill')
        await probe.expectNoneBefore(is('format-discarded', producer), ref)
      }
    })

    it('returns the correct buffer count when polled', async () => {
      const producer = await spawn(Tally, { bufferSize: Infinity }, { thread: 1 })
      await node.call(producer, { queue: ['a', 'b', 'c', 'd', 'e'] })
      assert.equal(await Stage.estimateBufferedCount(node, producer), 5)
      await node.call(producer, { queue: ['f', 'g', 'h'] })
      assert.equal(await Stage.estimateBufferedCount(node, producer), 8)
      const consumer = await spawn(Listener, { report: probe.pid }, { thread: 2 })
      await Stage.subscribe(node, consumer, { to: producer, maxDemand: 4, minDemand: 0 })
      assert.deepEqual(await consumed(consumer), ['a', 'b', 'c', 'd'])
      assert.deepEqual(await consumed(consumer), ['e', 'f', 'g', 'h'])
      assert.equal(await Stage.estimateBufferedCount(node, producer), 0)
    })
  })

  describe('info', () => {
    const info = (pid: Pid) => async (): Promise<unknown> => ((await probe.expect(is('info', pid))) as Report).message
    /**
     * No info reported by `stage` yet: a plain message from the node goes to handleInfo at once,
     * behind the asyncInfo the node sent before it, so an info not held back would come first.
     */
    const noInfoYet = async (stage: Pid): Promise<void> => {
      node.send(stage, 'now')
      await probe.expectNoneBefore(is('info', stage), (m) => is('info', stage)(m) && (m as Report).message === 'now')
    }

    it('delivers info to consumer', async () => {
      const consumer = await spawn(Listener, { report: probe.pid }, { thread: 2 })
      Stage.asyncInfo(node, consumer, 'async')
      assert.equal(await info(consumer)(), 'async')
    })

    it('delivers info to producer_consumer immediately when there is no incoming buffer', async () => {
      const producer = await spawn(Tally, {}, { thread: 1 })
      const doubler = await spawn(Twice, { report: probe.pid, subscribeTo: [producer] }, { thread: 2 })
      const consumer = await spawn(Listener, { report: probe.pid, subscribeTo: [doubler] }, { thread: 2 })
      await probe.expect(is('consumed', consumer))
      Stage.asyncInfo(node, doubler, 'async')
      assert.equal(await info(doubler)(), 'async')
    })

    it('delivers info to producer immediately when there is no buffer', async () => {
      const producer = await spawn(Tally, { report: probe.pid, count: false }, { thread: 1 })
      Stage.asyncInfo(node, producer, 'async')
      assert.equal(await info(producer)(), 'async')
    })

    for (const [name, size, queued] of [
      ['with infinity buffer size', Infinity, ['a', 'b', 'c']], ['with one-item filled buffer', 3, ['a']],
      ['with mid filled buffer', 3, ['a', 'b']], ['with filled buffer', 3, ['a', 'b', 'c']],
    ] as const) {
      it(`delivers info to producer eventually ${name}`, async () => {
        const producer = await spawn(Tally, { report: probe.pid, count: false, bufferSize: size }, { thread: 1 })
        const consumer = await spawn(Listener, { report: probe.pid }, { thread: 1 })
        await node.call(producer, { queue: [...queued] })
        Stage.asyncInfo(node, producer, 'sync')
        await noInfoYet(producer)
        await Stage.subscribe(node, consumer, { to: producer })
        assert.deepEqual(await consumed(consumer), [...queued])
        assert.equal(await info(producer)(), 'sync')
      })
    }

    describe('driven by a raw subscriber', () => {
      let wire: Pid
      beforeEach(async () => {
        wire = await spawn(Wire, { report: probe.pid }, { thread: 0 })
      })
      const send = (c: WireCommand): void => node.send(wire, c)
      const wireEvents = async (): Promise<unknown> =>
        ((await probe.expect((m) => (m as { event?: string }).event === 'wire')) as { message: { events?: unknown[] } }).message.events

      it('delivers info to producer eventually with moving buffer', async () => {
        const producer = await spawn(Tally, { report: probe.pid, count: false, bufferSize: 3 }, { thread: 0 })
        send({ wire: 'subscribe', to: producer, tag: 't' })
        await probe.expect(is('subscribed', producer))
        await node.call(producer, { queue: ['a', 'b', 'c'] })
        Stage.asyncInfo(node, producer, 'sync1')
        send({ wire: 'ask', to: producer, tag: 't', n: 2 })
        assert.deepEqual(await wireEvents(), ['a', 'b'])
        await noInfoYet(producer)
        await node.call(producer, { queue: ['d', 'e'] })
        Stage.asyncInfo(node, producer, 'sync2')
        send({ wire: 'ask', to: producer, tag: 't', n: 1 })
        send({ wire: 'ask', to: producer, tag: 't', n: 2 })
        assert.deepEqual(await wireEvents(), ['c'])
        assert.equal(await info(producer)(), 'sync1')
        assert.deepEqual(await wireEvents(), ['d', 'e'])
        assert.equal(await info(producer)(), 'sync2')
      })

      it('delivers info to producer eventually when dropping buffer', async () => {
        const producer = await spawn(Tally, { report: probe.pid, count: false, bufferSize: 3, bufferKeep: 'last' }, { thread: 0 })
        await node.call(producer, { queue: ['a', 'b'] })
        Stage.asyncInfo(node, producer, 'sync')
        await noInfoYet(producer)
        send({ wire: 'subscribe', to: producer, tag: 't' })
        await probe.expect(is('subscribed', producer))
        await node.call(producer, { queue: ['c', 'd', 'e'] })
        assert.equal(await info(producer)(), 'sync', 'the events ahead of it were dropped')
      })
    })
  })
})
