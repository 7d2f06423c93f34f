/**
 * The main thread's handle on one worker thread: starts it, waits for READY, and wraps its
 * control API. A worker that fails before READY rejects start() with ERR_THREAD_FAILED, and so
 * does one whose `modules` call Node.start (NODE_START_IN_WORKER): that one is terminated at once,
 * its `cause` is ERR_NODE_START_IN_WORKER, and the message says how to lay the program out.
 * One that cannot load a module of `modules` rejects with the worker's own ERR_MODULE_LOAD_FAILED
 * (naming the module and the thread, `cause` Node's error), as the main thread's load does.
 */
import { Worker } from 'node:worker_threads'
import * as nodeModule from 'node:module'
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import * as Comlink from 'comlink'
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs'
import { hasCode, makeError } from '../core/errors.ts'
import { NODE_START_IN_WORKER, READY, type NodeStartInWorker, type ThreadControl, type WorkerInit } from '../workers/protocol.ts'
import type { TsxRegistration } from '../workers/tsx-register.ts'

const here = import.meta.url
const compiled = !here.endsWith('.ts')
const workerEntry = new URL(compiled ? '../workers/worker-main.js' : '../workers/worker-main.ts', here)
/** Skein's public entry (the package's "." export when installed), which a program's modules import. */
const skeinIndex = new URL('../index.js', here)

/** Whether this process runs under tsx: Skein's own .ts sources, or a program the tsx command started. */
const underTsx = (): boolean => !compiled || process.execArgv.some((a) => a.includes('tsx'))

/**
 * Under tsx (running Skein's own .ts sources, or a user's .ts modules), Node 20 does not carry
 * the loader into worker threads, so each worker puts tsx on itself (see tsxRegistration); this
 * is tsx's register API (tsx/esm/api), which offload threads use too.
 */
export function tsxApi(): string | undefined {
  if (!underTsx()) return undefined
  try {
    // import.meta.resolve is missing when a test runner loads this file through a CJS transform.
    if (typeof import.meta.resolve === 'function') return import.meta.resolve('tsx/esm/api')
    // Find the ESM entry through tsx's own exports map (require.resolve would give the CJS one).
    const manifest = nodeModule.createRequire(here).resolve('tsx/package.json')
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, unknown> }
    const entry = pkg.exports['./esm/api'] as { import?: string | { default?: string } }
    const file = typeof entry.import === 'string' ? entry.import : entry.import?.default
    return file === undefined ? undefined : new URL(file, pathToFileURL(manifest)).href
  } catch {
    return undefined
  }
}

/** tsx's ESM hooks module (tsx/esm, what `node --import tsx/esm` registers); undefined when not found. */
function tsxHooks(): string | undefined {
  try {
    if (typeof import.meta.resolve === 'function') return import.meta.resolve('tsx/esm')
    return pathToFileURL(nodeModule.createRequire(here).resolve('tsx/esm')).href
  } catch {
    return undefined
  }
}

/**
 * How a worker takes on tsx (see workers/tsx-register.ts). On Node 20 a thread's module hooks run
 * on a hooks thread of that thread's own, which `module.register` starts, and every module loaded
 * through them costs round trips to it (a resolve per import, a load per module: several times
 * the module's plain load). There the hooks module is registered as it is: tsx's `register`
 * (tsx/esm/api) would first load tsx and esbuild on the worker too, ~80 ms a worker of no use.
 * Where Node has `module.registerHooks` (22.15 and later), tsx's `register` runs the hooks on the
 * thread itself, with no hooks thread and no round trips, and is used.
 */
function tsxRegistration(api: string): TsxRegistration {
  const hooks = 'registerHooks' in nodeModule ? undefined : tsxHooks()
  return hooks === undefined ? { api } : { hooks }
}

/**
 * A worker's first code under tsx. An eval'd script (a CommonJS one, or ESM under
 * `--input-type=module`: it uses neither `require` nor `import.meta`), because on Node 20 a file
 * worker would also run the process's `--import tsx`, which loads all of tsx and esbuild on the
 * thread and then leaves the ESM hooks off there. Source maps go on first, as tsx's `register`
 * does, so stack traces name .ts lines, Skein's shipped sources included.
 *
 * Compiled Skein (an installed package) then loads without tsx: its entry here, worker-main's
 * own imports, and worker-main puts tsx on (`init.tsx`) just before the node's `modules`, so only
 * they pay the hooks' round trips. Skein's .ts sources (a checkout) need tsx first: the script
 * puts it on itself, as registerTsx would.
 */
function tsxBoot(how: TsxRegistration): string {
  const q = JSON.stringify
  const entry = `import(${q(workerEntry.href)})`
  if (compiled) return `process.setSourceMapsEnabled(true); import(${q(skeinIndex.href)}).then(() => ${entry})`
  const register = 'api' in how
    ? `import(${q(how.api)}).then((m) => { (m.register ?? m.default.register)() })`
    : `import('node:module').then((m) => { m.register(${q(how.hooks)}, { data: {} }) })`
  return `process.setSourceMapsEnabled(true); ${register}.then(() => ${entry})`
}

function spawnWorker(init: WorkerInit): Worker {
  const options = { workerData: init, name: `skein-thread-${init.index}` }
  const api = tsxApi()
  if (api === undefined) return new Worker(workerEntry, options)
  const how = tsxRegistration(api)
  const workerData: WorkerInit = compiled ? { ...init, tsx: how } : init
  return new Worker(tsxBoot(how), { ...options, workerData, eval: true })
}

export class ThreadHost {
  readonly index: number
  readonly worker: Worker
  readonly control: Comlink.Remote<ThreadControl>
  alive = true

  private constructor(index: number, worker: Worker) {
    this.index = index
    this.worker = worker
    this.control = Comlink.wrap<ThreadControl>(nodeEndpoint(worker))
  }

  static async start(init: WorkerInit, onExit: (host: ThreadHost, code: number, error: unknown) => void): Promise<ThreadHost> {
    const worker = spawnWorker(init)
    const host = new ThreadHost(init.index, worker)
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
