/**
 * Pool (SEMANTICS §5): workers spread over the threads, round-robin / random / least-busy
 * forwarding of calls, casts and messages, restart in the same slot (watched again, D10),
 * busy workers skipped, the pool's death taking its workers, a worker's death failing its calls.
 */
import assert from 'node:assert/strict'
import { Node, Pool, Server, hasCode, type Pid } from '../../src/index.ts'
import { VirtualClock, probe as makeProbe, type Probe } from '../../src/testing/index.ts'
import { PoolWorker, type WorkerEvent } from '../fixtures/pool.ts'

const FIXTURES = new URL('../fixtures/pool.ts', import.meta.url)
const is = (event: WorkerEvent['event']) => (m: unknown): boolean => (m as WorkerEvent).event === event

describe('Pool', function () {
  this.timeout(10000)
  let node: Node
  let probe: Probe

  before(async () => {
    node = await Node.start({ threads: 3, modules: [FIXTURES] })
  })
  after(() => node.stop())
  beforeEach(async () => {
    probe = await makeProbe(node)
  })

  const startPool = async (more: object = {}): Promise<{ pool: Pid; workers: Pid[] }> => {
    const pool = await node.spawn(Pool, { worker: PoolWorker, args: { report: probe.pid }, size: 3, ...more })
    const workers = (await Pool.workers(node, pool)) as Pid[]
    return { pool, workers }
  }

  it('POOL-T1 starts its workers at init, spread over the worker threads', async () => {
    const { pool, workers } = await startPool()
    assert.equal(workers.length, 3)
    assert.deepEqual(workers.map((w) => w.thread), [1, 2, 3])
    for (let i = 0; i < 3; i++) await probe.expect(is('up'))
    assert.deepEqual(await Pool.stats(node, pool), { size: 3, live: 3, restarts: 0, forwarded: 0, inFlight: [0, 0, 0] })
    await Server.stop(node, pool)
  })

  it('POOL-T2 forwards casts and plain messages round-robin: 9 casts → 3 each, in rotation', async () => {
    const { pool, workers } = await startPool()
    for (let i = 0; i < 9; i++) node.cast(pool, { tag: i })
    const got = new Map<number, Pid>()
    for (let i = 0; i < 9; i++) {
      const e = (await probe.expect(is('cast'))) as WorkerEvent
      got.set(e.value as number, e.worker)
    }
    for (let i = 0; i < 9; i++) assert.ok(got.get(i)?.equals(workers[i % 3] as Pid), `cast ${i} went to worker ${i % 3}`)
    node.send(pool, 'hello')
    assert.ok(((await probe.expect(is('info'))) as WorkerEvent).worker.equals(workers[0] as Pid))
    await Server.stop(node, pool)
  })

  it('POOL-T3 a call is answered by a worker, in rotation', async () => {
    const { pool, workers } = await startPool()
    const answers: Pid[] = []
    for (let i = 0; i < 6; i++) answers.push(((await node.call(pool, 'whoami')) as { pid: Pid }).pid)
    assert.deepEqual(answers.map((p) => p.toString()), [...workers, ...workers].map((p) => p.toString()))
    await Server.stop(node, pool)
  })

  it('POOL-T4/T5 a dead worker is replaced in its slot every time, and the rotation goes on', async () => {
    const { pool, workers } = await startPool()
    for (let i = 0; i < 3; i++) await probe.expect(is('up'))
    let current = workers[1] as Pid
    for (let round = 0; round < 3; round++) {
      const m = node.monitor(current)
      node.exit(current, 'kill')
      await m.down
      const up = (await probe.expect(is('up'))) as WorkerEvent
      assert.equal(up.worker.thread, 2, 'same slot, same thread')
      current = up.worker
      const now = (await Pool.workers(node, pool)) as Pid[]
      assert.ok(now[1]?.equals(current))
      assert.ok(now[0]?.equals(workers[0] as Pid) && now[2]?.equals(workers[2] as Pid))
    }
    assert.equal((await Pool.stats(node, pool)).restarts, 3)
    const answers = new Set<string>()
    for (let i = 0; i < 3; i++) answers.add(((await node.call(pool, 'whoami')) as { pid: Pid }).pid.toString())
    assert.equal(answers.size, 3)
    await Server.stop(node, pool)
  })

  it('POOL-T7 the pool dying takes its workers with it', async () => {
    const { pool, workers } = await startPool()
    const downs = workers.map((w) => node.monitor(w).down)
    node.exit(pool, 'kill')
    assert.deepEqual((await Promise.all(downs)).map((d) => d.reason), ['killed', 'killed', 'killed'])
  })

  it('POOL-T8 a worker that dies mid-call fails the call at once with its reason', async () => {
    const { pool } = await startPool()
    await assert.rejects(node.call(pool, { crash: 'boom' }, { timeout: 60_000 }),
      (e: { reason?: unknown }) => hasCode(e, 'ERR_CALL_EXIT') && (e.reason as Error).message === 'boom')
    await probe.expect(is('up'))
    assert.equal((await Pool.stats(node, pool)).live, 3)
    await Server.stop(node, pool)
  })

  it('forwards a call with the caller\'s from: the pool holds nothing for it, and the worker answers the caller', async () => {
    const { pool, workers } = await startPool()
    const slow = node.call(pool, { sleep: 200 }, { timeout: 60_000 })
    // Round-robin forwards: the pool does not learn completions, so no call is in hand there.
    assert.deepEqual((await Pool.stats(node, pool)).inFlight, [0, 0, 0])
    assert.ok(((await slow) as Pid).equals(workers[0] as Pid))
    assert.equal((await Pool.stats(node, pool)).forwarded, 1)
    await Server.stop(node, pool)
  })

  it('a forwarded call fails at once when the pool dies with its worker mid-call', async () => {
    const { pool } = await startPool()
    const t0 = performance.now()
    const slow = node.call(pool, { sleep: 5000 }, { timeout: 60_000 })
    await Pool.stats(node, pool) // the call has been forwarded
    node.exit(pool, 'kill')
    await assert.rejects(slow, (e: { reason?: unknown }) => hasCode(e, 'ERR_CALL_EXIT') && e.reason === 'killed')
    assert.ok(performance.now() - t0 < 4000, 'failed before the worker would have answered')
  })

  it('a forwarded call that times out at the caller does not disturb the calls after it', async () => {
    const { pool, workers } = await startPool()
    await assert.rejects(node.call(pool, { sleep: 300 }, { timeout: 20 }), (e) => hasCode(e, 'ERR_CALL_TIMEOUT'))
    const answers: string[] = []
    for (let i = 0; i < 3; i++) answers.push(((await node.call(pool, 'whoami')) as { pid: Pid }).pid.toString())
    assert.deepEqual(answers, [workers[1], workers[2], workers[0]].map(String))
    await Server.stop(node, pool)
  })

  it('least_busy sends a call to the worker with the fewest calls in hand', async () => {
    const { pool, workers } = await startPool({ strategy: 'least_busy', size: 2 })
    const slow = node.call(pool, { sleep: 300 })
    const busy = ((await Pool.stats(node, pool)).inFlight)
    assert.deepEqual(busy, [1, 0])
    for (let i = 0; i < 3; i++) assert.ok(((await node.call(pool, 'whoami')) as { pid: Pid }).pid.equals(workers[1] as Pid))
    assert.ok(((await slow) as Pid).equals(workers[0] as Pid))
    await Server.stop(node, pool)
  })

  it('random reaches every worker', async () => {
    const { pool } = await startPool({ strategy: 'random' })
    const seen = new Set<string>()
    for (let i = 0; i < 60 && seen.size < 3; i++) seen.add(((await node.call(pool, 'whoami')) as { pid: Pid }).pid.toString())
    assert.equal(seen.size, 3)
    await Server.stop(node, pool)
  })

  it('with an intensity, too many worker deaths end the pool with shutdown', async () => {
    const { pool, workers } = await startPool({ intensity: 1, period: 3600 })
    const m = node.monitor(pool)
    node.exit(workers[0] as Pid, 'kill')
    await probe.expect(is('up'))
    node.exit(workers[1] as Pid, 'kill')
    assert.equal((await m.down).reason, 'shutdown')
  })

  it('POOL-T9/T10 addWorkers and removeWorkers change the rotation; removed workers exit normal; pool requests are not forwarded', async () => {
    const { pool, workers } = await startPool()
    assert.equal(await Pool.addWorkers(node, pool, 3), 6)
    const six = (await Pool.workers(node, pool)) as Pid[]
    assert.deepEqual(six.slice(0, 3).map(String), workers.map(String))
    const answers = new Set<string>()
    for (let i = 0; i < 6; i++) answers.add(((await node.call(pool, 'whoami')) as { pid: Pid }).pid.toString())
    assert.equal(answers.size, 6)
    const downs = six.slice(1).map((w) => node.monitor(w).down)
    assert.equal(await Pool.removeWorkers(node, pool, 5), 1)
    assert.deepEqual((await Promise.all(downs)).map((d) => d.reason), ['normal', 'normal', 'normal', 'normal', 'normal'])
    for (let i = 0; i < 3; i++) assert.ok(((await node.call(pool, 'whoami')) as { pid: Pid }).pid.equals(six[0] as Pid))
    assert.equal((await Pool.stats(node, pool)).size, 1)
    await assert.rejects(Pool.addWorkers(node, pool, 0), (e) => hasCode(e, 'ERR_INVALID_ARG_VALUE'))
    await Server.stop(node, pool)
  })

  it('rejects a bad spec at start', async () => {
    await assert.rejects(node.spawn(Pool, { worker: PoolWorker, size: 0 }),
      (e: { reason?: unknown }) => hasCode(e, 'ERR_INIT_FAILED') && hasCode(e.reason, 'ERR_INVALID_ARG_VALUE'))
    await assert.rejects(node.spawn(Pool, { worker: PoolWorker, strategy: 'fastest' as never }),
      (e: { reason?: unknown }) => hasCode(e, 'ERR_INIT_FAILED') && hasCode(e.reason, 'ERR_INVALID_ARG_VALUE'))
  })
})

