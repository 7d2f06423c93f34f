import assert from 'node:assert/strict'
import type { Node, Pid, Ref } from '../../src/index.ts'
import type { Probe } from '../../src/testing/index.ts'
import type { Report } from '../fixtures/actors.ts'
import { ev, got, startNode, kill, puppet } from '../helpers.ts'

const isDown = (ref: Ref) => (v: Record<string, unknown>): boolean => v.type === 'DOWN' && (v.ref as Ref).equals(ref)

describe('monitors', () => {
  let node: Node
  let probe: Probe
  before(async () => ({ node, probe } = await startNode()))
  after(() => node.stop())

  const spawn = (thread: number, name?: string): Promise<Pid> => puppet(node, probe, thread, name)
  const monitor = async (watcher: Pid, target: Pid | string): Promise<Ref> => {
    node.send(watcher, { cmd: 'monitor', target })
    return (await probe.expect<Report>(ev('monitoring', watcher))).value as Ref
  }
  /**
   * No further DOWN for `ref` at `watcher`: once `gone` has ended, a new monitor of it fires DOWN
   * noproc, a signal from `gone` to `watcher` like any DOWN it sent when it ended, so it arrives
   * after those; the watcher reports its messages in the order they arrive.
   */
  const noMoreDowns = async (watcher: Pid, gone: Pid, ref: Ref): Promise<void> => {
    const again = await monitor(watcher, gone)
    await probe.expectNoneBefore(got(watcher, isDown(ref)), got(watcher, isDown(again)))
  }

  for (const [where, tw, tt] of [['within a thread', 1, 1], ['across threads', 1, 2]] as const) {
    describe(where, () => {
      it('fires exactly one DOWN with the exit reason (PROC-T13)', async () => {
        const w = await spawn(tw)
        const t = await spawn(tt)
        const ref = await monitor(w, t)
        // Sent by the watcher, so the stop cannot overtake its MONITOR (one sender, one ring).
        node.send(w, { cmd: 'send', to: t, msg: { cmd: 'stop', reason: 'x' } })
        const r = await probe.expect<Report>(got(w, isDown(ref)))
        const down = r.value as { pid: Pid; reason: unknown }
        assert.ok(down.pid.equals(t))
        assert.equal(down.reason, 'x')
        await noMoreDowns(w, t, ref)
      })

      it('fires DOWN noproc at once for a dead pid (PROC-T14)', async () => {
        const dead = await spawn(tt)
        await kill(node, dead)
        const w = await spawn(tw)
        const ref = await monitor(w, dead)
        const r = await probe.expect<Report>(got(w, isDown(ref)))
        assert.equal((r.value as { reason: unknown }).reason, 'noproc')
      })

      it('delivers no DOWN after demonitor returns true; a second demonitor returns false (PROC-T15)', async () => {
        const w = await spawn(tw)
        const t = await spawn(tt)
        const ref = await monitor(w, t)
        node.send(w, { cmd: 'demonitor', ref })
        assert.equal((await probe.expect<Report>(ev('demonitored', w))).value, true)
        const gone = node.monitor(t).down
        node.send(t, { cmd: 'stop', reason: 'gone' })
        node.send(w, { cmd: 'demonitor', ref })
        assert.equal((await probe.expect<Report>(ev('demonitored', w))).value, false)
        await gone
        await noMoreDowns(w, t, ref)
      })

      it('gives two monitors on one target two refs and two DOWNs (PROC-T17)', async () => {
        const w = await spawn(tw)
        const t = await spawn(tt)
        const r1 = await monitor(w, t)
        const r2 = await monitor(w, t)
        assert.ok(!r1.equals(r2))
        node.exit(t, 'bye')
        await probe.expect(got(w, isDown(r1)))
        await probe.expect(got(w, isDown(r2)))
      })

      it('reports {name, node} for a monitor made by name, and ignores a later owner of the name (PROC-T18)', async () => {
        const w = await spawn(tw)
        const t = await spawn(tt, `gs2-${where}`)
        const ref = await monitor(w, `gs2-${where}`)
        node.send(t, { cmd: 'stop', reason: 'shutdown' })
        const r = await probe.expect<Report>(got(w, isDown(ref)))
        assert.deepEqual((r.value as { pid: unknown }).pid, { name: `gs2-${where}`, node: t.node })
        const successor = await spawn(tt, `gs2-${where}`)
        await kill(node, successor)
        await noMoreDowns(w, successor, ref)
      })
    })
  }

  it('fires DOWN noproc with {name, node} for an unknown name (PROC-T14)', async () => {
    const w = await spawn(1)
    const ref = await monitor(w, 'no-such-name')
    const r = await probe.expect<Report>(got(w, isDown(ref)))
    assert.deepEqual((r.value as { pid: unknown; reason: unknown }), { type: 'DOWN', ref, pid: { name: 'no-such-name', node: w.node }, reason: 'noproc' })
  })

  it('node.monitor resolves down with the reason; node.demonitor stops it', async () => {
    const t = await spawn(2)
    const m = node.monitor(t)
    node.exit(t, 'gone')
    const down = await m.down
    assert.equal(down.reason, 'gone')
    assert.ok((down.pid as Pid).equals(t))
    const t2 = await spawn(2)
    const m2 = node.monitor(t2)
    assert.equal(node.demonitor(m2.ref), true)
    assert.equal(node.demonitor(m2.ref), false)
  })
})

describe('demonitor with flush (PROC-T16)', () => {
  it('removes a DOWN already queued in the mailbox', async () => {
    const { FlushCheck } = await import('../fixtures/flush-check.ts')
    const { node, probe } = await startNode({ threads: 1, modules: [new URL('../fixtures/actors.ts', import.meta.url), new URL('../fixtures/flush-check.ts', import.meta.url)] })
    try {
      const pid = await node.spawn(FlushCheck, { report: probe.pid }, { thread: 1 })
      const r = await probe.expect<{ event: string; value: { downs: number; keptSeen: boolean } }>((m) => (m as Report).event === 'flush-check')
      assert.deepEqual(r.value, { downs: 1, keptSeen: true })
      void pid
    } finally {
      await node.stop()
    }
  })
})
