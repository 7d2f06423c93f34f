/**
 * Supervisor against OTP's supervisor_SUITE (SEMANTICS §3.4): each portable upstream case is a
 * test named after it, with the SUP-T id of §3.5 where one applies, plus the P0/P1 cases of §3.5
 * that 012 does not cover. Children report to a probe and tests wait for those reports; cases that
 * depend on time (restart window, shutdown timers) run on the main thread under a VirtualClock.
 *
 * Ordering used throughout: a child's exit reaches its supervisor (EXIT) before it reaches a
 * monitor the test holds (DOWN) on the same path, so a call made after the DOWN sees the
 * supervisor's reaction to that exit.
 */
import assert from 'node:assert/strict'
import v8 from 'node:v8'
import vm from 'node:vm'
import {
  Node, Pid, Server, Supervisor,
  type ChildSpec, type ChildStartContext, type ChildStarted, type ErrorCode, type SpawnOptions, type SupervisorSpec,
} from '../../src/index.ts'
import { VirtualClock, probe as makeProbe, type Probe } from '../../src/testing/index.ts'
import { kill } from '../helpers.ts'
import {
  Child, Idle, Stubborn, Sup, ThrowingSup, started, terminated, type ChildArgs, type ChildEvent,
} from '../fixtures/supervision.ts'

const FIXTURES = new URL('../fixtures/supervision.ts', import.meta.url)
/** An intensity never reached: a failing restart loops until the test ends it. */
const FOREVER = Number.MAX_SAFE_INTEGER

let node: Node
let probe: Probe
const sups: Pid[] = []

// ── helpers ───────────────────────────────────────────────────────────────────────────────

const args = (id: string, more: Partial<ChildArgs> = {}): ChildArgs => ({ id, report: probe.pid, ...more })

/** A Child worker spec; `thread` places the child on that thread. */
function child(id: string, more: Partial<ChildSpec> = {}, a: Partial<ChildArgs> = {}, thread?: number): ChildSpec {
  return { id, start: thread === undefined ? [Child, args(id, a)] : [Child, args(id, a), { thread }], ...more }
}

async function startSup(spec: SupervisorSpec, options: SpawnOptions = {}): Promise<Pid> {
  const sup = await node.spawn(Sup, spec, options)
  sups.push(sup)
  return sup
}

const pidOf = async (id: string): Promise<Pid> => ((await probe.expect(started(id))) as ChildEvent).pid
const reasonOf = (pid: Pid): Promise<unknown> => node.monitor(pid).down.then((d) => d.reason)
const str = (pid: Pid | 'restarting' | undefined): string | undefined => (pid instanceof Pid ? pid.toString() : pid)

/** whichChildren as [id, pid] pairs (pids as strings), most recently started first. */
async function rows(sup: Pid | string): Promise<[string | undefined, string | undefined][]> {
  return (await Supervisor.whichChildren(node, sup)).map((r) => [r.id, str(r.pid)])
}

const counts = (sup: Pid | string) => Supervisor.countChildren(node, sup)
const count = (specs: number, active: number, supervisors: number, workers: number) => ({ specs, active, supervisors, workers })

/** Register `fail:<id>`: the Child fixture's start fails while it is there. Resolves with the switch-off. */
async function failStarts(id: string): Promise<() => Promise<void>> {
  const flag = await node.spawn(Idle, undefined, { name: `fail:${id}` })
  return () => kill(node, flag)
}

/** A rejection check: the error's code and, if given, its `reason`. */
const coded = (code: ErrorCode, reason?: unknown) => (e: unknown): boolean => {
  assert.equal((e as { code?: unknown }).code, code, String(e))
  if (reason !== undefined) assert.deepEqual((e as { reason?: unknown }).reason, reason)
  return true
}

/** A supervisor start that failed in init with a coded error. */
const initFails = (code: ErrorCode, reason?: unknown) => (e: unknown): boolean =>
  coded('ERR_INIT_FAILED')(e) && coded(code, reason)((e as { reason: unknown }).reason)

const isLifecycle = (m: unknown): boolean => started()(m) || terminated()(m)
const showReason = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'object' && v !== null && 'shutdown' in v ? JSON.stringify(v) : 'crash'

/** The next `n` started/terminated reports, as 'started c1' / 'terminated c1 shutdown'. */
async function events(n: number): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    const e = (await probe.expect(isLifecycle)) as ChildEvent
    out.push(e.event === 'started' ? `started ${e.id}` : `terminated ${e.id} ${showReason(e.value)}`)
  }
  return out
}

let flushes = 0
/**
 * Wait for a marker sent to the probe now: reports already on their way to the main thread (sent
 * before an exit or report the test has seen from that thread) are then in `probe.pending`.
 */
