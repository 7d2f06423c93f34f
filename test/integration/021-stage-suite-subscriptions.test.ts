/**
 * Stage suite, the ends of subscriptions (SEMANTICS §7.6): cancel modes when the producer is
 * killed or crashes (STG-T8) and on a cancel (T9), a producer_consumer's queued events before its
 * producer's cancel (T21), and protocol errors driven by a raw process speaking the stage
 * messages (T24). Named after the STG-T id and, where there is one, the GenStage test it ports.
 * Resubscribe (T25) is not implemented yet and has no test here.
 */
import assert from 'node:assert/strict'
import { Node, Server, Stage, type CancelReason, type Pid } from '../../src/index.ts'
import { probe as makeProbe, type Probe } from '../../src/testing/index.ts'
import { Relay, Sink, Source, Wire, type WireCommand } from '../fixtures/stages.ts'

const FIXTURES = new URL('../fixtures/stages.ts', import.meta.url)

interface Report { event: string; from: Pid; events: unknown[]; producer?: Pid; why?: CancelReason }
interface WireReport { event: 'wire'; tag: string; message: { $stage: string; reason?: unknown; events?: unknown[]; consumer?: Pid } }

/** A report of `event` from `pid`. */
const is = (event: string, pid: Pid) => (m: unknown): boolean =>
  (m as Report).event === event && (m as Report).from.equals(pid)

