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
 *
 * A callback module on the gen layer (gen.ts): Server.stop's request stops it there, and a call
 * that is none of its requests is refused there. The parent's EXIT is its own rule (SW-R10):
 * 'normal' is dropped, any other reason stops it.
 */
import { kBehaviour, kInit, type Caller, type Settle } from '../../core/process-context.ts'
import { isExitMessage, type CallMessage, type ExitMessage, type From } from '../../core/envelope.ts'
import type { ExitReason } from '../../core/exit.ts'
import type { Address, Pid } from '../../core/pid.ts'
import { hasCode, makeError } from '../../core/errors.ts'
import { Server } from '../server.ts'
import { Gen, answer, kGenCall, kGenInfo, kGenParentExit, kGenTerminate } from '../gen.ts'
import { RestartWindow } from '../restart-window.ts'
import { REPORTS_ENV, emitReport, type SupervisorEvent } from '../reports.ts'
import type { ChainFn, WorkerFn, WorkerRef } from './worker-processes.ts'
import { PARTITION_MODULE, WorkerPartition, type Forward, type GroupStrategy, type PartitionArgs, type StandaloneRestart } from './worker-partition.ts'
import { ADMIN_REQUESTS, WorkerDirectory } from './worker-directory.ts'
import { FORWARDED_REQUESTS, checkAdd, notFound, str, type Request } from './worker-requests.ts'
import { checkOptions, type ChainOptions, type WorkerSupervisorOptions } from './worker-options.ts'

export type { ChainStrategy, GroupStrategy, StandaloneRestart } from './worker-partition.ts'
export type { ChainOptions, WorkerSupervisorOptions } from './worker-options.ts'

/** Every request it answers: its own, the adds and removals it records, and those its partitions answer. */
const REQUESTS: readonly string[] = ['ping', 'partitions', ...ADMIN_REQUESTS, ...FORWARDED_REQUESTS]

const isRequest = (r: unknown): r is Request =>
  typeof r === 'object' && r !== null && REQUESTS.includes((r as { $sw?: unknown }).$sw as string)

/** A partition restart to try again (its start failed), sent to self. */
const isRetry = (m: unknown): m is { $swRetry: number } =>
  typeof m === 'object' && m !== null && typeof (m as { $swRetry?: unknown }).$swRetry === 'number'

/**
 * Runs workers that are functions, added and removed at run time (the SuperWorker design on
 * OTP-style links): **groups** of workers that live and die together or one by one, **chains**
 * (pipelines where each stage's result goes to the next, with bounded items in flight), and
 * **standalone** workers with their own restart type and limit.
 *
 * Use it as is: spawn it (`node.spawn(WorkerSupervisor, options, { name })`, or
 * `WorkerSupervisor.start`) and drive it with the static client functions, which take the caller
 * (the node, or `this` in a process) first and are calls with no timeout.
 *
 * Details:
 * - A crash (an unclean end) restarts by the owner's strategy; a clean end never restarts anything.
 * - It hosts nothing itself: `numberOfPartitions` partition processes (default one per worker
 *   thread) host the groups, chains and standalone workers by a hash of their id. They run on the
 *   worker threads when the node lists {@link WorkerSupervisor.partitionModule} in its `modules`,
 *   else on the supervisor's thread. A partition that dies is restarted (3 in 5 s, beyond that
 *   the supervisor exits 'shutdown') and what it hosted is added to it again.
 * - Ids are unique per supervisor across groups, chains and standalone workers
 *   (`ERR_ALREADY_EXISTS`, reason 'already_exists'); unknown ids fail `ERR_CHILD_NOT_FOUND`
 *   (reason 'not_found'); a request for a partition that is restarting fails `ERR_NOPROC`.
 * - Started linked, a starter that ends 'normal' leaves it running; any other end takes it down.
 *
 * Gotchas:
 * - A worker given as a function value runs only in a partition on the caller's thread (a
 *   function cannot cross threads: `ERR_NOT_SERIALIZABLE`); a {@link WorkerRef} works anywhere.
 * - Items in flight at a crashed stage, or in a restarted partition, are lost (at most once).
 * - Stopping the supervisor kills its workers: worker functions get no clean-up call.
 *
 * @throws ERR_UNKNOWN_OPTION, ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE (the start rejects ERR_INIT_FAILED) for bad options
 * @example
 * ```ts
 * const sw = await node.spawn(WorkerSupervisor, { numberOfPartitions: 2 }, { name: 'work' })
 * await WorkerSupervisor.addChain(node, sw, { id: 'ingest', finished: (doc) => store(doc) })
 * await WorkerSupervisor.addChainWorker(node, sw, 'ingest', (raw) => parse(raw), { id: 'parse' })
 * await WorkerSupervisor.addChainWorker(node, sw, 'ingest', (doc) => enrich(doc), { id: 'enrich', numWorkers: 4 })
 * await WorkerSupervisor.sendToChain(node, sw, 'ingest', rawBytes)
 * ```
 */