async function flush(): Promise<void> {
  const n = ++flushes
  node.send(probe.pid, { flush: n })
  await probe.expect((m) => (m as { flush?: number }).flush === n)
}

/** Track whether a promise has settled, without awaiting it. */
function track<T>(p: Promise<T>): { done: boolean; promise: Promise<T> } {
  const t = { done: false, promise: p }
  void p.then(() => { t.done = true }, () => { t.done = true })
  return t
}

/** A start function that starts a Child linked and returns `info` with its pid (OTP's {ok, Pid, Info}). */
const withInfo = (id: string, info: unknown) => async (ctx: ChildStartContext, extra?: unknown): Promise<ChildStarted> => {
  const pid = await ctx.startLink(Child, { ...args(id), ...(extra as object | undefined) })
  return pid === 'ignore' ? pid : { pid, info }
}

/** A trapping Child whose start fails while `refusals.left` > 0 (each failure uses one up). */
function refusing(id: string, refusals: { left: number }): ChildSpec {
  return {
    id,
    start: (ctx) => {
      if (refusals.left > 0) {
        refusals.left--
        throw new Error(`${id} refused`)
      }
      return ctx.startLink(Child, args(id, { trap: true }))
    },
  }
}

/** A full collection, through V8's gc exposed at run time (weak references then show what is kept). */
let collectGarbage: (() => void) | undefined
function gc(): void {
  if (collectGarbage === undefined) {
    v8.setFlagsFromString('--expose-gc')
    collectGarbage = vm.runInNewContext('gc') as () => void
  }
  collectGarbage()
}

// ── the suite ─────────────────────────────────────────────────────────────────────────────

