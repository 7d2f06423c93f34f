/**
 * Supervisor without threads: the supervisor starts its children through the fake's
 * startProcess (each answered with a fresh pid, or a failure the test chooses), learns of their
 * ends from EXIT messages the test delivers (it traps exits), and shuts them down with exit
 * signals the fake records and answers (by default as a child that does not trap exits: it
 * ends with the signal's reason; `hold` makes a child ignore 'shutdown'). Rule ids are
 * SEMANTICS.md §3.
 */
import assert from 'node:assert/strict'
import { makeError } from '../../../src/core/errors.ts'
import { Pid } from '../../../src/core/pid.ts'
import type { ExitReason } from '../../../src/core/exit.ts'
import { Server } from '../../../src/behaviours/server.ts'
import { Supervisor } from '../../../src/behaviours/supervisor.ts'
import type { ChildSpec, RestartType, Shutdown, Strategy, SupervisorSpec } from '../../../src/behaviours/supervisor-spec.ts'
import { FakeContext, PARENT, exitMessage, pid } from './fake-context.ts'
import { drive, type Driven } from './drive.ts'

/** The children's class: never instantiated here (the fake answers startProcess). */
class Worker extends Server<string> {}

interface Child {
  readonly id: string
  readonly restart?: RestartType
  readonly shutdown?: Shutdown
}

/** A supervisor whose spec is its start argument. */
class Sup extends Supervisor<SupervisorSpec> {
  init(spec: SupervisorSpec): SupervisorSpec {
    return spec
  }
}

const spec = (strategy: Strategy, children: Array<string | Child>, flags: Partial<SupervisorSpec> = {}): SupervisorSpec => ({
  strategy,
  intensity: 10,
  period: 5,
  ...flags,
  children: children.map((c): ChildSpec => {
    const { id, ...rest } = typeof c === 'string' ? { id: c } : c
    return { id, start: [Worker, id], ...rest }
  }),
})

type Sv = Driven<Sup>

/** The pid child `id` runs as now (its latest start). */
function pidOf(ctx: FakeContext, id: string): Pid {
  const started = ctx.ops('startProcess').filter((e) => e.request.args === id).at(-1)?.result
  if (!(started instanceof Pid)) throw new Error(`child ${id} has not started`)
  return started
}

/** The child id a pid ran as (to name pids in traces). */
function idOf(ctx: FakeContext, p: Pid): string {
  const start = ctx.ops('startProcess').find((e) => e.result instanceof Pid && e.result.equals(p))
  return start === undefined ? p.toString() : String(start.request.args)
}

/** What the supervisor did to its children since the last take: starts and exit signals, in order. */
function trace(ctx: FakeContext): string[] {
  return ctx.take().flatMap((e) => {
    if (e.op === 'startProcess') return [`start ${String(e.request.args)}`]
    if (e.op === 'exit') return [`exit ${idOf(ctx, e.pid)} ${String(e.reason)}`]
    return []
  })
}

/** Child `id` ends with `reason`: the fake knows it, and its EXIT reaches the supervisor. */
async function crash(s: Sv, id: string, reason: ExitReason = new Error(`${id} crashed`)): Promise<void> {
  const p = pidOf(s.ctx, id)
  s.ctx.end(p, reason)
  await s.info(exitMessage(p, reason))
}

async function start(strategy: Strategy, children: Array<string | Child>, flags: Partial<SupervisorSpec> = {}): Promise<Sv> {
  const s = await drive(Sup, spec(strategy, children, flags))
  assert.deepEqual(s.start, { kind: 'started' })
  s.ctx.take()
  return s
}

/** Child ids, running or not, in start order, with 'running' | 'restarting' | 'stopped'. */
async function children(s: Sv): Promise<string[]> {
  const which = await Supervisor.whichChildren(s.caller, s.self)
  return which.reverse().map((c) => `${c.id ?? '?'}:${c.pid instanceof Pid ? 'running' : c.pid ?? 'stopped'}`)
}