export class WorkerSupervisor extends Gen {
  /** @hidden The behaviour kind the runtime reads. */
  static readonly [kBehaviour] = 'worker_supervisor'

  /** The module to list in the node's `modules` for partitions to run on the worker threads. */
  static readonly partitionModule: string = PARTITION_MODULE

  /** Partition pids by index (undefined while one restarts). */
  #partitions: (Pid | undefined)[] = []
  #directory = new WorkerDirectory(1)
  /** Whether partitions go to the worker threads (decided at the first start). */
  #spread = false
  readonly #window = new RestartWindow(3, 5000)

  /** Called once with the (checked) options as it starts; does nothing: the class is used as is. */
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

  /**
   * Add a group: workers restarted together when one crashes (`'one_for_all'`, default) or
   * alone (`'one_for_one'`). Resolves with its id.
   * @throws ERR_ALREADY_EXISTS (rejects) for a taken id; ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_UNKNOWN_OPTION for bad options
   * @example
   * ```ts
   * await WorkerSupervisor.addGroup(node, 'work', { id: 'caches' })
   * for (const id of ['c1', 'c2']) await WorkerSupervisor.addGroupWorker(node, 'work', 'caches', cache, { id })
   * await WorkerSupervisor.broadcastToGroup(node, 'work', 'caches', 'flush')
   * ```
   */
  static addGroup(caller: Caller, sup: Address, opts: { id: string; restartStrategy?: GroupStrategy }): Promise<string> {
    return request(caller, sup, { $sw: 'addGroup', ...opts }) as Promise<string>
  }

  /**
   * Start `fn` as a member of group `groupId`: a process that calls `fn(message, ctx)` for each
   * message. Resolves with its pid.
   * @throws ERR_CHILD_NOT_FOUND (rejects) for an unknown group; ERR_ALREADY_EXISTS for a taken id;
   *   ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE for a bad `fn` (a WorkerRef naming no function); ERR_NOT_SERIALIZABLE
   *   for a function value bound for a partition on another thread; ERR_UNKNOWN_OPTION for a key of `opts` other than `id`
   */
  static addGroupWorker(caller: Caller, sup: Address, groupId: string, fn: WorkerFn | WorkerRef, opts: { id: string }): Promise<Pid> {
    return request(caller, sup, { $sw: 'addGroupWorker', groupId, fn, ...opts }) as Promise<Pid>
  }

  /** Stop a group member (killed, not restarted) and forget it. @throws ERR_CHILD_NOT_FOUND (rejects) */
  static removeGroupWorker(caller: Caller, sup: Address, groupId: string, workerId: string): Promise<void> {
    return request(caller, sup, { $sw: 'removeGroupWorker', groupId, workerId }) as Promise<void>
  }

  /** The group's members: id → pid (undefined while restarting). */
  static getGroup(caller: Caller, sup: Address, groupId: string): Promise<Record<string, Pid | undefined>> {
    return request(caller, sup, { $sw: 'getGroup', groupId }) as Promise<Record<string, Pid | undefined>>
  }

