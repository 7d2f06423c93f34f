/**
 * PartitionSupervisor: one partition per worker thread, keys routed by hash from any thread,
 * a crashed partition restarted on its thread under its name.
 */
import assert from 'node:assert/strict'
import { Node, PartitionSupervisor, Server, Supervisor, hasCode, type Pid } from '../../src/index.ts'
import { Router, WordCounter } from '../fixtures/partition.ts'

const FIXTURES = new URL('../fixtures/partition.ts', import.meta.url)

describe('PartitionSupervisor', function () {
  this.timeout(10000)
  let node: Node

  before(async () => {
    node = await Node.start({ threads: 3, modules: [FIXTURES] })
  })
  after(() => node.stop())

  it('starts one partition per worker thread, each registered as name:k on thread 1 + k', async () => {
    const sup = await node.spawn(PartitionSupervisor, { name: 'words', child: { id: 'c', start: [WordCounter] } })
    assert.equal((await Supervisor.countChildren(node, sup)).active, 3)
    for (let k = 0; k < 3; k++) assert.deepEqual(await node.call(`words:${k}`, 'whoami'), { partition: k, thread: 1 + k })
    await Server.stop(node, sup)
    assert.equal(node.whereis('words:0'), undefined)
  })

  it('routes a key to the same partition from every thread', async () => {
    const sup = await node.spawn(PartitionSupervisor, { name: 'wc', partitions: 4, child: { id: 'c', start: [WordCounter] } })
    const routers: Pid[] = []
    for (let t = 0; t <= 3; t++) routers.push(await node.spawn(Router, { name: 'wc', partitions: 4 }, { thread: t }))
    const words = ['apple', 'pear', 'fig', 'kiwi', 'plum', 'lime']
    for (const w of words) {
      const expected = Number(PartitionSupervisor.partition('wc', w, 4).split(':')[1])
      for (const r of routers) assert.equal(await node.call(r, { word: w }), expected)
    }
    // Every router's count for a word landed in the one partition that owns it.
    for (const w of words) assert.equal(await node.call(PartitionSupervisor.partition('wc', w, 4), { get: w }), routers.length)
    await Server.stop(node, sup)
  })

  it('restarts a crashed partition on its thread under the same name', async () => {
    const sup = await node.spawn(PartitionSupervisor, { name: 'p', child: { id: 'c', start: [WordCounter] } })
    const before = node.whereis('p:1') as Pid
    const m = node.monitor(before)
    node.cast('p:1', 'crash')
    await m.down
    let after: Pid | undefined
    while ((after = node.whereis('p:1')) === undefined || after.equals(before)) await new Promise((r) => setImmediate(r))
    assert.equal(after.thread, before.thread)
    assert.deepEqual(await node.call('p:1', 'whoami'), { partition: 1, thread: 2 })
    await Server.stop(node, sup)
  })

  it('rejects a child whose start is not a class tuple, and bad partition counts', async () => {
    await assert.rejects(node.spawn(PartitionSupervisor, { name: 'x', child: { id: 'c', start: () => 'ignore' } }),
      (e: { reason?: unknown }) => hasCode(e, 'ERR_INIT_FAILED') && hasCode(e.reason, 'ERR_INVALID_ARG_TYPE'))
    assert.throws(() => PartitionSupervisor.partition('x', 'k', 0), (e) => hasCode(e, 'ERR_INVALID_ARG_VALUE'))
  })
})
