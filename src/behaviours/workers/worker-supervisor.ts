/**
 * WorkerSupervisor: groups, chains and standalone workers added at run time (the SuperWorker
 * seed, SEMANTICS §10). The supervisor itself hosts nothing: it starts `numberOfPartitions`
 * partition processes (worker-partition.ts), and each group, chain or standalone worker lives in
 * the partition its id hashes to, so the supervision work spreads over the partitions (and over
 * the threads, when the partitions run on the worker threads).
 *
 *   client ──call──▶ WorkerSupervisor ── adds, removes: it calls the partition, then records ──▶ partition k
 *                       (ids, routing)  ── everything else: passed on; partition k answers the client
 *
 *   partition k runs on     when
 *   worker thread 1 + k%W   the node has W > 0 worker threads and loads the partition module
 *                           (WorkerSupervisor.partitionModule in its `modules`) on them
 *   the supervisor's thread otherwise (the class cannot be spawned elsewhere)
 *
 * Workers are functions: a function value works only in a partition on the caller's thread (it
 * cannot be copied to another; sending it there fails ERR_NOT_SERIALIZABLE); `[moduleUrl,
 * exportName, args?]` works in any partition, which imports the module itself.
 *
 * Lifecycle (SW-R10): started linked, a starter that ends 'normal' leaves it running, any other
 * end takes it down. Stopping it (or its crash) kills every partition, and their workers with
 * them. A partition that dies is restarted in place (OTP's one_for_one, at most 3 in 5 s, beyond
 * that the supervisor exits 'shutdown'), and what it hosted is added to it again, in the order it
 * was added; items in flight there are lost. Ids are unique per supervisor (ERR_ALREADY_EXISTS).
 *
 * Client functions are static and take the caller first; errors are coded (ERR_ALREADY_EXISTS,
 * ERR_CHILD_NOT_FOUND, ERR_NO_WORKER_OR_CALLBACK, ...).
 */
import { kBehaviour, kDispatch, kInit, kTerminate, type BehaviourInstance, type Caller, type Settle } from '../../core/process-context.ts'
import { isCallMessage, isExitMessage, isStopRequest, type From } from '../../core/envelope.ts'
import type { ExitReason } from '../../core/exit.ts'
import type { Address, Pid } from '../../core/pid.ts'
import { hasCode, makeError } from '../../core/errors.ts'
import { ProcessBase } from '../process-base.ts'
import { Server } from '../server.ts'
import { answer } from '../answer.ts'
import { RestartWindow } from '../restart-window.ts'
import { REPORTS_ENV, emitReport, type SupervisorEvent } from '../reports.ts'
import type { ChainFn, WorkerContext, WorkerFn, WorkerRef } from './worker-processes.ts'
import { PARTITION_MODULE, WorkerPartition, type ChainStrategy, type Forward, type GroupStrategy, type PartitionArgs, type StandaloneRestart } from './worker-partition.ts'
import { ADMIN_REQUESTS, WorkerDirectory } from './worker-directory.ts'
import { notFound, positive, str, type Request } from './worker-requests.ts'

export type { ChainStrategy, GroupStrategy, StandaloneRestart } from './worker-partition.ts'

export interface ChainOptions {
  readonly id: string
  /** Default 'one_for_all': a crash restarts the whole chain. */
  readonly restartStrategy?: ChainStrategy
  /** Called with each item's final value (and the last stage's context, to send from it). */
  readonly finished?: ((data: unknown, ctx: WorkerContext) => void) | WorkerRef
  /** Unacknowledged items per worker (default 50). */
  readonly queueLength?: number
  /** How a multi-worker stage picks a worker (default 'random'). */
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

const isRequest = (r: unknown): r is Request =>
  typeof r === 'object' && r !== null && typeof (r as { $sw?: unknown }).$sw === 'string'

/** A partition restart to try again (its start failed), sent to self. */
const isRetry = (m: unknown): m is { $swRetry: number } =>
  typeof m === 'object' && m !== null && typeof (m as { $swRetry?: unknown }).$swRetry === 'number'

export class WorkerSupervisor extends ProcessBase implements BehaviourInstance {
  static readonly [kBehaviour] = 'worker_supervisor'

