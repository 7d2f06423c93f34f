/**
 * Smaller defects at the API's edges, each pinned by the symptom it had: a Stage's handleCall
 * returning a server action, options with misspelled keys or of the wrong type, messages that
 * cannot be read (a throwing getter), nest deeply or hold lone surrogates, a stopped node's
 * registered()/demonitor(), and crash reports on stderr without their stack.
 */
import assert from 'node:assert/strict'
import { Node, hasCode, type ErrorCode, type Pid } from '../../src/index.ts'
import { probe as makeProbe, type Probe } from '../../src/testing/index.ts'
import { ActionStage, Checker, Receiver, type ActionRequest } from '../fixtures/input-validation.ts'

const MODULES = [new URL('../fixtures/input-validation.ts', import.meta.url), new URL('../fixtures/actors.ts', import.meta.url)]

interface Checked { event: 'checked'; check: string; sync: boolean; code: unknown }
const checked = (check: string) => (m: unknown): boolean => (m as Checked).event === 'checked' && (m as Checked).check === check

describe('Input validation', function () {
  this.timeout(20_000)
  let node: Node
  let probe: Probe

  before(async () => {
    node = await Node.start({ threads: 2, modules: MODULES })
  })
  after(() => node.stop())
  beforeEach(async () => {
    probe = await makeProbe(node)
  })

  describe('Stage handleCall returning a server action', () => {
    const callExit = (code: ErrorCode) => (e: unknown): boolean =>
      hasCode(e, 'ERR_CALL_EXIT') && hasCode((e as { reason?: unknown }).reason, code)

    it('replies with the value, not the action object, when handleCall returns replyWith(v)', async () => {
      const stage = await node.spawn(ActionStage, { report: probe.pid }, { thread: 1 })
      assert.deepEqual(await node.call(stage, { replyWith: { n: 42 } } satisfies ActionRequest), { n: 42 })
      assert.equal(await node.call(stage, { replyWith: 7 } satisfies ActionRequest), 7, 'the stage is still running')
    })

    it('stops with the reason and replies after terminate when handleCall returns stop(reason, reply)', async () => {
      const stage = await node.spawn(ActionStage, { report: probe.pid }, { thread: 1 })
      const down = node.monitor(stage).down
      // The reply is the stage's log; terminate appends to it: sent after terminate, it carries that.
      assert.deepEqual(await node.call(stage, { stop: { shutdown: 'done' }, reply: true } satisfies ActionRequest), ['handleCall', 'terminated'])
      assert.deepEqual((await down).reason, { shutdown: 'done' })
      assert.deepEqual(((await probe.expect((m: { event?: string }) => m.event === 'stage-terminated')) as { reason: unknown }).reason, { shutdown: 'done' })
    })

    it('stops with the reason and the caller gets ERR_CALL_EXIT when handleCall returns stop(reason) without a reply', async () => {
      const stage = await node.spawn(ActionStage, { report: probe.pid }, { thread: 2 })
      const down = node.monitor(stage).down
      await assert.rejects(node.call(stage, { stop: 'normal' } satisfies ActionRequest),
        (e: unknown) => hasCode(e, 'ERR_CALL_EXIT') && (e as { reason?: unknown }).reason === 'normal')
      assert.equal((await down).reason, 'normal')
    })

    it('crashes with ERR_BAD_RETURN_VALUE when handleCall asks for a continue, a timeout or ignore (a Stage has none)', async () => {
      for (const request of [{ replyWithContinue: 1 }, 'noreplyTimeout', 'ignore'] satisfies ActionRequest[]) {
        const stage = await node.spawn(ActionStage, { report: probe.pid }, { thread: 1 })
        await assert.rejects(node.call(stage, request), callExit('ERR_BAD_RETURN_VALUE'), JSON.stringify(request))
      }
    })
  })
})

