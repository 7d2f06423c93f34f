/**
 * Supervisor against OTP's supervisor_SUITE (SEMANTICS §3.4), part 2: stopping (brutal_kill,
 * races with children ending on their own, shutdown order) and dynamic administration (start,
 * terminate, restart and delete children; start info; what is kept of temporary children).
 *
 * Each portable upstream case is a test named after it, with the SUP-T id of §3.5 where one applies,
 * plus the P0/P1 cases of §3.5 that 012 does not cover. Children report to a probe and tests wait
 * for those reports. The helpers, the hooks (this file starts its own node) and the EXIT-before-DOWN
 * ordering the cases rely on are in supervisor-suite/kit.ts.
 */
import assert from 'node:assert/strict'
import { Pid, Server, Supervisor, type ChildSpec, type SupervisorSpec } from '../../src/index.ts'
import { kill } from '../helpers.ts'
import { Idle, Stubborn, Sup, terminated, type ChildArgs, type ChildEvent } from '../fixtures/supervision.ts'
import {
  args, child, coded, count, counts, events, flush, gc, killSups, newProbe, node, pidOf, probe,
  reasonOf, rows, startSuiteNode, startSup, stopNode, str, track, withInfo,
} from './supervisor-suite/kit.ts'

describe('Supervisor (supervisor_SUITE)', function () {
  this.timeout(10000)

  before(startSuiteNode)
  after(stopNode)
  beforeEach(newProbe)
  afterEach(killSups)

  describe('stop', () => {
    it('sup_stop_brutal_kill: a brutal_kill child is killed and never sees shutdown', async () => {
      const sup = await startSup({ children: [child('k', { shutdown: 'brutal_kill' }, { trap: true }, 1)] })
      const down = reasonOf(await pidOf('k'))
      await Server.stop(node, sup)
      assert.equal(await down, 'killed')
      await flush()
      assert.equal(probe.pending.some(terminated('k')), false)
    })

    it('sup_stop_brutal_kill_dynamic: the same for simple_one_for_one children', async () => {
      const sup = await startSup({ strategy: 'simple_one_for_one', children: [child('dyn', { shutdown: 'brutal_kill' }, { trap: true }, 1)] })
      const pids = await Promise.all(['a', 'b'].map(async (id) => (await Supervisor.startChild(node, sup, { id })).pid as Pid))
      const downs = pids.map(reasonOf)
      await Server.stop(node, sup)
      assert.deepEqual(await Promise.all(downs), ['killed', 'killed'])
      await flush()
      assert.equal(probe.pending.some(terminated()), false)
    })

    it('sup_stop_race (SUP-T32): a child ending on its own during shutdown keeps its reason; shutdown completes', async () => {
      const c2: ChildSpec = { id: 'c2', start: [Stubborn, args('c2')], shutdown: 'infinity' }
      const sup = await startSup({ children: [child('c1', {}, { trap: true }), c2] })
      const [c1Pid, c2Pid] = [await pidOf('c1'), await pidOf('c2')]
      const [c1Down, c2Down, supDown] = [reasonOf(c1Pid), reasonOf(c2Pid), reasonOf(sup)]
      const stopping = Server.stop(node, sup, 'shutdown')
      // c2 (last started) is told first; while the supervisor waits on it, c1 ends by itself.
      await probe.expect((m) => (m as ChildEvent).event === 'info' && (m as ChildEvent).id === 'c2')
      await node.call(c1Pid, { exit: 'own reason' })
      assert.equal(await c1Down, 'own reason')
      node.exit(c2Pid, 'kill')
      await stopping
      assert.equal(await c2Down, 'killed')
      assert.equal(await supDown, 'shutdown')
      await flush()
      assert.deepEqual(probe.pending.filter(terminated()).map((e) => (e as ChildEvent).value), ['own reason'])
    })

    for (const restart of ['permanent', 'transient', 'temporary'] as const) {
      it(`sup_stop_non_shutdown_exit_dynamic (${restart}): simple_one_for_one children ending with their own reasons do not break shutdown`, async () => {
        const template: ChildSpec = { id: 'dyn', start: [Stubborn, args('dyn', { exitAs: 'own reason' })], restart, shutdown: 'infinity' }
        const sup = await startSup({ strategy: 'simple_one_for_one', children: [template] })
        const pids = await Promise.all([1, 2, 3].map(async () => (await Supervisor.startChild(node, sup, {})).pid as Pid))
        const downs = pids.map(reasonOf)
        const supDown = reasonOf(sup)
        await Server.stop(node, sup, 'shutdown')
        assert.deepEqual(await Promise.all(downs), ['own reason', 'own reason', 'own reason'])
        assert.equal(await supDown, 'shutdown')
      })
    }

    it('child_unlink (SUP-T31): a child that unlinked itself is still waited for by monitor', async () => {
      // shutdown 'infinity': were the supervisor waiting for an EXIT through the link, it would wait forever.
      const sup = await startSup({ children: [child('naughty', { shutdown: 'infinity' }, { unlink: true }, 1)] })
      const down = reasonOf(await pidOf('naughty'))
      await Supervisor.terminateChild(node, sup, 'naughty')
      assert.equal(await down, 'shutdown')
      assert.deepEqual(await rows(sup), [['naughty', undefined]])
      await Server.stop(node, sup)
    })

    it('order_of_children: start order, reverse shutdown of the rest on a rest_for_one restart, reverse shutdown at stop', async () => {
      const ids = ['ch7', 'ch3', 'ch10', 'ch2', 'ch5']
      const sup = await startSup({ strategy: 'rest_for_one', intensity: 2, children: ids.map((id) => child(id, {}, { trap: true }, 1)) })
      assert.deepEqual(await events(5), ids.map((id) => `started ${id}`))
      assert.deepEqual((await rows(sup)).map(([id]) => id), ids.slice().reverse())
      node.cast((await Supervisor.whichChildren(node, sup)).find((r) => r.id === 'ch10')?.pid as Pid, 'crash')
      assert.deepEqual(await events(6), [
        'terminated ch10 crash', 'terminated ch5 shutdown', 'terminated ch2 shutdown', 'started ch10', 'started ch2', 'started ch5',
      ])
      await Server.stop(node, sup)
      assert.deepEqual(await events(5), ids.slice().reverse().map((id) => `terminated ${id} shutdown`))
    })
  })

  describe('dynamic administration', () => {
    it('child_adm: start, terminate, restart, delete and their errors; noproc once the supervisor is gone', async () => {
      const sup = await startSup({ children: [child('c1')] })
      const p1 = await pidOf('c1')
      assert.deepEqual(await Supervisor.whichChildren(node, sup), [{ id: 'c1', pid: p1, type: 'worker', restart: 'permanent' }])
      assert.deepEqual(await counts(sup), count(1, 1, 0, 1))
      await assert.rejects(Supervisor.startChild(node, sup, child('c1')), (e: { code: string; reason: { already_started: Pid } }) =>
        e.code === 'ERR_ALREADY_STARTED' && e.reason.already_started.equals(p1))
      await assert.rejects(Supervisor.terminateChild(node, sup, p1), coded('ERR_CHILD_NOT_FOUND'))
      const down = reasonOf(p1)
      await Supervisor.terminateChild(node, sup, 'c1')
      assert.equal(await down, 'shutdown')
      await Supervisor.terminateChild(node, sup, 'c1')
      assert.deepEqual(await rows(sup), [['c1', undefined]])
      assert.deepEqual(await counts(sup), count(1, 0, 0, 1))
      await assert.rejects(Supervisor.startChild(node, sup, child('c1')), coded('ERR_ALREADY_PRESENT'))
      const { pid: p2 } = await Supervisor.restartChild(node, sup, 'c1')
      assert.deepEqual(await rows(sup), [['c1', str(p2)]])
      await assert.rejects(Supervisor.restartChild(node, sup, 'c1'), coded('ERR_CHILD_RUNNING'))
      await assert.rejects(Supervisor.deleteChild(node, sup, 'c1'), coded('ERR_CHILD_RUNNING'))
      for (const op of [Supervisor.terminateChild, Supervisor.restartChild, Supervisor.deleteChild]) {
        await assert.rejects(op(node, sup, 'nope'), coded('ERR_CHILD_NOT_FOUND'))
      }
      await Supervisor.terminateChild(node, sup, 'c1')
      await Supervisor.deleteChild(node, sup, 'c1')
      assert.deepEqual(await rows(sup), [])
      const { pid: p3 } = await Supervisor.startChild(node, sup, child('c1'))
      assert.deepEqual(await rows(sup), [['c1', str(p3)]])
      // A terminated temporary child is forgotten at once.
      await Supervisor.startChild(node, sup, child('t', { restart: 'temporary' }))
      assert.deepEqual((await rows(sup)).map(([id]) => id), ['t', 'c1'])
      await Supervisor.terminateChild(node, sup, 't')
      assert.deepEqual(await rows(sup), [['c1', str(p3)]])
      await Server.stop(node, sup)
      for (const op of [
        () => Supervisor.whichChildren(node, sup), () => Supervisor.countChildren(node, sup), () => Supervisor.startChild(node, sup, child('x')),
        () => Supervisor.terminateChild(node, sup, 'c1'), () => Supervisor.restartChild(node, sup, 'c1'),
        () => Supervisor.deleteChild(node, sup, 'c1'), () => Supervisor.getChildSpec(node, sup, 'c1'),
      ]) await assert.rejects(op(), coded('ERR_NOPROC'))
    })

    it('child_adm_simple: simple_one_for_one children are terminated by pid; by-id operations are refused', async () => {
      const sup = await startSup({ strategy: 'simple_one_for_one', children: [child('dyn', {}, {}, 1)] })
      const { pid: a } = await Supervisor.startChild(node, sup, { id: 'a' })
      const { pid: b } = await Supervisor.startChild(node, sup, { id: 'b' })
      assert.deepEqual(await Supervisor.whichChildren(node, sup), [
        { id: undefined, pid: b, type: 'worker', restart: 'permanent' }, { id: undefined, pid: a, type: 'worker', restart: 'permanent' },
      ])
      assert.deepEqual(await counts(sup), count(1, 2, 0, 2))
      const down = reasonOf(a as Pid)
      await Supervisor.terminateChild(node, sup, a as Pid)
      assert.equal(await down, 'shutdown')
      await Supervisor.terminateChild(node, sup, a as Pid)
      assert.deepEqual(await rows(sup), [[undefined, str(b)]])
      await assert.rejects(Supervisor.terminateChild(node, sup, probe.pid), coded('ERR_CHILD_NOT_FOUND'))
      await assert.rejects(Supervisor.terminateChild(node, sup, 'a'), coded('ERR_SIMPLE_ONE_FOR_ONE', 'simple_one_for_one'))
      await assert.rejects(Supervisor.restartChild(node, sup, 'a'), coded('ERR_SIMPLE_ONE_FOR_ONE', 'simple_one_for_one'))
      await assert.rejects(Supervisor.deleteChild(node, sup, 'a'), coded('ERR_SIMPLE_ONE_FOR_ONE', 'simple_one_for_one'))
      assert.deepEqual(await counts(sup), count(1, 1, 0, 1))
      await Server.stop(node, sup)
    })

    it('extra_return (SUP-T20): info from a start function comes back from startChild and restartChild; restarts still work', async () => {
      const sup = await startSup({ children: [{ id: 'c1', start: withInfo('c1', 'info of c1') }] })
      await pidOf('c1')
      const first = await Supervisor.startChild(node, sup, { id: 'c2', start: withInfo('c2', 'info of c2') })
      assert.equal(first.info, 'info of c2')
      await pidOf('c2')
      await Supervisor.terminateChild(node, sup, 'c2')
      const again = await Supervisor.restartChild(node, sup, 'c2')
      assert.equal(again.info, 'info of c2')
      assert.ok(again.pid instanceof Pid && !again.pid.equals(first.pid))
      await pidOf('c2')
      node.cast(again.pid, 'crash')
      const third = await pidOf('c2')
      assert.deepEqual((await rows(sup))[0], ['c2', str(third)])
      await Server.stop(node, sup)
    })

    it('simple_one_for_one_extra: a template start function returning info; its children restart with their arguments', async () => {
      const sup = await startSup({ strategy: 'simple_one_for_one', intensity: 5, children: [{ id: 'tpl', start: withInfo('dyn', 'sofo info') }] })
      const a = await Supervisor.startChild(node, sup, { id: 'a' })
      assert.equal(a.info, 'sofo info')
      await pidOf('a')
      node.cast(a.pid as Pid, 'crash')
      const again = await pidOf('a')
      assert.ok(!again.equals(a.pid))
      assert.equal(((await node.call(again, 'args')) as ChildArgs).id, 'a')
      await Server.stop(node, sup)
    })

    it('do_not_save_start_parameters_for_temporary_children: a temporary child\'s spec keeps no start arguments', async () => {
      const sup = await startSup({ children: [] })
      const big = { payload: 'x'.repeat(1000) }
      await Supervisor.startChild(node, sup, { id: 't', start: [Idle, big], restart: 'temporary' })
      await Supervisor.startChild(node, sup, { id: 'p', start: [Idle, big] })
      assert.deepEqual((await Supervisor.getChildSpec(node, sup, 't')).start, [Idle, undefined, undefined])
      assert.deepEqual((await Supervisor.getChildSpec(node, sup, 'p')).start, [Idle, big])
      await Server.stop(node, sup)
    })

    it('simple_one_for_one_corruption (adapted): a temporary simple_one_for_one child\'s arguments are not kept', async () => {
      // Adapted: OTP checks the supervisor's heap; here the arguments must become garbage while
      // the child still runs (Idle keeps nothing). A permanent template must keep them (restart).
      const weakArgs = async (sup: Pid): Promise<WeakRef<object>> => {
        const extra = { payload: 'y'.repeat(1000) }
        await Supervisor.startChild(node, sup, extra)
        return new WeakRef(extra)
      }
      const temporary = await startSup({ strategy: 'simple_one_for_one', children: [{ id: 't', start: [Idle, {}], restart: 'temporary' }] })
      const permanent = await startSup({ strategy: 'simple_one_for_one', children: [{ id: 'p', start: [Idle, {}] }] })
      const [dropped, kept] = [await weakArgs(temporary), await weakArgs(permanent)]
      await new Promise((resolve) => setImmediate(resolve))
      gc()
      assert.equal(dropped.deref(), undefined)
      assert.notEqual(kept.deref(), undefined)
      assert.deepEqual(await counts(temporary), count(1, 1, 0, 1))
      await Server.stop(node, temporary)
      await Server.stop(node, permanent)
    })

    it('do_not_save_child_specs_for_temporary_children: a temporary spec is gone once its child ends', async () => {
      const sup = await startSup({ children: [] })
      const spec = child('t', { restart: 'temporary' })
      const { pid: t1 } = await Supervisor.startChild(node, sup, spec)
      await node.call(t1 as Pid, { exit: 'normal' })
      await reasonOf(t1 as Pid)
      assert.deepEqual(await rows(sup), [])
      const { pid: t2 } = await Supervisor.startChild(node, sup, spec)
      assert.ok(t2 instanceof Pid)
      const { pid: p } = await Supervisor.startChild(node, sup, child('p'))
      await assert.rejects(Supervisor.startChild(node, sup, child('p')), coded('ERR_ALREADY_STARTED', { already_started: p }))
      const { pid: tr } = await Supervisor.startChild(node, sup, child('tr', { restart: 'transient' }))
      await node.call(tr as Pid, { exit: 'normal' })
      await reasonOf(tr as Pid)
      await assert.rejects(Supervisor.startChild(node, sup, child('tr', { restart: 'transient' })), coded('ERR_ALREADY_PRESENT'))
      assert.deepEqual((await rows(sup)).map(([id]) => id), ['tr', 'p', 't'])
      await Server.stop(node, sup)
    })

    it('SUP-T18 children terminated through the API are not restarted and do not count toward intensity', async () => {
      const sup = await startSup({ intensity: 1, period: 3600, children: [child('c1'), child('c2')] })
      await pidOf('c1')
      let c2 = await pidOf('c2')
      for (let i = 0; i < 3; i++) {
        await Supervisor.terminateChild(node, sup, 'c1')
        assert.deepEqual((await rows(sup))[1], ['c1', undefined])
        await Supervisor.restartChild(node, sup, 'c1')
        await pidOf('c1')
      }
      const supDown = track(reasonOf(sup))
      node.cast(c2, 'crash')
      c2 = await pidOf('c2')
      assert.deepEqual((await rows(sup))[0], ['c2', str(c2)])
      assert.equal(supDown.done, false)
      await Server.stop(node, sup)
    })

    it('simple_global_supervisor (adapted): registered names are taken again by restarted processes', async () => {
      // Adapted: global registration → the node-wide name registry, with the processes on another thread.
      const inner: SupervisorSpec = { strategy: 'simple_one_for_one', children: [child('dyn', {}, {}, 1)] }
      const top = await startSup({
        intensity: 5,
        children: [{ id: 'g', type: 'supervisor', start: [Sup, inner, { thread: 1, name: 'gsup' }] }, child('named', {}, {}, 1)],
      })
      const first = node.whereis('gsup') as Pid
      await Supervisor.startChild(node, 'gsup', { id: 'a' })
      assert.equal((await rows('gsup')).length, 1)
      await kill(node, first)
      const again = (await Supervisor.whichChildren(node, top)).find((r) => r.id === 'g')?.pid as Pid
      assert.ok(!again.equals(first))
      assert.ok(node.whereis('gsup')?.equals(again))
      assert.deepEqual(await rows('gsup'), [])
      await Supervisor.startChild(node, 'gsup', { id: 'b' })
      assert.equal((await counts('gsup')).active, 1)
      await Server.stop(node, top)
    })
  })
})
