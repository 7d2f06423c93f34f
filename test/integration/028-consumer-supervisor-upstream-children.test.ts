/**
 * ConsumerSupervisor against GenStage's `consumer_supervisor_test.exs` (SEMANTICS §7.5), part 1:
 * init's checks, startChild, restarts (restart types, a failing restart retried, the restart
 * intensity) and shutting children down, under the upstream test names. Set-up and helpers:
 * 028-consumer-supervisor-upstream/kit.ts.
 *
 * Not ported: `generates child_spec/1`, `sets initial call ...`, `returns the callback module`,
 * `code_change/3 ...` (BEAM only); `init/2 supports old child spec / new child spec as tuple /
 * as atom` and `start_link/3 with new syntax` (Elixir's child spec shorthands: a Skein template
 * has one form).
 */
import assert from 'node:assert/strict'
import { Node, Pid, Server, Stage, Supervisor, hasCode, type ErrorCode } from '../../src/index.ts'
import { VirtualClock, probe as makeProbe } from '../../src/testing/index.ts'
import { Simple, Sleeper, Upstream } from '../fixtures/consumer-supervision.ts'
import {
  FOREVER, assertKill, childStarted, children, counts, killStarted, newProbe, node, refute, report, spawn,
  startSuiteNode, startUpstream, stopNode,
} from './028-consumer-supervisor-upstream/kit.ts'