describe('Pool on one thread (virtual clock)', () => {
  it('POOL-T6 a worker with a full mailbox is skipped; when all are full, a call fails ERR_POOL_BUSY', async () => {
    const clock = new VirtualClock()
    const node = await Node.start({ threads: 0, clock, modules: [FIXTURES] })
    try {
      const probe = await makeProbe(node)
      const pool = await node.spawn(Pool, { worker: PoolWorker, args: { report: probe.pid }, size: 2, workerOptions: { mailboxSize: 1 } })
      const [a, b] = (await Pool.workers(node, pool)) as Pid[]
      // Both workers busy in a 1 s call (their mailboxes empty, one slot each).
      const held = [node.call(pool, { sleep: 1000 }), node.call(pool, { sleep: 1000 })]
      await clock.settle()
      node.cast(pool, { tag: 'x' }) // → a's mailbox (now full)
      node.cast(pool, { tag: 'y' }) // → b's mailbox (now full)
      node.cast(pool, { tag: 'z' }) // both full: dropped (a warning)
      await assert.rejects(node.call(pool, 'whoami'), (e) => hasCode(e, 'ERR_POOL_BUSY'))
      await clock.advance(1000)
      await Promise.all(held)
      const casts = [(await probe.expect(is('cast'))) as WorkerEvent, (await probe.expect(is('cast'))) as WorkerEvent]
      assert.deepEqual(casts.map((c) => [c.value, c.worker.toString()]).sort(), [['x', a?.toString()], ['y', b?.toString()]])
      // One thread, and advance has let it settle: a cast of z would be recorded by now.
      assert.deepEqual(probe.pending.filter((m) => is('cast')(m) && (m as WorkerEvent).value === 'z'), [])
    } finally {
      await node.stop()
    }
  })
})