describe('Supervisor (supervisor_SUITE)', function () {
  this.timeout(10000)

  before(async () => {
    node = await Node.start({ threads: 1, modules: [FIXTURES] })
  })
  after(() => node.stop())
  beforeEach(async () => {
    probe = await makeProbe(node)
  })
  afterEach(() => {
    for (const sup of sups.splice(0)) node.exit(sup, 'kill')
  })

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

    it('sup_start_map_faulty_specs: missing id, missing start, not a spec; unknown keys are ignored', async () => {
      const sup = await startSup({ children: [] })
      await assert.rejects(Supervisor.startChild(node, sup, { start: [Child, args('x')] }), coded('ERR_BAD_CHILD_SPEC', 'missing_id'))
      await assert.rejects(Supervisor.startChild(node, sup, { id: 'x' }), coded('ERR_BAD_CHILD_SPEC', 'missing_start'))
      await assert.rejects(Supervisor.startChild(node, sup, 42), coded('ERR_BAD_CHILD_SPEC', { invalid_child_spec: 42 }))
      const { pid } = await Supervisor.startChild(node, sup, { ...child('y'), colour: 'blue' })
      assert.deepEqual(await rows(sup), [['y', str(pid)]])
      await assert.rejects(node.spawn(Sup, { children: [{ id: 'z' } as never] }), initFails('ERR_BAD_CHILD_SPEC', 'missing_start'))
      await Server.stop(node, sup)
    })

    it('sup_flags (SUP-T3): each invalid flag fails the start with its own reason; unknown flags are ignored', async () => {
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
      const sup = await startSup({ children: [], colour: 'blue' } as never)
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

describe('Supervisor (supervisor_SUITE) with a virtual clock', function () {
  this.timeout(10000)
  let clock: VirtualClock

  beforeEach(async () => {
    clock = new VirtualClock()
    node = await Node.start({ threads: 0, clock })
    probe = await makeProbe(node)
  })
  afterEach(() => node.stop())

  it('multiple_restarts (SUP-T6): restarts further apart than the period never trip intensity 1; two within it do', async () => {
    const sup = await node.spawn(Sup, { intensity: 1, period: 1, children: [child('w')] })
    const supDown = track(reasonOf(sup))
    let w = await pidOf('w')
    for (let i = 0; i < 3; i++) {
      node.cast(w, 'crash')
      w = await pidOf('w')
      await clock.advance(2100)
    }
    assert.equal(supDown.done, false)
    assert.deepEqual(await rows(sup), [['w', str(w)]])
    node.cast(w, 'crash')
    w = await pidOf('w')
    await clock.advance(500)
    node.cast(w, 'crash')
    assert.equal(await supDown.promise, 'shutdown')
  })

  it('sup_stop_infinity (SUP-T13): with shutdown infinity the supervisor waits as long as the child takes (an hour)', async () => {
    const hour = 3_600_000
    const sup = await node.spawn(Sup, { children: [child('slow', { shutdown: 'infinity' }, { trap: true, stopMs: hour })] })
    const down = track(reasonOf(await pidOf('slow')))
    const stopping = track(Server.stop(node, sup, 'shutdown'))
    assert.equal(((await probe.expect(terminated('slow'))) as ChildEvent).value, 'shutdown')
    await clock.advance(hour - 1)
    assert.equal(stopping.done || down.done, false)
    await clock.advance(1)
    await stopping.promise
    assert.equal(await down.promise, 'shutdown')
  })

  it('sup_stop_timeout: a child ignoring shutdown is killed at its timeout; only then is the next child told', async () => {
    const sup = await node.spawn(Sup, {
      children: [child('a', {}, { trap: true }), { id: 's', start: [Stubborn, args('s')], shutdown: 1000 }],
    })
    await pidOf('a')
    const down = track(reasonOf(await pidOf('s')))
    const stopping = Server.stop(node, sup)
    const got = (await probe.expect((m) => (m as ChildEvent).event === 'info' && (m as ChildEvent).id === 's')) as ChildEvent
    assert.equal((got.value as { reason: unknown }).reason, 'shutdown')
    await clock.advance(999)
    assert.equal(down.done, false)
    assert.equal(probe.pending.some(terminated('a')), false)
    await clock.advance(1)
    assert.equal(await down.promise, 'killed')
    assert.equal(((await probe.expect(terminated('a'))) as ChildEvent).value, 'shutdown')
    await stopping
  })

  it('sup_stop_timeout_dynamic: simple_one_for_one children ignoring shutdown are all killed at the one timeout', async () => {
    const sup = await node.spawn(Sup, {
      strategy: 'simple_one_for_one', children: [{ id: 'tpl', start: [Stubborn, args('dyn')], shutdown: 1000 }],
    })
    const downs = await Promise.all(['s1', 's2'].map(async (id) => track(reasonOf((await Supervisor.startChild(node, sup, { id })).pid as Pid))))
    const stopping = track(Server.stop(node, sup))
    await clock.advance(999)
    assert.equal(downs.some((d) => d.done) || stopping.done, false)
    await clock.advance(1)
    assert.deepEqual(await Promise.all(downs.map((d) => d.promise)), ['killed', 'killed'])
    await stopping.promise
  })

  it('simple_one_for_one_shutdown (SUP-T16): children are shut down concurrently under one shared timer', async () => {
    // Stop latencies 1 s, 1 s, 5 s and shutdown 2 s: one at a time would take at least 1+1+2 s.
    // The children take their time after the shutdown signal, in a message handler (see the
    // pending case below for a slow terminate).
    const sup = await node.spawn(Sup, {
      strategy: 'simple_one_for_one', children: [{ id: 'tpl', start: [Stubborn, args('dyn', { exitAs: 'shutdown' })], shutdown: 2000 }],
    })
    const downs = await Promise.all([['a', 1000], ['b', 1000], ['c', 5000]].map(async ([id, stopMs]) =>
      track(reasonOf((await Supervisor.startChild(node, sup, { id, stopMs })).pid as Pid))))
    const stopping = track(Server.stop(node, sup))
    const told = (m: unknown): boolean => (m as ChildEvent).event === 'info'
    const ids = [await probe.expect(told), await probe.expect(told), await probe.expect(told)].map((e) => (e as ChildEvent).id)
    assert.deepEqual(ids.sort(), ['a', 'b', 'c'])
    await clock.advance(999)
    assert.equal(downs.some((d) => d.done), false)
    await clock.advance(1)
    assert.deepEqual(await Promise.all(downs.slice(0, 2).map((d) => d.promise)), ['shutdown', 'shutdown'])
    await clock.advance(999)
    assert.equal(stopping.done || (downs[2]?.done ?? true), false)
    await clock.advance(1)
    assert.equal(await downs[2]?.promise, 'killed')
    await stopping.promise
    assert.equal(node.now(), 2000)
  })

  // A kill reaches a process even while its async terminate runs (SUP-R6: OTP kills it).
  it('sup_stop_timeout (slow terminate): a child whose terminate outlasts the shutdown timeout is killed at the timeout', async () => {
    const sup = await node.spawn(Sup, { children: [child('slow', { shutdown: 1000 }, { trap: true, stopMs: 5000 })] })
    const down = track(reasonOf(await pidOf('slow')))
    const stopping = track(Server.stop(node, sup))
    await probe.expect(terminated('slow'))
    await clock.advance(999)
    assert.equal(down.done, false)
    await clock.advance(1)
    assert.equal(down.done, true, 'the child is still running its terminate')
    assert.equal(await down.promise, 'killed')
    await stopping.promise
  })
})