describe('Stage suite: subscriptions', function () {
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

  const stopAll = async (...pids: Pid[]): Promise<void> => {
    for (const p of pids) await Server.stop(node, p)
  }
  /** A consumer that lived on still works: it subscribes to `producer` and gets events from it. */
  const stillConsumes = async (consumer: Pid, producer: Pid): Promise<void> => {
    await Stage.subscribe(node, consumer, { to: producer, maxDemand: 3, minDemand: 0 })
    await probe.expect((m) => is('events', consumer)(m) && (m as Report).producer?.equals(producer) === true)
  }

  describe('STG-T8 cancel modes when the producer goes down', () => {
    for (const mode of ['permanent', 'transient', 'temporary'] as const) {
      for (const end of ['killed', 'oops'] as const) {
        const stops = mode !== 'temporary'
        it(`${mode}, producer ${end === 'killed' ? 'killed' : 'stopping with an abnormal reason'}: handleCancel({down, ${end}}), then the consumer ${stops ? 'exits with it' : 'lives on'} (GenStage: consumer handle_cancel/3 on producer down with ${mode} subscription)`, async () => {
          const producer = await node.spawn(Source, { count: true }, { thread: 1 })
          const consumer = await node.spawn(Sink, { report: probe.pid, subscribeTo: [{ to: producer, cancel: mode, maxDemand: 5, minDemand: 0 }] }, { thread: 2 })
          await probe.expect(is('events', consumer))
          const down = node.monitor(consumer).down
          if (end === 'killed') node.exit(producer, 'kill')
          else await node.call(producer, { stop: end })
          assert.deepEqual((await probe.expect<Report>(is('cancel', consumer))).why, { kind: 'down', reason: end })
          if (stops) {
            assert.equal((await down).reason, end)
            return
          }
          const other = await node.spawn(Source, { count: true }, { thread: 1 })
          await stillConsumes(consumer, other)
          await stopAll(consumer, other)
        })
      }
    }
  })

  describe('STG-T9 cancel modes on a cancel', () => {
    for (const [mode, reason, stops] of [
      ['transient', 'normal', false], ['transient', 'shutdown', false], ['transient', { shutdown: 'done' }, false],
      ['transient', 'oops', true], ['permanent', 'normal', true], ['permanent', 'oops', true], ['temporary', 'oops', false],
    ] as const) {
      it(`${mode}, cancelled with ${JSON.stringify(reason)}: both sides run handleCancel({cancel, reason}), then the consumer ${stops ? 'exits with the reason' : 'lives on'} (GenStage: consumer handle_cancel/3 with ${mode} subscription)`, async () => {
        const producer = await node.spawn(Source, { report: probe.pid, count: true }, { thread: 1 })
        const consumer = await node.spawn(Sink, { report: probe.pid }, { thread: 2 })
        const from = await Stage.subscribe(node, consumer, { to: producer, cancel: mode, maxDemand: 5, minDemand: 0 })
        await probe.expect(is('events', consumer))
        const down = node.monitor(consumer).down
        Stage.cancel(node, from, reason)
        assert.deepEqual((await probe.expect<Report>(is('producer-cancel', producer))).why, { kind: 'cancel', reason })
        assert.deepEqual((await probe.expect<Report>(is('cancel', consumer))).why, { kind: 'cancel', reason })
        if (stops) {
          assert.deepEqual((await down).reason, reason)
          await stopAll(producer)
          return
        }
        // Everything from the cancelled subscription was reported before its cancel.
        probe.clear()
        await stillConsumes(consumer, producer)
        await stopAll(consumer, producer)
      })
    }

    it('a producer ending a subscription with this.cancelSubscription drops the consumer at once: both sides run handleCancel({cancel, reason}), later events wait in its buffer', async () => {
      const producer = await node.spawn(Source, { report: probe.pid }, { thread: 1 })
      const consumer = await node.spawn(Sink, { report: probe.pid, subscribeTo: [{ to: producer, cancel: 'temporary', maxDemand: 5, minDemand: 0 }] }, { thread: 2 })
      await probe.expect(is('demand', producer)) // the consumer has asked
      await node.call(producer, { cancelConsumers: 'enough' })
      assert.deepEqual((await probe.expect<Report>(is('producer-cancel', producer))).why, { kind: 'cancel', reason: 'enough' })
      assert.deepEqual((await probe.expect<Report>(is('cancel', consumer))).why, { kind: 'cancel', reason: 'enough' })
      await node.call(producer, { push: ['late'] })
      const state = await node.call<{ buffered: number; cancels: CancelReason[] }>(producer, 'state')
      assert.equal(state.buffered, 1, 'not sent to the departed consumer\'s demand')
      assert.deepEqual(state.cancels, [{ kind: 'cancel', reason: 'enough' }])
      await stopAll(consumer, producer)
    })
  })

  for (const end of ['cancel', 'kill'] as const) {
    it(`STG-T21 a producer_consumer handles the events queued before its producer's ${end === 'cancel' ? 'cancel' : 'death'} first, then handleCancel (GenStage: queued events with lost producer)`, async () => {
      // Producer and producer_consumer share a thread: what the producer sends is in the relay's
      // mailbox as soon as the producer reports.
      const producer = await node.spawn(Source, { report: probe.pid }, { thread: 1 })
      const relay = await node.spawn(Relay, { report: probe.pid }, { thread: 1 })
      const from = await Stage.subscribe(node, relay, { to: producer, cancel: 'temporary', maxDemand: 10, minDemand: 0 })
      await probe.expect(is('demand', producer))
      await node.call(producer, { push: ['a', 'b', 'c'] }) // no downstream demand yet: queued at the relay
      if (end === 'cancel') {
        Stage.cancel(node, from, 'gone')
        await probe.expect(is('producer-cancel', producer))
      } else {
        const down = node.monitor(producer).down
        node.exit(producer, 'kill')
        await down
      }
      const consumer = await node.spawn(Sink, { report: probe.pid, subscribeTo: [{ to: relay, maxDemand: 10, minDemand: 0 }] }, { thread: 2 })
      const first = await probe.expect<Report>((m) => (m as Report).from.equals(relay))
      assert.equal(first.event, 'relay-events', 'the queued events come before the cancel')
      assert.deepEqual(first.events, ['a', 'b', 'c'])
      assert.deepEqual((await probe.expect<Report>(is('relay-cancel', relay))).why, end === 'cancel' ? { kind: 'cancel', reason: 'gone' } : { kind: 'down', reason: 'killed' })
      assert.deepEqual((await probe.expect<Report>(is('events', consumer))).events, ['a', 'b', 'c'])
      await stopAll(consumer, relay, ...(end === 'cancel' ? [producer] : []))
    })
  }

  describe('STG-T24 protocol errors, driven by a raw process speaking the stage messages', () => {
    let wire: Pid
    beforeEach(async () => {
      wire = await node.spawn(Wire, { report: probe.pid }, { thread: 0 })
    })
    afterEach(() => node.exit(wire, 'kill'))

    const command = (c: WireCommand): void => node.send(wire, c)
    const heard = (tag: string, $stage: string): Promise<WireReport> =>
      probe.expect<WireReport>((m) => (m as WireReport).event === 'wire' && (m as WireReport).tag === tag && (m as WireReport).message.$stage === $stage)

    it('a producer answers a second subscribe with a known tag with cancel duplicated_subscription, and keeps the first (GenStage: $gen_producer message errors: duplicated subscriptions)', async () => {
      const producer = await node.spawn(Source, { count: true }, { thread: 1 })
      command({ wire: 'subscribe', to: producer, tag: 't1' })
      command({ wire: 'subscribe', to: producer, tag: 't1' })
      assert.equal((await heard('t1', 'cancelled')).message.reason, 'duplicated_subscription')
      command({ wire: 'ask', to: producer, tag: 't1', n: 3 })
      assert.deepEqual((await heard('t1', 'events')).message.events, [0, 1, 2])
      await stopAll(producer)
    })

    it('a producer answers an ask for an unknown tag with cancel unknown_subscription (GenStage: $gen_producer message errors: unknown demand)', async () => {
      const producer = await node.spawn(Source, { count: true }, { thread: 1 })
      command({ wire: 'ask', to: producer, tag: 't2', n: 1 })
      assert.equal((await heard('t2', 'cancelled')).message.reason, 'unknown_subscription')
      assert.deepEqual((await node.call<{ demands: number[] }>(producer, 'state')).demands, [], 'nothing was produced for it')
      await stopAll(producer)
    })

    it('a consumer answers a subscribe with cancel not_a_producer (GenStage: $gen_producer message errors: not a producer)', async () => {
      const consumer = await node.spawn(Sink, { report: probe.pid }, { thread: 1 })
      command({ wire: 'subscribe', to: consumer, tag: 't3' })
      assert.equal((await heard('t3', 'cancelled')).message.reason, 'not_a_producer')
      await stopAll(consumer)
    })

    it('a consumer given events for an unknown subscription cancels it upstream and handles none (GenStage: $gen_consumer message errors: unknown events)', async () => {
      const consumer = await node.spawn(Sink, { report: probe.pid }, { thread: 1 })
      const ref = probe.monitor(consumer)
      command({ wire: 'events', to: consumer, tag: 't4', events: [1, 2] })
      const cancel = (await heard('t4', 'cancel')).message
      assert.equal(cancel.reason, 'unknown_subscription')
      assert.ok(cancel.consumer?.equals(consumer))
      await stopAll(consumer)
      await probe.expectNoneBefore(is('events', consumer), ref) // its DOWN is the last thing it sends the probe
    })
  })
})
