import assert from 'node:assert/strict'
import type { Node, Pid, Ref } from '../../src/index.ts'
import type { Probe } from '../../src/testing/index.ts'
import { Puppet, SeqCounter, Slow, type Report } from '../fixtures/actors.ts'
import { ev, got, startNode, kill } from '../helpers.ts'

describe('aliases (PROC-T24)', () => {
  let node: Node
  let probe: Probe
  before(async () => ({ node, probe } = await startNode()))
  after(() => node.stop())

  it('delivers through an alias from any thread until the owner deletes it; only the owner may', async () => {
    const owner = await node.spawn(Puppet, { report: probe.pid }, { thread: 1 })
    const other = await node.spawn(Puppet, { report: probe.pid }, { thread: 2 })
    node.send(owner, { cmd: 'createAlias' })
    const alias = (await probe.expect<Report>(ev('alias', owner))).value as Ref
    node.send(other, { cmd: 'send', to: alias, msg: { via: 'alias' } })
    await probe.expect(got(owner, (v) => v.via === 'alias'))
    node.send(alias, { via: 'node' })
    await probe.expect(got(owner, (v) => v.via === 'node'))

    node.send(other, { cmd: 'deleteAlias', alias })
    assert.equal((await probe.expect<Report>(ev('alias-deleted', other))).value, 'ERR_ALIAS_OWNER')
    node.send(other, { cmd: 'isAlias', alias })
    assert.equal((await probe.expect<Report>(ev('is-alias', other))).value, true)

    node.send(owner, { cmd: 'deleteAlias', alias })
    assert.equal((await probe.expect<Report>(ev('alias-deleted', owner))).value, true)
    assert.throws(() => node.send(alias, 'x'), { code: 'ERR_UNKNOWN_ALIAS' })
    assert.equal(node.trySend(alias, 'x'), false)
  })

  it('drops every alias when its owner exits', async () => {
    const owner = await node.spawn(Puppet, { report: probe.pid }, { thread: 2 })
    node.send(owner, { cmd: 'createAlias' })
    const alias = (await probe.expect<Report>(ev('alias', owner))).value as Ref
    await kill(node, owner)
    const asker = await node.spawn(Puppet, { report: probe.pid }, { thread: 1 })
    node.send(asker, { cmd: 'isAlias', alias })
    assert.equal((await probe.expect<Report>(ev('is-alias', asker))).value, false)
    assert.equal(node.trySend(alias, 'x'), false)
    assert.ok(!node.registered().some((n) => n.includes('alias')), 'aliases are not listed as names')
  })
})

describe('mailbox limit and fallback (PROC-T25)', () => {
  let node: Node
  let probe: Probe
  before(async () => ({ node, probe } = await startNode()))
  after(() => node.stop())

  it('forwards what does not fit to the fallback, wrapped with {process, tag, message}', async () => {
    const fb = await node.spawn(Puppet, { report: probe.pid }, { thread: 1, name: 'fb' })
    const target = await node.spawn(Puppet, { report: probe.pid }, { thread: 2, mailboxSize: 1, fallback: { name: 'fb', tag: 'overflow' } })
    const sender = await node.spawn(Puppet, { report: probe.pid }, { thread: 2 })
    // One callback: the target cannot run between the three sends.
    node.send(sender, { cmd: 'trySend', to: target, msgs: [{ n: 1 }, { n: 2 }, { n: 3 }] })
    assert.deepEqual((await probe.expect<Report>(ev('sent', sender))).value, ['sent', 'sent', 'sent'])
    await probe.expect(got(target, (v) => v.n === 1))
    for (const n of [2, 3]) {
      const r = await probe.expect<Report>(got(fb, (v) => v.type === 'fallback' && (v.message as { n: number }).n === n))
      const v = r.value as { process: Pid; tag: string }
      assert.ok(v.process.equals(target))
      assert.equal(v.tag, 'overflow')
    }
  })

  it('refuses a send to a full mailbox without fallback with ERR_MAILBOX_FULL (trySend: false)', async () => {
    const target = await node.spawn(Puppet, { report: probe.pid }, { thread: 2, mailboxSize: 1 })
    const sender = await node.spawn(Puppet, { report: probe.pid }, { thread: 2 })
    node.send(sender, { cmd: 'trySend', to: target, msgs: [{ k: 1 }, { k: 2 }] })
    assert.deepEqual((await probe.expect<Report>(ev('sent', sender))).value, ['sent', 'ERR_MAILBOX_FULL'])
    await probe.expect(got(target, (v) => v.k === 1))
    // Had k: 2 been queued anyway, it would be handled before a later message from the same sender.
    node.send(sender, { cmd: 'send', to: target, msg: { k: 3 } })
    await probe.expectNoneBefore(got(target, (v) => v.k === 2), got(target, (v) => v.k === 3))
  })

  it('fails a call from another thread to a full mailbox at once with ERR_MAILBOX_FULL (not at its timeout)', async () => {
    const slow = await node.spawn(Slow, { report: probe.pid }, { thread: 2, mailboxSize: 1 })
    node.send(slow, { n: 1, ms: 300 })
    node.send(slow, { n: 2, ms: 0 })
    // (Without the fast failure this would reject ERR_CALL_TIMEOUT after 5 s. Slow declares no
    // calls, so its typed pid would refuse one: the call goes through a plain Pid.)
    await assert.rejects(node.call(slow as Pid, 'x', { timeout: 5000 }), { code: 'ERR_MAILBOX_FULL' })
    await kill(node, slow)
  })

  it('rejects bad limits with coded errors', async () => {
    await assert.rejects(node.spawn(Puppet, { report: probe.pid }, { mailboxSize: 0 }), { code: 'ERR_INVALID_ARG_VALUE' })
    await assert.rejects(node.spawn(Puppet, { report: probe.pid }, { fallback: 'fb' } as never), { code: 'ERR_INVALID_ARG_TYPE' })
  })
})

