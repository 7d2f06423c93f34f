/**
 * WorkerPartition: one partition of a WorkerSupervisor (SEMANTICS §10.1), the process that hosts
 * the groups, chains and standalone workers whose id hashes to it. Its workers run on its thread,
 * linked to it; a crash (an unclean end) restarts by the owner's strategy, a clean end is left
 * alone (SW-R2).
 *
 *   group        workers that live and die together (one_for_all, default) or alone
 *                (one_for_one); send to one, to a random one, or broadcast to all
 *   chain        a pipeline: each stage's function result goes to the next stage, the last
 *                one's to `finished`; a crash restarts the chain as a unit (one_for_all,
 *                default), or the stage (one_for_one), or it and those after (rest_for_one) or
 *                before (before_for_one); items in flight there are lost
 *   standalone   a worker with its own restart type (permanent, transient, temporary) and
 *                restart limit; it affects nothing else
 *
 *   client ──call──▶ WorkerSupervisor ──call {$sw: add…, remove…}──▶ partition ──▶ workers
 *                                     ──{$swFwd: request, from}────▶ partition (answers the
 *                                                                    client itself)
 *
 * The supervisor keeps ids unique across partitions; a partition checks only what it hosts. It
 * traps exits: an EXIT from the supervisor (its parent) stops it, and every worker with it.
 * Both that and Server.stop's request are the gen layer's (gen.ts), as is the refusal of a call
 * that is none of its requests (its pid is public: WorkerSupervisor.partitions).
 */
import { kBehaviour, kInit, type Settle } from '../../core/process-context.ts'
import { isExitMessage, type CallMessage, type From } from '../../core/envelope.ts'
import { isCleanReason, type ExitReason } from '../../core/exit.ts'
import { Pid } from '../../core/pid.ts'
import { makeError } from '../../core/errors.ts'
import { Gen, answer, kGenCall, kGenInfo, kGenTerminate } from '../gen.ts'
import { emitReport, type SupervisorEvent } from '../reports.ts'
import { RestartWindow } from '../restart-window.ts'
import {
  ChainWorker, FnWorker, groupHandle, resolveWorker,
  type BaseContext, type ChainFn, type ChainState, type GroupHandle, type SendType, type WorkerContext, type WorkerFn,
} from './worker-processes.ts'
import {
  CHAIN_STRATEGIES, GROUP_STRATEGIES, SEND_TYPES, STANDALONE_RESTARTS,
  checkAdd, exists, notFound, oneOf, positive, restartLimit, seconds, stageIds, str, type Request,
} from './worker-requests.ts'

/** This module's URL: put it in the node's `modules` to let partitions run on worker threads. */
export const PARTITION_MODULE: string = import.meta.url

/** What a group member's crash restarts: every member (`'one_for_all'`) or only that one (`'one_for_one'`). */
export type GroupStrategy = 'one_for_all' | 'one_for_one'
/**
 * What a chain worker's crash restarts: the whole chain (`'one_for_all'`), its stage
 * (`'one_for_one'`), its stage and those after it (`'rest_for_one'`), or its stage and those
 * before it (`'before_for_one'`).
 */
export type ChainStrategy = 'one_for_all' | 'one_for_one' | 'rest_for_one' | 'before_for_one'
/**
 * When a standalone worker is restarted: always (`'permanent'`), after a crash only
 * (`'transient'`), or never (`'temporary'`).
 */
export type StandaloneRestart = 'permanent' | 'transient' | 'temporary'

export interface PartitionArgs {
  readonly index: number
  /** The WorkerSupervisor: what workers see as ctx.supervisor. */
  readonly supervisor: Pid
}

/** A request the supervisor passes on for the partition to answer to the client directly. */
export interface Forward {
  readonly $swFwd: Request
  readonly from: From
}

const GROUP_REQUESTS: readonly string[] = ['addGroup', 'addGroupWorker', 'removeGroupWorker', 'getGroup', 'sendToGroup', 'sendToGroupRandom', 'broadcastToGroup']
const CHAIN_REQUESTS: readonly string[] = ['addChain', 'addChainWorker', 'getChain', 'sendToChain', 'sendToWorker']
const STANDALONE_REQUESTS: readonly string[] = ['addStandaloneWorker', 'getStandalone']
const REQUESTS: readonly string[] = [...GROUP_REQUESTS, ...CHAIN_REQUESTS, ...STANDALONE_REQUESTS]