  /** Send `data` to the group member `workerId` (dropped while it restarts). @throws ERR_CHILD_NOT_FOUND (rejects) */
  static sendToGroup(caller: Caller, sup: Address, groupId: string, workerId: string, data: unknown): Promise<void> {
    return request(caller, sup, { $sw: 'sendToGroup', groupId, workerId, data }) as Promise<void>
  }

  /** Send `data` to a random running member of the group (none running: dropped). @throws ERR_CHILD_NOT_FOUND (rejects) */
  static sendToGroupRandom(caller: Caller, sup: Address, groupId: string, data: unknown): Promise<void> {
    return request(caller, sup, { $sw: 'sendToGroupRandom', groupId, data }) as Promise<void>
  }

  /** Send `data` to every running member of the group. @throws ERR_CHILD_NOT_FOUND (rejects) */
  static broadcastToGroup(caller: Caller, sup: Address, groupId: string, data: unknown): Promise<void> {
    return request(caller, sup, { $sw: 'broadcastToGroup', groupId, data }) as Promise<void>
  }

  // ── client functions: chains and standalone workers ──────────────────────────────────

  /**
   * Add a chain, empty: append its stages with `addChainWorker`, feed it with `sendToChain`.
   * Resolves with its id.
   *
   * Details: a chain worker `(data, ctx) => result` runs for each item; `{ drop: reason }` ends
   * the item, `{ stop: reason }` ends the item and the worker, `{ next: v }` passes `v` on, any
   * other value is passed on as is (an async function's result too). The last stage's results
   * go to `finished`. Between stages items are calls, at most `queueLength` unanswered per worker.
   *
   * Gotchas: a result that is an object with a `drop`, `stop` or `next` key is read as a
   * directive (wrap such data as `{ next: value }`); order is kept only through single-worker stages.
   *
   * @throws ERR_ALREADY_EXISTS (rejects) for a taken id; ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_UNKNOWN_OPTION for bad options
   * @example
   * ```ts
   * await WorkerSupervisor.addChain(node, sw, { id: 'ingest', finished: (doc) => store(doc), queueLength: 10 })
   * await WorkerSupervisor.addChainWorker(node, sw, 'ingest', (raw) => (isValid(raw) ? parse(raw) : { drop: 'invalid' }), { id: 'parse' })
   * await WorkerSupervisor.sendToChain(node, sw, 'ingest', raw)
   * ```
   */
  static addChain(caller: Caller, sup: Address, opts: ChainOptions): Promise<string> {
    return request(caller, sup, { $sw: 'addChain', ...opts }) as Promise<string>
  }

  /**
   * Append a stage of `numWorkers` (default 1) workers running `fn`; ids are `id` (or `id.0`,
   * `id.1`, ... with several). Resolves with their pids.
   * @throws ERR_CHILD_NOT_FOUND (rejects) for an unknown chain; ERR_ALREADY_EXISTS for a taken id;
   *   ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE for a bad `fn` or `numWorkers`; ERR_UNKNOWN_OPTION
   */
  static addChainWorker(caller: Caller, sup: Address, chainId: string, fn: ChainFn | WorkerRef, opts: { id: string; numWorkers?: number }): Promise<Pid[]> {
    return request(caller, sup, { $sw: 'addChainWorker', chainId, fn, ...opts }) as Promise<Pid[]>
  }

  /** The chain's stages: worker ids → pids, in stage order. */
  static getChain(caller: Caller, sup: Address, chainId: string): Promise<Record<string, Pid | undefined>[]> {
    return request(caller, sup, { $sw: 'getChain', chainId }) as Promise<Record<string, Pid | undefined>[]>
  }

