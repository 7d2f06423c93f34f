import assert from 'node:assert/strict'
import { Server, type DownMessage, type Node, type Pid } from '../../src/index.ts'
import type { Probe } from '../../src/testing/index.ts'
import { Puppet, type Report } from '../fixtures/actors.ts'
import {
  ContinueServer, CounterServer, DeferServer, FailingInit, NoInfoServer, ReplyWorker, StopServer, TimeoutServer,
} from '../fixtures/servers.ts'
import { FIXTURES, ev, startNode } from '../helpers.ts'

const SERVERS = new URL('../fixtures/servers.ts', import.meta.url)
const isEvent = (event: string, from?: Pid) => (m: unknown): boolean => {
  const r = m as { event?: string; from?: Pid }
  return r.event === event && (from === undefined || (r.from !== undefined && r.from.equals(from)))
}

describe('Server', () => {
  let node: Node
  let probe: Probe
  before(async () => ({ node, probe } = await startNode({ modules: [FIXTURES, SERVERS] })))
  after(() => node.stop())

  for (const thread of [0, 2]) {
    describe(thread === 0 ? 'on the caller thread' : 'on another thread', () => {
      it('Server.stop also stops a plain Actor (its stop request never reaches receive)', async () => {
        const pid = await node.spawn(Puppet, { report: probe.pid }, { thread })
        const ref = probe.monitor(pid)
        await Server.stop(node, pid, 'shutdown')
        // Its DOWN is the last message it sends the probe: no 'got' report came before it.
        assert.equal((await probe.expectNoneBefore<DownMessage>(ev('got', pid), ref)).reason, 'shutdown')
      })

      it('starts synchronously: a call right after spawn sees the init state (SRV-T1), and replies update state (SRV-T6)', async () => {
        const pid = await node.spawn(CounterServer, { start: 41 }, { thread })
        assert.equal(await node.call(pid, 'get'), 41)
        node.cast(pid, 'inc')
        assert.equal(await node.call(pid, 'get'), 42)
      })

      it('replies, then runs the continue before any further message (SRV-T20)', async () => {
        const pid = await node.spawn(CounterServer, { start: 0, report: probe.pid }, { thread })
        assert.equal(await node.call(pid, { add: 5 }), 5)
        const r = await probe.expect<{ value: string; n: number }>(isEvent('continued'))
        assert.deepEqual([r.value, r.n], ['added', 5])
      })

      it('answers later with reply(from) after noreply (SRV-T7), or from another process (SRV-T8)', async () => {
        const pid = await node.spawn(DeferServer, undefined, { thread })
        const held = node.call(pid, 'hold')
        node.cast(pid, 'release')
        assert.equal(await held, 'released')
        const worker = await node.spawn(ReplyWorker, undefined, { thread: 1 })
        assert.equal(await node.call(pid, { via: worker }), 'from the worker')
      })

      it('fails the caller at once with the error when handleCall throws; terminate gets it (SRV-T11)', async () => {
        const pid = await node.spawn(StopServer, { report: probe.pid }, { thread })
        await assert.rejects(node.call(pid, { crash: 'in call' }, { timeout: 60_000 }), (e: unknown) => {
          assert.equal((e as { code: string }).code, 'ERR_CALL_EXIT')
          assert.equal(((e as { reason: Error }).reason).message, 'in call')
          return true
        })
        assert.equal((await probe.expect<{ value: string }>(isEvent('terminate', pid))).value, 'in call')
      })
    })
  }

  it('runs terminate before the caller gets the reply of stop(reason, reply), then exits (SRV-T14)', async () => {
    const server = await node.spawn(StopServer, { report: probe.pid }, { thread: 1 })
    const caller = await node.spawn(Puppet, { report: probe.pid }, { thread: 1 })
    const m = node.monitor(server)
    node.send(caller, { cmd: 'call', to: server, request: { stopWith: 'done', reply: 'bye' } })
    const first = await probe.expect((x) => isEvent('terminate', server)(x) || ev('call-ok', caller)(x))
    assert.equal((first as { event: string }).event, 'terminate', 'terminate ran before the reply arrived')
    assert.equal((await probe.expect<Report>(ev('call-ok', caller))).value, 'bye')
    assert.equal((await m.down).reason, 'done')
  })

  it('fails the caller with the reason of stop(reason) without a reply; terminate runs once (SRV-T15)', async () => {
    const server = await node.spawn(StopServer, { report: probe.pid }, { thread: 2 })
    const ref = probe.monitor(server)
    await assert.rejects(node.call(server, { stopWith: 'quit' }), { code: 'ERR_CALL_EXIT', reason: 'quit' })
    await probe.expect(isEvent('terminate', server))
    await probe.expectNoneBefore(isEvent('terminate', server), ref)
  })

  it('ends with ERR_BAD_RETURN_VALUE when a cast returns something that is not an action (SRV-T13)', async () => {
    const server = await node.spawn(StopServer, { report: probe.pid }, { thread: 2 })
    const m = node.monitor(server)
    node.cast(server, { bad: true })
    const { reason } = await m.down
    assert.equal((reason as { code?: string }).code, 'ERR_BAD_RETURN_VALUE')
  })

  it('crashes on a throwing cast: monitors see the Error and terminate runs with it (SRV-T29)', async () => {
    const server = await node.spawn(StopServer, { report: probe.pid }, { thread: 1 })
    const m = node.monitor(server)
    node.cast(server, { crash: 'in cast' })
    assert.equal(((await m.down).reason as Error).message, 'in cast')
    assert.equal((await probe.expect<{ value: string }>(isEvent('terminate', server))).value, 'in cast')
  })

  it('runs continues from init before a message queued during init, and chains them (SRV-T19, SRV-T22)', async () => {
    const pid = await node.spawn(ContinueServer, {}, { thread: 2 })
    assert.deepEqual(await node.call(pid, 'log'), ['c1', 'c2', 'queued-before-continue'])
    // continue → continue → stop(normal): the server ends right after its start (its name goes with it)
    const stopping = await node.spawn(ContinueServer, { thenStop: true }, { thread: 2, name: 'cont-stop' })
    await node.monitor(stopping).down // 'normal', or 'noproc' if it ended first; its name is freed before either
    assert.equal(node.whereis('cont-stop'), undefined)
  })

  it('delivers handleInfo(timeout) after an idle timeout (SRV-T17), not when traffic arrives first (SRV-T18)', async () => {
    const pid = await node.spawn(TimeoutServer, { report: probe.pid }, { thread: 1 })
    const info = (value: unknown) => (m: unknown): boolean => isEvent('info', pid)(m) && (m as { value?: unknown }).value === value
    assert.equal(await node.call(pid, { arm: 20 }), 'armed')
    await probe.expect(info('timeout'))
    assert.equal(await node.call(pid, 'count'), 1)
    // Sent together, the ping is queued right behind the call that arms the timeout: traffic
    // long before its deadline, which cancels it.
    assert.deepEqual(await Promise.all([node.call(pid, { arm: 100 }), node.call(pid, 'ping')]), ['armed', 'pong'])
    // A timer armed afterwards on the server's thread with the same delay falls due after the
    // cancelled timeout would have, and the thread fires its timers in deadline order.
    const clock = await node.spawn(Puppet, { report: probe.pid }, { thread: 1 })
    node.send(clock, { cmd: 'sendAfter', to: pid, msg: 'later', ms: 100, id: 1 })
    await probe.expectNoneBefore(info('timeout'), info('later'))
    assert.equal(await node.call(pid, 'count'), 1)
  })

  it('stops with the parent\'s reason and runs terminate when the trapping parent link exits (SRV-T25)', async () => {
    const parent = await node.spawn(Puppet, { report: probe.pid }, { thread: 1 })
    node.send(parent, { cmd: 'spawnLinkServer', thread: 2, args: { report: probe.pid, trap: true } })
    const server = (await probe.expect<Report>(ev('spawned', parent))).value as Pid
    await probe.expect(isEvent('started', server))
    assert.equal(await node.call(server, 'ping'), 'pong')
    const m = node.monitor(server)
    // Our MONITOR and the parent's EXIT reach the server on different rings; a call made after the
    // monitor (same ring, in order) proves the monitor is in place before we make the parent exit.
    assert.equal(await node.call(server, 'ping'), 'pong')
    node.send(parent, { cmd: 'stop', reason: 'shutdown' })
    assert.equal((await probe.expect<{ value: string }>(isEvent('terminate', server))).value, 'shutdown')
    assert.equal((await m.down).reason, 'shutdown')
  })

  it('dies with the parent\'s reason and no terminate when it does not trap (SRV-T26)', async () => {
    const parent = await node.spawn(Puppet, { report: probe.pid }, { thread: 1 })
    node.send(parent, { cmd: 'spawnLinkServer', thread: 2, args: { report: probe.pid } })
    const server = (await probe.expect<Report>(ev('spawned', parent))).value as Pid
    // A pid spawned on another thread exists there once its SPAWN frame has arrived.
    await probe.expect(isEvent('started', server))
    assert.equal(await node.call(server, 'ping'), 'pong')
    const ref = probe.monitor(server)
    assert.equal(await node.call(server, 'ping'), 'pong') // the monitor is in place (see above)
    node.send(parent, { cmd: 'stop', reason: 'boom' })
    assert.equal((await probe.expectNoneBefore<DownMessage>(isEvent('terminate', server), ref)).reason, 'boom')
  })

  it('hands a trapped EXIT from a non-parent to handleInfo and keeps running (SRV-T27)', async () => {
    const server = await node.spawn(StopServer, { report: probe.pid, trap: true }, { thread: 2 })
    const other = await node.spawn(Puppet, { report: probe.pid }, { thread: 1 })
    node.send(other, { cmd: 'link', pid: server })
    await probe.expect(ev('linked', other))
    assert.equal(await node.call(server, 'ping'), 'pong') // the LINK has arrived before this reply
    node.send(other, { cmd: 'stop', reason: 'bye' })
    const info = await probe.expect<{ value: { type: string; reason: string } }>(isEvent('info', server))
    assert.deepEqual([info.value.type, info.value.reason], ['EXIT', 'bye'])
    assert.equal(await node.call(server, 'ping'), 'pong')
  })

  it('does not run terminate when killed (SRV-T28)', async () => {
    const server = await node.spawn(StopServer, { report: probe.pid, trap: true }, { thread: 1 })
    const ref = probe.monitor(server)
    node.exit(server, 'kill')
    assert.equal((await probe.expectNoneBefore<DownMessage>(isEvent('terminate', server), ref)).reason, 'killed')
  })

  it('drops a message it has no handleInfo for and keeps serving (SRV-T30)', async () => {
    const server = await node.spawn(NoInfoServer, undefined, { thread: 2 })
    node.send(server, 'stray')
    assert.equal(await node.call(server, 'ping'), 'pong')
  })

  it('fails a call to itself at once with ERR_CALLING_SELF instead of deadlocking (SRV-T12)', async () => {
    const server = await node.spawn(StopServer, { report: probe.pid }, { thread: 2 })
    assert.equal(await node.call(server, 'call-self'), 'ERR_CALLING_SELF')
  })

  it('fails the start when init returns stop(reason) (SRV-T3)', async () => {
    await assert.rejects(node.spawn(FailingInit, { why: 'no db' }, { thread: 1, name: 'never' }), (e: unknown) => {
      assert.equal((e as { code: string }).code, 'ERR_INIT_FAILED')
      assert.deepEqual((e as { reason: unknown }).reason, { shutdown: 'no db' })
      return true
    })
    assert.equal(node.whereis('never'), undefined)
  })

})