/** One of the requests a partition does (the others are refused as unknown calls). */
const isRequest = (r: unknown): r is Request =>
  typeof r === 'object' && r !== null && REQUESTS.includes((r as { $sw?: unknown }).$sw as string)
const isForward = (m: unknown): m is Forward =>
  typeof m === 'object' && m !== null && isRequest((m as { $swFwd?: unknown }).$swFwd)

interface Member {
  readonly id: string
  readonly fn: WorkerFn | ChainFn
  pid: Pid | undefined
}

interface Group {
  readonly id: string
  readonly strategy: GroupStrategy
  readonly members: Map<string, Member>
  readonly handle: GroupHandle
}

interface Chain {
  readonly id: string
  readonly strategy: ChainStrategy
  readonly state: ChainState
  /** Workers by stage (each stage: numWorkers members). */
  readonly stages: Member[][]
}

interface Standalone {
  readonly member: Member
  readonly restart: StandaloneRestart
  readonly window: RestartWindow
}

type Owner = { kind: 'group'; group: Group } | { kind: 'chain'; chain: Chain; stage: number } | { kind: 'standalone'; s: Standalone }

export class WorkerPartition extends Gen {
  static readonly [kBehaviour] = 'worker_partition'

  #supervisor!: Pid
  readonly #groups = new Map<string, Group>()
  readonly #chains = new Map<string, Chain>()
  readonly #standalone = new Map<string, Standalone>()
  readonly #byPid = new Map<number, { owner: Owner; member: Member }>()

  init(args: PartitionArgs): void {
    this.#supervisor = args.supervisor
  }

  [kInit](args: unknown): Settle {
    this.trapExit(true)
    this.init(args as PartitionArgs)
  }

