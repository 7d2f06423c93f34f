import assert from 'node:assert/strict'
import type { Node, Pid } from '../../src/index.ts'
import type { Probe } from '../../src/testing/index.ts'
import { Puppet, type Report } from '../fixtures/actors.ts'
import { ev, got, startNode, kill, until } from '../helpers.ts'

const isExit = (from: Pid, reason?: unknown) => (v: Record<string, unknown>): boolean =>
  v.type === 'EXIT' && (v.from as Pid).equals(from) && (reason === undefined || v.reason === reason)

describe('links and exit signals', () => {
  let node: Node
  let probe: Probe
  before(async () => ({ node, probe } = await startNode()))
  after(() => node.stop())

  const spawn = (thread: number, trap = false): Promise<Pid> => node.spawn(Puppet, { report: probe.pid, trap }, { thread })
  const link = async (a: Pid, b: Pid): Promise<void> => {
    node.send(a, { cmd: 'link', pid: b })
    await probe.expect(ev('linked', a))
  }
  /**
   * Have `via` send `command` to `target`. Links are asynchronous across threads, as in Erlang;
   * sending through the linking process keeps the LINK ahead of the command (one sender, one ring).
   */
  const relay = (via: Pid, target: Pid, command: unknown): void => {
    node.send(via, { cmd: 'send', to: target, msg: command })
  }
  /**
   * A monitor from main and a signal sent by another thread reach `pid` on different rings; a
   * call after the monitor (same ring, in order) proves the monitor is in place first.
   */
  const settled = async (pid: Pid): Promise<void> => {
    await node.call(pid, { echo: 'settled' })
  }

  for (const [where, ta, tb] of [['within a thread', 1, 1], ['across threads', 1, 2]] as const) {
    describe(where, () => {
      it('propagates an abnormal exit to a linked process that does not trap (PROC-T5)', async () => {
        const a = await spawn(ta)
        const b = await spawn(tb)
        await link(a, b)
        const ma = node.monitor(a)
        relay(a, b, { cmd: 'stop', reason: 'boom' })
        assert.equal((await ma.down).reason, 'boom')
      })

      it('turns the exit into an EXIT message after every message the dying process sent (PROC-T6)', async () => {
        const a = await spawn(ta, true)
        const b = await spawn(tb)
        await link(a, b)
        relay(a, b, { cmd: 'send', to: a, msg: 'x', count: 50 })
        relay(a, b, { cmd: 'stop', reason: 'boom' })
        const r = await probe.expect<Report>(got(a, isExit(b, 'boom')))
        assert.ok(r.from.equals(a))
        const beforeExit = probe.pending.filter((m) => (m as Report).event === 'got' && (m as Report).from.equals(a))
        assert.equal(beforeExit.length, 50, 'all 50 messages arrived before the EXIT')
        probe.clear()
      })

      it('ignores a normal exit in a linked process that does not trap (PROC-T7, D1)', async () => {
        const a = await spawn(ta)
        const b = await spawn(tb)
        await link(a, b)
        const mb = node.monitor(b)
        await settled(b)
        relay(a, b, { cmd: 'stop' })
        assert.equal((await mb.down).reason, 'normal')
        // The exit signal reaches a's thread on b's ring, unordered with our query on main's
        // ring: ask until a (alive, answering) reports the link gone.
        await until(async () => {
          node.send(a, { cmd: 'links' })
          return ((await probe.expect<Report>(ev('links', a))).value as Pid[]).length === 0
        })
      })

      it('kills a trapping process with exit(pid, kill); its links see killed (PROC-T8)', async () => {
        const a = await spawn(ta, true)
        const c = await spawn(tb, true)
        await link(c, a)
        const ma = node.monitor(a)
        await settled(a)
        node.send(c, { cmd: 'exit', pid: a, reason: 'kill' })
        assert.equal((await ma.down).reason, 'killed')
        await probe.expect(got(c, isExit(a, 'killed')))
      })

      it('links once however often link is called, and one unlink removes it (PROC-T10)', async () => {
        const a = await spawn(ta)
        const b = await spawn(tb)
        await link(a, b)
        await link(a, b)
        node.send(a, { cmd: 'links' })
        assert.equal(((await probe.expect<Report>(ev('links', a))).value as Pid[]).length, 1)
        node.send(a, { cmd: 'unlink', pid: b })
        await probe.expect(ev('unlinked', a))
        const mb = node.monitor(b)
        node.send(b, { cmd: 'stop', reason: 'crash' })
        await mb.down
        node.send(a, { cmd: 'links' })
        assert.deepEqual((await probe.expect<Report>(ev('links', a))).value, [], 'a survived b crashing')
      })

      it('gives a trapping process {EXIT, pid, noproc} when it links to a dead pid (PROC-T12)', async () => {
        const dead = await spawn(tb)
        await kill(node, dead)
        const a = await spawn(ta, true)
        node.send(a, { cmd: 'link', pid: dead })
        await probe.expect(got(a, isExit(dead, 'noproc')))
      })

      it('ends a non-trapping process that links to a dead pid with noproc (PROC-T12)', async () => {
        const dead = await spawn(tb)
        await kill(node, dead)
        const a = await spawn(ta)
        const ma = node.monitor(a)
        node.send(a, { cmd: 'link', pid: dead })
        const { reason } = await ma.down
        const r = reason as { code?: string; reason?: string } | string
        // Same thread: link throws ERR_NOPROC (reason 'noproc') and the uncaught throw ends the
        // process; other thread: the target's thread answers with an exit signal 'noproc'.
        assert.ok(r === 'noproc' || (typeof r === 'object' && r.code === 'ERR_NOPROC' && r.reason === 'noproc'), String(r))
      })

      it('delivers exit(pid, normal) as a message to a trapping process and ignores it otherwise (PROC-T9)', async () => {
        const trapping = await spawn(tb, true)
        const plain = await spawn(tb)
        const sender = await spawn(ta)
        node.send(sender, { cmd: 'exit', pid: trapping, reason: 'normal' })
        await probe.expect(got(trapping, isExit(sender, 'normal')))
        const mp = node.monitor(plain)
        node.send(sender, { cmd: 'exit', pid: plain, reason: 'normal' })
        node.send(plain, { cmd: 'links' })
        await probe.expect(ev('links', plain))
        node.demonitor(mp.ref)
      })
    })
  }

  it('creates no link to self (PROC-T11)', async () => {
    const a = await spawn(1)
    node.send(a, { cmd: 'link', pid: a })
    await probe.expect(ev('linked', a))
    node.send(a, { cmd: 'links' })
    assert.deepEqual((await probe.expect<Report>(ev('links', a))).value, [])
  })

  it('applies trapExit changes to later signals only (PROC-T23)', async () => {
    const a = await spawn(1, true)
    const b1 = await spawn(2)
    await link(a, b1)
    relay(a, b1, { cmd: 'stop', reason: 'first' })
    await probe.expect(got(a, isExit(b1, 'first')))
    node.send(a, { cmd: 'trap', on: false })
    await probe.expect(ev('trapping', a))
    const b2 = await spawn(2)
    await link(a, b2)
    const ma = node.monitor(a)
    relay(a, b2, { cmd: 'stop', reason: 'second' })
    assert.equal((await ma.down).reason, 'second')
  })

  it('links a process spawned with spawnLink to its parent across threads', async () => {
    const parent = await spawn(1)
    node.send(parent, { cmd: 'spawnLink', thread: 2, args: { report: probe.pid, tag: 'child' } })
    const child = (await probe.expect<Report>(ev('spawned', parent))).value as Pid
    assert.equal(child.thread, 2)
    await probe.expect(ev('started', child))
    const mp = node.monitor(parent)
    await settled(parent)
    node.exit(child, 'boom')
    assert.equal((await mp.down).reason, 'boom')
  })

  it('ends a process that throws with the Error as reason; links and monitors hear of it', async () => {
    const a = await spawn(2)
    const watcher = await spawn(1, true)
    await link(watcher, a)
    const ma = node.monitor(a)
    await settled(a)
    relay(watcher, a, { cmd: 'throw', message: 'handler blew up' })
    const { reason } = await ma.down
    assert.ok(reason instanceof Error)
    assert.equal(reason.message, 'handler blew up')
    await probe.expect(got(watcher, (v) => v.type === 'EXIT' && (v.reason as Error).message === 'handler blew up'))
  })
})
