import assert from 'node:assert/strict'
import { Actor, type Node, type Pid } from '../../src/index.ts'
import type { Probe } from '../../src/testing/index.ts'
import { Puppet, SeqCounter } from '../fixtures/actors.ts'
import { ev, got, startNode, until, kill } from '../helpers.ts'

class Keeper extends Actor<void, unknown> {
  static last: unknown
  receive(m: unknown): void {
    Keeper.last = m
  }
}

describe('send', () => {
  let node: Node
  let probe: Probe
  before(async () => ({ node, probe } = await startNode()))
  after(() => node.stop())

  for (const [label, from, to] of [['within a thread', 1, 1], ['across threads', 1, 2], ['from main to a worker', 0, 2]] as const) {
    it(`delivers 1..1000 from one sender in order, ${label} (PROC-T1)`, async () => {
      const counter = await node.spawn(SeqCounter, undefined, { thread: to })
      const sender = await node.spawn(Puppet, { report: probe.pid }, { thread: from })
      node.send(sender, { cmd: 'send', to: counter, msg: 'x', count: 1000 })
      await until(async () => ((await node.call<{ count: number }>(counter, 'count')).count === 1000))
      assert.deepEqual(await node.call(counter, 'count'), { count: 1000, outOfOrder: 0 })
    })
  }

  it('throws ERR_UNKNOWN_NAME for an unregistered name; trySend returns false (PROC-T4)', () => {
    assert.throws(() => node.send('nobody-here', 'x'), { code: 'ERR_UNKNOWN_NAME' })
    assert.equal(node.trySend('nobody-here', 'x'), false)
  })

  it('drops a message to a dead pid, as Erlang does, and counts it in stats (PROC-T4)', async () => {
    for (const thread of [0, 2]) {
      const pid = await node.spawn(Puppet, { report: probe.pid }, { thread })
      await kill(node, pid)
      const before = (await node.stats()).deadLetters
      node.send(pid, 'into the void')
      assert.equal(node.trySend(pid, 'again'), true)
      await until(async () => (await node.stats()).deadLetters >= before + 2)
    }
  })

  it('fails at the send site with ERR_NOT_SERIALIZABLE for a function or class instance across threads', async () => {
    const remote = await node.spawn(Puppet, { report: probe.pid }, { thread: 2 })
    assert.throws(() => node.send(remote, { f: () => 1 }), (e: unknown) => {
      assert.equal((e as { code: string }).code, 'ERR_NOT_SERIALIZABLE')
      assert.match((e as Error).message, /message\.f/)
      return true
    })
    class Point {
      x = 1
    }
    assert.throws(() => node.send(remote, [new Point()]), { code: 'ERR_NOT_SERIALIZABLE' })
    assert.throws(() => node.send(remote, Symbol('s')), { code: 'ERR_NOT_SERIALIZABLE' })
    // The ring's codec stream is intact afterwards.
    node.send(remote, { ok: true })
    await probe.expect(got(remote, (v) => v.ok === true))
  })

  it('reports the error inside the sending process too, and the process decides (here: it survives)', async () => {
    const a = await node.spawn(Puppet, { report: probe.pid }, { thread: 1 })
    const b = await node.spawn(Puppet, { report: probe.pid }, { thread: 2 })
    node.send(a, { cmd: 'sendFunction', to: b })
    const r = await probe.expect<{ value: string }>(ev('send-threw', a))
    assert.equal(r.value, 'ERR_NOT_SERIALIZABLE')
  })

  it('hands a message over as is within a thread (no copy; messages are immutable by convention)', async () => {
    const keeper = await node.spawn(Keeper)
    const message = { big: [1, 2, 3] }
    node.send(keeper, message)
    await until(() => Keeper.last !== undefined)
    assert.equal(Keeper.last, message)
  })

  it('carries Pid, Ref, Error, Map, Set, Date, BigInt and byte arrays across threads', async () => {
    const remote = await node.spawn(Puppet, { report: probe.pid }, { thread: 1 })
    const error = Object.assign(new RangeError('bad range'), { code: 'ERR_X' })
    const value = {
      pid: remote, err: error, map: new Map([['k', 1]]), set: new Set([1, 2]), when: new Date(5), big: 2n ** 70n,
      bytes: new Uint8Array([1, 2, 3]), nested: { deep: [null, true, 'ü'] },
    }
    node.send(remote, value)
    const r = await probe.expect<{ value: typeof value }>(got(remote, (v) => v.pid !== undefined))
    const v = r.value
    assert.ok(v.pid.equals(remote))
    assert.ok(v.err instanceof RangeError)
    assert.equal(v.err.message, 'bad range')
    assert.equal((v.err as Error & { code: string }).code, 'ERR_X')
    assert.deepEqual(v.map, value.map)
    assert.deepEqual(v.set, value.set)
    assert.deepEqual(v.when, value.when)
    assert.equal(v.big, value.big)
    assert.deepEqual([...v.bytes], [1, 2, 3])
    assert.deepEqual(v.nested, value.nested)
  })
})

describe('send through a full ring', () => {
  let node: Node
  let probe: Probe
  before(async () => ({ node, probe } = await startNode({ ringBytes: 1024 })))
  after(() => node.stop())

  it('neither blocks nor drops a burst 100x the ring size, and keeps order', async () => {
    const counter = await node.spawn(SeqCounter, undefined, { thread: 2 })
    const sender = await node.spawn(Puppet, { report: probe.pid }, { thread: 1 })
    const count = 4000 // each frame is > 28 bytes: > 100 KiB through a 1 KiB ring
    node.send(sender, { cmd: 'send', to: counter, msg: 'payload-xyz', count })
    await until(async () => ((await node.call<{ count: number }>(counter, 'count')).count === count), 20_000)
    assert.deepEqual(await node.call(counter, 'count'), { count, outOfOrder: 0 })
    const stats = await node.stats()
    assert.ok((stats.threads[1]?.overflowed ?? 0) > 0, 'the overflow queue was used')
    assert.equal(stats.threads[1]?.overflowQueued, 0, 'and it drained')
  })

  it('carries a message larger than the whole ring, in order with its neighbours', async () => {
    const remote = await node.spawn(Puppet, { report: probe.pid }, { thread: 2 })
    const big = 'x'.repeat(10_000)
    node.send(remote, { n: 1 })
    node.send(remote, { n: 2, big })
    node.send(remote, { n: 3 })
    const seen: number[] = []
    for (let i = 0; i < 3; i++) {
      const r = await probe.expect<{ value: { n: number; big?: string } }>(got(remote, (v) => typeof v.n === 'number'))
      seen.push(r.value.n)
      if (r.value.n === 2) assert.equal(r.value.big, big)
    }
    assert.deepEqual(seen, [1, 2, 3])
  })

  it('delivers to a named process on another thread', async () => {
    const pid: Pid = await node.spawn(Puppet, { report: probe.pid }, { thread: 1, name: 'named-far' })
    node.send('named-far', { hello: 1 })
    await probe.expect(got(pid, (v) => v.hello === 1))
  })
})
