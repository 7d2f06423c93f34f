/**
 * The main thread's handle on one worker thread: starts it, waits for READY, and wraps its
 * control API. A worker that fails before READY rejects start() with ERR_THREAD_FAILED, and so
 * does one whose `modules` call Node.start (NODE_START_IN_WORKER): that one is terminated at once,
 * its `cause` is ERR_NODE_START_IN_WORKER, and the message says how to lay the program out.
 * One that cannot load a module of `modules` rejects with the worker's own ERR_MODULE_LOAD_FAILED
 * (naming the module and the thread, `cause` Node's error), as the main thread's load does.
 */
import { Worker } from 'node:worker_threads'
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import * as Comlink from 'comlink'
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs'
import { hasCode, makeError } from '../core/errors.ts'
import { NODE_START_IN_WORKER, READY, type NodeStartInWorker, type ThreadControl, type WorkerInit } from '../workers/protocol.ts'

const here = import.meta.url
const workerEntry = new URL(here.endsWith('.ts') ? '../workers/worker-main.ts' : '../workers/worker-main.js', here)

/**
 * Under tsx (running Skein's own .ts sources, or a user's .ts modules), Node 20 does not carry
 * the loader into worker threads, so the worker first registers tsx's ESM hooks itself.
 */
export function tsxApi(): string | undefined {
  const wanted = here.endsWith('.ts') || process.execArgv.some((a) => a.includes('tsx'))
  if (!wanted) return undefined
  try {
    // import.meta.resolve is missing when a test runner loads this file through a CJS transform.
    if (typeof import.meta.resolve === 'function') return import.meta.resolve('tsx/esm/api')
    // Find the ESM entry through tsx's own exports map (require.resolve would give the CJS one).
    const manifest = createRequire(here).resolve('tsx/package.json')
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, unknown> }
    const entry = pkg.exports['./esm/api'] as { import?: string | { default?: string } }
    const file = typeof entry.import === 'string' ? entry.import : entry.import?.default
    return file === undefined ? undefined : new URL(file, pathToFileURL(manifest)).href
  } catch {
    return undefined
  }
}

function spawnWorker(init: WorkerInit): Worker {
  const options = { workerData: init, name: `skein-thread-${init.index}` }
  const api = tsxApi()
  if (api === undefined) return new Worker(workerEntry, options)
  const boot = `import(${JSON.stringify(api)}).then((m) => { (m.register ?? m.default.register)(); return import(${JSON.stringify(workerEntry.href)}) })`
  return new Worker(boot, { ...options, eval: true })
}

export class ShardHost {
  readonly index: number
  readonly worker: Worker
  readonly control: Comlink.Remote<ThreadControl>
  alive = true

  private constructor(index: number, worker: Worker) {
    this.index = index
    this.worker = worker
    this.control = Comlink.wrap<ThreadControl>(nodeEndpoint(worker))
  }

  static async start(init: WorkerInit, onExit: (host: ShardHost, code: number, error: unknown) => void): Promise<ShardHost> {
    const worker = spawnWorker(init)
    const host = new ShardHost(init.index, worker)
    let lastError: unknown = undefined
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: unknown): void => {
        if (isNodeStartInWorker(m)) {
          cleanup()
          const cause = makeError('ERR_NODE_START_IN_WORKER', init.index, m.module)
          const error = makeError('ERR_THREAD_FAILED', init.index, cause.message)
          error.cause = cause
          host.alive = false
          void worker.terminate()
          reject(error)
          return
        }
        if (m !== READY) return
        cleanup()
        resolve()
      }
      const onError = (e: unknown): void => {
        lastError = e
      }
      const onEarlyExit = (code: number): void => {
        cleanup()
        // Node rebuilds a worker's uncaught error on this side with its own properties (code, cause).
        if (hasCode(lastError, 'ERR_MODULE_LOAD_FAILED')) {
          reject(lastError)
          return
        }
        const why = lastError instanceof Error ? lastError.message : `exited with code ${code}`
        const error = makeError('ERR_THREAD_FAILED', init.index, why)
        if (lastError instanceof Error) error.cause = lastError
        reject(error)
      }
      const cleanup = (): void => {
        worker.off('message', onMessage)
        worker.off('exit', onEarlyExit)
      }
      worker.on('message', onMessage)
      worker.on('error', onError)
      worker.once('exit', onEarlyExit)
    })
    worker.once('exit', (code) => {
      host.alive = false
      onExit(host, code, lastError)
    })
    return host
  }

  /** Terminate the worker and release the control proxy. */
  async close(): Promise<void> {
    this.control[Comlink.releaseProxy]()
    if (this.alive) await this.worker.terminate()
  }
}

function isNodeStartInWorker(m: unknown): m is NodeStartInWorker {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === NODE_START_IN_WORKER
}
