/**
 * Differences from OTP found by running the same scenario in both and comparing traces (issue
 * 10, item 6). Each case states OTP's outcome; the processes run on worker threads and report
 * to a probe on the main thread, and the tests wait for those reports and monitors, never sleep.
 */
import assert from 'node:assert/strict'
import { Node, Server, hasCode, type Pid } from '../../src/index.ts'
import { probe as makeProbe, type Probe } from '../../src/testing/index.ts'
import {
  ExitInInit, Finisher, Parity, ParitySup, Pinger, SelfExitServer, type ParityCommand, type ParityReport,
} from '../fixtures/otp-parity.ts'

const FIXTURES = new URL('../fixtures/otp-parity.ts', import.meta.url)

const report = (event: string, from?: Pid) => (m: unknown): boolean => {
  const r = m as Partial<ParityReport>
  return r.event === event && (from === undefined || (r.from !== undefined && r.from.equals(from)))
}

describe('OTP parity', function () {
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

  const parity = (thread: number, trap = false): Promise<Pid> => node.spawn(Parity, { report: probe.pid, trap }, { thread })
  const command = (pid: Pid, c: ParityCommand): void => node.send(pid, c)
  /** The probe monitors `pid`; a call after it (same ring, in order) proves the monitor is in place. */
  const watched = async (pid: Pid) => {
    const ref = probe.monitor(pid)
    assert.equal(await node.call(pid, { echo: 'ready' }), 'ready')
    return ref
  }
  const deadLetters = async (): Promise<number> => (await node.stats()).deadLetters

  describe('cast never fails for its target (gen_server:cast)', () => {
    it('does not throw when node.cast or Server.cast names nobody, and counts a dead letter', async () => {
      const before = await deadLetters()
      assert.doesNotThrow(() => node.cast('nobody-holds-this', 'hello'))
      assert.doesNotThrow(() => Server.cast(node, 'nobody-holds-this', 'hello'))
      assert.equal(await deadLetters(), before + 2)
    })

    it('does not crash a process that casts to a name nobody holds', async () => {
      const p = await parity(1)
      command(p, { cmd: 'cast', to: 'nobody-holds-this', request: 'hello' })
      await probe.expect(report('cast-ok', p))
      assert.equal(await node.call(p, { echo: 'alive' }), 'alive')
    })

    it('does not crash a process that casts to a supervised server while it is being restarted', async () => {
      const sup = await node.spawn(ParitySup, {
        children: [{ id: 'svc', restart: 'permanent', start: [Pinger, { report: probe.pid }, { thread: 1, name: 'parity-svc' }] }],
      }, { thread: 1 })
      const first = (await probe.expect<ParityReport>(report('started'))).from
      const caster = await parity(1)
      command(caster, { cmd: 'killThenCast', victim: first, to: 'parity-svc' })
      // The cast went out while the name was free: the caster lives on and says so.
      const said = await probe.expect<ParityReport>(report('survived', caster))
      assert.equal(said.value, null, 'the name was free when the cast was made')
      const second = (await probe.expect<ParityReport>(report('started'))).from
      assert.ok(!second.equals(first), 'the supervisor restarted the server')
      assert.equal(await node.call(caster, { echo: 'alive' }), 'alive')
      await Server.stop(node, sup)
    })

    it('still delivers a cast to a live server', async () => {
      const pid = await node.spawn(Pinger, { report: probe.pid }, { thread: 2 })
      await probe.expect(report('started', pid))
      Server.cast(node, pid, 'delivered')
      assert.equal((await probe.expect<ParityReport>(report('cast', pid))).value, 'delivered')
      await Server.stop(node, pid)
    })

    it('still throws for a bad address or a message that cannot travel', async () => {
      assert.throws(() => node.cast(42 as unknown as string, 'x'), (e) => hasCode(e, 'ERR_INVALID_ARG_TYPE'))
      assert.throws(() => node.cast('nobody-holds-this', { f: () => 1 }), (e) => hasCode(e, 'ERR_NOT_SERIALIZABLE'))
      const p = await parity(1)
      assert.throws(() => node.cast(p, { f: () => 1 }), (e) => hasCode(e, 'ERR_NOT_SERIALIZABLE'))
    })

    it('leaves plain send to a name nobody holds throwing ERR_UNKNOWN_NAME (Erlang badarg)', () => {
      assert.throws(() => node.send('nobody-holds-this', 'x'), (e) => hasCode(e, 'ERR_UNKNOWN_NAME'))
    })
  })

  describe('exit signals while terminate runs', () => {
    /**
     * A transient Finisher (on thread 1, with its supervisor) linked to a Parity helper on
     * thread 2; finished, its terminate stops the helper with 'boom' and waits for that.
     */
    const finish = async (helperName: string, trap: boolean) => {
      await node.spawn(Parity, { report: probe.pid }, { thread: 2, name: helperName })
      const sup = await node.spawn(ParitySup, {
        intensity: 5,
        children: [{
          id: 'fin', restart: 'transient',
          start: [Finisher, { report: probe.pid, helper: helperName, helperReason: 'boom', trap }, { thread: 1 }],
        }],
      }, { thread: 1 })
      const fin = (await probe.expect<ParityReport>(report('started'))).from
      const ref = probe.monitor(fin)
      assert.equal(await node.call(fin, 'ping'), 'pong')
      Server.cast(node, fin, 'finish')
      assert.equal((await probe.expect<ParityReport>(report('terminating', fin))).value, 'normal')
      return { sup, fin, ref }
    }

    it('ends a non-trapping process in terminate with the incoming reason; its transient supervisor restarts it', async () => {
      const { sup, fin, ref } = await finish('parity-helper-1', false)
      await probe.expectDown(ref, 'boom')
      // Restarted, since it ended 'boom' (not the 'normal' terminate was running for).
      const again = (await probe.expect<ParityReport>(report('started'))).from
      assert.ok(!again.equals(fin))
      assert.equal(probe.pending.some(report('terminated', fin)), false, 'terminate was cut short')
      await Server.stop(node, sup)
    })

    it('lets a trapping process finish terminate: the EXIT is a message terminate never reads', async () => {
      const { sup, fin, ref } = await finish('parity-helper-2', true)
      assert.equal((await probe.expect<ParityReport>(report('terminated', fin))).value, 'boom')
      await probe.expectDown(ref, 'normal')
      // Supervisor and child share thread 1: the child's EXIT reached the supervisor before this call.
      const children = await ParitySup.whichChildren(node, sup)
      assert.equal(children[0]?.pid, undefined, 'a transient child that ended normal is not restarted')
      await Server.stop(node, sup)
    })
  })

  describe('exit(self, reason) ends the process at once', () => {
    const noAfter = (pid: Pid): void =>
      assert.equal(probe.pending.some(report('after', pid)), false, 'code after the exit ran')

    for (const async of [false, true]) {
      it(`stops a ${async ? 'suspended async' : 'synchronous'} callback there: what it sent before goes out, nothing after runs`, async () => {
        const p = await parity(1)
        const ref = await watched(p)
        command(p, { cmd: 'exitSelf', reason: 'boom', async })
        await probe.expect(report('before', p))
        await probe.expectDown(ref, 'boom')
        noAfter(p)
      })
    }

    it('ends the process even when the callback catches what exit threw, and drops its later sends', async () => {
      const p = await parity(1)
      const ref = await watched(p)
      command(p, { cmd: 'exitSelf', reason: 'boom', swallow: true })
      await probe.expectDown(ref, 'boom')
      noAfter(p)
      assert.equal(probe.pending.some(report('caught', p)), false, 'a send after the exit went out')
    })

    it('keeps the exit reason when the callback throws something else after catching it', async () => {
      const p = await parity(1)
      const ref = await watched(p)
      command(p, { cmd: 'exitSelf', reason: 'boom', swallow: true, rethrow: true })
      await probe.expectDown(ref, 'boom')
    })

    it('fails a call whose handler exits itself with that reason, and sends no reply', async () => {
      const server = await node.spawn(SelfExitServer, { report: probe.pid }, { thread: 1 })
      const ref = probe.monitor(server)
      await assert.rejects(node.call(server, { exitSelf: 'boom' }),
        (e: { reason?: unknown }) => hasCode(e, 'ERR_CALL_EXIT') && e.reason === 'boom')
      await probe.expectDown(ref, 'boom')
      noAfter(server)
    })

    it('ends a non-trapping process with normal on exit(self, normal)', async () => {
      const p = await parity(1)
      const ref = await watched(p)
      command(p, { cmd: 'exitSelf', reason: 'normal' })
      await probe.expectDown(ref, 'normal')
      noAfter(p)
    })

    it('kills even a trapping process at once on exit(self, kill): it ends killed', async () => {
      const p = await parity(1, true)
      const ref = await watched(p)
      command(p, { cmd: 'exitSelf', reason: 'kill' })
      await probe.expectDown(ref, 'killed')
      noAfter(p)
    })

    it('gives a trapping process an EXIT from itself, and it goes on', async () => {
      const p = await parity(1, true)
      command(p, { cmd: 'exitSelf', reason: 'boom' })
      await probe.expect(report('after', p))
      const got = await probe.expect<ParityReport>(report('got', p))
      const exit = got.value as { type: string; from: Pid; reason: unknown }
      assert.equal(exit.type, 'EXIT')
      assert.ok(exit.from.equals(p))
      assert.equal(exit.reason, 'boom')
      assert.equal(await node.call(p, { echo: 'alive' }), 'alive')
    })

    it('fails the start of a process whose init exits itself, with that reason', async () => {
      await assert.rejects(node.spawn(ExitInInit, { report: probe.pid, reason: 'boom' }, { thread: 1 }),
        (e: { reason?: unknown }) => hasCode(e, 'ERR_INIT_FAILED') && e.reason === 'boom')
      assert.equal(probe.pending.some(report('after')), false, 'init went on after the exit')
    })
  })

  describe("a process that ends 'kill' by itself", () => {
    it("reports 'kill', not 'killed', to its links and monitors; a linked process dies of it as of any reason", async () => {
      const a = await parity(1)
      const b = await parity(2)
      command(a, { cmd: 'link', pid: b })
      await probe.expect(report('linked', a))
      probe.link(b)
      const refA = await watched(a)
      const refB = await watched(b)
      command(b, { cmd: 'stop', reason: 'kill' })
      await probe.expectDown(refB, 'kill')
      await probe.expectExit(b, 'kill')
      await probe.expectDown(refA, 'kill')
    })

    it("still turns the exit signal 'kill' into 'killed'", async () => {
      const p = await parity(1, true)
      const ref = await watched(p)
      node.exit(p, 'kill')
      await probe.expectDown(ref, 'killed')
    })
  })

  describe('unlink', () => {
    it('leaves an EXIT already queued from the unlinked process in the mailbox (OTP 25)', async () => {
      const a = await parity(1, true)
      const b = await parity(1)
      command(a, { cmd: 'link', pid: b })
      await probe.expect(report('linked', a))
      command(a, { cmd: 'killThenUnlink', victim: b })
      assert.equal((await probe.expect<ParityReport>(report('queued', a))).value, 1)
      assert.equal((await probe.expect<ParityReport>(report('unlinked', a))).value, 1)
      const got = await probe.expect<ParityReport>(report('got', a))
      const exit = got.value as { type: string; from: Pid; reason: unknown }
      assert.equal(exit.type, 'EXIT')
      assert.ok(exit.from.equals(b))
      assert.equal(exit.reason, 'killed')
    })
  })

  describe('startApplication', () => {
    it('fails with reason { not_started: dep } when a dependency is not loaded', async () => {
      node.loadApplication({ name: 'parity-web', applications: ['parity-missing'] })
      await assert.rejects(node.startApplication('parity-web'),
        (e: { reason?: unknown }) => hasCode(e, 'ERR_APP_START_FAILED') &&
          JSON.stringify(e.reason) === JSON.stringify({ not_started: 'parity-missing' }))
      node.unloadApplication('parity-web')
    })

    it('fails with reason { circular_dependencies } when the dependencies go round', async () => {
      node.loadApplication({ name: 'parity-a', applications: ['parity-b'] })
      node.loadApplication({ name: 'parity-b', applications: ['parity-a'] })
      const error = await node.startApplication('parity-a').then(() => assert.fail('started'), (e: unknown) => e)
      assert.ok(hasCode(error, 'ERR_APP_START_FAILED'))
      // parity-a fails for its dependency parity-b, which fails for its dependency parity-a: the circle.
      const viaB = (error as { reason?: unknown }).reason
      assert.ok(hasCode(viaB, 'ERR_APP_START_FAILED'))
      const circle = (viaB as { reason?: unknown }).reason
      assert.ok(hasCode(circle, 'ERR_APP_START_FAILED'))
      assert.deepEqual((circle as { reason?: unknown }).reason, { circular_dependencies: ['parity-a', 'parity-b', 'parity-a'] })
      node.unloadApplication('parity-a')
      node.unloadApplication('parity-b')
    })
  })

  describe('exit without a reason', () => {
    it('throws ERR_INVALID_ARG_TYPE from node.exit and leaves the target alive', async () => {
      const p = await parity(1)
      assert.throws(() => (node.exit as (pid: Pid) => void)(p), (e) => hasCode(e, 'ERR_INVALID_ARG_TYPE'))
      assert.throws(() => node.exit(p, undefined), (e) => hasCode(e, 'ERR_INVALID_ARG_TYPE'))
      assert.throws(() => node.exit('parity' as unknown as Pid, 'boom'), (e) => hasCode(e, 'ERR_INVALID_ARG_TYPE'))
      assert.equal(await node.call(p, { echo: 'alive' }), 'alive')
    })

    it('throws ERR_INVALID_ARG_TYPE from this.exit inside a process and leaves the target alive', async () => {
      const caller = await parity(1)
      const target = await parity(2)
      command(caller, { cmd: 'exitNoReason', pid: target })
      assert.equal((await probe.expect<ParityReport>(report('exit-threw', caller))).value, 'ERR_INVALID_ARG_TYPE')
      assert.equal(await node.call(target, { echo: 'alive' }), 'alive')
    })
  })
})
