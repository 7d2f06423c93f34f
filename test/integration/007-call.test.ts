import assert from 'node:assert/strict'
import type { Node, Pid } from '../../src/index.ts'
import type { Probe } from '../../src/testing/index.ts'
import { Puppet, Slow, type Report } from '../fixtures/actors.ts'
import { ev, got, startNode, until, kill, puppet } from '../helpers.ts'

describe('call: request/reply plumbing', () => {
  let node: Node
  let probe: Probe
  before(async () => ({ node, probe } = await startNode()))
  after(() => node.stop())

  const spawn = (thread: number, name?: string): Promise<Pid> => puppet(node, probe, thread, name)

  it('routes the reply back within a thread, across threads, and from the node', async () => {
    for (const [tc, tt] of [[1, 1], [1, 2], [2, 0]] as const) {
      const caller = await spawn(tc)
      const target = await spawn(tt)
      node.send(caller, { cmd: 'call', to: target, request: { echo: `${tc}->${tt}` } })
      const r = await probe.expect<Report>(ev('call-ok', caller))
      assert.deepEqual((r.value as { echo: string }).echo, `${tc}->${tt}`)
    }
    const target = await spawn(2, 'callee')
    const reply = await node.call<{ echo: number; by: Pid }>('callee', { echo: 7 })
    assert.equal(reply.echo, 7)
    assert.ok(reply.by.equals(target))
  })

  it('fails at once with ERR_NOPROC for a dead pid or an unknown name', async () => {
    const dead = await spawn(2)
    await kill(node, dead)
    await assert.rejects(node.call(dead, { echo: 1 }, { timeout: 60_000 }), { code: 'ERR_NOPROC', reason: 'noproc' })
    await assert.rejects(node.call('nobody', { echo: 1 }, { timeout: 60_000 }), { code: 'ERR_NOPROC' })
  })

  it('fails at once with ERR_CALL_EXIT and the exit reason when the target dies mid-call (D5)', async () => {
    for (const thread of [0, 2]) {
      const target = await spawn(thread)
      const t0 = performance.now()
      await assert.rejects(node.call(target, { crash: 'mid-call' }, { timeout: 60_000 }), (e: unknown) => {
        const err = e as { code: string; reason: Error }
        assert.equal(err.code, 'ERR_CALL_EXIT')
        assert.equal(err.reason.message, 'mid-call')
        return true
      })
      assert.ok(performance.now() - t0 < 5000, 'did not wait for the timeout')
    }
  })

  it('times out with ERR_CALL_TIMEOUT, and drops the late reply (counted)', async () => {
    const target = await spawn(2)
    const caller = await spawn(1)
    node.send(caller, { cmd: 'call', to: target, request: { echo: 'late', delayMs: 150 }, timeout: 30 })
    const r = await probe.expect<Report>(ev('call-failed', caller))
    assert.deepEqual(r.value, { code: 'ERR_CALL_TIMEOUT', reason: 'timeout' })
    await until(async () => (await node.stats()).threads[1]!.lateReplies >= 1)
    // The caller is alive, and reported no reply before handling a later message (lateReplies
    // counted the reply on its thread before that message was sent).
    node.send(caller, { cmd: 'links' })
    await probe.expectNoneBefore(ev('call-ok', caller), ev('links', caller))
  })

  it('rejects an invalid timeout', async () => {
    await assert.rejects(node.call(node.pid, 'x', { timeout: -5 }), { code: 'ERR_INVALID_ARG_VALUE' })
  })

  it('answers a call whose handler awaits, while other processes on that thread keep running', async () => {
    const slow = await spawn(2)
    const other = await spawn(2)
    const pending = node.call(slow, { echo: 'slow', delayMs: 200 }, { timeout: 5000 })
    const quick = await node.call<{ echo: string }>(other, { echo: 'quick' })
    assert.equal(quick.echo, 'quick')
    assert.equal((await pending as { echo: string }).echo, 'slow')
  })
})

describe('scheduling', () => {
  let node: Node
  let probe: Probe
  before(async () => ({ node, probe } = await startNode({ batch: 8 })))
  after(() => node.stop())

  it('handles one message at a time per process even when handlers are async', async () => {
    const slow = await node.spawn(Slow, { report: probe.pid }, { thread: 1 })
    for (let n = 0; n < 5; n++) node.send(slow, { n, ms: 10 })
    const order: string[] = []
    for (let i = 0; i < 10; i++) {
      const r = await probe.expect<Report>((m) => ['begin', 'end'].includes((m as Report).event))
      const v = r.value as { n: number; active?: number }
      if (r.event === 'begin') assert.equal(v.active, 1, 'never two handlers at once')
      order.push(`${r.event}${v.n}`)
    }
    assert.deepEqual(order, ['begin0', 'end0', 'begin1', 'end1', 'begin2', 'end2', 'begin3', 'end3', 'begin4', 'end4'])
  })

  it('does not let a process with a deep mailbox starve another on the same thread (batch budget)', async () => {
    const hog = await node.spawn(Puppet, { report: probe.pid, tag: 'hog' }, { thread: 2 })
    const other = await node.spawn(Puppet, { report: probe.pid, tag: 'other' }, { thread: 2 })
    const feeder = await node.spawn(Puppet, { report: probe.pid }, { thread: 2 })
    // One callback queues 2000 messages for the hog, then one for the other process.
    node.send(feeder, { cmd: 'batch', commands: [
      { cmd: 'send', to: hog, msg: 'work', count: 2000 },
      { cmd: 'send', to: other, msg: { ping: 1 } },
    ] })
    const first = await probe.expect<Report>((m) => (m as Report).tag === 'other' && (m as Report).event === 'got')
    assert.ok(first.from.equals(other))
    const hogBefore = probe.pending.filter((m) => (m as Report).tag === 'hog').length
    assert.ok(hogBefore < 2000, `other ran before the hog finished (${hogBefore} hog messages first)`)
  })
})

describe('yielding to the event loop', () => {
  it('serves timers on a thread whose processes never run out of messages', async () => {
    const { Busy } = await import('../../bench/actors.ts')
    const { node, probe } = await startNode({ modules: [new URL('../fixtures/actors.ts', import.meta.url), new URL('../../bench/actors.ts', import.meta.url)] })
    try {
      const busy = await node.spawn(Busy, undefined, { thread: 1 })
      const timed = await node.spawn(Puppet, { report: probe.pid }, { thread: 1 })
      node.send(timed, { cmd: 'sendAfter', to: timed, msg: { fired: true }, ms: 20, id: 1 })
      await probe.expect(got(timed, (v) => v.fired === true))
      // and the busy thread still answers calls from other threads
      assert.deepEqual((await node.call<{ echo: string }>(timed, { echo: 'alive' })).echo, 'alive')
      node.exit(busy, 'kill')
    } finally {
      await node.stop()
    }
  })
})
