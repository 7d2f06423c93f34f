/**
 * The test kit's VirtualClock: main-thread timers move only with clock.advance, so timeouts,
 * sendAfter and a supervisor's shutdown timer are checked at exact virtual instants.
 */
import assert from 'node:assert/strict'
import { Node, Server, hasCode } from '../../src/index.ts'
import { VirtualClock, probe as makeProbe, type Probe } from '../../src/testing/index.ts'
import { DeferServer } from '../fixtures/servers.ts'
import { Stubborn, Sup, started, type ChildEvent } from '../fixtures/supervision.ts'

describe('VirtualClock', () => {
  let clock: VirtualClock
  let node: Node
  let probe: Probe

  beforeEach(async () => {
    clock = new VirtualClock()
    node = await Node.start({ threads: 0, clock })
    probe = await makeProbe(node)
  })
  afterEach(() => node.stop())

  it('delivers sendAfter exactly when virtual time reaches it', async () => {
    node.sendAfter(probe.pid, 'tick', 1000)
    await clock.advance(999)
    assert.deepEqual(probe.pending, [])
    await clock.advance(1)
    await probe.expect((m) => m === 'tick', 100)
    assert.equal(node.now(), 1000)
  })

  it('times a call out at its virtual deadline, not before', async () => {
    const server = await node.spawn(DeferServer, undefined)
    let outcome: unknown = 'pending'
    const call = node.call(server, 'hold', { timeout: 5000 }).then(() => 'replied', (e: unknown) => e)
    void call.then((v) => { outcome = v })
    await clock.advance(4999)
    assert.equal(outcome, 'pending')
    await clock.advance(1)
    assert.ok(hasCode(await call, 'ERR_CALL_TIMEOUT'))
  })

  it('SUP-T11 kills a child that ignores shutdown at exactly its shutdown timeout', async () => {
    const sup = await node.spawn(Sup, {
      children: [{ id: 's', start: [Stubborn, { id: 's', report: probe.pid }], shutdown: 1000 }],
    })
    const child = ((await probe.expect(started('s'))) as ChildEvent).pid
    const ref = probe.monitor(child)
    const stopping = Server.stop(node, sup)
    await clock.advance(999)
    // One thread, and advance has let it settle: a DOWN would be recorded by now.
    assert.deepEqual(probe.pending.filter((m) => (m as { type?: string }).type === 'DOWN'), [])
    await clock.advance(1)
    await probe.expectDown(ref, 'killed', 1000)
    await stopping
  })

  it('rejects a clock without the Clock methods', async () => {
    await assert.rejects(Node.start({ threads: 0, clock: {} as VirtualClock }), (e) => hasCode(e, 'ERR_INVALID_ARG_TYPE'))
  })
})

