import assert from 'node:assert/strict'
import type { Node } from '../../src/index.ts'
import type { Probe } from '../../src/testing/index.ts'
import { Puppet, type Report } from '../fixtures/actors.ts'
import { ev, kill, startNode } from '../helpers.ts'

describe('registered names', () => {
  let node: Node
  let probe: Probe
  before(async () => ({ node, probe } = await startNode()))
  after(() => node.stop())

  it('refuses a taken name with ERR_NAME_TAKEN, on any thread, and the second init never runs (PROC-T2)', async () => {
    const first = await node.spawn(Puppet, { report: probe.pid, tag: 'first' }, { thread: 1, name: 'x' })
    for (const thread of [0, 1, 2]) {
      await assert.rejects(node.spawn(Puppet, { report: probe.pid, tag: 'second' }, { thread, name: 'x' }), { code: 'ERR_NAME_TAKEN' })
    }
    // A refused spawn would still have reached its thread ahead of a later spawn there (one ring
    // per pair of threads, a local spawn starts at once), and its init reported ahead of that one's.
    for (const thread of [0, 1, 2]) {
      const marker = await node.spawn(Puppet, { report: probe.pid }, { thread })
      await probe.expectNoneBefore((m) => (m as Report).tag === 'second', ev('started', marker))
    }
    assert.ok(node.whereis('x')?.equals(first))
  })

  it('frees a name when its process exits, so it can be taken again (PROC-T3)', async () => {
    const owner = await node.spawn(Puppet, { report: probe.pid }, { thread: 2, name: 'reusable' })
    const m = node.monitor(owner)
    node.send(owner, { cmd: 'stop' })
    await m.down
    assert.equal(node.whereis('reusable'), undefined)
    const again = await node.spawn(Puppet, { report: probe.pid }, { thread: 1, name: 'reusable' })
    assert.ok(node.whereis('reusable')?.equals(again))
  })

  it('lets a process register itself; every thread sees the name at once', async () => {
    const pid = await node.spawn(Puppet, { report: probe.pid }, { thread: 2 })
    node.send(pid, { cmd: 'register', name: 'late-name' })
    await probe.expect(ev('registered', pid))
    assert.ok(node.whereis('late-name')?.equals(pid))
    const other = await node.spawn(Puppet, { report: probe.pid }, { thread: 1 })
    node.send(other, { cmd: 'send', to: 'late-name', msg: { via: 'name' } })
    await probe.expect((m) => (m as { event?: string; value?: { via?: string } }).value?.via === 'name')
  })

  it('keeps several names for one process and frees them all at exit', async () => {
    const pid = await node.spawn(Puppet, { report: probe.pid }, { thread: 1, name: 'alpha' })
    node.send(pid, { cmd: 'register', name: 'beta' })
    await probe.expect(ev('registered', pid))
    assert.ok(node.registered().includes('alpha') && node.registered().includes('beta'))
    await kill(node, pid) // names are freed before the DOWN goes out (PROC-T3)
    assert.equal(node.whereis('alpha'), undefined)
    assert.equal(node.whereis('beta'), undefined)
  })

  it('rejects a name longer than the registry slot with ERR_NAME_TOO_LONG', async () => {
    await assert.rejects(node.spawn(Puppet, { report: probe.pid }, { name: 'n'.repeat(200) }), { code: 'ERR_NAME_TOO_LONG' })
  })
})
