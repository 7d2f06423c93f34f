/**
 * Supervisor (SEMANTICS §3): start order, restart types, strategies, intensity, shutdown order
 * and timeouts, the dynamic API. Children report to a probe; tests wait for those reports.
 * Each case runs with the children on the supervisor's thread and, where it differs, on others.
 */
import assert from 'node:assert/strict'
import { Node, Server, Supervisor, hasCode, type ChildSpec, type DownMessage, type Pid, type SupervisorSpec } from '../../src/index.ts'
import { probe as makeProbe, type Probe } from '../../src/testing/index.ts'
import { Child, Stubborn, Sup, started, terminated, type ChildEvent } from '../fixtures/supervision.ts'

const FIXTURES = new URL('../fixtures/supervision.ts', import.meta.url)

describe('Supervisor', function () {
  this.timeout(20000)
  let node: Node
  let probe: Probe

  before(async () => {
    node = await Node.start({ threads: 2, modules: [FIXTURES] })
  })
  after(() => node.stop())
  beforeEach(async () => {
    probe = await makeProbe(node)
  })

  const child = (id: string, more: Partial<ChildSpec> = {}, thread?: number, args: object = {}): ChildSpec => ({
    id, start: [Child, { id, report: probe.pid, trap: true, ...args }, thread === undefined ? undefined : { thread }], ...more,
  })
  const startSup = (spec: SupervisorSpec, thread = 0): Promise<Pid> => node.spawn(Sup, spec, { thread })
  const pidOf = async (id: string): Promise<Pid> => ((await probe.expect(started(id))) as ChildEvent).pid
  const ids = (events: unknown[]): string[] => events.map((e) => (e as ChildEvent).id)
  const next = async (n: number, match: (m: unknown) => boolean): Promise<unknown[]> => {
    const out: unknown[] = []
    for (let i = 0; i < n; i++) out.push(await probe.expect(match))
    return out
  }

  for (const where of [{ name: 'children on the supervisor thread', thread: undefined }, { name: 'children on another thread', thread: 2 }]) {
    describe(where.name, () => {
      it('SUP-T1 starts children in order; SUP-T10 shuts them down in reverse order with shutdown', async () => {
        const sup = await startSup({ children: ['a', 'b', 'c'].map((id) => child(id, {}, where.thread, { trap: true })) }, 1)
        assert.deepEqual(ids(await next(3, started())), ['a', 'b', 'c'])
        const m = node.monitor(sup)
        await Server.stop(node, sup, 'shutdown')
        const ends = (await next(3, terminated())) as ChildEvent[]
        assert.deepEqual(ids(ends), ['c', 'b', 'a'])
        assert.deepEqual(ends.map((e) => e.value), ['shutdown', 'shutdown', 'shutdown'])
        assert.equal((await m.down).reason, 'shutdown')
      })

      it('SUP-T2 a failing child start stops the ones before it and fails the supervisor start', async () => {
        const blocker = await node.spawn(Stubborn, { id: 'x', report: probe.pid }, { name: 'fail:b' })
        try {
          const error = await startSup({ children: ['a', 'b', 'c'].map((id) => child(id, {}, where.thread)) })
            .then(() => assert.fail('started'), (e: unknown) => e as { code: string; reason: { shutdown: { failed_to_start_child: string } } })
          assert.equal(error.code, 'ERR_INIT_FAILED')
          assert.equal(error.reason.shutdown.failed_to_start_child, 'b')
          assert.deepEqual(ids(await next(1, terminated())), ['a'])
          assert.equal(probe.pending.some(started('c')), false)
        } finally {
          node.exit(blocker, 'kill')
        }
      })

      it('SUP-T8 one_for_all: the others stop in reverse order, then all start again in order', async () => {
        const sup = await startSup({ strategy: 'one_for_all', intensity: 5, children: ['c1', 'c2', 'c3'].map((id) => child(id, {}, where.thread)) })
        const [p1, p2, p3] = [await pidOf('c1'), await pidOf('c2'), await pidOf('c3')]
        node.cast(p2, 'crash')
        assert.deepEqual(ids(await next(3, terminated())), ['c2', 'c3', 'c1'])
        assert.deepEqual(ids(await next(3, started())), ['c1', 'c2', 'c3'])
        const now = await Supervisor.whichChildren(node, sup)
        for (const row of now) assert.ok(![p1, p2, p3].some((p) => p.equals(row.pid as Pid)))
        await Supervisor.terminateChild(node, sup, 'c1')
        await Server.stop(node, sup)
      })

      it('SUP-T9 rest_for_one: children after the failed one stop in reverse, then restart; earlier ones keep their pids', async () => {
        const sup = await startSup({ strategy: 'rest_for_one', intensity: 5, children: ['c1', 'c2', 'c3', 'c4', 'c5'].map((id) => child(id, {}, where.thread)) })
        const pids = await Promise.all(['c1', 'c2', 'c3', 'c4', 'c5'].map(pidOf))
        node.cast(pids[2] as Pid, 'crash')
        assert.deepEqual(ids(await next(3, terminated())), ['c3', 'c5', 'c4'])
        assert.deepEqual(ids(await next(3, started())), ['c3', 'c4', 'c5'])
        const rows = await Supervisor.whichChildren(node, sup)
        assert.deepEqual(rows.map((r) => r.id), ['c5', 'c4', 'c3', 'c2', 'c1'])
        assert.ok((rows[4]?.pid as Pid).equals(pids[0] as Pid))
        assert.ok((rows[3]?.pid as Pid).equals(pids[1] as Pid))
        await Server.stop(node, sup)
      })
    })
  }

  describe('SUP-T4 restart matrix (one_for_one)', () => {
    const reasons: [string, unknown, boolean][] = [
      ['normal', 'normal', true], ['shutdown', 'shutdown', true], ['{shutdown: x}', { shutdown: 'x' }, true], ['abnormal', 'boom', false],
    ]
    for (const restart of ['permanent', 'transient', 'temporary'] as const) {
      for (const [label, reason, clean] of reasons) {
        const again = restart === 'permanent' || (restart === 'transient' && !clean)
        it(`${restart} child ending ${label} is ${again ? '' : 'not '}restarted`, async () => {
          const sup = await startSup({ intensity: 5, children: [child('w', { restart }, 1)] })
          const first = await pidOf('w')
          await node.call(first, { exit: reason })
          const rows = again ? null : await (async () => {
            // No restart: the supervisor has handled the EXIT once a later call returns.
            const m = node.monitor(first)
            await m.down
            return Supervisor.whichChildren(node, sup)
          })()
          if (again) {
            const second = await pidOf('w')
            assert.ok(!second.equals(first))
          } else if (restart === 'temporary') {
            assert.deepEqual(rows, [])
          } else {
            assert.deepEqual(rows?.map((r) => [r.id, r.pid]), [['w', undefined]])
          }
          await Server.stop(node, sup)
        })
      }
    }
  })

  it('SUP-T5 intensity 2: the third crash shuts the other children down in reverse order, then the supervisor exits shutdown', async () => {
    const sup = await startSup({ intensity: 2, period: 3600, children: [child('a'), child('b'), child('w', {}, 1)] })
    await next(2, started())
    const m = node.monitor(sup)
    for (let i = 0; i < 3; i++) node.cast(await pidOf('w'), 'crash')
    assert.equal((await m.down).reason, 'shutdown')
    const ends = ids(await next(5, terminated()))
    assert.deepEqual(ends.filter((id) => id !== 'w'), ['b', 'a'])
  })

  it('SUP-T7 intensity 0: the first crash ends the supervisor (the initial start does not count)', async () => {
    const sup = await startSup({ intensity: 0, children: [child('w')] })
    const m = node.monitor(sup)
    node.cast(await pidOf('w'), 'crash')
    assert.equal((await m.down).reason, 'shutdown')
  })

  it('SUP-T11 shutdown timeout: a child ignoring shutdown is killed after the timeout, then the next child stops', async () => {
    const stubborn: ChildSpec = { id: 's', start: [Stubborn, { id: 's', report: probe.pid }], shutdown: 100 }
    const sup = await startSup({ children: [child('a', {}, undefined, { trap: true }), stubborn] })
    const s = await pidOf('s')
    const sDown = node.monitor(s)
    const t0 = Date.now()
    await Server.stop(node, sup)
    assert.equal((await sDown.down).reason, 'killed')
    assert.ok(Date.now() - t0 >= 90)
    assert.equal(((await probe.expect(terminated('a'))) as ChildEvent).value, 'shutdown')
  })

  it('SUP-T12 brutal_kill: the child is killed at once and never sees shutdown', async () => {
    const sup = await startSup({ children: [child('k', { shutdown: 'brutal_kill' }, 1, { trap: true })] })
    const k = await pidOf('k')
    const ref = probe.monitor(k)
    await Server.stop(node, sup)
    // Its DOWN is the last message it sends the probe: no 'terminated' report came before it.
    assert.equal((await probe.expectNoneBefore<DownMessage>(terminated('k'), ref)).reason, 'killed')
  })

  it('SUP-T14 simple_one_for_one: dynamic children from a template, terminate by pid', async () => {
    const template: ChildSpec = { id: 'ignored', start: [Child, { id: 'dyn', report: probe.pid }], restart: 'temporary' }
    const sup = await startSup({ strategy: 'simple_one_for_one', children: [template] })
    assert.deepEqual(await Supervisor.whichChildren(node, sup), [])
    const a = await Supervisor.startChild(node, sup, { extra: 1 })
    const b = await Supervisor.startChild(node, sup, { extra: 2 })
    assert.deepEqual(await node.call(a.pid as Pid, 'args'), { id: 'dyn', report: probe.pid, extra: 1 })
    const rows = await Supervisor.whichChildren(node, sup)
    assert.deepEqual(rows.map((r) => r.id), [undefined, undefined])
    assert.deepEqual(await Supervisor.countChildren(node, sup), { specs: 1, active: 2, supervisors: 0, workers: 2 })
    await Supervisor.terminateChild(node, sup, a.pid as Pid)
    await Supervisor.terminateChild(node, sup, a.pid as Pid)
    await assert.rejects(Supervisor.terminateChild(node, sup, probe.pid), (e) => hasCode(e, 'ERR_CHILD_NOT_FOUND'))
    for (const op of [
      () => Supervisor.terminateChild(node, sup, 'x'), () => Supervisor.restartChild(node, sup, 'x'), () => Supervisor.deleteChild(node, sup, 'x'),
    ]) await assert.rejects(op(), (e) => hasCode(e, 'ERR_SIMPLE_ONE_FOR_ONE'))
    assert.equal((await Supervisor.whichChildren(node, sup)).length, 1)
    void b
    await Server.stop(node, sup)
  })

  it('SUP-T36 autoShutdownWhenEmpty: with it, the supervisor exits normal once its last child ended for good; without it, it stays', async () => {
    for (const whenEmpty of [true, false]) {
      const sup = await startSup({ autoShutdownWhenEmpty: whenEmpty, children: [child('t1', { restart: 'temporary' }), child('t2', { restart: 'transient' })] })
      const [t1, t2] = [await pidOf('t1'), await pidOf('t2')]
      const m = node.monitor(sup)
      const gone = [node.monitor(t1).down, node.monitor(t2).down]
      await node.call(t1, { exit: 'normal' })
      await node.call(t2, { exit: 'shutdown' })
      await Promise.all(gone)
      if (whenEmpty) assert.equal((await m.down).reason, 'normal')
      else {
        assert.deepEqual((await Supervisor.whichChildren(node, sup)).map((r) => [r.id, r.pid]), [['t2', undefined]])
        await Server.stop(node, sup)
      }
    }
  })

  it('SUP-T17 dynamic admin: already_started, already_present, running, not_found', async () => {
    const sup = await startSup({ children: [] })
    const spec = child('d', {}, 2)
    const { pid } = await Supervisor.startChild(node, sup, spec)
    await assert.rejects(Supervisor.startChild(node, sup, spec), (e: { reason: { already_started: Pid } }) =>
      hasCode(e, 'ERR_ALREADY_STARTED') && e.reason.already_started.equals(pid as Pid))
    await Supervisor.terminateChild(node, sup, 'd')
    assert.deepEqual(await Supervisor.countChildren(node, sup), { specs: 1, active: 0, supervisors: 0, workers: 1 })
    await assert.rejects(Supervisor.startChild(node, sup, spec), (e) => hasCode(e, 'ERR_ALREADY_PRESENT'))
    const again = await Supervisor.restartChild(node, sup, 'd')
    assert.ok(again.pid !== undefined && !again.pid.equals(pid as Pid))
    await assert.rejects(Supervisor.restartChild(node, sup, 'd'), (e) => hasCode(e, 'ERR_CHILD_RUNNING'))
    await assert.rejects(Supervisor.deleteChild(node, sup, 'd'), (e) => hasCode(e, 'ERR_CHILD_RUNNING'))
    await Supervisor.terminateChild(node, sup, 'd')
    await Supervisor.deleteChild(node, sup, 'd')
    assert.deepEqual(await Supervisor.whichChildren(node, sup), [])
    await assert.rejects(Supervisor.restartChild(node, sup, 'nope'), (e) => hasCode(e, 'ERR_CHILD_NOT_FOUND'))
    await Server.stop(node, sup)
  })

})
