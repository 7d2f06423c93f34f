import assert from 'node:assert/strict'
import { Node, type Pid } from '../../src/index.ts'
import { Pinger } from '../../bench/actors.ts'
import { Puppet, SeqCounter } from '../fixtures/actors.ts'
import { probe } from '../../src/testing/index.ts'
import { FIXTURES, until } from '../helpers.ts'

const BENCH_ACTORS = new URL('../../bench/actors.ts', import.meta.url)

/**
 * With spinMicros 0 a scheduler announces sleep every time it runs out of work, so each round
 * trip below crosses the sleep/wake race twice. A lost wake-up would hang the test. Both sleeps
 * are driven: the light one (Atomics.wait) and the deep one (Atomics.waitAsync).
 */
for (const [sleep, lightSleepMs] of [['light sleep', 20], ['deep sleep', 0]] as const) describe(`doorbell: no lost wake-ups (${sleep})`, () => {
  let node: Node
  before(async () => {
    node = await Node.start({ threads: 2, spinMicros: 0, lightSleepMs, ringBytes: 1024, modules: [FIXTURES, BENCH_ACTORS] })
  })
  after(() => node.stop())

  it('completes 5000 cross-thread round trips with both threads sleeping between them', async () => {
    const a = await node.spawn(Pinger, undefined, { thread: 1 })
    const b = await node.spawn(Pinger, undefined, { thread: 2 })
    assert.equal(await node.call(a, { peer: b, rounds: 5000 }, { timeout: 60_000 }), 'done')
    const stats = await node.stats()
    assert.ok((stats.threads[2]?.sleeps ?? 0) > 1000, 'the receiver really slept between messages')
  })

  it('wakes a writer holding overflow when its reader frees space, again and again', async () => {
    const p = await probe(node)
    const counter = await node.spawn(SeqCounter, undefined, { thread: 2 })
    const sender = await node.spawn(Puppet, { report: p.pid }, { thread: 1 })
    // 10000 frames of ~40 bytes through a 1 KiB ring: the writer parks on overflow hundreds of times.
    node.send(sender, { cmd: 'send', to: counter, msg: 'overflowing', count: 10_000 })
    await until(async () => (await node.call<{ count: number }>(counter, 'count')).count === 10_000, 30_000)
    assert.deepEqual(await node.call(counter, 'count'), { count: 10_000, outOfOrder: 0 })
  })
})

describe('a pid is live as soon as anyone holds it', () => {
  it('delivers to a process whose spawn frame is stuck behind a full ring (held, then replayed)', async () => {
    const node = await Node.start({ threads: 2, ringBytes: 1024, modules: [FIXTURES, BENCH_ACTORS] })
    try {
      const p = await probe(node)
      const sink = await node.spawn(SeqCounter, undefined, { thread: 2 })
      const spawner = await node.spawn(Puppet, { report: p.pid }, { thread: 1 })
      // One callback: 5000 frames to thread 2 fill its ring, so the SPAWN queues behind them,
      // while the child's pid reaches main at once on another ring.
      node.send(spawner, { cmd: 'batch', commands: [
        { cmd: 'send', to: sink, msg: 'filler', count: 5000 },
        { cmd: 'spawn', args: { report: p.pid, tag: 'late-born' }, options: { thread: 2 } },
      ] })
      const child = ((await p.expect((m) => (m as { event?: string }).event === 'spawned')) as { value: Pid }).value
      const m = node.monitor(child)
      node.send(child, { hello: 'early' })
      await p.expect((x) => {
        const r = x as { event?: string; from?: Pid; value?: { hello?: string } }
        return r.event === 'got' && r.from !== undefined && r.from.equals(child) && r.value?.hello === 'early'
      })
      node.exit(child, 'bye')
      assert.equal((await m.down).reason, 'bye', 'the early monitor was held too, not answered noproc')
    } finally {
      await node.stop()
    }
  })
})
