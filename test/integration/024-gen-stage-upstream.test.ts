/**
 * Ports of GenStage's own `test/gen_stage_test.exs` (SEMANTICS §7.5), named after the upstream
 * describe/test names, for the cases 020/021 do not already cover. Stages report to a probe;
 * assertions on order only compare messages from one sender (one stage).
 */
import assert from 'node:assert/strict'
import { Node, Server, Stage, hasCode, type CancelReason, type Pid, type SubscriptionFrom } from '../../src/index.ts'
import { probe as makeProbe, type Probe } from '../../src/testing/index.ts'
import { CountingLog, DemandEcho, Dropper, Listener, Tally, Twice } from '../fixtures/upstream-stages.ts'
import { Wire, type WireCommand } from '../fixtures/stages.ts'

const MODULES = [new URL('../fixtures/upstream-stages.ts', import.meta.url), new URL('../fixtures/stages.ts', import.meta.url)]

interface Report { event: string; from: Pid; events?: unknown[]; why?: CancelReason; message?: unknown; reason?: unknown; role?: string; n?: number; sub?: { tag: unknown } }

const is = (event: string, pid?: Pid) => (m: unknown): boolean =>
  (m as Report).event === event && (pid === undefined || (m as Report).from.equals(pid))
const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i)
const doubled = (a: number, b: number): number[] => range(a, b).flatMap((e) => [e, e])

describe('GenStage upstream (gen_stage_test.exs)', function () {
  this.timeout(20000)
  let node: Node
  let probe: Probe
  const started: Pid[] = []

  before(async () => {
    node = await Node.start({ threads: 2, modules: MODULES })
  })
  after(() => node.stop())
  beforeEach(async () => {
    probe = await makeProbe(node)
  })
  afterEach(() => {
    for (const p of started.splice(0)) node.exit(p, 'kill')
  })

  /** Spawn and remember, so afterEach cleans up whatever a test leaves running. */
  const spawn = async (...args: Parameters<Node['spawn']>): Promise<Pid> => {
    const pid = await node.spawn(...args)
    started.push(pid)
    return pid
  }
  const consumed = async (pid: Pid): Promise<unknown[]> => ((await probe.expect(is('consumed', pid))) as Report).events as unknown[]
  /** Skip batches until one starting with `first` arrives. */
  const consumedFrom = async (event: string, pid: Pid, first: unknown): Promise<unknown[]> => {
    for (;;) {
      const events = ((await probe.expect(is(event, pid))) as Report).events as unknown[]
      if (events[0] === first) return events
    }
  }

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
        assert.deepEqual(((await probe.expect(is('pc-consumed', doubler))) as Report).events, range(0, 19))
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
        assert.deepEqual(((await probe.expect(is('pc-consumed', doubler))) as Report).events, range(0, 79))
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
      assert.deepEqual(((await probe.expect(is('discarded', dropper))) as Report).events, range(0, 19))
      assert.deepEqual(await consumedFrom('discarded', dropper, 100), range(100, 119))
      assert.deepEqual(await consumedFrom('discarded', dropper, 1000), range(1000, 1019))
    })
  })

  describe('demand', () => {
    it('can be set to :accumulate via API', async () => {
      const producer = await spawn(Tally, {}, { thread: 1 })
      assert.equal(await Stage.demand(node, producer), 'forward')
      assert.equal(await Stage.demand(node, producer, 'accumulate'), 'accumulate')
      const consumer = await spawn(Listener, { report: probe.pid }, { thread: 2 })
      await Stage.subscribe(node, consumer, { to: producer, maxDemand: 4, minDemand: 0 })
      await probe.expectNone(is('consumed', consumer), 100)
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
      await probe.expectNone(is('consumed', consumer), 100)
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
      await probe.expectNone(is('consumed'), 100)
      await Stage.demand(node, producer, 'forward')
      // Two held asks of 2 each are replayed one by one (not one ask of 4): handleDemand(2) twice.
      assert.deepEqual(await consumed(c1), [2])
      assert.deepEqual(await consumed(c2), [2])
      // Each then consumed its single event (batch size max - min = 1) and asks 1 more.
      assert.deepEqual(await consumed(c1), [1])
    })
  })

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
        await probe.expectNone(is('format-discarded', producer), 50)
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
        await probe.expectNone(is('info', producer), 100)
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
        await probe.expectNone(is('info', producer), 50)
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
        await probe.expectNone(is('info', producer), 50)
        send({ wire: 'subscribe', to: producer, tag: 't' })
        await probe.expect(is('subscribed', producer))
        await node.call(producer, { queue: ['c', 'd', 'e'] })
        assert.equal(await info(producer)(), 'sync', 'the events ahead of it were dropped')
      })
    })
  })

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
      await probe.expectNone(is('cancelled', consumer), 50)
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

  /** `event` from `who` names the subscription `from` (handle_subscribe/4 on either side). */
  const namesSub = async (event: string, who: Pid, role: string, other: Pid, from: SubscriptionFrom): Promise<void> => {
    const r = (await probe.expect(is(event, who))) as { role: string; sub: { producer?: Pid; consumer?: Pid; tag: SubscriptionFrom['tag'] } }
    assert.equal(r.role, role)
    assert.ok((r.sub.producer ?? r.sub.consumer)?.equals(other) && r.sub.tag.equals(from.tag))
  }

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
