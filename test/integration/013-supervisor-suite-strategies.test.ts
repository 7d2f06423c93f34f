/**
 * Supervisor against OTP's supervisor_SUITE (SEMANTICS §3.4), part 3: the restart strategies
 * (one_for_one, one_for_all, rest_for_one, simple_one_for_one), restarts that fail and loop, and
 * a sub-supervisor past its intensity taking its tree through a restart.
 *
 * Each portable upstream case is a test named after it, with the SUP-T id of §3.5 where one applies,
 * plus the P0/P1 cases of §3.5 that 012 does not cover. Children report to a probe and tests wait
 * for those reports. The helpers, the hooks (this file starts its own node) and the EXIT-before-DOWN
 * ordering the cases rely on are in supervisor-suite/kit.ts.
 */
import assert from 'node:assert/strict'
import { Pid, Server, Supervisor, type ChildSpec } from '../../src/index.ts'
import { Sup, started, terminated, type ChildArgs, type ChildEvent } from '../fixtures/supervision.ts'
import {
  FOREVER, child, coded, count, counts, events, failStarts, flush, isLifecycle, killSups, newProbe,
  node, pidOf, probe, reasonOf, refusing, rows, startSuiteNode, startSup, stopNode, str,
} from './supervisor-suite/kit.ts'

