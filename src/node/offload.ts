/**
 * The node's offload pool: blocking functions run on piscina threads, apart from the schedulers,
 * so a long computation never stalls the other processes of the thread that asked for it.
 *
 *   this.offload(module, name, args)          any thread
 *     └─ call ─▶ OffloadService               main thread, registered as 'skein.offload'
 *                  └─ OffloadPool.run ─▶ piscina thread: import(module)[name](...args)
 *     ◀─ reply: the value | ERR_OFFLOAD_FAILED | ERR_OFFLOAD_NOT_FOUND | ERR_OFFLOAD_TIMEOUT | ERR_OFFLOAD_CLOSED
 *
 * The service answers calls out of order (each task runs on its own; it never blocks its own
 * mailbox), and the pool starts its threads on the first offload only: a node that never
 * offloads pays nothing (piscina itself is imported then, so the scheduler threads, which import
 * this file too, never load it). A task past its timeout is aborted, which stops the piscina
 * thread running it (the only way to stop a blocking function); piscina starts a fresh one.
 */
import { basename } from 'node:path'
import type { Piscina } from 'piscina'
import { Actor } from '../behaviours/actor.ts'
import { isCallMessage } from '../core/envelope.ts'
import { makeError } from '../core/errors.ts'
import { isOffloadRequest, type OffloadRequest } from '../core/offload.ts'
import type { From } from '../core/envelope.ts'
import type { OffloadOutcome, OffloadThreadData } from '../workers/offload-task.ts'
import { tsxApi } from './thread-host.ts'
import { moduleUrl } from './options.ts'

const here = import.meta.url
const taskModule = new URL(here.endsWith('.ts') ? '../workers/offload-task.ts' : '../workers/offload-task.js', here).href

export class OffloadPool {
  readonly threads: number
  #pool: Promise<Piscina> | null = null
  #closed = false

  constructor(threads: number) {
    this.threads = threads
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Run one task; rejects with piscina's error when it throws, is aborted, or the pool closes. */
  run(request: OffloadRequest, signal: AbortSignal | undefined): Promise<OffloadOutcome> {
    this.#pool ??= this.#start()
    const task = { module: moduleUrl(request.module), name: request.name, args: request.args }
    return this.#pool.then((pool) => pool.run(task, signal === undefined ? {} : { signal }) as Promise<OffloadOutcome>)
  }

  /** piscina is imported here, not at the top: every thread imports this file, only the main one starts the pool. */
  async #start(): Promise<Piscina> {
    const { Piscina } = await import('piscina')
    const workerData: OffloadThreadData = { tsx: tsxApi() }
    // Offload threads take the process's flags (tsx's loader among them) but not --input-type,
    // which a worker refuses outright: a script run with `node --input-type=module -e` may offload too.
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'))
    return new Piscina({ filename: taskModule, minThreads: this.threads, maxThreads: this.threads, workerData, execArgv })
  }

  /** Stop every offload thread; tasks still running reject. */
  async close(): Promise<void> {
    this.#closed = true
    const pool = this.#pool
    this.#pool = null
    // A pool that failed to start has nothing to stop (its runs rejected with the error).
    if (pool !== null) await pool.then((p) => p.destroy(), () => undefined)
  }
}

/** Runs offload requests on the pool and answers each caller when its task ends. */
export class OffloadService extends Actor<void, unknown> {
  pool: OffloadPool | null = null
  /** Callers whose task is still running, with the task's name. */
  readonly #running = new Map<From, string>()

  override init(): void {
    // A stray exit signal from some process must not take the node's offloading down.
    this.trapExit(true)
  }

  receive(message: unknown): void {
    if (!isCallMessage(message) || !isOffloadRequest(message.request)) return
    void this.#run(message.from, message.request)
  }

  /** The node is stopping: every task still running is cancelled, and its caller told so. */
  override terminate(): void {
    for (const [from, task] of this.#running) this.replyError(from, makeError('ERR_OFFLOAD_CLOSED', task))
    this.#running.clear()
  }

  async #run(from: From, request: OffloadRequest): Promise<void> {
    const task = `${basename(request.module)}#${request.name}`
    const pool = this.pool
    if (pool === null || pool.closed) return this.replyError(from, makeError('ERR_OFFLOAD_CLOSED', task))
    this.#running.set(from, task)
    // An unref'd timer: it never keeps the process alive, and firing after the task ended is harmless.
    const signal = request.timeout === Infinity ? undefined : AbortSignal.timeout(request.timeout)
    try {
      const outcome = await pool.run(request, signal)
      if ('value' in outcome) this.reply(from, outcome.value)
      else if ('missing' in outcome) this.replyError(from, makeError('ERR_OFFLOAD_NOT_FOUND', request.module, request.name, outcome.missing))
      else this.replyError(from, thrownBy(task, outcome.thrown))
    } catch (error) {
      this.replyError(from, failure(task, request, error, signal?.aborted === true, pool.closed))
    } finally {
      this.#running.delete(from)
    }
  }
}

/** Why a task never returned: aborted at its timeout, cancelled by the node's stop, or lost with its thread. */
function failure(task: string, request: OffloadRequest, error: unknown, timedOut: boolean, closed: boolean): Error {
  if (timedOut) return makeError('ERR_OFFLOAD_TIMEOUT', task, request.timeout)
  if (closed) return makeError('ERR_OFFLOAD_CLOSED', task)
  return thrownBy(task, error instanceof Error ? { name: error.name, message: error.message } : error)
}

/** ERR_OFFLOAD_FAILED whose `reason` is what the function threw: `{ name, message, code? }` for an Error. */
function thrownBy(task: string, thrown: unknown): Error {
  const why = typeof thrown === 'object' && thrown !== null && 'message' in thrown ? String(thrown.message) : String(thrown)
  const error = makeError('ERR_OFFLOAD_FAILED', task, why)
  error.reason = thrown
  return error
}
