import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Node } from '../../src/index.ts'
import { FIXTURES } from '../helpers.ts'
import type { SupervisorSpec } from '../../src/index.ts'
import { Idle, Sup } from '../fixtures/supervision.ts'

const SUPERVISION = new URL('../fixtures/supervision.ts', import.meta.url)

describe('Node lifecycle', () => {
  it('starts the requested worker threads plus the main thread and reports them in stats', async () => {
    const node = await Node.start({ threads: 3, modules: [FIXTURES] })
    try {
      const stats = await node.stats()
      assert.equal(node.threads, 3)
      assert.deepEqual(stats.threads.map((t) => t.thread), [0, 1, 2, 3])
      assert.equal(stats.processes, 0)
    } finally {
      await node.stop()
    }
  })

  it('stops a main-thread supervisor whose children live on worker threads without waiting out their shutdown time', async function () {
    // Each thread stops its own processes; a child already stopped by its thread must still answer
    // the supervisor's monitor (noproc) or node.stop() would wait out the 60 s shutdown below.
    this.timeout(20_000)
    const node = await Node.start({ threads: 2, modules: [SUPERVISION] })
    try {
      const child = (id: string, thread: number) => ({ id, start: [Idle, {}, { thread }] as const, shutdown: 60_000 })
      await node.spawn(Sup, { strategy: 'one_for_one', children: [child('b', 2), child('a', 1)] } as SupervisorSpec)
      assert.equal((await node.stats()).processes, 3)
    } finally {
      await node.stop()
    }
  })

  it('runs with no worker thread at all (threads: 0)', async () => {
    const node = await Node.start({ threads: 0 })
    assert.equal((await node.stats()).threads.length, 1)
    await node.stop()
  })

  for (const [options, code] of [
    [{ thread: 2 }, 'ERR_UNKNOWN_OPTION'],
    [{ threads: -1 }, 'ERR_INVALID_ARG_VALUE'],
    [{ threads: 1.5 }, 'ERR_INVALID_ARG_TYPE'],
    [{ ringBytes: 3000 }, 'ERR_INVALID_ARG_VALUE'],
    [{ ringBytes: 512 }, 'ERR_INVALID_ARG_VALUE'],
    [{ modules: 'x.js' }, 'ERR_INVALID_ARG_TYPE'],
    [{ restartThreads: 'yes' }, 'ERR_INVALID_ARG_TYPE'],
  ] as const) {
    it(`rejects ${JSON.stringify(options)} with ${code}`, async () => {
      await assert.rejects(Node.start(options as never), { code })
    })
  }

  it('rejects ERR_MODULE_LOAD_FAILED naming the entry and the main thread when a module cannot be found, Node\'s error its cause', async () => {
    await assert.rejects(Node.start({ threads: 1, modules: ['/nonexistent/skein-module.js'] }), (e: unknown) => {
      const error = e as Error & { code?: string; cause?: { code?: string } }
      assert.equal(error.code, 'ERR_MODULE_LOAD_FAILED')
      assert.match(error.message, /^thread 0 could not load file:\/\/\/nonexistent\/skein-module\.js, listed in `modules`: /)
      assert.equal(error.cause?.code, 'ERR_MODULE_NOT_FOUND')
      return true
    })
  })

  it('rejects ERR_MODULE_LOAD_FAILED naming the entry and the worker thread when only a worker thread fails to load it', async () => {
    const entry = new URL('../fixtures/fails-on-workers.ts', import.meta.url).href
    await assert.rejects(Node.start({ threads: 1, modules: [entry] }), (e: unknown) => {
      const error = e as Error & { code?: string; cause?: { code?: string; message?: string } }
      assert.equal(error.code, 'ERR_MODULE_LOAD_FAILED')
      assert.ok(error.message.startsWith(`thread 1 could not load ${entry}, listed in \`modules\`: `), error.message)
      assert.equal(error.cause?.code, 'ERR_MODULE_NOT_FOUND')
      assert.match(error.cause?.message ?? '', /no-such-module/)
      return true
    })
  })

  it('refuses every call after stop with ERR_NODE_STOPPED, and stop is idempotent', async () => {
    const node = await Node.start({ threads: 1 })
    await node.stop()
    await node.stop()
    assert.throws(() => node.send(node.pid, 'x'), { code: 'ERR_NODE_STOPPED' })
    assert.throws(() => node.whereis('x'), { code: 'ERR_NODE_STOPPED' })
    // What returns a promise rejects instead of throwing.
    for (const attempt of [() => node.call(node.pid, 'x'), () => node.direct(node.pid, 'x'), () => node.stats(),
      () => node.offload(FIXTURES, 'f'), () => node.startApplication('a'), () => node.stopApplication('a'), () => node.spawn(Idle)]) {
      let pending: Promise<unknown> | undefined
      assert.doesNotThrow(() => { pending = attempt() })
      await assert.rejects(pending as Promise<unknown>, { code: 'ERR_NODE_STOPPED' })
    }
  })

  it('runs every process terminate on stop, then the script exits by itself', async function () {
    this.timeout(30_000)
    const script = fileURLToPath(new URL('../fixtures/stop-script.ts', import.meta.url))
    const { stdout, code } = await new Promise<{ stdout: string; code: number | null }>((resolve) => {
      const child = execFile(process.execPath, ['--import', 'tsx', script], { timeout: 20_000 }, (error, out) => {
        resolve({ stdout: out, code: error === null ? 0 : (error as { code?: number }).code ?? -1 })
      })
      void child
    })
    assert.equal(code, 0, `child did not exit cleanly: ${stdout}`)
    for (const t of ['t0', 't1', 't2']) assert.match(stdout, new RegExp(`terminate ${t} shutdown`))
    assert.match(stdout, /stopped/)
  })
})