describe('Supervisor (supervisor_SUITE)', function () {
  this.timeout(10000)

  before(startSuiteNode)
  after(stopNode)
  beforeEach(newProbe)
  afterEach(killSups)

  describe('restart strategies', () => {
    it('one_for_one: only the failed child restarts; the third restart within the period ends the supervisor', async () => {
      const sup = await startSup({ intensity: 2, period: 3600, children: [child('c1', {}, {}, 1), child('c2', {}, { trap: true }, 1)] })
      let c1 = await pidOf('c1')
      const c2 = await pidOf('c2')
      node.cast(c1, 'crash')
      c1 = await pidOf('c1')
      assert.deepEqual(await rows(sup), [['c2', str(c2)], ['c1', str(c1)]])
      const supDown = reasonOf(sup)
      node.cast(c1, 'crash')
      node.cast(await pidOf('c1'), 'crash')
      assert.equal(await supDown, 'shutdown')
      assert.equal(((await probe.expect(terminated('c2'))) as ChildEvent).value, 'shutdown')
    })

    it('one_for_all: every child restarts; the third restart within the period ends the supervisor', async () => {
      const sup = await startSup({ strategy: 'one_for_all', intensity: 2, period: 3600, children: [child('c1'), child('c2')] })
      const [c1, c2] = [await pidOf('c1'), await pidOf('c2')]
      node.cast(c1, 'crash')
      const [n1, n2] = [await pidOf('c1'), await pidOf('c2')]
      assert.ok(!n1.equals(c1) && !n2.equals(c2))
      assert.deepEqual(await rows(sup), [['c2', str(n2)], ['c1', str(n1)]])
      const supDown = reasonOf(sup)
      node.cast(n2, 'crash')
      await pidOf('c1')
      node.cast(await pidOf('c2'), 'crash')
      assert.equal(await supDown, 'shutdown')
    })

    it('rest_for_one: the failed child and the ones after it restart; the third restart ends the supervisor', async () => {
      const sup = await startSup({ strategy: 'rest_for_one', intensity: 2, period: 3600, children: [child('c1'), child('c2'), child('c3')] })
      const [c1, c2, c3] = [await pidOf('c1'), await pidOf('c2'), await pidOf('c3')]
      node.cast(c2, 'crash')
      const [n2, n3] = [await pidOf('c2'), await pidOf('c3')]
      assert.ok(!n2.equals(c2) && !n3.equals(c3))
      assert.deepEqual(await rows(sup), [['c3', str(n3)], ['c2', str(n2)], ['c1', str(c1)]])
      const supDown = reasonOf(sup)
      node.cast(n3, 'crash')
      node.cast(await pidOf('c3'), 'crash')
      assert.equal(await supDown, 'shutdown')
    })

    it('simple_one_for_one (SUP-T15): a crashed child restarts with its own arguments; the third crash ends the supervisor', async () => {
      const sup = await startSup({ strategy: 'simple_one_for_one', intensity: 2, period: 3600, children: [child('dyn', {}, { trap: true }, 1)] })
      const a = (await Supervisor.startChild(node, sup, { id: 'a', extra: 'for a' })).pid as Pid
      await Supervisor.startChild(node, sup, { id: 'b', extra: 'for b' })
      await pidOf('a')
      await pidOf('b')
      node.cast(a, 'crash')
      const a2 = await pidOf('a')
      assert.equal(((await node.call(a2, 'args')) as ChildArgs).extra, 'for a')
      const supDown = reasonOf(sup)
      node.cast(a2, 'crash')
      node.cast(await pidOf('a'), 'crash')
      assert.equal(await supDown, 'shutdown')
      assert.equal(((await probe.expect(terminated('b'))) as ChildEvent).value, 'shutdown')
    })

    for (const strategy of ['one_for_one', 'one_for_all', 'rest_for_one', 'simple_one_for_one'] as const) {
      it(`${strategy}_escalation (SUP-T21): a child that cannot restart ends the supervisor and its siblings`, async () => {
        const simple = strategy === 'simple_one_for_one'
        const sup = await startSup({
          strategy, intensity: 4, period: 3600,
          children: simple ? [child('dyn', {}, { trap: true })] : [child('c1', {}, { trap: true }), child('c2', {}, { trap: true })],
        })
        if (simple) for (const id of ['c1', 'c2']) await Supervisor.startChild(node, sup, { id })
        const c1 = await pidOf('c1')
        const c2Down = reasonOf(await pidOf('c2'))
        const supDown = reasonOf(sup)
        const off = await failStarts('c1')
        try {
          node.cast(c1, 'crash')
          assert.equal(await supDown, 'shutdown')
          assert.equal(await c2Down, 'shutdown')
          await flush()
          assert.equal(probe.pending.some(started('c1')), false)
        } finally {
          await off()
        }
      })
    }

    it('one_for_all_other_child_fails_restart (SUP-T22): a sibling failing to start stops the restarted ones, then all are retried', async () => {
      const refusals = { left: 0 }
      const c2 = refusing('c2', refusals)
      const sup = await startSup({ strategy: 'one_for_all', intensity: 5, period: 3600, children: [child('c1', {}, { trap: true }), c2] })
      assert.deepEqual(await events(2), ['started c1', 'started c2'])
      refusals.left = 1
      node.cast((await Supervisor.whichChildren(node, sup)).find((r) => r.id === 'c1')?.pid as Pid, 'crash')
      assert.deepEqual(await events(6), [
        'terminated c1 crash', 'terminated c2 shutdown', 'started c1', 'terminated c1 shutdown', 'started c1', 'started c2',
      ])
      assert.ok((await Supervisor.whichChildren(node, sup)).every((r) => r.pid instanceof Pid))
      await Server.stop(node, sup)
    })

    it('rest_for_one_other_child_fails_restart (SUP-T23): the child that triggered the restart is not restarted again', async () => {
      const refusals = { left: 0 }
      const c2 = refusing('c2', refusals)
      const sup = await startSup({
        strategy: 'rest_for_one', intensity: 5, period: 3600, children: [child('c1', {}, { trap: true }), c2, child('c3', {}, { trap: true })],
      })
      const c1 = await pidOf('c1')
      await events(2)
      refusals.left = 1
      node.cast(c1, 'crash')
      assert.deepEqual(await events(6), [
        'terminated c1 crash', 'terminated c3 shutdown', 'terminated c2 shutdown', 'started c1', 'started c2', 'started c3',
      ])
      await flush()
      assert.equal(probe.pending.some(isLifecycle), false)
      const now = await Supervisor.whichChildren(node, sup)
      assert.deepEqual(now.map((r) => r.id), ['c3', 'c2', 'c1'])
      assert.ok(now.every((r) => r.pid instanceof Pid))
      await Server.stop(node, sup)
    })

    for (const strategy of ['one_for_all', 'rest_for_one'] as const) {
      it(`temporary_bystander (SUP-T24, ${strategy}): a temporary sibling is shut down, not restarted, and forgotten`, async () => {
        const sup = await startSup({ strategy, intensity: 5, children: [child('a'), child('b', { restart: 'temporary' }, { trap: true })] })
        const a = await pidOf('a')
        await pidOf('b')
        node.cast(a, 'crash')
        assert.equal(((await probe.expect(terminated('b'))) as ChildEvent).value, 'shutdown')
        const a2 = await pidOf('a')
        assert.deepEqual(await rows(sup), [['a', str(a2)]])
        await flush()
        assert.equal(probe.pending.some(started('b')), false)
        await Server.stop(node, sup)
      })
    }

    it('hanging_restart_loop (SUP-T21): while a restart keeps failing the child shows restarting; terminateChild ends the loop', async () => {
      const sup = await startSup({ intensity: FOREVER, period: 3600, children: [child('c1'), child('c2', {}, { trap: true })] })
      const [c1, c2] = [await pidOf('c1'), await pidOf('c2')]
      const off = await failStarts('c1')
      const down = reasonOf(c1)
      node.cast(c1, 'crash')
      await down
      assert.deepEqual(await rows(sup), [['c2', str(c2)], ['c1', 'restarting']])
      assert.deepEqual(await counts(sup), count(2, 1, 0, 2))
      await assert.rejects(Supervisor.restartChild(node, sup, 'c1'), coded('ERR_CHILD_RESTARTING', 'restarting'))
      await assert.rejects(Supervisor.deleteChild(node, sup, 'c1'), coded('ERR_CHILD_RESTARTING', 'restarting'))
      await Supervisor.terminateChild(node, sup, 'c1')
      await off()
      assert.deepEqual(await rows(sup), [['c2', str(c2)], ['c1', undefined]])
      const { pid } = await Supervisor.restartChild(node, sup, 'c1')
      // Failing again, then a supervisor stop: the loop must not hang the shutdown.
      const off2 = await failStarts('c1')
      try {
        const down2 = reasonOf(pid as Pid)
        node.cast(pid as Pid, 'crash')
        await down2
        assert.deepEqual((await rows(sup))[1], ['c1', 'restarting'])
        await Server.stop(node, sup, 'shutdown')
        assert.equal(((await probe.expect(terminated('c2'))) as ChildEvent).value, 'shutdown')
      } finally {
        await off2()
      }
    })

    it('hanging_restart_loop_rest_for_one (SUP-T21): the same under rest_for_one; later children stay stopped', async () => {
      const sup = await startSup({ strategy: 'rest_for_one', intensity: FOREVER, period: 3600, children: [child('c1'), child('c2'), child('c3')] })
      const [c1, c2] = [await pidOf('c1'), await pidOf('c2')]
      await pidOf('c3')
      const off = await failStarts('c2')
      const down = reasonOf(c2)
      node.cast(c2, 'crash')
      await down
      assert.deepEqual(await rows(sup), [['c3', undefined], ['c2', 'restarting'], ['c1', str(c1)]])
      await assert.rejects(Supervisor.restartChild(node, sup, 'c2'), coded('ERR_CHILD_RESTARTING'))
      await assert.rejects(Supervisor.deleteChild(node, sup, 'c2'), coded('ERR_CHILD_RESTARTING'))
      await Supervisor.terminateChild(node, sup, 'c2')
      await off()
      assert.deepEqual(await rows(sup), [['c3', undefined], ['c2', undefined], ['c1', str(c1)]])
      const { pid } = await Supervisor.restartChild(node, sup, 'c2')
      assert.deepEqual(await rows(sup), [['c3', undefined], ['c2', str(pid)], ['c1', str(c1)]])
      const off2 = await failStarts('c2')
      try {
        node.cast(pid as Pid, 'crash')
        await reasonOf(pid as Pid)
        const supDown = reasonOf(sup)
        await Server.stop(node, sup, 'shutdown')
        assert.equal(await supDown, 'shutdown')
      } finally {
        await off2()
      }
    })

    it('hanging_restart_loop_simple (SUP-T21): a restarting simple_one_for_one child is ended by terminateChild of its old pid', async () => {
      const sup = await startSup({ strategy: 'simple_one_for_one', intensity: FOREVER, period: 3600, children: [child('dyn')] })
      const { pid } = await Supervisor.startChild(node, sup, {})
      await pidOf('dyn')
      const off = await failStarts('dyn')
      const down = reasonOf(pid as Pid)
      node.cast(pid as Pid, 'crash')
      await down
      await assert.rejects(Supervisor.restartChild(node, sup, 'dyn'), coded('ERR_SIMPLE_ONE_FOR_ONE'))
      await assert.rejects(Supervisor.deleteChild(node, sup, 'dyn'), coded('ERR_SIMPLE_ONE_FOR_ONE'))
      assert.deepEqual(await rows(sup), [[undefined, 'restarting']])
      assert.deepEqual(await counts(sup), count(1, 0, 0, 1))
      await Supervisor.terminateChild(node, sup, pid as Pid)
      assert.deepEqual(await rows(sup), [])
      await off()
      await flush()
      assert.equal(probe.pending.some(started('dyn')), false)
      const { pid: again } = await Supervisor.startChild(node, sup, {})
      const off2 = await failStarts('dyn')
      try {
        node.cast(again as Pid, 'crash')
        await reasonOf(again as Pid)
        const supDown = reasonOf(sup)
        await Server.stop(node, sup, 'shutdown')
        assert.equal(await supDown, 'shutdown')
      } finally {
        await off2()
      }
    })

    it('tree (SUP-T30): a sub-supervisor past its intensity takes the tree through a restart; dynamic children are gone', async () => {
      const sub = (name: string): ChildSpec => ({
        id: name, type: 'supervisor', start: [Sup, { intensity: 0, children: [child(`${name}.w`, {}, { trap: true })] }, { thread: 1 }],
      })
      const top = await startSup({ strategy: 'one_for_all', intensity: 3, period: 3600, children: [sub('s1'), sub('s2')] })
      const w1 = await pidOf('s1.w')
      await pidOf('s2.w')
      const before = await Supervisor.whichChildren(node, top)
      const subPid = (rs: typeof before, id: string): Pid => rs.find((r) => r.id === id)?.pid as Pid
      await Supervisor.startChild(node, subPid(before, 's1'), child('s1.d', {}, { trap: true }))
      await Supervisor.startChild(node, subPid(before, 's2'), child('s2.d', {}, { trap: true }))
      await pidOf('s1.d')
      await pidOf('s2.d')
      node.cast(w1, 'crash')
      await pidOf('s1.w')
      await pidOf('s2.w')
      const after = await Supervisor.whichChildren(node, top)
      for (const id of ['s1', 's2']) {
        assert.ok(!subPid(after, id).equals(subPid(before, id)))
        assert.deepEqual((await rows(subPid(after, id))).map(([cid]) => cid), [`${id}.w`])
      }
      await flush()
      assert.equal(probe.pending.some((m) => started('s1.d')(m) || started('s2.d')(m)), false)
      await Server.stop(node, top)
    })
  })
})
