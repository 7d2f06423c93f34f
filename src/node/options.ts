/** Node.start options: defaults, and validation with coded errors. */
import { availableParallelism } from 'node:os'
import { isAbsolute, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { makeError } from '../core/errors.ts'
import { checkOptionKeys } from '../core/option-keys.ts'
import { MAX_THREADS } from '../mailbox/layout.ts'
import type { Clock } from '../core/clock.ts'

/**
 * What `Node.start` takes; every option is optional.
 *
 * Details: unknown keys fail `ERR_UNKNOWN_OPTION`, a wrong type `ERR_INVALID_ARG_TYPE`, a value
 * out of range `ERR_INVALID_ARG_VALUE` (`threads` up to 255, `ringBytes` a power of two from 1 KiB
 * to 1 GiB). `modules` entries are URLs or paths (relative ones resolve against the current
 * directory).
 *
 * @example
 * ```ts
 * const node = await Node.start({
 *   threads: 4,
 *   modules: [new URL('./behaviours.js', import.meta.url)],
 *   env: { 'skein.reports': 'logger' },
 *   shutdownTimeout: 10_000,
 * })
 * ```
 */
export interface NodeOptions {
  /** Worker threads, each a scheduler (default `os.availableParallelism()`); 0 runs on the main thread only. */
  threads?: number
  /** Modules every thread loads; their exported behaviour classes can be spawned on any thread. */
  modules?: readonly (string | URL)[]
  /** Bytes per ring (one per ordered pair of threads): a power of two, default 256 KiB. */
  ringBytes?: number
  /** Most names registered at once (default 8192). */
  maxNames?: number
  /** Messages a process handles per run before the next process gets the thread (default 64). */
  batch?: number
  /** Work units per scheduler turn before yielding to the event loop (default 4096). */
  turnBudget?: number
  /**
   * Longest a scheduler turn runs before its thread's event loop gets a pass (timers, call
   * timeouts, I/O, the control port), in ms (default 2). The clock is read every few messages,
   * so a process whose messages are slow is preempted between messages, never within one.
   */
  turnSliceMs?: number
  /**
   * How long an idle scheduler polls its rings before sleeping, in µs. Default 50 while worker
   * threads do not outnumber cores, else 0: spinning threads would steal cores from working ones.
   */
  spinMicros?: number
  /**
   * How long an idle worker thread sleeps lightly, in ms (default 20): blocking futex waits of at
   * most 1 ms, woken directly by a sender; the event loop runs between them. Then it sleeps
   * deeply (Atomics.waitAsync). 0 turns light sleep off. The main thread never blocks.
   */
  lightSleepMs?: number
  /** How long `stop()` waits for terminate callbacks, in ms (default 5000). */
  shutdownTimeout?: number
  /**
   * Check every message handed over within a thread as if it crossed threads (default false):
   * a send, cast, call, reply, sendAfter, direct request or spawn argument that could not be
   * encoded fails `ERR_NOT_SERIALIZABLE` at its send site, as it would once its receiver runs on
   * another thread. Meant for tests (the test kit's `testNodeOptions` turns it on): off, a
   * same-thread send hands the object over unchecked, and a function in a message passes until
   * the receiver moves.
   */
  checkSends?: boolean
  /** Start a replacement when a worker thread dies (default true). */
  restartThreads?: boolean
  /**
   * Stop gracefully on SIGTERM and SIGINT (default true): every running node stops (terminate
   * runs, bounded by `shutdownTimeout`), then the process exits with 128 + the signal's number
   * (143, 130); a second signal meanwhile exits at once. A program with its own listener for the
   * signal handles it itself (Skein does nothing then, as Node's default exit does not happen).
   * With false the signal ends the process as Node does by default: no terminate runs.
   */
  handleSignals?: boolean
  /** The node's environment: what `env(key)` finds when neither the process nor its parent set it. */
  env?: Record<string, unknown>
  /**
   * The main thread's clock (default: real time). The test kit's VirtualClock makes timers,
   * timeouts and restart windows of processes on the main thread deterministic.
   */
  clock?: Clock
  /**
   * For tests: the main thread runs its ready processes in an order drawn from this seed, one
   * message per run, instead of first come first served, and a call to a process on the same
   * thread always goes through its mailbox. Different seeds explore different interleavings
   * (Pony's systematic testing); with `threads: 0` and a VirtualClock a run depends on the seed
   * alone, so a failing seed replays.
   */
  seed?: number
  /**
   * Threads of the offload pool that runs `offload(...)` jobs (default `os.availableParallelism()`).
   * They start on the first offload and stop with the node.
   */
  offloadThreads?: number
}

export interface ResolvedOptions {
  readonly threads: number
  readonly modules: string[]
  readonly ringBytes: number
  readonly maxNames: number
  readonly batch: number
  readonly turnBudget: number
  readonly turnSliceMs: number
  readonly spinMicros: number
  readonly lightSleepMs: number
  readonly shutdownTimeout: number
  readonly checkSends: boolean
  readonly restartThreads: boolean
  readonly handleSignals: boolean
  readonly env: Record<string, unknown>
  readonly clock: Clock | undefined
  readonly seed: number | undefined
  readonly offloadThreads: number
}

const KNOWN = ['threads', 'modules', 'ringBytes', 'maxNames', 'batch', 'turnBudget', 'turnSliceMs', 'spinMicros', 'lightSleepMs',
  'shutdownTimeout', 'checkSends', 'restartThreads', 'handleSignals', 'env', 'clock', 'seed', 'offloadThreads'] as const

function integer(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw makeError('ERR_INVALID_ARG_TYPE', name, 'an integer', v)
  if (v < min || v > max) throw makeError('ERR_INVALID_ARG_VALUE', name, `an integer from ${min} to ${max}`, v)
  return v
}

export function moduleUrl(m: string | URL): string {
  if (m instanceof URL) return m.href
  if (typeof m !== 'string' || m.length === 0) throw makeError('ERR_INVALID_ARG_TYPE', 'modules[]', 'a URL or a path', m)
  if (/^[a-z][a-z0-9+.-]*:/i.test(m) && !/^[a-z]:[\\/]/i.test(m)) return m
  return pathToFileURL(isAbsolute(m) ? m : resolve(m)).href
}

export function resolveOptions(options: NodeOptions | undefined): ResolvedOptions {
  const o = options ?? {}
  if (typeof o !== 'object' || o === null) throw makeError('ERR_INVALID_ARG_TYPE', 'options', 'an object', o)
  checkOptionKeys('Node.start', o, KNOWN)
  const cores = availableParallelism()
  const threads = o.threads === undefined ? cores : integer('threads', o.threads, 0, MAX_THREADS - 1)
  const ringBytes = o.ringBytes === undefined ? 256 * 1024 : integer('ringBytes', o.ringBytes, 1024, 2 ** 30)
  if ((ringBytes & (ringBytes - 1)) !== 0) {
    throw makeError('ERR_INVALID_ARG_VALUE', 'ringBytes', 'a power of two from 1024 to 2^30', ringBytes)
  }
  if (o.modules !== undefined && !Array.isArray(o.modules)) {
    throw makeError('ERR_INVALID_ARG_TYPE', 'modules', 'an array of URLs or paths', o.modules)
  }
  if (o.env !== undefined && (typeof o.env !== 'object' || o.env === null || Array.isArray(o.env))) {
    throw makeError('ERR_INVALID_ARG_TYPE', 'env', 'an object', o.env)
  }
  const c = o.clock as Partial<Clock> | undefined
  if (c !== undefined && (typeof c !== 'object' || c === null || typeof c.now !== 'function' ||
    typeof c.setTimeout !== 'function' || typeof c.clearTimeout !== 'function')) {
    throw makeError('ERR_INVALID_ARG_TYPE', 'clock', 'an object with now, setTimeout and clearTimeout', o.clock)
  }
  if (o.checkSends !== undefined && typeof o.checkSends !== 'boolean') {
    throw makeError('ERR_INVALID_ARG_TYPE', 'checkSends', 'a boolean', o.checkSends)
  }
  if (o.restartThreads !== undefined && typeof o.restartThreads !== 'boolean') {
    throw makeError('ERR_INVALID_ARG_TYPE', 'restartThreads', 'a boolean', o.restartThreads)
  }
  if (o.handleSignals !== undefined && typeof o.handleSignals !== 'boolean') {
    throw makeError('ERR_INVALID_ARG_TYPE', 'handleSignals', 'a boolean', o.handleSignals)
  }
  return {
    threads,
    modules: (o.modules ?? []).map(moduleUrl),
    ringBytes,
    maxNames: o.maxNames === undefined ? 8192 : integer('maxNames', o.maxNames, 1, 2 ** 22),
    batch: o.batch === undefined ? 64 : integer('batch', o.batch, 1, 1 << 20),
    turnBudget: o.turnBudget === undefined ? 4096 : integer('turnBudget', o.turnBudget, 1, 1 << 24),
    turnSliceMs: o.turnSliceMs === undefined ? 2 : integer('turnSliceMs', o.turnSliceMs, 1, 60_000),
    spinMicros: o.spinMicros === undefined ? (threads <= cores ? 50 : 0) : integer('spinMicros', o.spinMicros, 0, 1_000_000),
    lightSleepMs: o.lightSleepMs === undefined ? 20 : integer('lightSleepMs', o.lightSleepMs, 0, 60_000),
    shutdownTimeout: o.shutdownTimeout === undefined ? 5000 : integer('shutdownTimeout', o.shutdownTimeout, 0, 2 ** 31 - 1),
    checkSends: o.checkSends ?? false,
    restartThreads: o.restartThreads ?? true,
    handleSignals: o.handleSignals ?? true,
    env: { ...o.env },
    clock: o.clock,
    seed: o.seed === undefined ? undefined : integer('seed', o.seed, 0, 2 ** 32 - 1),
    offloadThreads: o.offloadThreads === undefined ? cores : integer('offloadThreads', o.offloadThreads, 1, 1024),
  }
}
