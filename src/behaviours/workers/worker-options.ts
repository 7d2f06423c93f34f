/**
 * What a WorkerSupervisor (worker-supervisor.ts) is started with, and a chain's options, with the
 * check of the start options.
 */
import { checkOptionKeys } from '../../core/option-keys.ts'
import type { ChainStrategy } from './worker-partition.ts'
import type { WorkerContext, WorkerRef } from './worker-processes.ts'
import { positive, str } from './worker-requests.ts'

/**
 * A chain's options, for `WorkerSupervisor.addChain`.
 *
 * @throws ERR_INVALID_ARG_TYPE (wrong type), ERR_INVALID_ARG_VALUE (unknown or out of range), ERR_UNKNOWN_OPTION
 *   (rejects) for a bad option; ERR_ALREADY_EXISTS for a taken id
 */
export interface ChainOptions {
  /** The chain's id, unique in the supervisor (groups, chains and workers alike). */
  readonly id: string
  /** What a worker's crash restarts (default 'one_for_all': the whole chain). */
  readonly restartStrategy?: ChainStrategy
  /** Called with each item's final value, in the last stage's worker (its context: send from it); a WorkerRef works on any thread. */
  readonly finished?: ((data: unknown, ctx: WorkerContext) => void) | WorkerRef
  /** Unacknowledged items per worker (default 50). */
  readonly queueLength?: number
  /** How an item picks a worker in a stage with several (default 'random'; 'partition': a hash of the item; 'broadcast': all). */
  readonly sendType?: 'random' | 'round_robin' | 'partition' | 'broadcast'
}

/** What a WorkerSupervisor is started with (all optional). */
export interface WorkerSupervisorOptions {
  /** Partition processes (default: one per worker thread, at least 1). */
  readonly numberOfPartitions?: number
  /** A registered name that gets every report of the supervisor, its partitions and workers (env 'skein.reports'). */
  readonly reportTo?: string
}

const OPTION_KEYS: readonly string[] = ['numberOfPartitions', 'reportTo']

/** @throws ERR_INVALID_ARG_TYPE, ERR_UNKNOWN_OPTION, ERR_INVALID_ARG_VALUE */
export function checkOptions(args: unknown): WorkerSupervisorOptions {
  if (args === undefined) return {}
  checkOptionKeys('WorkerSupervisor', args, OPTION_KEYS)
  const o = args as WorkerSupervisorOptions
  if (o.numberOfPartitions !== undefined) positive(o.numberOfPartitions, 'numberOfPartitions')
  if (o.reportTo !== undefined) str(o.reportTo, 'reportTo')
  return o
}