  /** The module to list in the node's `modules` for partitions to run on the worker threads. */
  static readonly partitionModule: string = PARTITION_MODULE

  /** Partition pids by index (undefined while one restarts). */
  #partitions: (Pid | undefined)[] = []
  #directory = new WorkerDirectory(1)
  /** Whether partitions go to the worker threads (decided at the first start). */
  #spread = false
  readonly #window = new RestartWindow(3, 5000)

  init(_args: WorkerSupervisorOptions | undefined): void {}

  // ── client functions: the supervisor itself ──────────────────────────────────────────

  /**
   * Start a supervisor registered as `id` (SuperWorker's start/1), linked to the caller with
   * `link` (the caller must then be a process). Rejects ERR_NAME_TAKEN (`reason` 'already_running').
   */
  static async start(caller: Caller, opts: { id: string; link?: boolean } & WorkerSupervisorOptions): Promise<Pid> {
    const { id, link, ...options } = opts
    try {
      return await caller.startProcess(WorkerSupervisor, options, { name: str(id, 'id'), link: link === true }) as Pid
    } catch (error) {
      if (hasCode(error, 'ERR_NAME_TAKEN')) (error as { reason?: unknown }).reason = 'already_running'
      throw error
    }
  }

  /** Stop it: every partition is killed, and every worker with them; its name is free again. */
  static stop(caller: Caller, sup: Address, reason: ExitReason = 'normal'): Promise<void> {
    return Server.stop(caller, sup, reason)
  }

  /** Whether a supervisor answers at `sup` (a name or a pid). */
  static isRunning(caller: Caller, sup: Address): Promise<boolean> {
    return request(caller, sup, { $sw: 'ping' }).then(() => true, (error: unknown) => {
      if (hasCode(error, 'ERR_UNKNOWN_NAME') || hasCode(error, 'ERR_NOPROC') || hasCode(error, 'ERR_CALL_EXIT')) return false
      throw error
    })
  }

  /** Its partition processes, by index (undefined for one being restarted). */
  static partitions(caller: Caller, sup: Address): Promise<(Pid | undefined)[]> {
    return request(caller, sup, { $sw: 'partitions' }) as Promise<(Pid | undefined)[]>
  }

  // ── client functions: groups ──────────────────────────────────────────────────────────

  static addGroup(caller: Caller, sup: Address, opts: { id: string; restartStrategy?: GroupStrategy }): Promise<string> {
    return request(caller, sup, { $sw: 'addGroup', ...opts }) as Promise<string>
  }

  static addGroupWorker(caller: Caller, sup: Address, groupId: string, fn: WorkerFn | WorkerRef, opts: { id: string }): Promise<Pid> {
    return request(caller, sup, { $sw: 'addGroupWorker', groupId, fn, id: opts.id }) as Promise<Pid>
  }

  static removeGroupWorker(caller: Caller, sup: Address, groupId: string, workerId: string): Promise<void> {
    return request(caller, sup, { $sw: 'removeGroupWorker', groupId, workerId }) as Promise<void>
  }

  /** The group's members: id → pid (undefined while restarting). */
  static getGroup(caller: Caller, sup: Address, groupId: string): Promise<Record<string, Pid | undefined>> {
    return request(caller, sup, { $sw: 'getGroup', groupId }) as Promise<Record<string, Pid | undefined>>
  }

  static sendToGroup(caller: Caller, sup: Address, groupId: string, workerId: string, data: unknown): Promise<void> {
    return request(caller, sup, { $sw: 'sendToGroup', groupId, workerId, data }) as Promise<void>
  }

  static sendToGroupRandom(caller: Caller, sup: Address, groupId: string, data: unknown): Promise<void> {
    return request(caller, sup, { $sw: 'sendToGroupRandom', groupId, data }) as Promise<void>
  }

  static broadcastToGroup(caller: Caller, sup: Address, groupId: string, data: unknown): Promise<void> {
    return request(caller, sup, { $sw: 'broadcastToGroup', groupId, data }) as Promise<void>
  }

  // ── client functions: chains and standalone workers ──────────────────────────────────

