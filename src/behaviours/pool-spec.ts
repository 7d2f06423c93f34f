/**
 * A Pool's spec (pool.ts): what it is started with (or what an overridden `init` returns), its
 * checks and defaults, and what Pool.stats reports.
 */
import { kDispatch, type BehaviourClass, type SpawnOptions } from '../core/process-context.ts'
import { makeError } from '../core/errors.ts'
import { checkOptionKeys } from '../core/option-keys.ts'

/** How a pool picks a worker: in turn, at random, or the one with the fewest calls in hand. */
export type PoolStrategy = 'round_robin' | 'random' | 'least_busy'

/**
 * A Pool's arguments (or what an overridden `init` returns).
 *
 * @throws ERR_NOT_A_BEHAVIOUR (worker), ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE (size, strategy,
 *   intensity), ERR_UNKNOWN_OPTION (any other key): the pool's start rejects ERR_INIT_FAILED with the error as `reason`
 * @example
 * ```ts
 * const pool = await node.spawn(Pool, { worker: Hasher, args: { rounds: 10 }, size: 8, strategy: 'least_busy' })
 * ```
 */
export interface PoolSpec<A = unknown> {
  /** The worker behaviour (usually a Server); it must be exported by a module in the node's `modules` to run on other threads. */
  readonly worker: BehaviourClass<A>
  /** Every worker's init arguments. */
  readonly args?: A
  /** Workers (default: one per worker thread, at least 1). */
  readonly size?: number
  /** Default 'round_robin'. */
  readonly strategy?: PoolStrategy
  /** Spawn options for every worker (mailboxSize, env, ...). With `thread` set, all workers go there. */
  readonly workerOptions?: SpawnOptions
  /** Most restarts within `period` seconds before the pool gives up and exits 'shutdown' (default: unlimited). */
  readonly intensity?: number
  /** Seconds of the restart window (default 5). */
  readonly period?: number
  /** Ms each worker gets to stop when the pool stops (default 5000), then it is killed. */
  readonly shutdown?: number
}

/** What `Pool.stats` reports. */
export interface PoolStats {
  /** Worker slots. */
  readonly size: number
  /** Workers running now (the others are restarting). */
  readonly live: number
  /** Workers restarted since the pool started. */
  readonly restarts: number
  /** Calls, casts and messages handed to a worker. */
  readonly forwarded: number
  /** Relayed calls in hand per slot (least_busy relays its calls; other strategies forward them, and count none here). */
  readonly inFlight: readonly number[]
}

const STRATEGIES: readonly string[] = ['round_robin', 'random', 'least_busy']
const SPEC_KEYS: readonly string[] = ['worker', 'args', 'size', 'strategy', 'workerOptions', 'intensity', 'period', 'shutdown']

/**
 * The spec with its defaults (size: one per worker thread, at least 1; strategy 'round_robin').
 * @throws ERR_INVALID_ARG_TYPE, ERR_UNKNOWN_OPTION, ERR_NOT_A_BEHAVIOUR, ERR_INVALID_ARG_VALUE
 */
export function checkSpec<A>(spec: PoolSpec<A>, threads: number): PoolSpec<A> {
  if (typeof spec !== 'object' || spec === null) throw makeError('ERR_INVALID_ARG_TYPE', 'pool spec', 'an object', spec)
  checkOptionKeys('a Pool spec', spec, SPEC_KEYS)
  if (typeof spec.worker !== 'function' || typeof (spec.worker as { prototype?: Record<symbol, unknown> }).prototype?.[kDispatch] !== 'function') {
    throw makeError('ERR_NOT_A_BEHAVIOUR', spec.worker)
  }
  const size = spec.size ?? Math.max(1, threads)
  if (!Number.isInteger(size) || size < 1) throw makeError('ERR_INVALID_ARG_VALUE', 'size', 'an integer >= 1', size)
  const strategy = spec.strategy ?? 'round_robin'
  if (!STRATEGIES.includes(strategy)) throw makeError('ERR_INVALID_ARG_VALUE', 'strategy', STRATEGIES.join(' | '), strategy)
  if (spec.intensity !== undefined && !(spec.intensity === Infinity || (Number.isInteger(spec.intensity) && spec.intensity >= 0))) {
    throw makeError('ERR_INVALID_ARG_VALUE', 'intensity', 'an integer >= 0', spec.intensity)
  }
  return { ...spec, size, strategy }
}
