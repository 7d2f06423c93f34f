/**
 * What the main thread hands a worker at start (workerData), and the control-plane API each
 * worker exposes over comlink. The control plane is never on the message hot path: it serves
 * start-up, stats, thread failure notices and orderly shutdown.
 */
import type { ThreadStats } from '../scheduler/scheduler.ts'
import type { TsxRegistration } from './tsx-register.ts'

export interface WorkerInit {
  readonly index: number
  /** Every thread of the node, the main thread included. */
  readonly totalThreads: number
  readonly node: string
  readonly creation: number
  readonly generation: number
  readonly control: SharedArrayBuffer
  readonly names: SharedArrayBuffer
  readonly outRings: (SharedArrayBuffer | null)[]
  readonly inRings: (SharedArrayBuffer | null)[]
  readonly modules: string[]
  readonly batch: number
  readonly turnBudget: number
  readonly turnSliceMs: number
  readonly spinMicros: number
  readonly lightSleepMs: number
  readonly checkSends: boolean
  readonly env: Record<string, unknown>
  /**
   * Under tsx with compiled Skein (an installed package): tsx goes on this thread after Skein has
   * loaded and before `modules` do, so that only they load through its hooks (see thread-host).
   */
  readonly tsx?: TsxRegistration
}

/** Posted once by a worker when its scheduler runs and its control API is exposed. */
export const READY = 'skein:ready'

/**
 * Posted by a worker, before READY, when the code it imports calls Node.start (a module in
 * `modules` that starts the node when imported): `{ type, module }`, the module it was importing.
 * The main thread then fails the start at once, whatever the module does with the rejection.
 */
export const NODE_START_IN_WORKER = 'skein:node-start-in-worker'

/** What a worker posts on NODE_START_IN_WORKER. */
export interface NodeStartInWorker {
  readonly type: typeof NODE_START_IN_WORKER
  readonly module: string | undefined
}

/**
 * The globalThis key of a scheduler worker's mark, set by worker-main before it imports
 * `modules`. A registered symbol, so that Node.start finds it from any copy of Skein loaded in
 * the thread (the compiled one, the sources under tsx).
 */
export const kSkeinThread = Symbol.for('skein.thread')

/** The mark worker-main leaves on a scheduler worker's globalThis (see kSkeinThread). */
export interface SkeinThreadMark {
  readonly index: number
  /** The `modules` entry being imported, while the thread starts; undefined after. */
  readonly loading: string | undefined
  /** Node.start was called on this thread: tell the main thread while it starts. */
  nodeStartCalled(): void
}

export interface ThreadControl {
  stats(): ThreadStats
  /** Thread `k` died; resolves once this thread has forgotten its rings and fired noconnection. */
  threadDown(k: number): void
  threadUp(k: number): void
  /** Thread `k` will not come back: spawns aimed at it fail (ERR_THREAD_DOWN). */
  threadGone(k: number): void
  /** Stop every process on this thread (terminate runs), bounded by `timeoutMs`. */
  shutdown(timeoutMs: number): Promise<void>
  /** Stop the run loop and timers: only once every thread has shut its processes down (see Node.stop). */
  close(): void
}
