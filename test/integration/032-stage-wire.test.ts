/**
 * What stages put on the wire (SEMANTICS §7.1 wire protocol), seen by a producer written by hand
 * (RawProducer reports every stage message it gets), so a mixed implementation that reads the
 * fields gets the right data.
 */
import assert from 'node:assert/strict'
import { Node, Server, Stage, type Pid, type Ref } from '../../src/index.ts'
import { probe as makeProbe, type Probe } from '../../src/testing/index.ts'
import { Collector } from '../fixtures/stages.ts'
import { RawProducer } from '../fixtures/consumer-supervision.ts'

const MODULES = [new URL('../fixtures/stages.ts', import.meta.url), new URL('../fixtures/consumer-supervision.ts', import.meta.url)]

interface Heard { $stage: string; consumer?: Pid; tag?: Ref; reason?: unknown; n?: number }

describe('Stage wire messages', function () {
  this.timeout(15000)
  let node: Node
  let probe: Probe

  before(async () => {
    node = await Node.start({ threads: 2, modules: MODULES })
  })
  after(() => node.stop())
  beforeEach(async () => {
    probe = await makeProbe(node)
  })

  const heard = async (): Promise<Heard> =>
    ((await probe.expect((m) => (m as { event?: string }).event === 'raw')) as { message: Heard }).message

  it('Stage.cancel sends the producer a cancel naming the subscription\'s consumer and tag', async () => {
    const raw = await node.spawn(RawProducer, { report: probe.pid }, { thread: 1 })
    const consumer = await node.spawn(Collector, { report: probe.pid }, { thread: 2 })
    const from = await Stage.subscribe(node, consumer, { to: raw, maxDemand: 5 })
    assert.equal((await heard()).$stage, 'subscribe')
    assert.equal((await heard()).$stage, 'ask')
    Stage.cancel(node, from, 'enough')
    const cancel = await heard()
    assert.equal(cancel.$stage, 'cancel')
    assert.equal(cancel.reason, 'enough')
    assert.ok(cancel.tag?.equals(from.tag) === true)
    assert.ok(cancel.consumer?.equals(consumer) === true, `consumer is ${String(cancel.consumer)}, expected ${String(consumer)}`)
    for (const p of [consumer, raw]) await Server.stop(node, p)
  })
})
