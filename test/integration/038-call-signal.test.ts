import assert from 'node:assert/strict'
import { getEventListeners } from 'node:events'
import { Node, Server, type Pid } from '../../src/index.ts'
import { probe as startProbe, type Probe } from '../../src/testing/index.ts'
import { AbortingCaller, HoldServer } from '../fixtures/cancellation.ts'
import { FIXTURES, until } from '../helpers.ts'
import { Puppet } from '../fixtures/actors.ts'

const CANCELLATION = new URL('../fixtures/cancellation.ts', import.meta.url)

interface Event {
  event: string
  tag?: string
  by?: Pid
  code?: string
  reason?: unknown
  cause?: unknown
  value?: unknown
}

const on = (event: string, tag: string) => (m: Event): boolean => m.event === event && m.tag === tag

describe('call cancellation: the signal option', () => {
  let node: Node
  let probe: Probe
  before(async () => {
    node = await Node.start({ threads: 2, modules: [FIXTURES, CANCELLATION] })
    probe = await startProbe(node)
  })
  after(() => node.stop())

  const holder = (thread: number): Promise<Pid> => node.spawn(HoldServer, { report: probe.pid }, { thread })
  const lateReplies = async (thread: number): Promise<number> => (await node.stats()).threads[thread]!.lateReplies

  it('rejects at once with ERR_CALL_ABORTED and sends nothing when the signal has already aborted', async () => {
    const target = await holder(2)
    const controller = new AbortController()
    const why = new Error('changed my mind')
    controller.abort(why)
    let promise: Promise<unknown> | undefined
    assert.doesNotThrow(() => { promise = node.call(target, { hold: 'early' }, { signal: controller.signal }) })
    await assert.rejects(promise as Promise<unknown>, (e: unknown) => {
      const err = e as { code: string; reason: unknown; cause: unknown; message: string }
      assert.equal(err.code, 'ERR_CALL_ABORTED')
      assert.equal(err.reason, 'aborted')
      assert.equal(err.cause, why)
      assert.ok(err.message.includes(target.toString()), err.message)
      return true
    })
    await assert.rejects(node.direct(target, { hold: 'early' }, { signal: controller.signal }), { code: 'ERR_CALL_ABORTED' })
    // Calls from one sender arrive in order: had the aborted one been sent, it would be counted.
    assert.equal(await node.call(target, 'count'), 0)
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0)
  })

  it('rejects a pending call when its signal aborts, target on the same thread or another, and drops the late reply (counted)', async () => {
    for (const thread of [0, 2]) {
      const target = await holder(thread)
      const controller = new AbortController()
      const tag = `during-${thread}`
      const call = node.call(target, { hold: tag }, { timeout: 60_000, signal: controller.signal })
      await probe.expect(on('held', tag))
      const before = await lateReplies(0)
      controller.abort('user gave up')
      await assert.rejects(call, { code: 'ERR_CALL_ABORTED', reason: 'aborted', cause: 'user gave up' })
      assert.equal(getEventListeners(controller.signal, 'abort').length, 0)
      Server.cast(node, target, 'release')
      await probe.expect((m: Event & { n?: number }) => m.event === 'released' && m.n === 1 && m.by?.equals(target) === true)
      await until(async () => (await lateReplies(0)) === before + 1)
    }
  })

  it('aborts Server.call and node.direct the same way, target on the same thread or another', async () => {
    for (const thread of [0, 1]) {
      const target = await holder(thread)
      const gate = await holder(thread)
      const controller = new AbortController()
      const viaServer = Server.call(node, target, { hold: `server-${thread}` }, { signal: controller.signal })
      await probe.expect(on('held', `server-${thread}`))
      const direct = node.direct(target, { hold: `direct-${thread}`, gate }, { signal: controller.signal })
      await probe.expect(on('held', `direct-${thread}-gate`))
      const before = await lateReplies(0)
      controller.abort()
      await assert.rejects(viaServer, (e: unknown) => {
        const err = e as { code: string; cause: unknown }
        assert.equal(err.code, 'ERR_CALL_ABORTED')
        assert.equal((err.cause as Error).name, 'AbortError')
        return true
      })
      await assert.rejects(direct, { code: 'ERR_CALL_ABORTED', reason: 'aborted' })
      // The gate answers the direct request's handler, which answers the node: a late reply.
      Server.cast(node, gate, 'release')
      await until(async () => (await lateReplies(0)) === before + 1)
      Server.cast(node, target, 'release')
      await until(async () => (await lateReplies(0)) === before + 2)
    }
  })

  it('leaves a settled call alone: an abort after the reply, a timeout or an exit changes nothing, and no listener stays', async () => {
    const target = await holder(2)
    const controller = new AbortController()
    const signal = controller.signal
    const replied = node.call(target, 'count', { signal })
    assert.equal(getEventListeners(signal, 'abort').length, 1)
    assert.equal(await replied, 0)
    assert.equal(getEventListeners(signal, 'abort').length, 0)
    await assert.rejects(node.call(target, { hold: 'timeout' }, { timeout: 20, signal }), { code: 'ERR_CALL_TIMEOUT' })
    assert.equal(getEventListeners(signal, 'abort').length, 0)
    const crashing = await node.spawn(Puppet, { report: probe.pid }, { thread: 1 })
    await assert.rejects(node.call(crashing, { crash: 'boom' }, { signal }), { code: 'ERR_CALL_EXIT' })
    await assert.rejects(node.call('nobody', 'x', { signal }), { code: 'ERR_NOPROC' })
    assert.equal(getEventListeners(signal, 'abort').length, 0)
    const before = await lateReplies(0)
    controller.abort()
    assert.equal(await replied, 0)
    Server.cast(node, target, 'release')
    await probe.expect((m: Event & { n?: number }) => m.event === 'released' && m.by?.equals(target) === true)
    // The timed-out call's reply is the only late one: the abort added nothing.
    await until(async () => (await lateReplies(0)) === before + 1)
  })

  it('fails with ERR_CALL_ABORTED when AbortSignal.timeout fires first', async () => {
    const target = await holder(2)
    await assert.rejects(node.call(target, { hold: 'timer' }, { timeout: 60_000, signal: AbortSignal.timeout(20) }), (e: unknown) => {
      const err = e as { code: string; reason: unknown; cause: unknown }
      assert.equal(err.code, 'ERR_CALL_ABORTED')
      assert.equal(err.reason, 'aborted')
      assert.equal((err.cause as Error).name, 'TimeoutError')
      return true
    })
  })

  it('aborts this.call made inside a process, by a later message or by AbortSignal.timeout', async () => {
    for (const [callerThread, targetThread] of [[1, 1], [1, 2]] as const) {
      const target = await holder(targetThread)
      const caller = await node.spawn(AbortingCaller, { report: probe.pid }, { thread: callerThread })
      const tag = `in-process-${targetThread}`
      node.send(caller, { cmd: 'call', to: target, request: { hold: tag }, tag })
      await probe.expect(on('held', tag))
      const before = await lateReplies(callerThread)
      node.send(caller, { cmd: 'abort', tag, reason: 'stop waiting' })
      const failed = await probe.expect<Event>(on('call-failed', tag))
      assert.deepEqual({ code: failed.code, reason: failed.reason, cause: failed.cause },
        { code: 'ERR_CALL_ABORTED', reason: 'aborted', cause: 'stop waiting' })
      Server.cast(node, target, 'release')
      await probe.expect((m: Event) => m.event === 'released' && m.by?.equals(target) === true)
      await until(async () => (await lateReplies(callerThread)) === before + 1)
      // Counted on the caller's thread before this message was sent: had the late reply reached
      // the call too, its report would come first. (Aborting an unknown tag only reports.)
      node.send(caller, { cmd: 'abort', tag: `${tag}-marker`, reason: 'none' })
      await probe.expectNoneBefore((m) => on('call-ok', tag)(m as Event), (m) => on('aborted', `${tag}-marker`)(m as Event))

      const timed = `in-process-timeout-${targetThread}`
      node.send(caller, { cmd: 'call', to: target, request: { hold: timed }, tag: timed, timeoutSignalMs: 20 })
      const expired = await probe.expect<Event>(on('call-failed', timed))
      assert.deepEqual({ code: expired.code, cause: expired.cause }, { code: 'ERR_CALL_ABORTED', cause: 'TimeoutError' })
    }
  })

  it('rejects a signal that is not an AbortSignal with ERR_INVALID_ARG_TYPE, as a rejection', async () => {
    const target = await holder(2)
    for (const signal of [{ aborted: false }, 'abort', null]) {
      let promise: Promise<unknown> | undefined
      assert.doesNotThrow(() => { promise = node.call(target, 'count', { signal: signal as unknown as AbortSignal }) })
      await assert.rejects(promise as Promise<unknown>, { code: 'ERR_INVALID_ARG_TYPE' })
    }
    await assert.rejects(node.direct(target, 'count', { signal: 1 as unknown as AbortSignal }), { code: 'ERR_INVALID_ARG_TYPE' })
  })
})
