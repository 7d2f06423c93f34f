/**
 * Supervisor against OTP's supervisor_SUITE (SEMANTICS §3.4), part 5: the cases that depend on
 * time (the restart window, shutdown timers), run on the main thread under a VirtualClock so
 * they assert exact instants. Each upstream case is a test named after it, with the SUP-T id of
 * §3.5 where one applies. The helpers and hooks (each case starts its own node) are in
 * supervisor-suite/kit.ts.
 */
import assert from 'node:assert/strict'
import { Pid, Server, Supervisor } from '../../src/index.ts'
import { VirtualClock } from '../../src/testing/index.ts'
import { Stubborn, Sup, terminated, type ChildEvent } from '../fixtures/supervision.ts'
import {
  args, child, node, pidOf, probe, reasonOf, rows, startVirtualNode, stopNode, str, track,
} from './supervisor-suite/kit.ts'

describe('Supervisor (supervisor_SUITE) with a virtual clock', function () {
  this.timeout(10000)
  let clock: VirtualClock

  beforeEach(async () => {
    clock = new VirtualClock()
    await startVirtualNode(clock)
  })
  afterEach(stopNode)

  it('multiple_restarts (SUP-T6): restarts further apart than the period never trip intensity 1; two within it do', async () => {
    const sup = await node.spawn(Sup, { intensity: 1, period: 1, children: [child('w')] })
    const supDown = track(reasonOf(sup))
    let w = await pidOf('w')
    for (let i = 0; i < 3; i++) {
      node.cast(w, 'crash')
      w = await pidOf('w')
      await clock.advance(2100)
    }
    assert.equal(supDown.done, false)
    assert.deepEqual(await rows(sup), [['w', str(w)]])
    node.cast(w, 'crash')
    w = await pidOf('w')
    await clock.advance(500)
    node.cast(w, 'crash')
    assert.equal(await supDown.promise, 'shutdown')
  })

  it('sup_stop_infinity (SUP-T13): with shutdown infinity the supervisor waits as long as the child takes (an hour)', async () => {
    const hour = 3_600_000
    const sup = await node.spawn(Sup, { children: [child('slow', { shutdown: 'infinity' }, { trap: true, stopMs: hour })] })
    const down = track(reasonOf(await pidOf('slow')))
    const stopping = track(Server.stop(node, sup, 'shutdown'))
    assert.equal(((await probe.expect(terminated('slow'))) as ChildEvent).value, 'shutdown')
    await clock.advance(hour - 1)
    assert.equal(stopping.done || down.done, false)
    await clock.advance(1)
    await stopping.promise
    assert.equal(await down.promise, 'shutdown')
  })

  it('sup_stop_timeout: a child ignoring shutdown is killed at its timeout; only then is the next child told', async () => {
    const sup = await node.spawn(Sup, {
      children: [child('a', {}, { trap: true }), { id: 's', start: [Stubborn, args('s')], shutdown: 1000 }],
    })
    await pidOf('a')
    const down = track(reasonOf(await pidOf('s')))
    const stopping = Server.stop(node, sup)
    const got = (await probe.expect((m) => (m as ChildEvent).event === 'info' && (m as ChildEvent).id === 's')) as ChildEvent
    assert.equal((got.value as { reason: unknown }).reason, 'shutdown')
    await clock.advance(999)
    assert.equal(down.done, false)
    assert.equal(probe.pending.some(terminated('a')), false)
    await clock.advance(1)
    assert.equal(await down.promise, 'killed')
    assert.equal(((await probe.expect(terminated('a'))) as ChildEvent).value, 'shutdown')
    await stopping
  })

  it('sup_stop_timeout_dynamic: simple_one_for_one children ignoring shutdown are all killed at the one timeout', async () => {
    const sup = await node.spawn(Sup, {
      strategy: 'simple_one_for_one', children: [{ id: 'tpl', start: [Stubborn, args('dyn')], shutdown: 1000 }],
    })
    const downs = await Promise.all(['s1', 's2'].map(async (id) => track(reasonOf((await Supervisor.startChild(node, sup, { id })).pid as Pid))))
    const stopping = track(Server.stop(node, sup))
    await clock.advance(999)
    assert.equal(downs.some((d) => d.done) || stopping.done, false)
    await clock.advance(1)
    assert.deepEqual(await Promise.all(downs.map((d) => d.promise)), ['killed', 'killed'])
    await stopping.promise
  })

  it('simple_one_for_one_shutdown (SUP-T16): children are shut down concurrently under one shared timer', async () => {
    // Stop latencies 1 s, 1 s, 5 s and shutdown 2 s: one at a time would take at least 1+1+2 s.
    // The children take their time after the shutdown signal, in a message handler (see the
    // pending case below for a slow terminate).
    const sup = await node.spawn(Sup, {
      strategy: 'simple_one_for_one', children: [{ id: 'tpl', start: [Stubborn, args('dyn', { exitAs: 'shutdown' })], shutdown: 2000 }],
    })
    const downs = await Promise.all([['a', 1000], ['b', 1000], ['c', 5000]].map(async ([id, stopMs]) =>
      track(reasonOf((await Supervisor.startChild(node, sup, { id, stopMs })).pid as Pid))))
    const stopping = track(Server.stop(node, sup))
    const told = (m: unknown): boolean => (m as ChildEvent).event === 'info'
    const ids = [await probe.expect(told), await probe.expect(told), await probe.expect(told)].map((e) => (e as ChildEvent).id)
    assert.deepEqual(ids.sort(), ['a', 'b', 'c'])
    await clock.advance(999)
    assert.equal(downs.some((d) => d.done), false)
    await clock.advance(1)
    assert.deepEqual(await Promise.all(downs.slice(0, 2).map((d) => d.promise)), ['shutdown', 'shutdown'])
    await clock.advance(999)
    assert.equal(stopping.done || (downs[2]?.done ?? true), false)
    await clock.advance(1)
    assert.equal(await downs[2]?.promise, 'killed')
    await stopping.promise
    assert.equal(node.now(), 2000)
  })

  // A kill reaches a process even while its async terminate runs (SUP-R6: OTP kills it).
  it('sup_stop_timeout (slow terminate): a child whose terminate outlasts the shutdown timeout is killed at the timeout', async () => {
    const sup = await node.spawn(Sup, { children: [child('slow', { shutdown: 1000 }, { trap: true, stopMs: 5000 })] })
    const down = track(reasonOf(await pidOf('slow')))
    const stopping = track(Server.stop(node, sup))
    await probe.expect(terminated('slow'))
    await clock.advance(999)
    assert.equal(down.done, false)
    await clock.advance(1)
    assert.equal(down.done, true, 'the child is still running its terminate')
    assert.equal(await down.promise, 'killed')
    await stopping.promise
  })
})