describe('Supervisor (fake process context)', () => {
  it('traps exits, then starts its children in order, each linked (SUP-T1, SUP-R1, SUP-R14)', async () => {
    const s = await drive(Sup, spec('one_for_one', ['a', 'b', 'c']))
    const seen = s.ctx.effects.flatMap((e) => {
      if (e.op === 'trapExit') return [`trapExit ${String(e.on)}`]
      if (e.op === 'startProcess') return [`start ${String(e.request.args)} link=${String(e.request.options?.link)}`]
      return []
    })
    assert.deepEqual(seen, ['trapExit true', 'start a link=true', 'start b link=true', 'start c link=true'])
    assert.deepEqual(await children(s), ['a:running', 'b:running', 'c:running'])
  })

  it("init returning 'ignore' declines the start (SUP-T3)", async () => {
    class No extends Supervisor {
      init(): 'ignore' {
        return 'ignore'
      }
    }
    const s = await drive(No)
    assert.deepEqual(s.start, { kind: 'ignored' })
    assert.deepEqual(s.ctx.ops('startProcess'), [])
  })

  it('a child that fails to start: those started are shut down in reverse order, the rest never start, init fails failed_to_start_child (SUP-T2)', async () => {
    const fake = new FakeContext()
    fake.onStart = (request) => {
      if (request.args === 'c') throw Object.assign(makeError('ERR_INIT_FAILED', 'c', 'bad'), { reason: 'bad' })
      return fake.newPid()
    }
    const failed = await drive(Sup, spec('one_for_one', ['a', 'b', 'c', 'd']), { ctx: fake })
    assert.deepEqual(failed.start, { kind: 'failed', reason: { shutdown: { failed_to_start_child: 'c', reason: 'bad' } } })
    assert.deepEqual(trace(fake), ['start a', 'start b', 'start c', 'exit b shutdown', 'exit a shutdown'])
  })

  it('one_for_one restarts only the failed child; the others keep their pids and get no signal (SUP-R8)', async () => {
    const s = await start('one_for_one', ['a', 'b', 'c'])
    const [a, b, c] = ['a', 'b', 'c'].map((id) => pidOf(s.ctx, id))
    await crash(s, 'b')
    assert.deepEqual(trace(s.ctx), ['start b'])
    assert.ok(!pidOf(s.ctx, 'b').equals(b as Pid), 'b runs as a new pid')
    assert.ok(pidOf(s.ctx, 'a').equals(a as Pid) && pidOf(s.ctx, 'c').equals(c as Pid), 'a and c keep their pids')
    assert.deepEqual(await children(s), ['a:running', 'b:running', 'c:running'])
  })

  describe('restart types × exit reasons, one_for_one (SUP-T4, SUP-R3)', () => {
    const reasons: Array<[string, ExitReason]> = [['normal', 'normal'], ['shutdown', 'shutdown'], ['{shutdown: x}', { shutdown: 'x' }], ['an Error', new Error('boom')]]
    for (const restart of ['permanent', 'transient', 'temporary'] as const) {
      for (const [name, reason] of reasons) {
        const clean = name !== 'an Error'
        const restarted = restart === 'permanent' || (restart === 'transient' && !clean)
        const after = restarted ? 'a:running' : restart === 'temporary' ? undefined : 'a:stopped'
        it(`${restart} child ending ${name}: ${restarted ? 'restarted' : restart === 'temporary' ? 'not restarted, spec removed' : 'not restarted, spec kept'}`, async () => {
          const s = await start('one_for_one', [{ id: 'a', restart }, 'b'])
          await crash(s, 'a', reason)
          assert.deepEqual(trace(s.ctx), restarted ? ['start a'] : [])
          assert.deepEqual(await children(s), [...(after === undefined ? [] : [after]), 'b:running'])
          assert.equal(s.ended, undefined)
        })
      }
    }
  })

  describe('restart intensity (SUP-R4)', () => {
    it('more restarts than intensity within the period: the other children are shut down in reverse order and it ends shutdown (SUP-T5)', async () => {
      const s = await start('one_for_one', ['a', 'b', 'c'], { intensity: 2, period: 3600 })
      await crash(s, 'b')
      await crash(s, 'b')
      assert.deepEqual(trace(s.ctx), ['start b', 'start b'])
      await crash(s, 'b')
      assert.deepEqual(trace(s.ctx), ['exit c shutdown', 'exit a shutdown'])
      assert.deepEqual(s.ended, { reason: 'shutdown', terminated: true })
    })

    it('gives up with a reached_max_restart_intensity report', async () => {
      const s = await drive(Sup, spec('one_for_one', ['a'], { intensity: 0 }), { env: { 'skein.reports': 'log' } })
      await crash(s, 'a')
      const events = s.ctx.ops('trySend').map((e) => (e.message as { event?: unknown }).event)
      assert.ok(events.includes('reached_max_restart_intensity'), JSON.stringify(events))
    })

    it('restarts spaced by more than the period never trip it; two within it do (SUP-T6)', async () => {
      const s = await start('one_for_one', ['a'], { intensity: 1, period: 1 })
      for (let i = 0; i < 3; i++) {
        await crash(s, 'a')
        await s.ctx.advance(2100)
      }
      assert.deepEqual(trace(s.ctx), ['start a', 'start a', 'start a'])
      assert.equal(s.ended, undefined)
      await crash(s, 'a')
      await s.ctx.advance(500)
      await crash(s, 'a')
      assert.deepEqual(s.ended, { reason: 'shutdown', terminated: true })
    })

    it('intensity 0: the first crash ends it; the initial start does not count (SUP-T7, D4)', async () => {
      const s = await start('one_for_one', ['a', 'b'], { intensity: 0 })
      assert.equal(s.ended, undefined)
      await crash(s, 'a')
      assert.deepEqual(trace(s.ctx), ['exit b shutdown'])
      assert.deepEqual(s.ended, { reason: 'shutdown', terminated: true })
    })
  })

  it('one_for_all: the others are shut down in reverse start order, then all start again in order, all with new pids (SUP-T8, SUP-R9)', async () => {
    const s = await start('one_for_all', ['a', 'b', 'c'])
    const before = ['a', 'b', 'c'].map((id) => pidOf(s.ctx, id))
    await crash(s, 'b')
    assert.deepEqual(trace(s.ctx), ['exit c shutdown', 'exit a shutdown', 'start a', 'start b', 'start c'])
    ;['a', 'b', 'c'].forEach((id, i) => assert.ok(!pidOf(s.ctx, id).equals(before[i] as Pid), id))
  })

  it('one_for_all: a temporary bystander is shut down and not started again (SUP-T24, SUP-R3)', async () => {
    const s = await start('one_for_all', ['a', { id: 'b', restart: 'temporary' }, 'c'])
    await crash(s, 'a')
    assert.deepEqual(trace(s.ctx), ['exit c shutdown', 'exit b shutdown', 'start a', 'start c'])
    assert.deepEqual(await children(s), ['a:running', 'c:running'])
  })

  it('rest_for_one: the later children are shut down in reverse order, then k..n start in order; earlier ones keep their pids (SUP-T9, SUP-R10)', async () => {
    const s = await start('rest_for_one', ['a', 'b', 'c', 'd', 'e'])
    const [a, b] = ['a', 'b'].map((id) => pidOf(s.ctx, id))
    await crash(s, 'c')
    assert.deepEqual(trace(s.ctx), ['exit e shutdown', 'exit d shutdown', 'start c', 'start d', 'start e'])
    assert.ok(pidOf(s.ctx, 'a').equals(a as Pid) && pidOf(s.ctx, 'b').equals(b as Pid), 'a and b keep their pids')
  })

  it('a restart that fails marks the child restarting and retries through its mailbox (SUP-R5)', async () => {
    const s = await start('one_for_one', ['a', 'b'])
    let refuse = true
    s.ctx.onStart = (request) => {
      if (request.args === 'b' && refuse) throw Object.assign(makeError('ERR_INIT_FAILED', 'b', 'not yet'), { reason: 'not yet' })
      return s.ctx.newPid()
    }
    await crash(s, 'b')
    assert.deepEqual(trace(s.ctx), ['start b'])
    assert.deepEqual(await children(s), ['a:running', 'b:restarting'])
    assert.equal(s.ctx.mailbox.length, 1, 'the retry waits in the mailbox')
    refuse = false
    await s.drain()
    assert.deepEqual(trace(s.ctx), ['start b'])
    assert.deepEqual(await children(s), ['a:running', 'b:running'])
  })

  it('an EXIT from a process that is not its child is dropped (SUP-R14)', async () => {
    const s = await start('one_for_one', ['a'])
    await s.info(exitMessage(pid(99), 'boom'))
    assert.deepEqual(trace(s.ctx), [])
    assert.equal(s.ended, undefined)
  })

  describe('shutting down (SUP-R6, SUP-R7)', () => {
    /** Children ignore 'shutdown' (they trap exits) until the test ends them; 'kill' still ends them. */
    function hold(ctx: FakeContext): void {
      ctx.onExitSignal = (target, reason) => {
        if (reason === 'kill') ctx.end(target, 'killed')
      }
    }

    it('children are shut down last started first, one at a time, each with exit shutdown (SUP-T10)', async () => {
      const s = await start('one_for_one', ['a', 'b', 'c'])
      hold(s.ctx)
      const ending = s.terminate('shutdown')
      await new Promise((resolve) => setImmediate(resolve))
      assert.deepEqual(trace(s.ctx), ['exit c shutdown'], 'b waits until c has ended')
      s.ctx.end(pidOf(s.ctx, 'c'), 'shutdown')
      await new Promise((resolve) => setImmediate(resolve))
      assert.deepEqual(trace(s.ctx), ['exit b shutdown'])
      s.ctx.end(pidOf(s.ctx, 'b'), 'shutdown')
      s.ctx.end(pidOf(s.ctx, 'a'), 'shutdown')
      assert.deepEqual(await ending, { reason: 'shutdown', terminated: true })
      assert.deepEqual(trace(s.ctx), ['exit a shutdown'])
    })

    it('unlinks each child before signalling it, so no EXIT comes back (SUP-R6)', async () => {
      const s = await start('one_for_one', ['a'])
      await s.terminate('shutdown')
      const ops = s.ctx.take().filter((e) => e.op === 'unlink' || e.op === 'exit' || e.op === 'watch').map((e) => e.op)
      assert.deepEqual(ops, ['watch', 'unlink', 'exit'])
    })

    it('a child that ignores shutdown is killed once its shutdown time has passed, then the next one is shut down (SUP-T11)', async () => {
      const s = await start('one_for_one', ['a', { id: 'b', shutdown: 1000 }])
      // b traps exits and ignores 'shutdown'; a does not trap.
      s.ctx.onExitSignal = (target, reason) => {
        if (reason === 'kill') s.ctx.end(target, 'killed')
        else if (idOf(s.ctx, target) === 'a') s.ctx.end(target, reason)
      }
      const ending = s.terminate('shutdown')
      await s.ctx.advance(999)
      assert.deepEqual(trace(s.ctx), ['exit b shutdown'])
      await s.ctx.advance(1)
      assert.deepEqual(trace(s.ctx), ['exit b kill', 'exit a shutdown'])
      assert.deepEqual(await ending, { reason: 'shutdown', terminated: true })
    })

    it('brutal_kill: the child gets kill at once, never shutdown (SUP-T12)', async () => {
      const s = await start('one_for_one', [{ id: 'a', shutdown: 'brutal_kill' }])
      await s.terminate('shutdown')
      assert.deepEqual(trace(s.ctx), ['exit a kill'])
    })

    it("the parent's EXIT shuts the children down and ends it with the parent's reason (SRV-R9 for supervisors, SUP-R7)", async () => {
      const s = await start('one_for_one', ['a', 'b'])
      await s.info(exitMessage(PARENT, { shutdown: 'app' }))
      assert.deepEqual(trace(s.ctx), ['exit b shutdown', 'exit a shutdown'])
      assert.deepEqual(s.ended, { reason: { shutdown: 'app' }, terminated: true })
    })

    it('Server.stop shuts the children down, then resolves', async () => {
      const s = await start('rest_for_one', ['a', 'b'])
      await Server.stop(s.caller, s.self, 'shutdown')
      assert.deepEqual(trace(s.ctx), ['exit b shutdown', 'exit a shutdown'])
    })
  })
})
