/**
 * What a WorkerSupervisor knows of its partitions' contents: which partition hosts an id (hash of
 * the id), which worker ids are taken and where (ids are unique per supervisor, SW-R1), and, per
 * partition, the adds that built what it hosts, in order, to run again when it restarts.
 *
 * Pure bookkeeping: the supervisor records an add only once its partition has done it.
 */
import { hashKey } from '../../core/hash.ts'
import { exists, positive, stageIds, str, type Request } from './worker-requests.ts'

/** Requests that change what a partition hosts: the supervisor waits for each, in turn. */
export const ADMIN_REQUESTS: readonly string[] = [
  'addGroup', 'addGroupWorker', 'removeGroupWorker', 'addChain', 'addChainWorker', 'addStandaloneWorker',
]

export class WorkerDirectory {
  readonly #n: number
  /** Worker id → its partition. */
  readonly #workers = new Map<string, number>()
  /** Per partition, the adds it has done (removed workers dropped). */
  readonly #logs: Request[][]

  constructor(partitions: number) {
    this.#n = partitions
    this.#logs = Array.from({ length: partitions }, () => [])
  }

  /** The partition that hosts the group, chain or standalone worker `id`. */
  partitionOf(id: string): number {
    return hashKey(id) % this.#n
  }

  /** The partition of the group, chain or standalone worker `r` is about. @throws ERR_INVALID_ARG_TYPE */
  partitionFor(r: Request): number {
    if (r.groupId !== undefined) return this.partitionOf(str(r.groupId, 'group id'))
    if (r.chainId !== undefined) return this.partitionOf(str(r.chainId, 'chain id'))
    return this.partitionOf(str(r.id, r.$sw === 'addGroup' ? 'group id' : r.$sw === 'addChain' ? 'chain id' : 'worker id'))
  }

  /** Where the worker `id` runs, if it exists. */
  hostOf(id: string): number | undefined {
    return this.#workers.get(id)
  }

  /** The worker ids an add would take. @throws ERR_ALREADY_EXISTS, ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE */
  newIds(r: Request): string[] {
    const ids = r.$sw === 'addChainWorker' ? stageIds(str(r.id, 'worker id'), positive(r.numWorkers ?? 1, 'numWorkers'))
      : r.$sw === 'addGroupWorker' || r.$sw === 'addStandaloneWorker' ? [str(r.id, 'worker id')] : []
    for (const id of ids) if (this.#workers.has(id)) throw exists(id)
    return ids
  }

  /** Partition `k` has done `r`, an add that took `ids`, or a removal. */
  record(k: number, r: Request, ids: readonly string[]): void {
    if (r.$sw === 'removeGroupWorker') {
      this.#workers.delete(r.workerId as string)
      const log = this.#logs[k] as Request[]
      const at = log.findIndex((a) => a.$sw === 'addGroupWorker' && a.groupId === r.groupId && a.id === r.workerId)
      if (at >= 0) log.splice(at, 1)
      return
    }
    for (const id of ids) this.#workers.set(id, k)
    this.#logs[k]?.push(r)
  }

  /**
   * What partition `k` must do again once restarted: everything it hosted comes back, as a
   * supervisor's children come back when it restarts (a temporary worker too: this side does
   * not know whether it had ended, and its id stays taken).
   */
  replay(k: number): readonly Request[] {
    return this.#logs[k] ?? []
  }
}
