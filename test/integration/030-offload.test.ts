/**
 * Offload (issue 4 item 6): blocking functions run on the node's piscina pool, so the thread of
 * the process that offloads keeps serving its other processes; failures come back coded.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { Node, Server, type Pid } from '../../src/index.ts'
import { probe, type Probe } from '../../src/testing/index.ts'
import { Offloader, Pinger, type OffloadOrder } from '../fixtures/offload-actors.ts'

const ACTORS = new URL('../fixtures/offload-actors.ts', import.meta.url)
const JOBS = new URL('../fixtures/offload-jobs.ts', import.meta.url)

interface Outcome {
  ok: boolean
  value?: unknown
  code?: string
  reason?: { name?: string; message?: string; code?: string }
  message?: string
  thread?: number
}

describe('offload', function () {
  this.timeout(20_000)
  let node: Node
  let p: Probe

  before(async () => {
    node = await Node.start({ threads: 1, modules: [ACTORS], offloadThreads: 2 })
    p = await probe(node)
  })
  after(() => node.stop())

  const isOutcome = (m: unknown): m is Outcome => typeof m === 'object' && m !== null && 'ok' in m

  async function offloadFrom(offloader: Pid, order: Omit<OffloadOrder, 'report'>): Promise<Outcome> {
    node.send(offloader, { ...order, report: p.pid })
    return p.expect<Outcome>(isOutcome, 15_000)
  }

  it('keeps a thread responsive: a process answers calls while another on its thread waits 2 s for an offloaded job', async () => {
    const offloader = await node.spawn(Offloader, undefined, { thread: 1 })
    const pinger = await node.spawn(Pinger, undefined, { thread: 1 })
    let finished = false
    node.send(offloader, { name: 'blockFor', args: [2000, 'done'], report: p.pid } satisfies OffloadOrder)
    const outcome = p.expect<Outcome>(isOutcome, 15_000).then((o) => {
      finished = true
      return o
    })
    // Calls answered one after another while the job still runs: the thread is not blocked.
    let answered = 0
    while (!finished && answered < 20) {
      const n = await node.call(pinger, 'ping', { timeout: 1000 })
      assert.equal(n, answered + 1)
      answered++
    }
    assert.equal(finished, false, 'the 2 s job finished before 20 pings were answered')
    assert.deepEqual(await outcome, { ok: true, value: 'done', thread: 1 })
    await Server.stop(node, pinger)
  })

  it('resolves with the function result, async functions included, from any thread', async () => {
    const onWorker = await node.spawn(Offloader, undefined, { thread: 1 })
    const onMain = await node.spawn(Offloader, undefined, { thread: 0 })
    assert.deepEqual(await offloadFrom(onWorker, { name: 'add', args: [2, 3] }), { ok: true, value: 5, thread: 1 })
    assert.deepEqual(await offloadFrom(onMain, { name: 'later', args: ['hi'] }), { ok: true, value: 'hi!', thread: 0 })
    assert.equal(await node.offload(JOBS, 'add', [40, 2]), 42)
    assert.equal(await node.offload(fileURLToPath(JOBS), 'later', ['path']), 'path!', 'an absolute path works as well as a URL')
  })

  it('rejects ERR_OFFLOAD_FAILED with what the function threw (name, message, code)', async () => {
    const offloader = await node.spawn(Offloader, undefined, { thread: 1 })
    const o = await offloadFrom(offloader, { name: 'fails', args: ['bad input'] })
    assert.equal(o.code, 'ERR_OFFLOAD_FAILED')
    assert.match(o.message ?? '', /offload-jobs\.ts#fails failed: bad input/)
    assert.equal(o.reason?.message, 'bad input')
    assert.equal(o.reason?.name, 'Error')
    assert.equal(o.reason?.code, 'E_JOB')
    // The offloading process lives on and offloads again.
    assert.deepEqual(await offloadFrom(offloader, { name: 'add', args: [1, 1] }), { ok: true, value: 2, thread: 1 })
  })

  it('rejects ERR_OFFLOAD_NOT_FOUND for a missing export, a non-function export, or a missing module', async () => {
    await assert.rejects(node.offload(JOBS, 'nope'), { code: 'ERR_OFFLOAD_NOT_FOUND', message: /no such export/ })
    await assert.rejects(node.offload(JOBS, 'notAFunction'), { code: 'ERR_OFFLOAD_NOT_FOUND', message: /a number, not a function/ })
    await assert.rejects(node.offload(new URL('./no-such-module.ts', JOBS), 'f'), { code: 'ERR_OFFLOAD_NOT_FOUND', message: /did not load/ })
  })

  it('rejects ERR_OFFLOAD_TIMEOUT past the timeout, stops that job, and the pool serves the next one', async () => {
    const offloader = await node.spawn(Offloader, undefined, { thread: 1 })
    const o = await offloadFrom(offloader, { name: 'blockFor', args: [60_000, 'never'], timeout: 200 })
    assert.equal(o.code, 'ERR_OFFLOAD_TIMEOUT')
    assert.match(o.message ?? '', /within 200 ms/)
    // Both offload threads still serve jobs (a 60 s job left running would hold one of them).
    const both = await Promise.all([node.offload(JOBS, 'blockFor', [100, 'a']), node.offload(JOBS, 'blockFor', [100, 'b'])])
    assert.deepEqual(both, ['a', 'b'])
  })

  it('rejects bad arguments with coded errors (never a synchronous throw)', async () => {
    await assert.rejects(node.offload(JOBS, ''), { code: 'ERR_INVALID_ARG_TYPE' })
    await assert.rejects(node.offload(42 as never, 'add'), { code: 'ERR_INVALID_ARG_TYPE' })
    await assert.rejects(node.offload(JOBS, 'add', 'x' as never), { code: 'ERR_INVALID_ARG_TYPE' })
    await assert.rejects(node.offload(JOBS, 'add', [], { timeout: 0 }), { code: 'ERR_INVALID_ARG_VALUE' })
    const offloader = await node.spawn(Offloader, undefined, { thread: 1 })
    const o = await offloadFrom(offloader, { name: 'add', args: [], timeout: -5 })
    assert.equal(o.code, 'ERR_INVALID_ARG_VALUE')
  })

  it('refuses arguments that cannot cross threads with a coded error', async () => {
    await assert.rejects(node.offload(JOBS, 'add', [() => 1, 2]), (e: { code?: string }) =>
      e.code === 'ERR_OFFLOAD_FAILED' || e.code === 'ERR_NOT_SERIALIZABLE')
  })

  it('rejects Node.start with a bad offloadThreads', async () => {
    await assert.rejects(Node.start({ threads: 0, offloadThreads: 0 }), { code: 'ERR_INVALID_ARG_VALUE' })
  })
})

describe('offload and node.stop', function () {
  this.timeout(30_000)

  it('stops the pool with the node: a running job is cancelled (ERR_OFFLOAD_CLOSED) and the script exits by itself', async () => {
    const script = [
      `import { Node } from ${JSON.stringify(new URL('../../src/index.ts', import.meta.url).href)}`,
      'const node = await Node.start({ threads: 1, offloadThreads: 2 })',
      `const job = node.offload(${JSON.stringify(JOBS.href)}, 'blockFor', [600000, 'x']).then(() => 'resolved', (e) => e.code)`,
      // Run with --input-type=module -e: the offload threads must not inherit that flag.
      `console.log(await node.offload(${JSON.stringify(JOBS.href)}, 'add', [1, 2]))`,
      'const stopping = node.stop()',
      'console.log(await job)',
      'await stopping',
    ].join('\n')
    const started = Date.now()
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: fileURLToPath(new URL('../../', import.meta.url)), timeout: 25_000 })
    // The job would block for ten minutes: the script ended because stop() cancelled it.
    assert.ok(Date.now() - started < 25_000)
    assert.deepEqual(stdout.trim().split('\n'), ['3', 'ERR_OFFLOAD_CLOSED'])
  })
})
