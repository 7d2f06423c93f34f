import assert from 'node:assert/strict'
import { Actor, Pid, type Node } from '../../src/index.ts'
import { VirtualClock, type Probe } from '../../src/testing/index.ts'
import { BadInit, Puppet } from '../fixtures/actors.ts'
import { FIXTURES, ev, startNode, kill } from '../helpers.ts'

/** Not exported by any module in `modules`: can only run on the thread that spawns it. */
class LocalOnly extends Actor<void, unknown> {
  receive(): void {}
}

describe('spawn', () => {
  let node: Node
  let probe: Probe
  before(async () => ({ node, probe } = await startNode({ threads: 3 })))
  after(() => node.stop())

  it('places a spawn from the node on a worker thread by default, on thread n, or by key', async () => {
    const spread = await node.spawn(Puppet, { report: probe.pid })
    assert.ok(spread.thread >= 1 && spread.thread <= 3, `a worker thread, got ${spread.thread}`)
    for (const t of [0, 1, 2, 3]) assert.equal((await node.spawn(Puppet, { report: probe.pid }, { thread: t })).thread, t)
    const k1 = await node.spawn(Puppet, { report: probe.pid }, { key: 'user:42' })
    const k2 = await node.spawn(Puppet, { report: probe.pid }, { key: 'user:42' })
    assert.equal(k1.thread, k2.thread)
    assert.ok(k1.thread >= 1 && k1.thread <= 3, 'keys land on worker threads')
  })

  it('spreads a burst of spawns from the node over every worker thread, none on the main thread', async () => {
    const pids = await Promise.all(Array.from({ length: 30 }, () => node.spawn(Puppet, { report: probe.pid })))
    const per = [0, 0, 0, 0]
    for (const pid of pids) per[pid.thread]! += 1
    assert.equal(per[0], 0)
    for (const t of [1, 2, 3]) assert.ok(per[t]! >= 5, `thread ${t} got ${per[t]} of 30: ${per.join(',')}`)
    for (const pid of pids) kill(node, pid)
  })

  it('keeps a spawn from the node on the main thread when it cannot travel: a class in no module, args with a function', async () => {
    assert.equal((await node.spawn(LocalOnly)).thread, 0)
    const withFunction = await node.spawn(Puppet, { report: probe.pid, tag: 'x', onDone: () => {} } as never)
    assert.equal(withFunction.thread, 0)
  })

  it('keeps a spawn inside a process on that process\'s thread by default', async () => {
    const parent = await node.spawn(Puppet, { report: probe.pid }, { thread: 2 })
    node.send(parent, { cmd: 'spawnLink', args: { report: probe.pid } })
    const child = ((await probe.expect(ev('spawned', parent))) as { value: Pid }).value
    assert.equal(child.thread, 2)
    kill(node, parent)
  })

  it("spreads thread: 'any' over the least loaded worker threads", async () => {
    const threads = new Set<number>()
    for (let i = 0; i < 6; i++) threads.add((await node.spawn(Puppet, { report: probe.pid }, { thread: 'any' })).thread)
    assert.ok(threads.size >= 2, `expected several threads, got ${[...threads].join(',')}`)
    assert.ok(!threads.has(0))
  })

  it('gives unique pids that print as <node.thread.id.serial> and compare by value', async () => {
    const a = await node.spawn(Puppet, { report: probe.pid }, { thread: 1 })
    const b = await node.spawn(Puppet, { report: probe.pid }, { thread: 1 })
    assert.ok(!a.equals(b))
    assert.match(a.toString(), /^<0\.1\.\d+\.\d+>$/)
    const copy = new Pid(a.node, a.id, a.serial, a.creation)
    assert.ok(copy.equals(a))
  })

  it('runs init before resolving, with its args, on the target thread', async () => {
    const pid = await node.spawn(Puppet, { report: probe.pid, tag: 'hello' }, { thread: 2 })
    const started = await probe.expect(ev('started', pid))
    assert.equal((started as { tag: string }).tag, 'hello')
  })

  it('rejects with ERR_INIT_FAILED, carrying the thrown error as reason, when init throws', async () => {
    for (const thread of [0, 2]) {
      await assert.rejects(node.spawn(BadInit, { why: 'no config' }, { thread }), (e: unknown) => {
        const err = e as { code: string; reason: Error }
        assert.equal(err.code, 'ERR_INIT_FAILED')
        assert.equal(err.reason.message, 'no config')
        return true
      })
    }
  })

  it('names the module and export it could not find (ERR_UNKNOWN_BEHAVIOUR)', async () => {
    await assert.rejects(node.spawn({ module: FIXTURES.href, export: 'Nope' }), (e: unknown) => {
      assert.equal((e as { code: string }).code, 'ERR_UNKNOWN_BEHAVIOUR')
      assert.match((e as Error).message, /"Nope"/)
      assert.match((e as Error).message, /actors\.ts/)
      return true
    })
    const pid = await node.spawn({ module: FIXTURES.href, export: 'Puppet' }, { report: probe.pid }, { thread: 1 })
    assert.equal(pid.thread, 1)
  })

  it('refuses to place a class no module exports on another thread (ERR_BEHAVIOUR_NOT_REGISTERED)', async () => {
    await assert.rejects(node.spawn(LocalOnly, undefined, { thread: 1 }), { code: 'ERR_BEHAVIOUR_NOT_REGISTERED' })
    const local = await node.spawn(LocalOnly)
    assert.equal(local.thread, 0)
  })

  it('rejects bad spawn options and non-behaviours with coded errors', async () => {
    await assert.rejects(node.spawn(Puppet, { report: probe.pid }, { thread: 9 }), { code: 'ERR_INVALID_ARG_VALUE' })
    await assert.rejects(node.spawn(Puppet, { report: probe.pid }, { thread: 1, key: 'k' }), { code: 'ERR_INVALID_ARG_VALUE' })
    await assert.rejects(node.spawn(Puppet, { report: probe.pid }, { colour: 'red' } as never), { code: 'ERR_UNKNOWN_OPTION' })
    await assert.rejects(node.spawn((() => 1) as never), { code: 'ERR_NOT_A_BEHAVIOUR' })
  })

  it('fails at the spawn site when args cannot cross threads (ERR_NOT_SERIALIZABLE)', async () => {
    await assert.rejects(node.spawn(Puppet, { report: probe.pid, fn: () => 1 } as never, { thread: 1 }), {
      code: 'ERR_NOT_SERIALIZABLE',
    })
  })

  it('counts live processes per thread in stats', async () => {
    const before = await node.stats()
    const pid = await node.spawn(Puppet, { report: probe.pid }, { thread: 3 })
    const after = await node.stats()
    assert.equal(after.processes, before.processes + 1)
    await kill(node, pid)
    assert.equal((await node.stats()).processes, before.processes)
  })
})

describe('spawn on a virtual clock', () => {
  it('keeps a spawn from the node on the main thread, whose timers follow the clock', async () => {
    const { node, probe } = await startNode({ threads: 2, clock: new VirtualClock() })
    try {
      assert.equal((await node.spawn(Puppet, { report: probe.pid })).thread, 0)
      assert.equal((await node.spawn(Puppet, { report: probe.pid }, { thread: 'any' })).thread >= 1, true)
    } finally {
      await node.stop()
    }
  })
})