describe('environment (PROC-T26)', () => {
  let node: Node
  let probe: Probe
  before(async () => ({ node, probe } = await startNode({ env: { K: 1, ONLY_NODE: 'n' } })))
  after(() => node.stop())

  it('resolves own > parent > node, across threads, and falls back when the own value is removed', async () => {
    const parent = await node.spawn(Puppet, { report: probe.pid }, { thread: 1, env: { K: 2 } })
    node.send(parent, { cmd: 'spawn', args: { report: probe.pid, tag: 'child' }, options: { thread: 2, env: { K: 3 } } })
    const child = (await probe.expect<Report>(ev('spawned', parent))).value as Pid
    await probe.expect(ev('started', child))
    const env = async (pid: Pid, key: string): Promise<unknown> => {
      node.send(pid, { cmd: 'env', key })
      return ((await probe.expect<Report>(ev('env', pid))).value as { value: unknown }).value
    }
    assert.equal(await env(child, 'K'), 3)
    assert.equal(await env(child, 'ONLY_NODE'), 'n')
    node.send(child, { cmd: 'setEnv', key: 'K' })
    await probe.expect(ev('env-set', child))
    assert.equal(await env(child, 'K'), 2)
    assert.equal(await env(parent, 'K'), 2)
    const orphan = await node.spawn(Puppet, { report: probe.pid }, { thread: 2 })
    assert.equal(await env(orphan, 'K'), 1)
    assert.equal(await env(orphan, 'MISSING'), null)
  })
})

describe('direct requests (PROC-T27)', () => {
  let node: Node
  let probe: Probe
  before(async () => ({ node, probe } = await startNode()))
  after(() => node.stop())

  it('answers from handleDirect, on any thread', async () => {
    for (const thread of [0, 2]) {
      const pid = await node.spawn(Puppet, { report: probe.pid }, { thread })
      const r = await node.direct<{ echo: number; by: Pid }>(pid, { echo: thread })
      assert.equal(r.echo, thread)
      assert.ok(r.by.equals(pid))
    }
  })

  it('fails with ERR_UNSUPPORTED_REQUEST when the behaviour has no handler', async () => {
    const counter = await node.spawn(SeqCounter, undefined, { thread: 1 })
    await assert.rejects(node.direct(counter, 'hello'), { code: 'ERR_UNSUPPORTED_REQUEST' })
  })

  it('times out a slow handler with ERR_CALL_TIMEOUT', async () => {
    const pid = await node.spawn(Puppet, { report: probe.pid }, { thread: 1 })
    await assert.rejects(node.direct(pid, { slowMs: 300 }, { timeout: 30 }), { code: 'ERR_CALL_TIMEOUT' })
  })

  it('refuses a request beyond directboxSize with ERR_PROCESS_BUSY', async () => {
    const pid = await node.spawn(Puppet, { report: probe.pid }, { thread: 2, directboxSize: 1 })
    const first = node.direct(pid, { slowMs: 100, announce: true })
    await probe.expect(ev('direct-begin', pid)) // the first is being handled: the box is empty
    const second = node.direct(pid, { slowMs: 1 }) // waits in the directbox
    await assert.rejects(node.direct(pid, { echo: 3 }), { code: 'ERR_PROCESS_BUSY' })
    assert.deepEqual(await first, { slept: 100 })
    assert.deepEqual(await second, { slept: 1 })
  })

  it('returns what the handler throws to the requester; the process lives on', async () => {
    const pid = await node.spawn(Puppet, { report: probe.pid }, { thread: 2 })
    await assert.rejects(node.direct(pid, { fail: 'nope' }), { message: 'nope' })
    assert.deepEqual((await node.direct<{ echo: number }>(pid, { echo: 9 })).echo, 9)
  })
})