  static addChain(caller: Caller, sup: Address, opts: ChainOptions): Promise<string> {
    return request(caller, sup, { $sw: 'addChain', ...opts }) as Promise<string>
  }

  /** Append a stage of `numWorkers` (default 1) workers running `fn`; ids are `id` (or `id.k` with several). */
  static addChainWorker(caller: Caller, sup: Address, chainId: string, fn: ChainFn | WorkerRef, opts: { id: string; numWorkers?: number }): Promise<Pid[]> {
    return request(caller, sup, { $sw: 'addChainWorker', chainId, fn, ...opts }) as Promise<Pid[]>
  }

  /** The chain's stages: worker ids → pids, in stage order. */
  static getChain(caller: Caller, sup: Address, chainId: string): Promise<Record<string, Pid | undefined>[]> {
    return request(caller, sup, { $sw: 'getChain', chainId }) as Promise<Record<string, Pid | undefined>[]>
  }

  /** Enter the chain at its first stage. Rejects ERR_NO_WORKER_OR_CALLBACK for an empty chain with no `finished`. */
  static sendToChain(caller: Caller, sup: Address, chainId: string, data: unknown): Promise<void> {
    return request(caller, sup, { $sw: 'sendToChain', chainId, data }) as Promise<void>
  }

  /** Enter a chain at the worker `workerId`; processing goes on downstream of it. */
  static sendToWorker(caller: Caller, sup: Address, workerId: string, data: unknown): Promise<void> {
    return request(caller, sup, { $sw: 'sendToWorker', workerId, data }) as Promise<void>
  }

  static addStandaloneWorker(caller: Caller, sup: Address, fn: WorkerFn | WorkerRef,
    opts: { id: string; restartStrategy?: StandaloneRestart; maxRestarts?: number; maxSeconds?: number }): Promise<Pid> {
    return request(caller, sup, { $sw: 'addStandaloneWorker', fn, ...opts }) as Promise<Pid>
  }

  /** A standalone worker's current pid (undefined when it ended and is not restarted). @throws ERR_CHILD_NOT_FOUND */
  static getStandalone(caller: Caller, sup: Address, id: string): Promise<Pid | undefined> {
    return request(caller, sup, { $sw: 'getStandalone', id }) as Promise<Pid | undefined>
  }

  // ── runtime hooks ─────────────────────────────────────────────────────────────────────

  async [kInit](args: unknown): Promise<void> {
    this.trapExit(true)
    const opts = checkOptions(args)
    this.init(args as WorkerSupervisorOptions | undefined)
    if (opts.reportTo !== undefined) this.setEnv(REPORTS_ENV, opts.reportTo)
    const n = opts.numberOfPartitions ?? Math.max(1, this.workerThreads)
    this.#directory = new WorkerDirectory(n)
    this.#spread = this.workerThreads > 0
    for (let k = 0; k < n; k++) this.#partitions.push(await this.#startPartition(k))
  }

  [kDispatch](message: unknown): Settle {
    if (isExitMessage(message)) {
      const k = this.#partitions.findIndex((p) => p?.equals(message.from) === true)
      if (k >= 0) return this.#partitionExited(k, message.reason)
      // SW-R10: a linked starter that ends normally leaves the supervisor running; a crash takes it down.
      if (this.parent !== undefined && message.from.equals(this.parent) && message.reason !== 'normal') this.stop(message.reason)
      return
    }
    if (isRetry(message)) return this.#partitionExited(message.$swRetry, 'start_error')
    if (!isCallMessage(message)) return
    if (isStopRequest(message.request)) {
      this.stop(message.request.reason)
      return
    }
    if (isRequest(message.request)) return this.#route(message.request, message.from)
  }

  async [kTerminate](_reason: ExitReason): Promise<void> {
    // SW-R10: stop kills every worker: their partitions die, and the links take the workers.
    const live = this.#partitions.filter((p): p is Pid => p !== undefined)
    const gone = live.map((p) => this.watch(p))
    for (const p of live) {
      this.unlink(p)
      this.exit(p, 'kill')
    }
    await Promise.all(gone)
  }

  // ── routing ───────────────────────────────────────────────────────────────────────────