  /**
   * Enter the chain at its first stage (a worker picked at random); an empty chain hands the item
   * straight to `finished`. It does not wait for room: feed it faster than it drains and the first
   * stage's mailbox grows. Rejects ERR_NO_WORKER_OR_CALLBACK for an empty chain with no
   * `finished`, ERR_CHILD_NOT_FOUND for an unknown chain.
   */
  static sendToChain(caller: Caller, sup: Address, chainId: string, data: unknown): Promise<void> {
    return request(caller, sup, { $sw: 'sendToChain', chainId, data }) as Promise<void>
  }

  /** Enter a chain at the worker `workerId`; processing goes on downstream of it. Rejects ERR_CHILD_NOT_FOUND unless it is a chain worker. */
  static sendToWorker(caller: Caller, sup: Address, workerId: string, data: unknown): Promise<void> {
    return request(caller, sup, { $sw: 'sendToWorker', workerId, data }) as Promise<void>
  }

  /**
   * Start `fn` as a standalone worker with its own restart type: `'permanent'`, `'transient'`
   * (default: restarted after a crash, not after a clean end) or `'temporary'`; at most
   * `maxRestarts` (3) restarts in `maxSeconds` (5), beyond which it stays down and nothing else
   * is touched. Resolves with its pid.
   * @throws ERR_ALREADY_EXISTS (rejects) for a taken id; ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE for a bad `fn`,
   *   `restartStrategy`, `maxRestarts` (an integer >= 0, or Infinity) or `maxSeconds` (> 0); ERR_UNKNOWN_OPTION
   * @example
   * ```ts
   * const pid = await WorkerSupervisor.addStandaloneWorker(node, sw, (msg, ctx) => {
   *   if (msg === 'quit') ctx.stop('normal')
   * }, { id: 'solo', restartStrategy: 'transient' })
   * ```
   */
  static addStandaloneWorker(caller: Caller, sup: Address, fn: WorkerFn | WorkerRef,
    opts: { id: string; restartStrategy?: StandaloneRestart; maxRestarts?: number; maxSeconds?: number }): Promise<Pid> {
    return request(caller, sup, { $sw: 'addStandaloneWorker', fn, ...opts }) as Promise<Pid>
  }

  /** A standalone worker's current pid (undefined when it ended and is not restarted). @throws ERR_CHILD_NOT_FOUND (rejects) */
  static getStandalone(caller: Caller, sup: Address, id: string): Promise<Pid | undefined> {
    return request(caller, sup, { $sw: 'getStandalone', id }) as Promise<Pid | undefined>
  }

  // ── runtime hooks ─────────────────────────────────────────────────────────────────────

  /** @hidden The runtime's hook: checks the options, starts the partitions. */
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

  /** @hidden The gen layer's hook: a partition's EXIT (others are dropped), a partition restart to try again. */
  override [kGenInfo](message: unknown): Settle {
    if (isExitMessage(message)) {
      const k = this.#partitions.findIndex((p) => p?.equals(message.from) === true)
      return k < 0 ? undefined : this.#partitionExited(k, message.reason)
    }
    if (isRetry(message)) return this.#partitionExited(message.$swRetry, 'start_error')
  }

  /** @hidden The gen layer's hook: SW-R10: a linked starter that ends normally leaves the supervisor running; a crash takes it down. */
  override [kGenParentExit](message: ExitMessage): Settle {
    if (message.reason !== 'normal') this.stop(message.reason)
  }

  /** @hidden The gen layer's hook: its requests; any other call is refused, so its caller does not wait for a timeout. */
  override [kGenCall](m: CallMessage): Settle {
    if (!isRequest(m.request)) return super[kGenCall](m)
    return this.#route(m.request, m.from)
  }

  /** @hidden The gen layer's hook: terminate kills every partition, and their workers with them. */
  override async [kGenTerminate](_reason: ExitReason): Promise<void> {
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
    // One the partition hosting it answers.
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
    checkAdd(r)
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

function request(caller: Caller, sup: Address, r: Request): Promise<unknown> {
  return caller.call(sup, r, { timeout: Infinity })
}
