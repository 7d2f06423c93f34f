/**
 * Server, SEMANTICS §2.4 and OTP's gen_server_SUITE (§2.3), part 3: the timing cases again, at
 * exact instants, with one thread and every timer on a VirtualClock (the cross-thread runs of
 * these cases, which assert only lower bounds, are in the other 014-server-suite files). This
 * describe starts its own node for each case; server-suite/kit.ts supplies the report matchers.
 */
import assert from 'node:assert/strict'
import { Node, Server } from '../../src/index.ts'
import { VirtualClock, probe as makeProbe, type Probe } from '../../src/testing/index.ts'
import { Puppet, type Report } from '../fixtures/actors.ts'
import { SuiteServer, type SuiteArgs, type SuiteEvent } from '../fixtures/servers.ts'
import { ev } from '../helpers.ts'
import { failsWith, isEvent, pidOf } from './server-suite/kit.ts'

/** The timing cases again, at exact instants: one thread, every timer on a VirtualClock. */
describe('Server suite on a virtual clock', () => {
  let clock: VirtualClock
  let node: Node
  let probe: Probe
  beforeEach(async () => {
    clock = new VirtualClock()
    node = await Node.start({ threads: 0, clock })
    probe = await makeProbe(node)
  })
  afterEach(() => node.stop())

  const suite = async (more: Partial<SuiteArgs> = {}) => pidOf(await Server.start(node, SuiteServer, { report: probe.pid, ...more }))
  /** Settles to 'pending' until `p` does, then to its value or its error. */
  const track = (p: Promise<unknown>): { outcome: unknown } => {
    const t: { outcome: unknown } = { outcome: 'pending' }
    p.then((v) => { t.outcome = v }, (e: unknown) => { t.outcome = e })
    return t
  }

  it('SRV-T4 the start fails ERR_START_TIMEOUT at exactly its timeout, and the sleeping init is killed', async () => {
    const start = track(Server.start(node, SuiteServer, { report: probe.pid, init: { sleepMs: 1000 } }, { timeout: 100, name: 'v-t4' }))
    const { from: server } = await probe.expect<SuiteEvent>(isEvent('init'))
    const ref = probe.monitor(server)
    await clock.advance(99)
    assert.equal(start.outcome, 'pending')
    await clock.advance(1)
    assert.ok(failsWith('ERR_START_TIMEOUT', 'timeout')(start.outcome))
    await probe.expectDown(ref, 'killed')
    assert.equal(node.whereis('v-t4'), undefined)
  })

  it('SRV-T9 a call fails ERR_CALL_TIMEOUT at exactly its timeout; the late reply never reaches the caller', async () => {
    const server = await suite()
    const caller = await node.spawn(Puppet, { report: probe.pid })
    node.send(caller, { cmd: 'call', to: server, request: 'hold', timeout: 100 })
    await clock.advance(99)
    assert.equal(probe.pending.some(ev('call-failed', caller)), false)
    await clock.advance(1)
    assert.deepEqual((await probe.expect<Report>(ev('call-failed', caller))).value, { code: 'ERR_CALL_TIMEOUT', reason: 'timeout' })
    Server.cast(node, server, { release: true, then: caller })
    assert.deepEqual((await probe.expect<Report>(ev('got', caller))).value, { marker: 'after the late reply' })
  })

  it('call: a call 500 ms into a 1000 ms reply timeout finds it open; 1500 ms later the timeout has closed it', async () => {
    const server = await suite()
    assert.equal(await Server.call(node, server, { callWithin: 1000 }), 'ok')
    await clock.advance(500)
    assert.equal(await Server.call(node, server, 'nextCall'), 'ok')
    assert.equal(await Server.call(node, server, { callWithin: 1000 }), 'ok')
    await clock.advance(1500)
    assert.equal(await Server.call(node, server, 'nextCall'), false)
    // noreply with a timeout answers when the timeout runs out, not before
    const delayed = track(Server.call(node, server, { delayedAnswer: 100 }))
    await clock.advance(99)
    assert.equal(delayed.outcome, 'pending')
    await clock.advance(1)
    assert.equal(delayed.outcome, 'delayed')
  })
})
