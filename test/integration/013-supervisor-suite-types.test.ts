/**
 * Supervisor against OTP's supervisor_SUITE (SEMANTICS §3.4), part 4: restart types (permanent,
 * transient, temporary against each way of ending), significant children and auto-shutdown, and
 * countChildren at scale.
 *
 * Each portable upstream case is a test named after it, with the SUP-T id of §3.5 where one applies,
 * plus the P0/P1 cases of §3.5 that 012 does not cover. Children report to a probe and tests wait
 * for those reports. The helpers, the hooks (this file starts its own node) and the EXIT-before-DOWN
 * ordering the cases rely on are in supervisor-suite/kit.ts.
 */
import assert from 'node:assert/strict'
import { Pid, Server, Supervisor, type SupervisorSpec } from '../../src/index.ts'
import { Idle, Sup, terminated, type ChildEvent } from '../fixtures/supervision.ts'
import {
  FOREVER, child, count, counts, events, failStarts, killSups, newProbe, node, pidOf, probe,
  reasonOf, rows, startSuiteNode, startSup, stopNode, str, track,
} from './supervisor-suite/kit.ts'

describe('Supervisor (supervisor_SUITE)', function () {
  this.timeout(10000)

  before(startSuiteNode)
  after(stopNode)
  beforeEach(newProbe)
  afterEach(killSups)

  describe('restart types', () => {
    const end = {
      normal: (pid: Pid) => node.call(pid, { exit: 'normal' }),
      shutdown: (pid: Pid) => node.exit(pid, 'shutdown'),
      abnormal: (pid: Pid) => node.exit(pid, 'abnormal'),
    }
    for (const restart of ['permanent', 'transient', 'temporary'] as const) {
      for (const how of ['normal', 'shutdown', 'abnormal'] as const) {
        const again = restart === 'permanent' || (restart === 'transient' && how === 'abnormal')
        const t25 = restart === 'transient' && how === 'shutdown' ? ' (SUP-T25: also {shutdown: info})' : ''
        it(`${restart}_${how}${t25}: ${again ? 'restarted' : restart === 'temporary' ? 'not restarted, spec removed' : 'not restarted, spec kept'}`, async () => {
          const sup = await startSup({ intensity: 5, period: 3600, children: [child('c1', { restart }, {}, 1)] })
          const first = await pidOf('c1')
          const down = reasonOf(first)
          await end[how](first)
          assert.equal(await down, how)
          if (again) {
            const second = await pidOf('c1')
            assert.ok(!second.equals(first))
            assert.deepEqual(await rows(sup), [['c1', str(second)]])
          } else {
            assert.deepEqual(await rows(sup), restart === 'temporary' ? [] : [['c1', undefined]])
          }
          if (t25) {
            const { pid } = await Supervisor.restartChild(node, sup, 'c1')
            const down2 = reasonOf(pid as Pid)
            node.exit(pid as Pid, { shutdown: 'info' })
            assert.deepEqual(await down2, { shutdown: 'info' })
            assert.deepEqual(await rows(sup), [['c1', undefined]])
          }
          await Server.stop(node, sup)
        })
      }
    }
  })

  describe('significant children', () => {
    const sig = (id: string, restart: 'temporary' | 'transient' = 'temporary') => child(id, { restart, significant: true }, { trap: true })
    const endNormally = async (id: string, reason: unknown = 'normal') => {
      const pid = await pidOf(id)
      const down = reasonOf(pid)
      await node.call(pid, { exit: reason })
      await down
    }

    for (const restart of ['temporary', 'transient'] as const) {
      it(`nonsignificant_${restart}: a non-significant child ending never shuts the supervisor down`, async () => {
        const sup = await startSup({ autoShutdown: 'any_significant', children: [child('c1', { restart }), child('c2')] })
        await endNormally('c1')
        assert.equal((await counts(sup)).active, 1)
        await Server.stop(node, sup)
      })
    }

    it('significant_temporary (SUP-T26, SUP-T27): any_significant ends on the first exit; all_significant on the last', async () => {
      const any = await startSup({ autoShutdown: 'any_significant', children: [child('other', {}, { trap: true }), sig('s1')] })
      const anyDown = reasonOf(any)
      await endNormally('s1')
      assert.equal(await anyDown, 'shutdown')
      assert.equal(((await probe.expect(terminated('other'))) as ChildEvent).value, 'shutdown')

      const all = await startSup({ autoShutdown: 'all_significant', children: [sig('a'), sig('b')] })
      const allDown = track(reasonOf(all))
      await endNormally('a')
      assert.deepEqual(await counts(all), count(1, 1, 0, 1))
      assert.equal(allDown.done, false)
      const b = await pidOf('b')
      node.exit(b, 'kill')
      assert.equal(await allDown.promise, 'shutdown')
    })

    it('significant_transient: a restarted exit does not count; a clean one shuts the supervisor down', async () => {
      const any = await startSup({ autoShutdown: 'any_significant', intensity: 5, children: [sig('t', 'transient')] })
      const t = await pidOf('t')
      const anyDown = reasonOf(any)
      node.cast(t, 'crash')
      assert.equal((await counts(any)).specs, 1)
      await endNormally('t', { shutdown: 'done' })
      assert.equal(await anyDown, 'shutdown')

      const all = await startSup({ autoShutdown: 'all_significant', children: [sig('a', 'transient'), sig('b', 'transient')] })
      const allDown = track(reasonOf(all))
      await endNormally('a')
      assert.deepEqual((await rows(all))[1], ['a', undefined])
      assert.equal(allDown.done, false)
      await endNormally('b', 'shutdown')
      assert.equal(await allDown.promise, 'shutdown')
    })

    it('significant_simple: a significant simple_one_for_one template', async () => {
      const any = await startSup({ strategy: 'simple_one_for_one', autoShutdown: 'any_significant', children: [sig('dyn')] })
      for (const id of ['a', 'b']) await Supervisor.startChild(node, any, { id })
      const anyDown = reasonOf(any)
      await endNormally('a')
      assert.equal(await anyDown, 'shutdown')
      assert.equal(((await probe.expect(terminated('b'))) as ChildEvent).value, 'shutdown')

      const all = await startSup({ strategy: 'simple_one_for_one', autoShutdown: 'all_significant', children: [sig('dyn')] })
      for (const id of ['c', 'd']) await Supervisor.startChild(node, all, { id })
      const allDown = track(reasonOf(all))
      await endNormally('c')
      assert.deepEqual(await counts(all), count(1, 1, 0, 1))
      assert.equal(allDown.done, false)
      await endNormally('d')
      assert.equal(await allDown.promise, 'shutdown')
    })

    it('significant_bystander (SUP-T28): neither a bystander shutdown nor terminateChild triggers auto-shutdown', async () => {
      const sup = await startSup({
        strategy: 'one_for_all', autoShutdown: 'any_significant', intensity: 5,
        children: [child('c1'), sig('c2'), sig('c3', 'transient')],
      })
      const c1 = await pidOf('c1')
      await events(2)
      const supDown = track(reasonOf(sup))
      node.cast(c1, 'crash')
      assert.deepEqual(await events(5), ['terminated c1 crash', 'terminated c3 shutdown', 'terminated c2 shutdown', 'started c1', 'started c3'])
      assert.deepEqual((await rows(sup)).map(([id]) => id), ['c3', 'c1'])
      await Supervisor.terminateChild(node, sup, 'c3')
      assert.deepEqual(await counts(sup), count(2, 1, 0, 2))
      assert.equal(supDown.done, false)
      await Server.stop(node, sup)
    })

    it('significant_escalation: a sub-supervisor that shut itself down counts as its parent\'s significant child exit', async () => {
      const inner: SupervisorSpec = { autoShutdown: 'any_significant', children: [sig('w')] }
      const top = await startSup({
        autoShutdown: 'any_significant',
        children: [
          child('sibling', {}, { trap: true }),
          { id: 'sub', type: 'supervisor', restart: 'transient', significant: true, start: [Sup, inner, { thread: 1 }] },
        ],
      })
      const topDown = reasonOf(top)
      await endNormally('w')
      assert.equal(await topDown, 'shutdown')
      assert.equal(((await probe.expect(terminated('sibling'))) as ChildEvent).value, 'shutdown')
    })
  })

  describe('counts and scale', () => {
    it('count_children (SUP-T33): 2000 dynamic children, half of them supervisors; stable across calls', async () => {
      const sup = await startSup({ children: [] })
      await Promise.all(Array.from({ length: 1000 }, (_, i) => [
        Supervisor.startChild(node, sup, { id: `w${i}`, start: [Idle, undefined] }),
        Supervisor.startChild(node, sup, { id: `s${i}`, start: [Sup, { children: [] }], type: 'supervisor' }),
      ]).flat())
      assert.deepEqual(await counts(sup), count(2000, 2000, 1000, 1000))
      assert.deepEqual(await counts(sup), count(2000, 2000, 1000, 1000))
      const which = await rows(sup)
      assert.equal(which.length, 2000)
      assert.equal(new Set(which.map(([, pid]) => pid)).size, 2000)
      assert.deepEqual(await rows(sup), which)
      await Supervisor.terminateChild(node, sup, 'w0')
      assert.deepEqual(await counts(sup), count(2000, 1999, 1000, 1000))
      await Server.stop(node, sup)
    })

    it('count_children_supervisor: a simple_one_for_one of supervisors counts them as supervisors', async () => {
      const sup = await startSup({
        strategy: 'simple_one_for_one', children: [{ id: 'tpl', start: [Sup, { children: [] }], type: 'supervisor' }],
      })
      await Promise.all(Array.from({ length: 200 }, () => Supervisor.startChild(node, sup, {})))
      assert.deepEqual(await counts(sup), count(1, 200, 200, 0))
      await Server.stop(node, sup)
    })

    it('count_restarting_children: restarting children are counted but not active', async () => {
      const sup = await startSup({ strategy: 'simple_one_for_one', intensity: FOREVER, period: 3600, children: [child('dyn')] })
      const pids = await Promise.all(['a', 'b', 'c', 'd'].map(async (id) => (await Supervisor.startChild(node, sup, { id })).pid as Pid))
      const off = await failStarts('a')
      const offB = await failStarts('b')
      const downs = [reasonOf(pids[0] as Pid), reasonOf(pids[1] as Pid)]
      node.cast(pids[0] as Pid, 'crash')
      node.cast(pids[1] as Pid, 'crash')
      await Promise.all(downs)
      assert.deepEqual(await counts(sup), count(1, 2, 0, 4))
      assert.equal((await rows(sup)).filter(([, pid]) => pid === 'restarting').length, 2)
      await Promise.all([off(), offB()])
      await pidOf('a')
      await pidOf('b')
      assert.deepEqual(await counts(sup), count(1, 4, 0, 4))
      await Server.stop(node, sup)
    })

    it('simple_one_for_one_scale_many_temporary_children (SUP-T34, a sanity check without timing)', async () => {
      const sup = await startSup({ strategy: 'simple_one_for_one', children: [{ id: 't', start: [Idle, {}], restart: 'temporary' }] })
      const started = await Promise.all(Array.from({ length: 1000 }, () => Supervisor.startChild(node, sup, {})))
      assert.deepEqual(await counts(sup), count(1, 1000, 0, 1000))
      await Promise.all(started.map(({ pid }) => Supervisor.terminateChild(node, sup, pid as Pid)))
      assert.deepEqual(await counts(sup), count(1, 0, 0, 0))
      await Server.stop(node, sup)
    })
  })
})
