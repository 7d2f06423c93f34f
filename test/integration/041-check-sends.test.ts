import assert from 'node:assert/strict'
import { Node } from '../../src/index.ts'
import { probe as startProbe, testNodeOptions, type Probe } from '../../src/testing/index.ts'
import { SendProbe, Sink, unserializable } from '../fixtures/check-sends.ts'
import { FIXTURES } from '../helpers.ts'

const CHECK_SENDS = new URL('../fixtures/check-sends.ts', import.meta.url)

interface Tried {
  event: 'tried'
  results: Record<string, string>
}

const ALL_FAIL = {
  send: 'ERR_NOT_SERIALIZABLE', trySend: 'ERR_NOT_SERIALIZABLE', cast: 'ERR_NOT_SERIALIZABLE', sendAfter: 'ERR_NOT_SERIALIZABLE',
  spawn: 'ERR_NOT_SERIALIZABLE', call: 'ERR_NOT_SERIALIZABLE',
}

/** From a SendProbe on thread 1: every send at a Sink on `thread` (1: the same thread, 2: another). */
async function tryFrom(node: Node, probe: Probe, thread: number): Promise<Record<string, string>> {
  const sender = await node.spawn(SendProbe, { report: probe.pid }, { thread: 1 })
  const target = await node.spawn(Sink, {}, { thread })
  node.send(sender, { cmd: 'try', target, thread })
  return (await probe.expect<Tried>((m) => m.event === 'tried')).results
}

/** A Sink on `thread` answers a call from a SendProbe on thread 1 with a function: what did its reply do? */
async function replyOutcome(node: Node, probe: Probe, thread: number): Promise<{ sink: string; caller: string }> {
  const sender = await node.spawn(SendProbe, { report: probe.pid }, { thread: 1 })
  const target = await node.spawn(Sink, { report: probe.pid }, { thread })
  node.send(sender, { cmd: 'reply', target })
  const sink = await probe.expect<{ event: string; outcome: string }>((m) => m.event === 'reply-attempted')
  const caller = await probe.expect<{ event: string; outcome: string }>((m) => m.event === 'replied')
  return { sink: sink.outcome, caller: caller.outcome }
}

describe('checkSends: every send checked as if it crossed threads', () => {
  describe('with checkSends on (testNodeOptions)', () => {
    let node: Node
    let probe: Probe
    before(async () => {
      node = await Node.start(testNodeOptions({ threads: 2, modules: [FIXTURES, CHECK_SENDS] }))
      probe = await startProbe(node)
    })
    after(() => node.stop())

    it('fails a process\'s send, trySend, cast, sendAfter, spawn and call on its own thread as across threads', async () => {
      assert.deepEqual(await tryFrom(node, probe, 2), ALL_FAIL)
      assert.deepEqual(await tryFrom(node, probe, 1), ALL_FAIL)
    })

    it('fails a reply on the caller\'s thread as across threads', async () => {
      const expected = { sink: 'ERR_NOT_SERIALIZABLE', caller: 'ERR_NOT_SERIALIZABLE' }
      assert.deepEqual(await replyOutcome(node, probe, 2), expected)
      assert.deepEqual(await replyOutcome(node, probe, 1), expected)
    })

    it('fails the node\'s own sends to the main thread: send and cast throw, call and direct reject, spawn rejects', async () => {
      const local = await node.spawn(Sink, {}, { thread: 0 })
      assert.throws(() => node.send(local, unserializable()), { code: 'ERR_NOT_SERIALIZABLE' })
      assert.throws(() => node.trySend(local, unserializable()), { code: 'ERR_NOT_SERIALIZABLE' })
      assert.throws(() => node.cast(local, unserializable()), { code: 'ERR_NOT_SERIALIZABLE' })
      assert.throws(() => node.sendAfter(local, unserializable(), 0), { code: 'ERR_NOT_SERIALIZABLE' })
      await assert.rejects(node.call(local, unserializable()), { code: 'ERR_NOT_SERIALIZABLE' })
      await assert.rejects(node.direct(local, unserializable()), { code: 'ERR_NOT_SERIALIZABLE' })
      await assert.rejects(node.spawn(Sink, unserializable()), { code: 'ERR_NOT_SERIALIZABLE' })
      // Plain data still goes, and nothing was left half-sent: the process answers as before.
      node.send(local, { plain: [1, 'two', new Map([[3, new Set([4])]])] })
      assert.equal(await node.call(local, 'ping'), 'ok')
    })

    it('checks a send to a process that has already ended, as the ring would', async () => {
      const gone = await node.spawn(Sink, {})
      const down = node.monitor(gone)
      node.exit(gone, 'kill')
      await down.down
      assert.throws(() => node.send(gone, unserializable()), { code: 'ERR_NOT_SERIALIZABLE' })
    })
  })

  describe('with checkSends off (the default)', () => {
    let node: Node
    let probe: Probe
    before(async () => {
      node = await Node.start({ threads: 2, modules: [FIXTURES, CHECK_SENDS] })
      probe = await startProbe(node)
    })
    after(() => node.stop())

    it('hands a message over unchecked on one thread, and fails it only across threads', async () => {
      assert.deepEqual(await tryFrom(node, probe, 2), ALL_FAIL)
      assert.deepEqual(await tryFrom(node, probe, 1), {
        send: 'ok', trySend: 'ok', cast: 'ok', sendAfter: 'ok', spawn: 'ok', call: 'ok',
      })
      assert.deepEqual(await replyOutcome(node, probe, 1), { sink: 'ok', caller: 'ok' })
    })
  })

  describe('the option', () => {
    it('takes a boolean only', async () => {
      await assert.rejects(Node.start({ threads: 0, checkSends: 'yes' as unknown as boolean }), { code: 'ERR_INVALID_ARG_TYPE' })
      await assert.rejects(Node.start({ threads: 0, checkSend: true } as never), { code: 'ERR_UNKNOWN_OPTION' })
    })

    it('is turned on by testNodeOptions unless the test sets it', () => {
      assert.deepEqual(testNodeOptions({ threads: 2 }), { threads: 2, checkSends: true })
      assert.deepEqual(testNodeOptions({ checkSends: false }), { checkSends: false })
      assert.deepEqual(testNodeOptions(), { checkSends: true })
    })
  })
})