  /** @hidden The gen layer's hook: a worker's EXIT (others are dropped), a request the supervisor passed on. */
  override [kGenInfo](message: unknown): Settle {
    if (isExitMessage(message)) {
      const entry = this.#byPid.get(message.from.key)
      return entry === undefined ? undefined : this.#exited(entry.owner, entry.member, message.reason)
    }
    if (isForward(message)) return answer(this, message.from, () => this.#do(message.$swFwd))
  }

  /** @hidden The gen layer's hook: an add or a removal from the supervisor; any other call is refused. */
  override [kGenCall](m: CallMessage): Settle {
    const r = m.request
    if (!isRequest(r)) return super[kGenCall](m)
    return answer(this, m.from, () => this.#do(r))
  }

  /** @hidden The gen layer's hook: terminate kills every worker at once (SW-R10: stopping the supervisor kills them). */
  override [kGenTerminate](_reason: ExitReason): Settle {
    for (const { member } of this.#byPid.values()) if (member.pid !== undefined) this.exit(member.pid, 'kill')
  }

  // ── requests ──────────────────────────────────────────────────────────────────────────

  /** One of REQUESTS (isRequest let nothing else through). */
  #do(r: Request): Promise<unknown> | unknown {
    checkAdd(r)
    if (GROUP_REQUESTS.includes(r.$sw)) return this.#groupOp(r)
    if (CHAIN_REQUESTS.includes(r.$sw)) return this.#chainOp(r)
    return this.#standaloneOp(r)
  }

  async #groupOp(r: Request): Promise<unknown> {
    if (r.$sw === 'addGroup') {
      const id = str(r.id, 'group id')
      if (this.#groups.has(id)) throw exists(id)
      const strategy = oneOf(r.restartStrategy ?? 'one_for_all', GROUP_STRATEGIES, 'restartStrategy') as GroupStrategy
      const members = new Map<string, Member>()
      // The partition's own handle serves the client functions (sendToGroup, ...); each worker makes its own.
      this.#groups.set(id, { id, strategy, members, handle: groupHandle({ id, members }, (to, data) => this.send(to, data)) })
      return id
    }
    const group = this.#groups.get(str(r.groupId, 'group id'))
    if (group === undefined) throw notFound(String(r.groupId))
    switch (r.$sw) {
      case 'addGroupWorker': {
        const id = str(r.id, 'worker id')
        if (group.members.has(id)) throw exists(id)
        const member: Member = { id, fn: await resolveWorker<WorkerFn>(r.fn, 'the worker'), pid: undefined }
        group.members.set(id, member)
        await this.#start({ kind: 'group', group }, member)
        return member.pid
      }
      case 'removeGroupWorker': {
        const member = group.members.get(str(r.workerId, 'worker id'))
        if (member === undefined) throw notFound(String(r.workerId))
        group.members.delete(member.id)
        await this.#stopMember(member)
        return undefined
      }
      case 'getGroup':
        return Object.fromEntries([...group.members.values()].map((mb) => [mb.id, mb.pid]))
      case 'sendToGroup':
        group.handle.send(str(r.workerId, 'worker id'), r.data)
        return undefined
      case 'sendToGroupRandom':
        group.handle.sendRandom(r.data)
        return undefined
      default:
        group.handle.broadcast(r.data)
        return undefined
    }
  }

  async #chainOp(r: Request): Promise<unknown> {
    if (r.$sw === 'addChain') return this.#addChain(r)
    if (r.$sw === 'sendToWorker') {
      const id = str(r.workerId, 'worker id')
      const member = [...this.#chains.values()].flatMap((c) => c.stages.flat()).find((mb) => mb.id === id)
      if (member === undefined) throw notFound(id)
      if (member.pid !== undefined) this.send(member.pid, { $chainItem: true, data: r.data })
      return undefined
    }
    const chain = this.#chains.get(str(r.chainId, 'chain id'))
    if (chain === undefined) throw notFound(String(r.chainId))
    if (r.$sw === 'getChain') return chain.stages.map((stage) => Object.fromEntries(stage.map((mb) => [mb.id, mb.pid])))
    if (r.$sw === 'sendToChain') {
      const first = chain.state.stages[0]
      if (first !== undefined) this.#enter(first, r.data)
      else if (chain.state.finished !== undefined) chain.state.finished(r.data, this.#ownContext(chain.id))
      else throw makeError('ERR_NO_WORKER_OR_CALLBACK', chain.id)
      return undefined
    }
    const n = positive(r.numWorkers ?? 1, 'numWorkers')
    const base = str(r.id, 'worker id')
    const fn = await resolveWorker<ChainFn>(r.fn, 'the worker')
    const stage = chain.stages.length
    const members = stageIds(base, n).map((id): Member => ({ id, fn, pid: undefined }))
    chain.stages.push(members)
    chain.state.stages.push(members.map(() => undefined))
    for (const member of members) await this.#start({ kind: 'chain', chain, stage }, member)
    return members.map((mb) => mb.pid)
  }

  async #addChain(r: Request): Promise<string> {
    const id = str(r.id, 'chain id')
    if (this.#chains.has(id)) throw exists(id)
    const strategy = oneOf(r.restartStrategy ?? 'one_for_all', CHAIN_STRATEGIES, 'restartStrategy') as ChainStrategy
    const queueLength = positive(r.queueLength ?? 50, 'queueLength')
    const sendType = oneOf(r.sendType ?? 'random', SEND_TYPES, 'sendType') as SendType
    const finished = r.finished === undefined ? undefined : await resolveWorker<(data: unknown, ctx: WorkerContext) => void>(r.finished, 'finished')
    const state: ChainState = { id, queueLength, sendType, finished, stages: [], cursors: [] }
    this.#chains.set(id, { id, strategy, state, stages: [] })
    return id
  }

  async #standaloneOp(r: Request): Promise<unknown> {
    const id = str(r.id, 'worker id')
    if (r.$sw === 'getStandalone') {
      const s = this.#standalone.get(id)
      if (s === undefined) throw notFound(id)
      return s.member.pid
    }
    if (this.#standalone.has(id)) throw exists(id)
    const restart = oneOf(r.restartStrategy ?? 'transient', STANDALONE_RESTARTS, 'restartStrategy') as StandaloneRestart
    const s: Standalone = {
      member: { id, fn: await resolveWorker<WorkerFn>(r.fn, 'the worker'), pid: undefined },
      restart,
      window: new RestartWindow(restartLimit(r.maxRestarts ?? 3), seconds(r.maxSeconds ?? 5, 'maxSeconds') * 1000),
    }
    this.#standalone.set(id, s)
    await this.#start({ kind: 'standalone', s }, s.member)
    return s.member.pid
  }

  // ── workers ───────────────────────────────────────────────────────────────────────────

  async #start(owner: Owner, member: Member): Promise<void> {
    const ctx: BaseContext = { id: member.id, supervisor: this.#supervisor }
    const group = owner.kind === 'group' ? { id: owner.group.id, members: owner.group.members } : undefined
    const started = owner.kind === 'chain'
      ? await this.startProcess(ChainWorker, { fn: member.fn as ChainFn, chain: owner.chain.state, stage: owner.stage, ctx }, { link: true })
      : await this.startProcess(FnWorker, { fn: member.fn as WorkerFn, ctx, group }, { link: true })
    if (!(started instanceof Pid)) return
    member.pid = started
    this.#byPid.set(started.key, { owner, member })
    this.#slot(owner, member, started)
    this.#report('child_started', member, undefined, true)
  }

  /** A chain's view of its stage's pids follows the member's. */
  #slot(owner: Owner, member: Member, pid: Pid | undefined): void {
    if (owner.kind !== 'chain') return
    const at = owner.chain.stages[owner.stage]?.indexOf(member) ?? -1
    const slots = owner.chain.state.stages[owner.stage]
    if (slots !== undefined && at >= 0) slots[at] = pid
  }

  /** Take a worker down without restart (API removal, or a sibling in a restart): unlinked first, so no EXIT comes. */
  async #stopMember(member: Member): Promise<void> {
    const pid = member.pid
    if (pid === undefined) return
    member.pid = undefined
    this.#byPid.delete(pid.key)
    const gone = this.watch(pid)
    this.unlink(pid)
    this.exit(pid, 'kill')
    await gone
  }

  async #exited(owner: Owner, member: Member, reason: ExitReason): Promise<void> {
    if (member.pid !== undefined) this.#byPid.delete(member.pid.key)
    this.#report('child_terminated', member, reason, isCleanReason(reason))
    member.pid = undefined
    this.#slot(owner, member, undefined)
    if (owner.kind === 'standalone') return this.#standaloneExited(owner.s, reason)
    // SW-R2: only a crash restarts; a clean end is left alone.
    if (isCleanReason(reason)) return
    const restarting: [Owner, Member][] = owner.kind === 'group'
      ? (owner.group.strategy === 'one_for_all' ? [...owner.group.members.values()] : [member]).map((m) => [owner, m])
      : this.#chainRestarts(owner.chain, owner.stage)
    for (const [, other] of restarting) await this.#stopMember(other)
    for (const [o, other] of restarting) {
      this.#report('restart', other, undefined, true)
      await this.#start(o, other)
    }
    // Items the stage before had in flight to restarted chain workers fail with them (lost, at most once).
  }

