/**
 * node.stop() settles every promise the API returned (issue 10, item 3): calls, direct requests,
 * spawns, monitors, offloads and application starts pending on any thread, and stop() itself
 * when a worker thread is held by a callback that never returns.
 */
import assert from 'node:assert/strict'
import { Node, Server, type Pid } from '../../src/index.ts'
import { FIXTURES } from '../helpers.ts'
import { HangingDirect, HangingInit, Silent, Spinner } from '../fixtures/shutdown.ts'

const SHUTDOWN = new URL('../fixtures/shutdown.ts', import.meta.url)
const JOBS = new URL('../fixtures/offload-jobs.ts', import.meta.url)

type Outcome = 'resolved' | { code: unknown }

/** Its outcome, handled from the start (a rejection at stop is expected, not unhandled). */
const outcome = (p: Promise<unknown>): Promise<Outcome> => p.then(() => 'resolved', (e: { code?: unknown }) => ({ code: e.code }))

/** Each outcome once settled, or 'pending' if it is not settled within `ms`. */
async function outcomes(promises: readonly Promise<Outcome>[], ms: number): Promise<(Outcome | 'pending')[]> {
  const pending = Symbol('pending')
  const timer = new Promise<typeof pending>((resolve) => setTimeout(resolve, ms, pending).unref())
  return Promise.all(promises.map(async (p) => {
    const r = await Promise.race([p, timer])
    return r === pending ? 'pending' : r
  }))
}

describe('node.stop() settles every pending promise', () => {
  it('rejects calls, direct requests, spawns and starts pending on every thread with a coded error', async () => {
    const node = await Node.start({ threads: 2, modules: [FIXTURES, SHUTDOWN], shutdownTimeout: 1000 })
    const silent: Pid[] = []
    for (const thread of [0, 1, 2]) silent.push(await node.spawn(Silent, undefined, { thread }))
    const direct = await node.spawn(HangingDirect, undefined, { thread: 2 })
    const calls = Array.from({ length: 99 }, (_, i) => outcome(node.call(silent[i % 3] as Pid, i, { timeout: 60_000 })))
    const requests = [outcome(node.direct(direct, 'x', { timeout: 60_000 }))]
    const spawns = [node.spawn(HangingInit, undefined, { thread: 1 }), node.spawn(HangingInit, undefined, { thread: 0 })].map(outcome)
    node.loadApplication({ name: 'hanging', children: [{ id: 'h', start: [HangingInit, undefined, { thread: 2 }] }] })
    const starts = [outcome(node.startApplication('hanging'))]
    const stops = [outcome(Server.stop(node, silent[1] as Pid, 'normal', 60_000))]
    const offloads = [outcome(node.offload(JOBS, 'blockFor', [5000, 'late']))]
    const monitors = silent.map((pid) => node.monitor(pid).down)
    const downs = monitors.map(outcome)
    await node.stop()
    const all = [...calls, ...requests, ...spawns, ...starts, ...offloads]
    const got = await outcomes([...all, ...downs, ...stops], 2000)
    assert.deepEqual(got.filter((x) => x === 'pending').length, 0, 'every promise settled')
    for (const [i, x] of got.slice(0, all.length).entries()) {
      assert.ok(typeof x === 'object' && typeof x.code === 'string' && x.code.startsWith('ERR_'), `promise ${i} rejected with a code: ${JSON.stringify(x)}`)
    }
    // A call whose target ended at shutdown fails with its reason, wherever the target ran.
    const codes = new Set(got.slice(0, calls.length).map((x) => (x as { code: string }).code))
    assert.deepEqual([...codes], ['ERR_CALL_EXIT'])
    // The stop request went before stop(): it was honoured, or the shutdown came first (its call
    // then fails with ERR_CALL_EXIT, reason 'shutdown').
    const stopped = got.at(-1)
    assert.ok(stopped === 'resolved' || (typeof stopped === 'object' && stopped.code === 'ERR_CALL_EXIT'), JSON.stringify(stopped))
    // Monitored processes ended: their DOWN resolves with the reason.
    const reasons = await Promise.all(monitors.map(async (d) => (await d).reason))
    assert.equal(reasons[0], 'shutdown')
    assert.ok(reasons[1] === 'normal' || reasons[1] === 'shutdown')
    assert.equal(reasons[2], 'shutdown')
  })

  it('rejects what is still pending when no DOWN can come any more with ERR_NODE_STOPPED', async () => {
    const node = await Node.start({ threads: 1, modules: [FIXTURES, SHUTDOWN], shutdownTimeout: 200 })
    const spinner = await node.spawn(Spinner, undefined, { thread: 1 })
    const silent = await node.spawn(Silent, undefined, { thread: 1 })
    node.send(spinner, 'spin')
    const call = outcome(node.call(silent, 'never answered', { timeout: 60_000 }))
    const down = node.monitor(silent).down
    // Thread 1 never answers its shutdown: stop() terminates it and settles anyway.
    const t0 = performance.now()
    await node.stop()
    assert.ok(performance.now() - t0 < 30_000)
    assert.deepEqual(await call, { code: 'ERR_NODE_STOPPED' })
    await assert.rejects(down, { code: 'ERR_NODE_STOPPED' })
  })

  it('rejects a monitor\'s down after demonitor with ERR_DEMONITORED', async () => {
    const node = await Node.start({ threads: 1, modules: [FIXTURES, SHUTDOWN] })
    try {
      const pid = await node.spawn(Silent, undefined, { thread: 1 })
      const m = node.monitor(pid)
      assert.equal(node.demonitor(m.ref), true)
      await assert.rejects(m.down, { code: 'ERR_DEMONITORED' })
    } finally {
      await node.stop()
    }
  })
})