describe('ConsumerSupervisor (consumer_supervisor_test)', function () {
  this.timeout(10000)

  before(startSuiteNode)
  after(stopNode)
  beforeEach(newProbe)
  afterEach(killStarted)

  const failsWith = (code: ErrorCode) => (e: { reason?: unknown }): boolean => hasCode(e, 'ERR_INIT_FAILED') && hasCode(e.reason, code)

  it('start_link/3 with non-ok init', async () => {
    const start = (spec: unknown) => node.spawn(Simple, spec, { thread: 1 })
    const child = { id: 'c', start: [Sleeper] as const, restart: 'transient' as const }
    await assert.rejects(start({}), failsWith('ERR_BAD_CHILD_SPEC'))
    await assert.rejects(start({ child: [child, child] }), failsWith('ERR_BAD_CHILD_SPEC'))
    await assert.rejects(start({ child, strategy: 'unknown' }), (e: { reason?: { reason?: unknown } }) =>
      failsWith('ERR_SUPERVISOR_DATA')(e) && (e.reason?.reason as { bad_opts?: unknown }).bad_opts !== undefined)
    await assert.rejects(start({ child, children: [] }), failsWith('ERR_UNKNOWN_OPTION'))
    await assert.rejects(start('unknown'), failsWith('ERR_BAD_RETURN_VALUE'))
    assert.equal(await node.startProcess(Simple, 'ignore', { thread: 1 }), 'ignore')
  })

  it('start_link/3 with bad child_spec', async () => {
    const start = (more: object) => node.spawn(Simple, { child: { id: 'c', start: [Sleeper], ...more } }, { thread: 1 })
    await assert.rejects(start({}), (e: { reason?: { reason?: unknown } }) =>
      failsWith('ERR_BAD_CHILD_SPEC')(e) && (e.reason?.reason as { invalid_restart_type?: unknown }).invalid_restart_type === 'permanent')
    await assert.rejects(start({ restart: 'transient', shutdown: 'invalid' }), (e: { reason?: { reason?: unknown } }) =>
      failsWith('ERR_BAD_CHILD_SPEC')(e) && (e.reason?.reason as { invalid_shutdown?: unknown }).invalid_shutdown === 'invalid')
  })

  it('start_link/3 with registered process', async () => {
    const sup = await spawn(Simple, { child: { id: 'c', start: [Sleeper], restart: 'transient' } }, { thread: 1, name: 'cs-registered' })
    assert.ok(node.whereis('cs-registered')?.equals(sup))
    assert.deepEqual(await Supervisor.countChildren(node, 'cs-registered'), { specs: 1, active: 0, supervisors: 0, workers: 0 })
  })

  describe('start_child/2', () => {
    it('start_child/2', async () => {
      const sup = await startUpstream({ restart: 'transient' })
      const ok3 = await Supervisor.startChild(node, sup, 'ok3')
      assert.ok(ok3.pid instanceof Pid)
      assert.equal(ok3.info, 'extra')
      assert.deepEqual(Object.keys(await Supervisor.startChild(node, sup, 'ok2')), ['pid'])
      await assert.rejects(Supervisor.startChild(node, sup, 'error'), (e: { reason?: unknown }) => hasCode(e, 'ERR_CHILD_START') && e.reason === 'found')
      assert.deepEqual(await Supervisor.startChild(node, sup, 'ignore'), { pid: undefined })
      await assert.rejects(Supervisor.startChild(node, sup, 'unknown'), (e: { reason?: unknown }) =>
        hasCode(e, 'ERR_CHILD_START') && hasCode(e.reason, 'ERR_BAD_RETURN_VALUE'))
      await counts(sup, { workers: 2, active: 2 })
    })

    it('start_child/2 with throw/error/exit', async () => {
      const sup = await startUpstream({ restart: 'transient' })
      const reason = async (how: 'throw' | 'error' | 'exit'): Promise<unknown> =>
        Supervisor.startChild(node, sup, { non_local: how }).then(() => assert.fail('started'), (e: { code?: string; reason?: unknown }) => {
          assert.equal(e.code, 'ERR_CHILD_START')
          return e.reason
        })
      assert.equal(await reason('throw'), 'oops')
      assert.equal((await reason('error') as Error).message, 'oops')
      assert.equal(await reason('exit'), 'oops')
      await counts(sup, { workers: 0, active: 0 })
    })
  })

  describe('restarts', () => {
    it('temporary child is not restarted regardless of reason', async () => {
      const sup = await startUpstream({ restart: 'temporary' })
      for (const reason of ['shutdown', 'whatever']) {
        await assertKill((await Supervisor.startChild(node, sup, 'ok2')).pid as Pid, reason)
        await counts(sup, { workers: 0, active: 0 })
      }
    })

    it('transient child is restarted unless normal/shutdown/{shutdown, _}', async () => {
      const sup = await startUpstream({ restart: 'transient' })
      for (const reason of ['shutdown', { shutdown: 'signal' }]) {
        await assertKill((await Supervisor.startChild(node, sup, 'ok2')).pid as Pid, reason)
        await counts(sup, { workers: 0, active: 0 })
      }
      await assertKill((await Supervisor.startChild(node, sup, 'ok2')).pid as Pid, 'whatever')
      await counts(sup, { workers: 1, active: 1 })
    })

    it('child is restarted with different values', async () => {
      const sup = await startUpstream({ restart: 'transient', maxRestarts: FOREVER })
      const start = async (then: unknown): Promise<Pid> => (await Supervisor.startChild(node, sup, { restart: then })).pid as Pid
      const child1 = await start('ok2')
      assert.deepEqual(await children(sup), [child1])
      await assertKill(child1, 'kill')
      await counts(sup, { workers: 1, active: 1 })
      const child2 = await start('ok3')
      const rows = await children(sup)
      assert.equal(rows.length, 2)
      assert.ok((rows[1] as Pid).equals(child2), 'listed in start order')
      await assertKill(child2, 'kill')
      await counts(sup, { workers: 2, active: 2 })
      await assertKill(await start('ignore'), 'kill')
      await counts(sup, { workers: 2, active: 2 })
      await assertKill(await start('error'), 'kill')
      await counts(sup, { workers: 3, active: 2 })
      const child5 = await start('unknown')
      const listed = await children(sup)
      assert.equal(listed[2], 'restarting')
      assert.ok((listed[3] as Pid).equals(child5))
      await assertKill(child5, 'kill')
      await counts(sup, { workers: 4, active: 2 })
    })

    it('child is restarted when trying again', async () => {
      const sup = await startUpstream({ restart: 'transient', maxRestarts: 2 })
      const { pid } = await Supervisor.startChild(node, sup, { try_again: true })
      assert.equal((await report('try_again')).value, true)
      await assertKill(pid as Pid, 'kill')
      assert.equal((await report('try_again')).value, false)
      assert.equal((await report('try_again')).value, true)
      await counts(sup, { workers: 1, active: 1 })
    })

    for (const [name, maxRestarts] of [['child triggers maximum restarts', 1], ['child triggers maximum intensity when trying again', 10]] as const) {
      it(name, async () => {
        const sup = await startUpstream({ restart: 'transient', maxRestarts })
        const down = node.monitor(sup).down
        const { pid } = await Supervisor.startChild(node, sup, { restart: 'error' })
        await assertKill(pid as Pid, 'kill')
        assert.equal((await down).reason, 'shutdown')
      })
    }

    // Upstream sets max_seconds: 0 and relies on OTP counting restarts within whole seconds; here
    // the window is in milliseconds on a virtual clock: one restart a second is within 1 per 1 s,
    // two within the same second are not.
    it('child triggers maximum seconds', async () => {
      const clock = new VirtualClock()
      const local = await Node.start({ threads: 0, clock, modules: [new URL('../fixtures/consumer-supervision.ts', import.meta.url)] })
      try {
        const localProbe = await makeProbe(local)
        const sup = await local.spawn(Upstream, { report: localProbe.pid, restart: 'transient', maxRestarts: 1, maxSeconds: 1 })
        const down = local.monitor(sup).down
        const { pid } = await Supervisor.startChild(local, sup, 'ok2')
        const crash = async (): Promise<Pid | 'restarting' | undefined> => {
          const [row] = await Supervisor.whichChildren(local, sup)
          const m = local.monitor(row?.pid as Pid)
          local.exit(row?.pid as Pid, 'kill')
          await m.down
          return (await Supervisor.whichChildren(local, sup).catch(() => []))[0]?.pid
        }
        assert.ok(pid instanceof Pid)
        assert.ok((await crash()) instanceof Pid, 'the first restart is within 1 per second')
        await clock.advance(1000)
        assert.ok((await crash()) instanceof Pid, 'a second later, the window has room again')
        await crash()
        assert.equal((await down).reason, 'shutdown', 'two restarts within one second are one too many')
      } finally {
        await local.stop()
      }
    })
  })

  describe('terminate/2', () => {
    const ends = [
      ['terminates children with brutal kill', 'brutal_kill', ['plain', 'plain', 'plain'], ['killed', 'killed', 'killed']],
      ['terminates children with infinity shutdown', 'infinity', ['plain', 'plain', 'plain'], ['shutdown', 'shutdown', 'shutdown']],
      ['terminates children with infinity shutdown and abnormal reason', 'infinity', ['oops', 'oops', 'oops'], Array(3).fill({ shutdown: 'oops' })],
      ['terminates children with integer shutdown', 1000, ['plain', 'plain', 'plain'], ['shutdown', 'shutdown', 'shutdown']],
      ['terminates children with integer shutdown and abnormal reason', 1000, ['oops', 'oops', 'oops'], Array(3).fill({ shutdown: 'oops' })],
      // Upstream waits 1 ms; 50 leaves the two that do end time to, on a busy machine.
      ['terminates children with expired integer shutdown', 50, ['plain', 'ignore', 'plain'], ['shutdown', 'killed', 'shutdown']],
    ] as const
    for (const [name, shutdown, sleeps, reasons] of ends) {
      it(name, async () => {
        const sup = await startUpstream({ restart: 'transient', shutdown })
        const pids: Pid[] = []
        for (const sleep of sleeps) pids.push((await Supervisor.startChild(node, sup, { sleep })).pid as Pid)
        const downs = pids.map((p) => node.monitor(p).down)
        await Server.stop(node, sup, 'shutdown')
        assert.deepEqual((await Promise.all(downs)).map((d) => d.reason), [...reasons])
      })
    }
  })

  describe('terminate_child/2', () => {
    for (const [name, shutdown, reason] of [['terminates child with brutal kill', 'brutal_kill', 'killed'], ['terminates child with integer shutdown', 1000, 'shutdown']] as const) {
      it(name, async () => {
        const sup = await startUpstream({ restart: 'transient', shutdown })
        const child = (await Supervisor.startChild(node, sup, { sleep: 'plain' })).pid as Pid
        const down = node.monitor(child).down
        await Supervisor.terminateChild(node, sup, child)
        assert.equal((await down).reason, reason)
        await assert.rejects(Supervisor.terminateChild(node, sup, child), (e) => hasCode(e, 'ERR_CHILD_NOT_FOUND'))
        await counts(sup, { workers: 0, active: 0 })
      })
    }

    it('terminates restarting child', async () => {
      const sup = await startUpstream({ restart: 'transient', maxRestarts: FOREVER })
      const child = (await Supervisor.startChild(node, sup, { restart: 'error' })).pid as Pid
      await childStarted()
      await assertKill(child, 'kill')
      await Supervisor.terminateChild(node, sup, child)
      await assert.rejects(Supervisor.terminateChild(node, sup, child), (e) => hasCode(e, 'ERR_CHILD_NOT_FOUND'))
      await counts(sup, { workers: 0, active: 0 })
      await refute(sup, null, 'child_started')
    })
  })

  it('answers a Stage admin request it cannot serve with ERR_STAGE_NOT_A_PRODUCER', async () => {
    const sup = await startUpstream()
    await assert.rejects(Stage.estimateBufferedCount(node, sup), (e) => hasCode(e, 'ERR_STAGE_NOT_A_PRODUCER'))
  })
})