  #route(r: Request, from: From): Settle {
    if (r.$sw === 'ping') return this.reply(from, 'pong')
    if (r.$sw === 'partitions') return this.reply(from, this.#partitions)
    if (ADMIN_REQUESTS.includes(r.$sw)) return answer(this, from, () => this.#admin(r))
    let k: number | undefined
    try {
      k = r.$sw === 'sendToWorker' ? this.#directory.hostOf(str(r.workerId, 'worker id')) : this.#directory.partitionFor(r)
      if (k === undefined) throw notFound(String(r.workerId))
    } catch (error) {
      return this.replyError(from, error)
    }
    // Passed on with the caller's `from`: the partition answers, and this process does not wait.
    const partition = this.#partitions[k]
    if (partition === undefined) return this.replyError(from, makeError('ERR_NOPROC', `partition ${k} (restarting)`))
    this.send(partition, { $swFwd: r, from } satisfies Forward)
  }

  /** An add or a removal: done by its partition, then recorded here (ids, and the partition's replay log). */
  async #admin(r: Request): Promise<unknown> {
    const k = this.#directory.partitionFor(r)
    const ids = this.#directory.newIds(r)
    const partition = this.#partitions[k]
    if (partition === undefined) throw makeError('ERR_NOPROC', `partition ${k} (restarting)`)
    const out = await this.call(partition, r, { timeout: Infinity })
    this.#directory.record(k, r, ids)
    return out
  }

  // ── partitions ────────────────────────────────────────────────────────────────────────

  async #startPartition(k: number): Promise<Pid> {
    const args: PartitionArgs = { index: k, supervisor: this.self }
    if (this.#spread) {
      try {
        return await this.startProcess(WorkerPartition, args, { link: true, thread: 1 + (k % this.workerThreads) }) as Pid
      } catch (error) {
        if (!hasCode(error, 'ERR_BEHAVIOUR_NOT_REGISTERED')) throw error
        // The node does not load the partition module on its threads: every partition stays here.
        this.#spread = false
      }
    }
    return await this.startProcess(WorkerPartition, args, { link: true }) as Pid
  }

  /** A partition died (or its restart failed): restart it within the intensity, and add back what it hosted. */
  async #partitionExited(k: number, reason: ExitReason): Promise<void> {
    this.#partitions[k] = undefined
    if (!this.#window.record(this.now())) {
      this.#report('reached_max_restart_intensity', k, reason)
      this.stop('shutdown')
      return
    }
    let pid: Pid
    try {
      pid = await this.#startPartition(k)
    } catch (error) {
      this.#report('start_error', k, error)
      this.send(this.self, { $swRetry: k })
      return
    }
    this.#partitions[k] = pid
    for (const r of this.#directory.replay(k)) {
      try {
        await this.call(pid, r, { timeout: Infinity })
      } catch (error) {
        this.#report('start_error', k, error)
      }
    }
  }

  #report(event: SupervisorEvent, k: number, reason: unknown): void {
    emitReport(this, { type: 'report', kind: 'supervisor', supervisor: this.self, event, child: { id: `partition ${k}`, pid: undefined }, reason, progress: false })
  }
}

/** @throws ERR_INVALID_ARG_TYPE, ERR_UNKNOWN_OPTION, ERR_INVALID_ARG_VALUE */
function checkOptions(args: unknown): WorkerSupervisorOptions {
  if (args === undefined) return {}
  if (typeof args !== 'object' || args === null) throw makeError('ERR_INVALID_ARG_TYPE', 'WorkerSupervisor options', 'an object', args)
  for (const key of Object.keys(args)) if (!OPTION_KEYS.includes(key)) throw makeError('ERR_UNKNOWN_OPTION', 'WorkerSupervisor', key, OPTION_KEYS)
  const o = args as WorkerSupervisorOptions
  if (o.numberOfPartitions !== undefined) positive(o.numberOfPartitions, 'numberOfPartitions')
  if (o.reportTo !== undefined) str(o.reportTo, 'reportTo')
  return o
}

function request(caller: Caller, sup: Address, r: Request): Promise<unknown> {
  return caller.call(sup, r, { timeout: Infinity })
}
