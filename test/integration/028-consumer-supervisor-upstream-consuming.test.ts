/**
 * ConsumerSupervisor against GenStage's `consumer_supervisor_test.exs` (SEMANTICS §7.5), part 2:
 * subscribing it (`sync_subscribe`) and a child per event with demand as the concurrency bound
 * (`supervisor consuming start args`), under the upstream test names. The producer is Pusher,
 * which emits only what a test queues (the upstream Producer.sync_queue). Set-up and helpers:
 * 028-consumer-supervisor-upstream/kit.ts.
 */
import assert from 'node:assert/strict'
import { Pid, Server, Stage, Supervisor, hasCode, type Ref } from '../../src/index.ts'
import { Pusher, RawProducer, type Order } from '../fixtures/consumer-supervision.ts'
import {
  FOREVER, assertKill, childStarted, children, counts, killStarted, newProbe, node, probe, refute, report, spawn,
  startSuiteNode, startUpstream, stopNode,
} from './028-consumer-supervisor-upstream/kit.ts'

describe('ConsumerSupervisor consuming events (consumer_supervisor_test)', function () {
  this.timeout(10000)

  before(startSuiteNode)
  after(stopNode)
  beforeEach(newProbe)
  afterEach(killStarted)

  const producer = (): Promise<Pid> => spawn(Pusher, {}, { thread: 2 })
  const queue = (p: Pid, events: Order[]): Promise<unknown> => node.call(p, { push: events })

  describe('sync_subscribe', () => {
    it('returns ok with reference', async () => {
      const sup = await startUpstream()
      const from = await Stage.subscribe(node, sup, { to: await producer() })
      assert.ok(from.tag !== undefined)
    })

    it('returns errors on bad options', async () => {
      const sup = await startUpstream()
      for (const bad of [{ maxDemand: 0 }, { minDemand: 2000 }]) {
        await assert.rejects(Stage.subscribe(node, sup, { to: 'whatever', ...bad }), (e: { reason?: { bad_opts?: string } }) =>
          hasCode(e, 'ERR_STAGE_BAD_OPTS') && typeof e.reason?.bad_opts === 'string')
      }
    })

    for (const [how, mode] of [['there is no named producer', 'permanent'], ['producer is dead', 'permanent'],
      ['there is no named producer', 'temporary'], ['producer is dead', 'temporary']] as const) {
      const exits = mode === 'permanent'
      it(`supervisor ${exits ? 'exits' : 'does not exit'} when ${how} and subscription is ${mode}`, async () => {
        let to: Pid | string = 'unknown'
        if (how === 'producer is dead') {
          to = await producer()
          await Server.stop(node, to)
        }
        const sup = await startUpstream()
        const down = node.monitor(sup).down
        await Stage.subscribe(node, sup, { to, cancel: mode })
        if (exits) assert.equal((await down).reason, 'noproc')
        else await counts(sup, { active: 0 })
      })
    }
  })

  describe('supervisor consuming start args', () => {
    it('start child', async () => {
      const p = await producer()
      const sup = await startUpstream()
      await Stage.subscribe(node, sup, { to: p, cancel: 'temporary' })
      await queue(p, ['ok2'])
      const ok2 = await childStarted()
      assert.deepEqual(await children(sup), [ok2])
      await queue(p, ['ok3'])
      await childStarted()
      await counts(sup, { active: 2 })
      for (const [order, heard] of [['error', 'child_start_error'], ['ignore', 'child_ignore'], ['unknown', 'child_start_unknown']] as const) {
        await queue(p, [order])
        await report(heard)
        assert.equal((await children(sup)).length, 2)
        await counts(sup, { workers: 2, active: 2 })
      }
    })

    // Upstream feeds GenStage.from_enumerable; a producer holding the events in its buffer stands in.
    it('start child with stream', async () => {
      const p = await producer()
      await queue(p, ['ok2', 'ok2', 'ok2'])
      const sup = await startUpstream()
      await Stage.subscribe(node, sup, { to: p, cancel: 'temporary' })
      for (let i = 0; i < 3; i++) await childStarted()
    })

    it('start child with throw/error/exit', async () => {
      const p = await producer()
      const sup = await startUpstream()
      await Stage.subscribe(node, sup, { to: p, cancel: 'temporary' })
      for (const how of ['throw', 'error', 'exit'] as const) {
        await queue(p, [{ non_local: how }])
        assert.equal((await report('child_non_local')).how, how)
        assert.deepEqual(await children(sup), [])
      }
    })

    it('start child limited by max_demand', async () => {
      const p = await producer()
      const sup = await startUpstream()
      await Stage.subscribe(node, sup, { to: p, cancel: 'temporary', maxDemand: 1, minDemand: 0 })
      await queue(p, ['ok2', 'error', 'ignore', 'ok2', 'ok2', 'ok2'])
      const child1 = await childStarted()
      assert.deepEqual(await children(sup), [child1])
      await counts(sup, { workers: 1, active: 1 })
      await refute(sup, p, 'child_start_error')
      await assertKill(child1, 'shutdown')
      await report('child_start_error')
      await report('child_ignore')
      const child2 = await childStarted()
      assert.deepEqual(await children(sup), [child2])
      await counts(sup, { workers: 1, active: 1 })
      await refute(sup, p, 'child_started')
      await Supervisor.terminateChild(node, sup, child2)
      const child3 = await childStarted()
      assert.deepEqual(await children(sup), [child3])
      await counts(sup, { workers: 1, active: 1 })
      await refute(sup, p, 'child_started')
    })

    it('restarting children counted in max_demand', async () => {
      const p = await producer()
      const sup = await startUpstream({ restart: 'transient', maxRestarts: FOREVER })
      await Stage.subscribe(node, sup, { to: p, cancel: 'temporary', maxDemand: 1, minDemand: 0 })
      await queue(p, [{ restart: 'error' }, 'ok2', 'ok2', 'ok2'])
      const child1 = await childStarted()
      await counts(sup, { workers: 1, active: 1 })
      assert.deepEqual(await children(sup), [child1])
      await assertKill(child1, 'kill')
      await counts(sup, { workers: 1, active: 0 })
      assert.deepEqual(await children(sup), ['restarting'])
      await refute(sup, p, 'child_started')
      await Supervisor.terminateChild(node, sup, child1)
      const child2 = await childStarted()
      await counts(sup, { workers: 1, active: 1 })
      assert.deepEqual(await children(sup), [child2])
      await assertKill(child2, 'kill')
      const child3 = await childStarted()
      await counts(sup, { workers: 1, active: 1 })
      assert.deepEqual(await children(sup), [child3])
      await refute(sup, p, 'child_started')
    })

    it('children remain after producer down', async () => {
      const p = await producer()
      const sup = await startUpstream()
      await Stage.subscribe(node, sup, { to: p, cancel: 'temporary', maxDemand: 2, minDemand: 0 })
      await queue(p, ['ok2', 'ok2'])
      const child1 = await childStarted()
      const child2 = await childStarted()
      await counts(sup, { workers: 2, active: 2 })
      await assertKill(p, 'shutdown')
      await counts(sup, { workers: 2, active: 2 })
      await assertKill(child1, 'shutdown')
      assert.deepEqual(await children(sup), [child2])
      await Supervisor.terminateChild(node, sup, child2)
      await counts(sup, { workers: 0, active: 0 })
      assert.deepEqual(await children(sup), [])
    })

    it('ask for more events when count reaches min_demand (high)', async () => {
      const p = await producer()
      const sup = await startUpstream()
      await Stage.subscribe(node, sup, { to: p, cancel: 'temporary', maxDemand: 3, minDemand: 2 })
      await queue(p, ['ok2', 'ok2', 'ok2'])
      const [child1, child2] = [await childStarted(), await childStarted(), await childStarted()]
      await counts(sup, { workers: 3, active: 3 })
      await assertKill(child1 as Pid, 'shutdown')
      await assertKill(child2 as Pid, 'shutdown')
      await counts(sup, { workers: 1, active: 1 })
      await queue(p, ['ok2'])
      await childStarted()
      await queue(p, ['ok2'])
      await childStarted()
      await counts(sup, { workers: 3, active: 3 })
      await queue(p, ['ok2'])
      await refute(sup, p, 'child_started')
    })

    it('ask for more events when count reaches min_demand (low)', async () => {
      const raw = await spawn(RawProducer, { report: probe.pid }, { thread: 2 })
      const sup = await startUpstream()
      await Stage.subscribe(node, sup, { to: raw, cancel: 'temporary', maxDemand: 3, minDemand: 0 })
      const heard = async (): Promise<{ $stage: string; n?: number }> =>
        ((await report('raw')).message as { $stage: string; n?: number })
      assert.equal((await heard()).$stage, 'subscribe')
      assert.deepEqual((await heard()).n, 3)
      node.send(raw, { emit: ['ok2', 'ok2'] })
      await childStarted()
      await childStarted()
      await refute(sup, raw, 'child_started', 'raw')
    })

    it('answers events for a subscription it does not have with a cancel, unknown_subscription (STG-R4)', async () => {
      const raw = await spawn(RawProducer, { report: probe.pid }, { thread: 2 })
      const sup = await startUpstream()
      const from = await Stage.subscribe(node, sup, { to: raw, cancel: 'temporary', maxDemand: 3, minDemand: 0 })
      const heard = async (): Promise<{ $stage: string; consumer?: Pid; tag?: Ref; reason?: unknown }> =>
        ((await report('raw')).message as { $stage: string })
      assert.equal((await heard()).$stage, 'subscribe')
      assert.equal((await heard()).$stage, 'ask')
      node.send(raw, { cancelled: 'gone' })
      node.send(raw, { emit: ['ok2'] })
      const cancel = await heard()
      assert.equal(cancel.$stage, 'cancel')
      assert.equal(cancel.reason, 'unknown_subscription')
      assert.ok(cancel.consumer?.equals(sup) === true && cancel.tag?.equals(from.tag) === true)
      await refute(sup, raw, 'child_started')
      await counts(sup, { workers: 0, active: 0 })
    })
  })
})
