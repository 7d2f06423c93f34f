/**
 * The test kit's Probe: expectNoneBefore proves "nothing happened" with a marker sent after it
 * instead of a time window; it looks only at what was recorded before the marker.
 */
import assert from 'node:assert/strict'
import { Actor, Node } from '../../src/index.ts'
import { probe as makeProbe, type Probe } from '../../src/testing/index.ts'

/** Ends when it gets 'stop'. */
class Quiet extends Actor<void, unknown> {
  receive(m: unknown): void {
    if (m === 'stop') this.stop('normal')
  }
}

describe('Probe', () => {
  let node: Node
  let probe: Probe
  const is = (tag: string) => (m: unknown): boolean => (m as { tag?: string }).tag === tag

  beforeEach(async () => {
    node = await Node.start({ threads: 0 })
    probe = await makeProbe(node)
  })
  afterEach(() => node.stop())

  it('expectNoneBefore resolves with the marker, taking only it, when nothing matching came before it', async () => {
    node.send(probe.pid, { tag: 'other' })
    node.send(probe.pid, { tag: 'marker' })
    assert.deepEqual(await probe.expectNoneBefore(is('unwanted'), is('marker')), { tag: 'marker' })
    assert.deepEqual(probe.pending, [{ tag: 'other' }])
  })

  it('expectNoneBefore rejects with a matching message recorded before the marker, also one that came while it waited', async () => {
    node.send(probe.pid, { tag: 'unwanted' })
    node.send(probe.pid, { tag: 'marker' })
    await assert.rejects(probe.expectNoneBefore(is('unwanted'), is('marker')), /unexpected message .*unwanted.* before the marker/)
    probe.clear()
    const waiting = probe.expectNoneBefore(is('unwanted'), is('marker'))
    node.send(probe.pid, { tag: 'unwanted' })
    node.send(probe.pid, { tag: 'marker' })
    await assert.rejects(waiting, /unexpected message/)
  })

  it('expectNoneBefore ignores what comes after the marker', async () => {
    const waiting = probe.expectNoneBefore(is('unwanted'), is('marker'))
    node.send(probe.pid, { tag: 'marker' })
    node.send(probe.pid, { tag: 'unwanted' })
    await waiting
    await probe.expect(is('unwanted'))
  })

  it('expectNoneBefore takes a monitor Ref as the marker: its DOWN', async () => {
    const pid = await node.spawn(Quiet)
    const ref = probe.monitor(pid)
    node.send(probe.pid, { tag: 'from-before' })
    node.send(pid, 'stop')
    const down = await probe.expectNoneBefore(is('unwanted'), ref)
    assert.equal((down as { reason: unknown }).reason, 'normal')
    await assert.rejects(probe.expectNoneBefore(is('from-before'), probe.monitor(pid)), /unexpected message/)
  })
})
