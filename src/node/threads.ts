/**
 * The node's worker threads (1..N): starting them, a thread's death and its replacement, and
 * stopping them with the main thread. Node owns one and stays the facade; the events are
 * emitted on the Node.
 *
 *   startAll ─▶ ThreadHost.start per worker, in parallel
 *   a worker exits outside stop ─▶ its names freed ─▶ 'threadDown'
 *     ─▶ every live thread, the main one first: threadDown(k) (links and monitors fire noconnection)
 *     ─▶ restartThreads: a replacement, generation + 1 ─▶ the others: threadUp(k) ─▶ 'threadUp'
 *        otherwise, or the replacement fails: every thread: threadGone(k) ─▶ 'threadGone'
 *        (then 'threadFailed' with the error)
 *   shutdown ─▶ every thread stops its processes ─▶ every loop ends ─▶ close: the workers end
 */
import type { EventEmitter } from 'node:events'
import type { Scheduler, ThreadStats } from '../scheduler/scheduler.ts'
import type { Proc } from '../process/proc.ts'
import type { WorkerInit } from '../workers/protocol.ts'
import { ThreadHost } from './thread-host.ts'
import type { ResolvedOptions } from './options.ts'
import { schedulerInit, type SharedMemory } from './shared-memory.ts'

/** How long past its shutdown timeout a worker may take to answer before it is terminated. */
const SHUTDOWN_GRACE_MS = 2000

export class Threads {
  readonly #opts: ResolvedOptions
  readonly #mem: SharedMemory
  readonly #creation: number
  readonly #main: Scheduler
  readonly #events: EventEmitter
  readonly #hosts: (ThreadHost | undefined)[] = []
  readonly #generations: number[] = []
  #restarts = 0
  #stopped = false
  /** The workers alive when shutdown began: close() ends them. */
  #closing: ThreadHost[] = []

  constructor(opts: ResolvedOptions, mem: SharedMemory, creation: number, main: Scheduler, events: EventEmitter) {
    this.#opts = opts
    this.#mem = mem
    this.#creation = creation
    this.#main = main
    this.#events = events
  }

  /** Worker threads replaced after they died. */
  get restarts(): number {
    return this.#restarts
  }

  /**
   * Start every worker thread; rejects with the lowest failing thread's error (the caller then stops the node).
   * It waits for every start to settle first: a worker still starting when the first one failed
   * would otherwise come up after stop() and keep the OS process alive.
   */
  async startAll(): Promise<void> {
    const started = await Promise.allSettled(Array.from({ length: this.#opts.threads }, (_, k) => this.#start(k + 1)))
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected')
    if (failed !== undefined) throw failed.reason
  }

  /** The live workers' counters, in thread order (a thread that dies meanwhile is left out). */
  async stats(): Promise<ThreadStats[]> {
    const remote = await Promise.all(this.#hosts.map((h) => (h !== undefined && h.alive ? raceExit(h, h.control.stats()) : undefined)))
    return remote.filter((s): s is ThreadStats => s !== undefined)
  }

  /**
   * Every thread, the main one too, stops its processes but `spare` (terminate bounded by
   * `timeout`), then every worker's loop ends. A death from now on is not replaced. A worker
   * that does not answer within `timeout` + SHUTDOWN_GRACE_MS (a callback that never returns
   * holds its thread) is terminated, so stop() always settles.
   */
  async shutdown(timeout: number, spare: Proc | null): Promise<void> {
    this.#stopped = true
    const hosts = this.#live()
    this.#closing = hosts
    const watchdog = setTimeout(() => {
      for (const h of hosts) {
        if (!h.alive) continue
        console.error(`skein: thread ${h.index} did not stop its processes within ${timeout + SHUTDOWN_GRACE_MS} ms; terminating it`)
        void h.worker.terminate()
      }
    }, timeout + SHUTDOWN_GRACE_MS)
    try {
      await Promise.all([
        this.#main.shutdown(timeout, spare),
        ...hosts.map((h) => raceExit(h, h.control.shutdown(timeout))),
      ])
      // Every thread keeps its loop running until all are done: a process still terminating on one
      // thread (a supervisor shutting down its children) may need an answer from another, such as
      // the DOWN of a child that thread already stopped.
      await Promise.all(hosts.map((h) => raceExit(h, h.control.close())))
    } finally {
      clearTimeout(watchdog)
    }
  }

  /** After shutdown: end the workers and release their control proxies. */
  async close(): Promise<void> {
    await Promise.all(this.#closing.map((h) => h.close()))
  }

  #live(): ThreadHost[] {
    return this.#hosts.filter((h): h is ThreadHost => h !== undefined && h.alive)
  }

  async #start(k: number): Promise<void> {
    const total = this.#opts.threads + 1
    const generation = this.#generations[k] ?? 0
    const init: WorkerInit = schedulerInit(k, total, this.#creation, generation, this.#mem, this.#opts)
    const host = await ThreadHost.start(init, (h, code, error) => this.#onExit(h, code, error))
    this.#hosts[k] = host
  }

  /** A worker died outside stop(): clean up after it everywhere, then replace it. */
  #onExit(host: ThreadHost, code: number, error: unknown): void {
    if (this.#stopped || this.#hosts[host.index] !== host) return
    const k = host.index
    this.#main.names.removeThread(k)
    this.#hosts[k] = undefined
    const reason = error instanceof Error ? error : new Error(`thread ${k} exited with code ${code}`)
    if (this.#events.listenerCount('threadDown') > 0) this.#events.emit('threadDown', k, reason)
    else console.error(`skein: thread ${k} died (${reason.message}); its processes are gone`)
    void this.#replace(k)
  }

  async #replace(k: number): Promise<void> {
    const peers = this.#live()
    this.#main.threadDown(k)
    await Promise.all(peers.map((h) => raceExit(h, h.control.threadDown(k))))
    if (this.#stopped) return
    if (!this.#opts.restartThreads) {
      await this.#gone(k)
      return
    }
    this.#generations[k] = (this.#generations[k] ?? 0) + 1
    try {
      await this.#start(k)
    } catch (error) {
      await this.#gone(k)
      this.#events.emit('threadFailed', k, error)
      return
    }
    if (this.#stopped) {
      // stop() began while the replacement started, so it is not among the threads stop() ends:
      // end it here (it runs no process yet), or it would keep the OS process alive.
      await this.#hosts[k]?.close()
      return
    }
    this.#restarts++
    this.#main.threadUp(k)
    const now = this.#live().filter((h) => h.index !== k)
    await Promise.all(now.map((h) => raceExit(h, h.control.threadUp(k))))
    this.#events.emit('threadUp', k)
  }

  /** Thread `k` stays down: every thread fails spawns aimed at it from now on. */
  async #gone(k: number): Promise<void> {
    this.#main.threadGone(k)
    const peers = this.#live()
    await Promise.all(peers.map((h) => raceExit(h, h.control.threadGone(k))))
    this.#events.emit('threadGone', k)
  }
}

/** A control call to a thread that dies meanwhile would never settle; end it on exit. */
function raceExit<T>(host: ThreadHost, p: Promise<T>): Promise<T | undefined> {
  if (!host.alive) return Promise.resolve(undefined)
  return new Promise((resolve, reject) => {
    const onExit = (): void => resolve(undefined)
    host.worker.once('exit', onExit)
    p.then((v) => {
      host.worker.off('exit', onExit)
      resolve(v)
    }, (e: unknown) => {
      host.worker.off('exit', onExit)
      reject(e)
    })
  })
}
