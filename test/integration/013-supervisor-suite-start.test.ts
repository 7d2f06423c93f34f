/**
 * Supervisor against OTP's supervisor_SUITE (SEMANTICS §3.4), part 1: starting. Init returning
 * ignore or failing, children that ignore or fail their start, spec defaults and getChildSpec,
 * and the validation of supervisor flags and child specs.
 *
 * Each portable upstream case is a test named after it, with the SUP-T id of §3.5 where one applies,
 * plus the P0/P1 cases of §3.5 that 012 does not cover. Children report to a probe and tests wait
 * for those reports. The helpers, the hooks (this file starts its own node) and the EXIT-before-DOWN
 * ordering the cases rely on are in supervisor-suite/kit.ts.
 */
import assert from 'node:assert/strict'
import { Pid, Server, Supervisor, type ChildSpec } from '../../src/index.ts'
import { Child, Sup, ThrowingSup, started, terminated, type ChildEvent } from '../fixtures/supervision.ts'
import {
  args, child, coded, count, counts, failStarts, flush, initFails, killSups, newProbe, node, pidOf,
  probe, reasonOf, rows, startSuiteNode, startSup, stopNode, str,
} from './supervisor-suite/kit.ts'

describe('Supervisor (supervisor_SUITE)', function () {
  this.timeout(10000)

  before(startSuiteNode)
  after(stopNode)
  beforeEach(newProbe)
  afterEach(killSups)

  describe('start', () => {
    it('sup_start_normal: an empty supervisor starts, lists nothing and stops with shutdown', async () => {
      const sup = await startSup({ children: [] })
      assert.deepEqual(await rows(sup), [])
      assert.deepEqual(await counts(sup), count(0, 0, 0, 0))
      const down = reasonOf(sup)
      await Server.stop(node, sup, 'shutdown')
      assert.equal(await down, 'shutdown')
    })

    it('sup_start_ignore_init (SUP-T3): init returning ignore makes the start return ignore', async () => {
      assert.equal(await node.startProcess(Sup, 'ignore'), 'ignore')
      await assert.rejects(node.spawn(Sup, 'ignore'), coded('ERR_INIT_IGNORED'))
    })

    it('sup_start_ignore_child (SUP-T19): a child that ignores its start keeps its spec with no pid', async () => {
      const sup = await startSup({ children: [child('c1', {}, { ignore: true }), child('c2')] })
      const c2 = await pidOf('c2')
      assert.deepEqual(await rows(sup), [['c2', str(c2)], ['c1', undefined]])
      assert.deepEqual(await counts(sup), count(2, 1, 0, 2))
      assert.deepEqual(await Supervisor.startChild(node, sup, child('c3', {}, { ignore: true })), { pid: undefined })
      assert.deepEqual(await counts(sup), count(3, 1, 0, 3))
      await Server.stop(node, sup)
    })

    it('sup_start_ignore_temporary_child (SUP-T19): a temporary child that ignores its start in init is not stored', async () => {
      const sup = await startSup({
        children: [child('c1', { restart: 'temporary' }, { ignore: true }), child('c2', { restart: 'temporary' })],
      })
      const c2 = await pidOf('c2')
      assert.deepEqual(await rows(sup), [['c2', str(c2)]])
      assert.deepEqual(await counts(sup), count(1, 1, 0, 1))
      await Server.stop(node, sup)
    })

    it('sup_start_ignore_temporary_child_start_child (SUP-T19): the same through startChild', async () => {
      const sup = await startSup({ children: [] })
      const result = await Supervisor.startChild(node, sup, child('c1', { restart: 'temporary' }, { ignore: true }))
      assert.deepEqual(result, { pid: undefined })
      assert.deepEqual(await rows(sup), [])
      assert.deepEqual(await counts(sup), count(0, 0, 0, 0))
      await Server.stop(node, sup)
    })

    it('sup_start_ignore_temporary_child_start_child_simple (SUP-T19): simple_one_for_one stores no ignoring temporary child', async () => {
      const sup = await startSup({
        strategy: 'simple_one_for_one', children: [child('dyn', { restart: 'temporary' }, { ignore: true })],
      })
      assert.deepEqual(await Supervisor.startChild(node, sup, {}), { pid: undefined })
      assert.deepEqual(await rows(sup), [])
      assert.deepEqual(await counts(sup), count(1, 0, 0, 0))
      await Server.stop(node, sup)
    })

    it('sup_start_ignore_permanent_child_start_child_simple (SUP-T19): nor an ignoring permanent one; the supervisor stops cleanly', async () => {
      const sup = await startSup({ strategy: 'simple_one_for_one', children: [child('dyn', {}, { trap: true })] })
      assert.deepEqual(await Supervisor.startChild(node, sup, { ignore: true }), { pid: undefined })
      const { pid } = await Supervisor.startChild(node, sup, { id: 'kept' })
      assert.deepEqual(await rows(sup), [[undefined, str(pid)]])
      assert.deepEqual(await counts(sup), count(1, 1, 0, 1))
      const down = reasonOf(sup)
      await Server.stop(node, sup, 'shutdown')
      assert.equal(await down, 'shutdown')
      assert.equal(((await probe.expect(terminated('kept'))) as ChildEvent).value, 'shutdown')
    })

    it('sup_start_error_return: a bad init return fails the start', async () => {
      await assert.rejects(node.spawn(Sup, 42 as never), initFails('ERR_SUPERVISOR_DATA', { bad_return: 42 }))
      await assert.rejects(node.spawn(Sup, { children: 'none' } as never), initFails('ERR_BAD_CHILD_SPEC', { start_spec: 'none' }))
      const two = [child('a'), child('b')]
      await assert.rejects(node.spawn(Sup, { strategy: 'simple_one_for_one', children: two }),
        initFails('ERR_BAD_CHILD_SPEC', { bad_start_spec: two }))
      await flush()
      assert.equal(probe.pending.some(started()), false)
    })

    it('sup_start_fail: init throwing fails the start with what it threw', async () => {
      await assert.rejects(node.spawn(ThrowingSup, 'init refused'), (e: { code: string; reason: unknown }) =>
        e.code === 'ERR_INIT_FAILED' && e.reason instanceof Error && e.reason.message === 'init refused')
    })

    it('sup_start_child_returns_error: a failed startChild reports why and stores nothing', async () => {
      const sup = await startSup({ children: [] })
      const off = await failStarts('c1')
      await assert.rejects(Supervisor.startChild(node, sup, child('c1')), (e: { code: string; reason: unknown }) =>
        e.code === 'ERR_CHILD_START' && e.reason instanceof Error && e.reason.message === 'start of c1 refused')
      await off()
      const thrower: ChildSpec = { id: 'c2', start: () => { throw new Error('no c2') } }
      await assert.rejects(Supervisor.startChild(node, sup, thrower), (e: { code: string; reason: unknown }) =>
        e.code === 'ERR_CHILD_START' && e.reason instanceof Error && e.reason.message === 'no c2')
      const junk: ChildSpec = { id: 'c3', start: () => 'junk' as never }
      await assert.rejects(Supervisor.startChild(node, sup, junk), (e: { code: string; reason: unknown }) =>
        e.code === 'ERR_CHILD_START' && coded('ERR_BAD_RETURN_VALUE')(e.reason))
      assert.deepEqual(await rows(sup), [])
      assert.deepEqual(await counts(sup), count(0, 0, 0, 0))
      await Server.stop(node, sup)
    })

    it('sup_start_restart_child_returns_error: a failed restartChild leaves the child stopped', async () => {
      const sup = await startSup({ children: [child('c1')] })
      await pidOf('c1')
      await Supervisor.terminateChild(node, sup, 'c1')
      const off = await failStarts('c1')
      await assert.rejects(Supervisor.restartChild(node, sup, 'c1'), coded('ERR_CHILD_START'))
      assert.deepEqual(await rows(sup), [['c1', undefined]])
      await off()
      const { pid } = await Supervisor.restartChild(node, sup, 'c1')
      assert.deepEqual(await rows(sup), [['c1', str(pid)]])
      await Server.stop(node, sup)
    })

    it('sup_start_child_returns_error_simple: a failed simple_one_for_one startChild stores nothing', async () => {
      const sup = await startSup({ strategy: 'simple_one_for_one', children: [child('dyn')] })
      const off = await failStarts('dyn')
      await assert.rejects(Supervisor.startChild(node, sup, {}), coded('ERR_CHILD_START'))
      assert.deepEqual(await counts(sup), count(1, 0, 0, 0))
      await off()
      await Supervisor.startChild(node, sup, {})
      assert.deepEqual(await counts(sup), count(1, 1, 0, 1))
      await Server.stop(node, sup)
    })

    it('sup_start_map: a spec gets its defaults, and getChildSpec returns it by id or pid', async () => {
      const w: ChildSpec = { id: 'w', start: [Child, args('w')] }
      const s: ChildSpec = { id: 's', start: [Sup, { children: [] }], type: 'supervisor' }
      const sup = await startSup({ children: [w, s] })
      const wPid = await pidOf('w')
      const full = { restart: 'permanent', significant: false }
      assert.deepEqual(await Supervisor.getChildSpec(node, sup, 'w'), { ...w, ...full, shutdown: 5000, type: 'worker' })
      assert.deepEqual(await Supervisor.getChildSpec(node, sup, wPid), { ...w, ...full, shutdown: 5000, type: 'worker' })
      assert.deepEqual(await Supervisor.getChildSpec(node, sup, 's'), { ...s, ...full, shutdown: 'infinity', type: 'supervisor' })
      await assert.rejects(Supervisor.getChildSpec(node, sup, 'nope'), coded('ERR_CHILD_NOT_FOUND'))
      assert.deepEqual(await counts(sup), count(2, 2, 1, 1))
      await Server.stop(node, sup)
    })

    it('sup_start_map_simple: getChildSpec of a simple_one_for_one child returns the template', async () => {
      const template: ChildSpec = { id: 'tpl', start: [Child, args('dyn')], restart: 'transient' }
      const sup = await startSup({ strategy: 'simple_one_for_one', children: [template] })
      const { pid } = await Supervisor.startChild(node, sup, {})
      assert.deepEqual(await Supervisor.getChildSpec(node, sup, pid as Pid), {
        id: undefined, start: template.start, restart: 'transient', shutdown: 5000, type: 'worker', significant: false,
      })
      await assert.rejects(Supervisor.getChildSpec(node, sup, probe.pid), coded('ERR_CHILD_NOT_FOUND'))
      await Server.stop(node, sup)
    })

    it('sup_start_map_faulty_specs: missing id, missing start, not a spec, an unknown key (rejected, unlike OTP)', async () => {
      const sup = await startSup({ children: [] })
      await assert.rejects(Supervisor.startChild(node, sup, { start: [Child, args('x')] }), coded('ERR_BAD_CHILD_SPEC', 'missing_id'))
      await assert.rejects(Supervisor.startChild(node, sup, { id: 'x' }), coded('ERR_BAD_CHILD_SPEC', 'missing_start'))
      await assert.rejects(Supervisor.startChild(node, sup, 42), coded('ERR_BAD_CHILD_SPEC', { invalid_child_spec: 42 }))
      await assert.rejects(Supervisor.startChild(node, sup, { ...child('y'), colour: 'blue' }), coded('ERR_UNKNOWN_OPTION', { unknown_option: 'colour' }))
      const { pid } = await Supervisor.startChild(node, sup, child('y'))
      assert.deepEqual(await rows(sup), [['y', str(pid)]])
      await assert.rejects(node.spawn(Sup, { children: [{ id: 'z' } as never] }), initFails('ERR_BAD_CHILD_SPEC', 'missing_start'))
      await Server.stop(node, sup)
    })

    it('sup_flags (SUP-T3): each invalid flag fails the start with its own reason, an unknown flag too (unlike OTP)', async () => {
      const bad: [Record<string, unknown>, unknown][] = [
        [{ strategy: 'one_for_none' }, { invalid_strategy: 'one_for_none' }],
        [{ intensity: -1 }, { invalid_intensity: -1 }],
        [{ intensity: 1.5 }, { invalid_intensity: 1.5 }],
        [{ intensity: 'often' }, { invalid_intensity: 'often' }],
        [{ period: 0 }, { invalid_period: 0 }],
        [{ period: -5 }, { invalid_period: -5 }],
        [{ period: 'soon' }, { invalid_period: 'soon' }],
        [{ autoShutdown: 'sometimes' }, { invalid_auto_shutdown: 'sometimes' }],
      ]
      for (const [flags, reason] of bad) {
        await assert.rejects(node.spawn(Sup, { ...flags, children: [] } as never), initFails('ERR_SUPERVISOR_DATA', reason))
      }
      await assert.rejects(node.spawn(Sup, { children: [], colour: 'blue' } as never), initFails('ERR_UNKNOWN_OPTION', { unknown_option: 'colour' }))
      const sup = await startSup({ children: [] })
      assert.deepEqual(await counts(sup), count(0, 0, 0, 0))
      await Server.stop(node, sup)
    })

    it('child_specs (SUP-T29): checkChildSpecs rejects each bad spec with its reason', () => {
      const start = [Child, args('a')] as const
      const ok: ChildSpec = { id: 'a', start }
      const cases: [ChildSpec[], string, unknown][] = [
        [[{ id: 'a', start, restart: 'temporary', significant: true }], 'never', { bad_combination: { restart: 'temporary', significant: true, autoShutdown: 'never' } }],
        [[{ id: 'a', start, significant: true }], 'any_significant', { bad_combination: { restart: 'permanent', significant: true, autoShutdown: 'any_significant' } }],
        [[{ start } as never], 'never', 'missing_id'],
        [[{ id: 'a' } as never], 'never', 'missing_start'],
        [[{ id: 42, start } as never], 'never', { invalid_child_id: 42 }],
        [[{ id: 'a', start: 'go' as never }], 'never', { invalid_mfa: 'go' }],
        [[{ ...ok, restart: 'sometimes' as never }], 'never', { invalid_restart_type: 'sometimes' }],
        [[{ ...ok, shutdown: -1 }], 'never', { invalid_shutdown: -1 }],
        [[{ ...ok, shutdown: 'soon' as never }], 'never', { invalid_shutdown: 'soon' }],
        [[{ ...ok, type: 'manager' as never }], 'never', { invalid_child_type: 'manager' }],
        [[{ ...ok, restart: 'transient', significant: 'yes' as never }], 'any_significant', { invalid_significant: 'yes' }],
        [[ok, { id: 'b', start }, { ...ok }], 'never', { duplicate_child_name: 'a' }],
        [[42 as never], 'never', { invalid_child_spec: 42 }],
      ]
      for (const [specs, auto, reason] of cases) {
        assert.throws(() => Supervisor.checkChildSpecs(specs, auto as never), coded('ERR_BAD_CHILD_SPEC', reason))
      }
      Supervisor.checkChildSpecs([ok, { id: 'b', start, restart: 'transient', significant: true, shutdown: 'brutal_kill' }], 'all_significant')
      Supervisor.checkChildSpecs([{ id: 'c', start: () => 'ignore', type: 'supervisor', shutdown: 'infinity' }])
    })

    it('child_specs_map (SUP-T29): the same validation applies in init and in startChild', async () => {
      const significant = child('s', { restart: 'temporary', significant: true })
      await assert.rejects(node.spawn(Sup, { children: [significant] }), initFails('ERR_BAD_CHILD_SPEC'))
      await assert.rejects(node.spawn(Sup, { children: [child('a'), child('a')] }),
        initFails('ERR_BAD_CHILD_SPEC', { duplicate_child_name: 'a' }))
      const sup = await startSup({ children: [] })
      await assert.rejects(Supervisor.startChild(node, sup, significant), coded('ERR_BAD_CHILD_SPEC'))
      await assert.rejects(Supervisor.startChild(node, sup, child('b', { shutdown: -5 })), coded('ERR_BAD_CHILD_SPEC', { invalid_shutdown: -5 }))
      assert.deepEqual(await rows(sup), [])
      await Server.stop(node, sup)
      await flush()
      assert.equal(probe.pending.some(started()), false)
    })
  })
})