  /** SW-R8: the stages a crash in `stage` restarts, by the chain's strategy. */
  #chainRestarts(chain: Chain, stage: number): [Owner, Member][] {
    const last = chain.stages.length - 1
    const [from, to] = chain.strategy === 'one_for_all' ? [0, last]
      : chain.strategy === 'one_for_one' ? [stage, stage]
        : chain.strategy === 'rest_for_one' ? [stage, last] : [0, stage]
    const out: [Owner, Member][] = []
    for (let k = from; k <= to; k++) for (const m of chain.stages[k] as Member[]) out.push([{ kind: 'chain', chain, stage: k }, m])
    return out
  }

  /** SW-R9: its own restart type and limit; nothing else is touched. */
  async #standaloneExited(s: Standalone, reason: ExitReason): Promise<void> {
    const again = s.restart === 'permanent' || (s.restart === 'transient' && !isCleanReason(reason))
    if (!again) return
    if (!s.window.record(this.now())) {
      this.#report('reached_max_restart_intensity', s.member, reason, false)
      return
    }
    this.#report('restart', s.member, undefined, true)
    await this.#start({ kind: 'standalone', s }, s.member)
  }

  #report(event: SupervisorEvent, member: Member, reason: ExitReason, progress: boolean): void {
    emitReport(this, { type: 'report', kind: 'supervisor', supervisor: this.self, event, child: { id: member.id, pid: member.pid }, reason, progress })
  }

  /** `finished` of an empty chain runs here: it may send from this process, not stop it. */
  #ownContext(id: string): WorkerContext {
    return { self: this.self, id, supervisor: this.#supervisor, group: undefined, send: (to, m) => this.send(to, m), stop: () => {} }
  }

  /** Enter a stage from outside the chain (no upstream to acknowledge). */
  #enter(workers: (Pid | undefined)[], data: unknown): void {
    const live = workers.filter((p): p is Pid => p !== undefined)
    if (live.length === 0) return
    this.send(live[Math.floor(Math.random() * live.length)] as Pid, { $chainItem: true, data })
  }
}
