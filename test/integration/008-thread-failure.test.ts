import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { Node, Pid, Ref } from '../../src/index.ts'
import type { Probe } from '../../src/testing/index.ts'
import { Puppet, ThreadKiller, type Report } from '../fixtures/actors.ts'
import { ev, got, startNode, until } from '../helpers.ts'

describe('thread failure', () => {
  let node: Node
  let probe: Probe
  before(async () => ({ node, probe } = await startNode({ threads: 2 })))
  after(() => node.stop())

  it('keeps a thread alive when a process there dies with a reason that cannot cross threads: the reason arrives as text', async () => {
    const victim = await node.spawn(Puppet, { report: probe.pid }, { thread: 2 })
    const watcher = node.monitor(victim)
    let threadDown = false
    const onDown = (): void => { threadDown = true }
    node.on('threadDown', onDown)
    try {
      node.send(victim, { cmd: 'throwUnserializable', message: 'bad state' })
      const reason = (await watcher.down).reason as Error & { code?: string; reason?: unknown }
      assert.ok(reason instanceof Error)
      assert.equal(reason.message, 'bad state')
      assert.equal(reason.code, 'E_BAD')
      assert.equal(reason.reason, '{"handler":"[function onEvent]","n":1}')
      // The thread still serves: a new process there answers.
      const next = await node.spawn(Puppet, { report: probe.pid }, { thread: 2 })
      assert.equal(next.thread, 2)
      assert.equal(threadDown, false)
    } finally {
      node.off('threadDown', onDown)
    }
  })

  // A throw outside any process no longer ends its thread (it is reported: 037-stray-promises);
  // process.exit in a worker still does.
  for (const how of ['exit'] as const) {
    it('fires noconnection everywhere and starts a replacement when a worker calls process.exit', async () => {
      const victim = await node.spawn(Puppet, { report: probe.pid }, { thread: 2, name: `victim-${how}` })
      const trapper = await node.spawn(Puppet, { report: probe.pid, trap: true }, { thread: 1 })
      const plain = await node.spawn(Puppet, { report: probe.pid }, { thread: 1 })
      const mainSide = await node.spawn(Puppet, { report: probe.pid, trap: true }, { thread: 0 })
      for (const p of [trapper, plain, mainSide]) {
        node.send(p, { cmd: 'link', pid: victim })
        await probe.expect(ev('linked', p))
      }
      node.send(trapper, { cmd: 'monitor', target: victim })
      const ref = (await probe.expect<Report>(ev('monitoring', trapper))).value as Ref
      const nodeMonitor = node.monitor(victim)
      const plainMonitor = node.monitor(plain)
      const inFlight = node.call(victim, { never: true }, { timeout: 60_000 })
      const killer = await node.spawn(ThreadKiller, { how }, { thread: 2 })

      const down = once(node, 'threadDown')
      const up = once(node, 'threadUp')
      node.send(killer, { how })
      const [k, why] = await down
      assert.equal(k, 2)
      assert.ok(why instanceof Error)

      assert.equal((await nodeMonitor.down).reason, 'noconnection')
      await probe.expect(got(trapper, (v) => v.type === 'EXIT' && v.reason === 'noconnection' && (v.from as Pid).equals(victim)))
      await probe.expect(got(trapper, (v) => v.type === 'DOWN' && (v.ref as Ref).equals(ref) && v.reason === 'noconnection'))
      await probe.expect(got(mainSide, (v) => v.type === 'EXIT' && v.reason === 'noconnection'))
      assert.equal((await plainMonitor.down).reason, 'noconnection', 'a non-trapping linked process dies with noconnection')
      await assert.rejects(inFlight, { code: 'ERR_CALL_EXIT', reason: 'noconnection' })
      await until(() => node.whereis(`victim-${how}`) === undefined)

      assert.deepEqual(await up, [2])
      const fresh = await node.spawn(Puppet, { report: probe.pid }, { thread: 2, name: `victim-${how}` })
      assert.equal(fresh.thread, 2)
      assert.ok(fresh.key > victim.key, 'the replacement thread does not reuse pids')
      const reply = await node.call<{ echo: string }>(fresh, { echo: 'back' })
      assert.equal(reply.echo, 'back')
      // Messages and links between the surviving thread and the new one work again.
      node.send(trapper, { cmd: 'link', pid: fresh })
      await probe.expect(ev('linked', trapper))
      // link is asynchronous across threads (as in Erlang): wait until fresh holds its half.
      await until(async () => {
        node.send(fresh, { cmd: 'links' })
        const r = await probe.expect<Report>(ev('links', fresh))
        return (r.value as Pid[]).some((p) => p.equals(trapper))
      })
      node.exit(fresh, 'again')
      await probe.expect(got(trapper, (v) => v.type === 'EXIT' && v.reason === 'again'))
      assert.ok((await node.stats()).threadRestarts >= 1)
    })
  }

  it('places a spawn aimed at a thread that is restarting once the thread is back', async () => {
    const killer = await node.spawn(ThreadKiller, { how: 'exit' }, { thread: 1 })
    const down = once(node, 'threadDown')
    node.send(killer, { how: 'exit' })
    await down
    const pid = await node.spawn(Puppet, { report: probe.pid, tag: 'parked' }, { thread: 1 })
    assert.equal(pid.thread, 1)
    await probe.expect((m) => (m as Report).tag === 'parked' && (m as Report).event === 'started')
  })
})

describe('thread failure without restart (restartThreads: false)', () => {
  it('leaves the thread down and fails spawns aimed at it with ERR_THREAD_DOWN', async () => {
    const { node, probe } = await startNode({ threads: 2, restartThreads: false })
    try {
      node.on('threadDown', () => {})
      const killer = await node.spawn(ThreadKiller, { how: 'exit' }, { thread: 2 })
      const gone = once(node, 'threadGone')
      node.send(killer, { how: 'exit' })
      assert.deepEqual(await gone, [2])
      await assert.rejects(node.spawn(Puppet, { report: probe.pid }, { thread: 2 }), { code: 'ERR_THREAD_DOWN' })
      const any = await node.spawn(Puppet, { report: probe.pid }, { thread: 'any' })
      assert.equal(any.thread, 1, "thread: 'any' skips the dead thread")
      assert.equal((await node.stats()).threads.length, 2, 'stats cover the live threads')
    } finally {
      await node.stop()
    }
  })
})
