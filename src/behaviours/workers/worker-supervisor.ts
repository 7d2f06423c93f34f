/**
 * WorkerSupervisor: groups, chains and standalone workers added at run time (the SuperWorker
 * seed, SEMANTICS §10). Workers are functions, run as processes on the supervisor's thread and
 * linked to it; a crash (an unclean end) restarts by the owner's strategy, a clean end is left
 * alone (SW-R2).
 *
 *   group        workers that live and die together (one_for_all, default) or alone
 *                (one_for_one); send to one, to a random one, or broadcast to all
 *   chain        a pipeline: each stage's function result goes to the next stage, the last
 *                one's to `finished`; order kept per single-worker stage, at most queueLength
 *                unacknowledged items per worker; a crash restarts the chain as a unit
 *                (one_for_all, default), or the stage (one_for_one), or it and those after
 *                (rest_for_one) or before (before_for_one); items in flight there are lost
 *   standalone   a worker with its own restart type (permanent, transient, temporary) and
 *                restart limit; it affects nothing else
 *
 * Client functions are static and take the caller first; functions travel in the requests, so
 * the caller must be on the supervisor's thread (the node's own calls are, for a supervisor it
 * spawned without placement). Errors are coded (ERR_ALREADY_EXISTS, ERR_CHILD_NOT_FOUND, ...).
 */
import { kBehaviour, kDispatch, kInit, kTerminate, type BehaviourInstance, type Caller, type Settle } from '../../core/process-context.ts'
import { isCallMessage, isExitMessage, isStopRequest } from '../../core/envelope.ts'
import { isCleanReason, type ExitReason } from '../../core/exit.ts'
import { Pid, type Address } from '../../core/pid.ts'
import { makeError } from '../../core/errors.ts'
import { ProcessBase } from '../process-base.ts'
import { answer } from '../answer.ts'
import { RestartWindow } from '../restart-window.ts'
import {
  ChainWorker, FnWorker,
  type ChainFn, type ChainState, type GroupHandle, type SendType, type WorkerContext, type WorkerFn,
} from './worker-processes.ts'

export type GroupStrategy = 'one_for_all' | 'one_for_one'
export type ChainStrategy = 'one_for_all' | 'one_for_one' | 'rest_for_one' | 'before_for_one'
export type StandaloneRestart = 'permanent' | 'transient' | 'temporary'

export interface ChainOptions {
  readonly id: string
  /** Default 'one_for_all': a crash restarts the whole chain. */
  readonly restartStrategy?: ChainStrategy
  /** Called with each item's final value. */
  readonly finished?: (data: unknown) => void
  /** Unacknowledged items per worker (default 50). */
  readonly queueLength?: number
  /** How a multi-worker stage picks a worker (default 'random'). */
  readonly sendType?: SendType
}

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

type Request = { readonly $sw: string; readonly [key: string]: unknown }

const isRequest = (r: unknown): r is Request =>
  typeof r === 'object' && r !== null && typeof (r as { $sw?: unknown }).$sw === 'string'

export class WorkerSupervisor extends ProcessBase implements BehaviourInstance {
  static readonly [kBehaviour] = 'worker_supervisor'

  readonly #groups = new Map<string, Group>()
  readonly #chains = new Map<string, Chain>()
  readonly #standalone = new Map<string, Standalone>()
  /** Every worker id in use (ids are unique per supervisor). */
  readonly #ids = new Set<string>()
  readonly #byPid = new Map<number, { owner: Owner; member: Member }>()

  init(_args: unknown): void {}

  // ── client functions ──────────────────────────────────────────────────────────────────

  static addGroup(caller: Caller, sup: Address, opts: { id: string; restartStrategy?: GroupStrategy }): Promise<string> {
    return request(caller, sup, { $sw: 'addGroup', ...opts }) as Promise<string>
  }

  static addGroupWorker(caller: Caller, sup: Address, groupId: string, fn: WorkerFn, opts: { id: string }): Promise<Pid> {
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

  static addChain(caller: Caller, sup: Address, opts: ChainOptions): Promise<string> {
    return request(caller, sup, { $sw: 'addChain', ...opts }) as Promise<string>
  }

  /** Append a stage of `numWorkers` (default 1) workers running `fn`; ids are `id` (or `id.k` with several). */
  static addChainWorker(caller: Caller, sup: Address, chainId: string, fn: ChainFn, opts: { id: string; numWorkers?: number }): Promise<Pid[]> {
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

  static addStandaloneWorker(caller: Caller, sup: Address, fn: WorkerFn,
    opts: { id: string; restartStrategy?: StandaloneRestart; maxRestarts?: number; maxSeconds?: number }): Promise<Pid> {
    return request(caller, sup, { $sw: 'addStandaloneWorker', fn, ...opts }) as Promise<Pid>
  }

  /** A standalone worker's current pid (undefined when it ended and is not restarted). @throws ERR_CHILD_NOT_FOUND */
  static getStandalone(caller: Caller, sup: Address, id: string): Promise<Pid | undefined> {
    return request(caller, sup, { $sw: 'getStandalone', id }) as Promise<Pid | undefined>
  }

  // ── runtime hooks ─────────────────────────────────────────────────────────────────────

  [kInit](args: unknown): Settle {
    this.trapExit(true)
    this.init(args)
  }

  [kDispatch](message: unknown): Settle {
    if (isExitMessage(message)) {
      const entry = this.#byPid.get(message.from.key)
      if (entry !== undefined) return this.#exited(entry.owner, entry.member, message.reason)
      // SW-R10: a linked starter that ends normally leaves the supervisor running; a crash takes it down.
      if (this.parent !== undefined && message.from.equals(this.parent) && message.reason !== 'normal') this.stop(message.reason)
      return
    }
    if (!isCallMessage(message)) return
    if (isStopRequest(message.request)) {
      this.stop(message.request.reason)
      return
    }
    if (isRequest(message.request)) return answer(this, message.from, () => this.#do(message.request as Request))
  }

  [kTerminate](_reason: ExitReason): Settle {
    // Every worker goes at once (SW-R10: stop kills them).
    for (const { member } of this.#byPid.values()) if (member.pid !== undefined) this.exit(member.pid, 'kill')
  }

  // ── requests ──────────────────────────────────────────────────────────────────────────

  async #do(r: Request): Promise<unknown> {
    switch (r.$sw) {
      case 'addGroup': {
        const id = str(r.id, 'group id')
        if (this.#groups.has(id)) throw exists(id)
        const strategy = (r.restartStrategy ?? 'one_for_all') as GroupStrategy
        if (strategy !== 'one_for_all' && strategy !== 'one_for_one') throw makeError('ERR_INVALID_ARG_VALUE', 'restartStrategy', 'one_for_all | one_for_one', strategy)
        const members = new Map<string, Member>()
        this.#groups.set(id, { id, strategy, members, handle: this.#groupHandle(id, members) })
        return id
      }
      case 'addGroupWorker': {
        const group = this.#group(r.groupId)
        const id = this.#newId(r.id)
        const member: Member = { id, fn: fnOf(r.fn), pid: undefined }
        group.members.set(id, member)
        await this.#start({ kind: 'group', group }, member)
        return member.pid
      }
      case 'removeGroupWorker': {
        const group = this.#group(r.groupId)
        const member = group.members.get(str(r.workerId, 'worker id'))
        if (member === undefined) throw notFound(String(r.workerId))
        group.members.delete(member.id)
        this.#ids.delete(member.id)
        await this.#stopMember(member)
        return undefined
      }
      case 'getGroup':
        return Object.fromEntries([...this.#group(r.groupId).members.values()].map((mb) => [mb.id, mb.pid]))
      case 'sendToGroup':
        this.#group(r.groupId).handle.send(str(r.workerId, 'worker id'), r.data)
        return undefined
      case 'sendToGroupRandom':
        this.#group(r.groupId).handle.sendRandom(r.data)
        return undefined
      case 'broadcastToGroup':
        this.#group(r.groupId).handle.broadcast(r.data)
        return undefined
      case 'addChain': {
        const id = str(r.id, 'chain id')
        if (this.#chains.has(id)) throw exists(id)
        const strategy = (r.restartStrategy ?? 'one_for_all') as ChainStrategy
        if (!['one_for_all', 'one_for_one', 'rest_for_one', 'before_for_one'].includes(strategy)) {
          throw makeError('ERR_INVALID_ARG_VALUE', 'restartStrategy', 'one_for_all | one_for_one | rest_for_one | before_for_one', strategy)
        }
        const queueLength = (r.queueLength ?? 50) as number
        if (!Number.isInteger(queueLength) || queueLength < 1) throw makeError('ERR_INVALID_ARG_VALUE', 'queueLength', 'an integer >= 1', queueLength)
        const sendType = (r.sendType ?? 'random') as SendType
        if (!['random', 'round_robin', 'partition', 'broadcast'].includes(sendType)) {
          throw makeError('ERR_INVALID_ARG_VALUE', 'sendType', 'random | round_robin | partition | broadcast', sendType)
        }
        const finished = r.finished === undefined ? undefined : fnOf(r.finished) as unknown as (data: unknown) => void
        const state: ChainState = { id, queueLength, sendType, finished, stages: [], cursors: [] }
        this.#chains.set(id, { id, strategy, state, stages: [] })
        return id
      }
      case 'addChainWorker': {
        const chain = this.#chain(r.chainId)
        const n = (r.numWorkers ?? 1) as number
        if (!Number.isInteger(n) || n < 1) throw makeError('ERR_INVALID_ARG_VALUE', 'numWorkers', 'an integer >= 1', n)
        const base = str(r.id, 'worker id')
        const ids = n === 1 ? [base] : Array.from({ length: n }, (_, k) => `${base}.${k}`)
        for (const id of ids) if (this.#ids.has(id)) throw exists(id)
        const fn = fnOf(r.fn)
        const stage = chain.stages.length
        const members = ids.map((id): Member => { this.#ids.add(id); return { id, fn, pid: undefined } })
        chain.stages.push(members)
        chain.state.stages.push(members.map(() => undefined))
        for (const member of members) await this.#start({ kind: 'chain', chain, stage }, member)
        return members.map((mb) => mb.pid)
      }
      case 'getChain':
        return this.#chain(r.chainId).stages.map((stage) => Object.fromEntries(stage.map((mb) => [mb.id, mb.pid])))
      case 'sendToChain': {
        const chain = this.#chain(r.chainId)
        const first = chain.state.stages[0]
        if (first === undefined) {
          if (chain.state.finished === undefined) throw makeError('ERR_NO_WORKER_OR_CALLBACK', chain.id)
          chain.state.finished(r.data)
          return undefined
        }
        this.#enter(first, r.data)
        return undefined
      }
      case 'sendToWorker': {
        const id = str(r.workerId, 'worker id')
        for (const chain of this.#chains.values()) {
          for (const stage of chain.stages) {
            const member = stage.find((mb) => mb.id === id)
            if (member !== undefined) {
              if (member.pid !== undefined) this.send(member.pid, { $chainItem: true, data: r.data })
              return undefined
            }
          }
        }
        throw notFound(id)
      }
      case 'addStandaloneWorker': {
        const id = this.#newId(r.id)
        const restart = (r.restartStrategy ?? 'transient') as StandaloneRestart
        if (!['permanent', 'transient', 'temporary'].includes(restart)) {
          this.#ids.delete(id)
          throw makeError('ERR_INVALID_ARG_VALUE', 'restartStrategy', 'permanent | transient | temporary', restart)
        }
        const s: Standalone = {
          member: { id, fn: fnOf(r.fn), pid: undefined }, restart,
          window: new RestartWindow((r.maxRestarts ?? 3) as number, ((r.maxSeconds ?? 5) as number) * 1000),
        }
        this.#standalone.set(id, s)
        await this.#start({ kind: 'standalone', s }, s.member)
        return s.member.pid
      }
      case 'getStandalone': {
        const s = this.#standalone.get(str(r.id, 'worker id'))
        if (s === undefined) throw notFound(String(r.id))
        return s.member.pid
      }
      default:
        throw makeError('ERR_UNSUPPORTED_REQUEST', this.self.toString())
    }
  }

  // ── workers ───────────────────────────────────────────────────────────────────────────

  async #start(owner: Owner, member: Member): Promise<void> {
    const ctx: Omit<WorkerContext, 'self' | 'send' | 'stop'> = {
      id: member.id, supervisor: this.self, group: owner.kind === 'group' ? owner.group.handle : undefined,
    }
    const started = owner.kind === 'chain'
      ? await this.startProcess(ChainWorker, { fn: member.fn as ChainFn, chain: owner.chain.state, stage: owner.stage, ctx }, { link: true })
      : await this.startProcess(FnWorker, { fn: member.fn as WorkerFn, ctx }, { link: true })
    if (!(started instanceof Pid)) return
    member.pid = started
    this.#byPid.set(started.key, { owner, member })
    if (owner.kind === 'chain') {
      const at = owner.chain.stages[owner.stage]?.indexOf(member) ?? -1
      const slots = owner.chain.state.stages[owner.stage]
      if (slots !== undefined && at >= 0) slots[at] = started
    }
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
    member.pid = undefined
    if (owner.kind === 'chain') {
      const at = owner.chain.stages[owner.stage]?.indexOf(member) ?? -1
      const slots = owner.chain.state.stages[owner.stage]
      if (slots !== undefined && at >= 0) slots[at] = undefined
    }
    switch (owner.kind) {
      case 'standalone': return this.#standaloneExited(owner.s, reason)
      case 'group': {
        // SW-R2: only a crash restarts; a clean end is left alone.
        if (isCleanReason(reason)) return
        const group = owner.group
        if (group.strategy === 'one_for_all') {
          for (const other of group.members.values()) await this.#stopMember(other)
          for (const other of group.members.values()) await this.#start(owner, other)
        } else {
          await this.#start(owner, member)
        }
        return
      }
      case 'chain': {
        if (isCleanReason(reason)) return
        const { chain, stage } = owner
        const n = chain.stages.length
        const [from, to] = chain.strategy === 'one_for_all' ? [0, n - 1]
          : chain.strategy === 'one_for_one' ? [stage, stage]
            : chain.strategy === 'rest_for_one' ? [stage, n - 1] : [0, stage]
        for (let k = from; k <= to; k++) for (const other of chain.stages[k] as Member[]) await this.#stopMember(other)
        for (let k = from; k <= to; k++) {
          for (const other of chain.stages[k] as Member[]) await this.#start({ kind: 'chain', chain, stage: k }, other)
        }
        // Items the stage before had in flight to the restarted ones fail with them (lost, at most once).
        return
      }
    }
  }

  /** SW-R9: its own restart type and limit; nothing else is touched. */
  async #standaloneExited(s: Standalone, reason: ExitReason): Promise<void> {
    const again = s.restart === 'permanent' || (s.restart === 'transient' && !isCleanReason(reason))
    if (!again) return
    if (!s.window.record(this.now())) return
    await this.#start({ kind: 'standalone', s }, s.member)
  }

  /** Enter a stage from outside the chain (no upstream to acknowledge). */
  #enter(workers: (Pid | undefined)[], data: unknown): void {
    const live = workers.filter((p): p is Pid => p !== undefined)
    if (live.length === 0) return
    this.send(live[Math.floor(Math.random() * live.length)] as Pid, { $chainItem: true, data })
  }

  #groupHandle(id: string, members: Map<string, Member>): GroupHandle {
    const live = (): Pid[] => [...members.values()].flatMap((mb) => (mb.pid === undefined ? [] : [mb.pid]))
    // Each call runs in whichever process holds the handle (a worker, or the supervisor).
    return {
      id,
      broadcast: (data) => { for (const pid of live()) this.send(pid, data) },
      send: (workerId, data) => {
        const member = members.get(workerId)
        if (member === undefined) throw notFound(workerId)
        if (member.pid !== undefined) this.send(member.pid, data)
      },
      sendRandom: (data) => {
        const pids = live()
        if (pids.length > 0) this.send(pids[Math.floor(Math.random() * pids.length)] as Pid, data)
      },
      members: () => [...members.keys()],
    }
  }

  #group(id: unknown): Group {
    const group = this.#groups.get(str(id, 'group id'))
    if (group === undefined) throw notFound(String(id))
    return group
  }

  #chain(id: unknown): Chain {
    const chain = this.#chains.get(str(id, 'chain id'))
    if (chain === undefined) throw notFound(String(id))
    return chain
  }

  #newId(raw: unknown): string {
    const id = str(raw, 'worker id')
    if (this.#ids.has(id)) throw exists(id)
    this.#ids.add(id)
    return id
  }
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length === 0) throw makeError('ERR_INVALID_ARG_TYPE', what, 'a non-empty string', v)
  return v
}

function fnOf(v: unknown): WorkerFn {
  if (typeof v !== 'function') throw makeError('ERR_INVALID_ARG_TYPE', 'the worker', 'a function', v)
  return v as WorkerFn
}

function exists(id: string): Error {
  const error = makeError('ERR_ALREADY_EXISTS', id)
  ;(error as { reason?: unknown }).reason = 'already_exists'
  return error
}

function notFound(id: string): Error {
  const error = makeError('ERR_CHILD_NOT_FOUND', JSON.stringify(id))
  ;(error as { reason?: unknown }).reason = 'not_found'
  return error
}

function request(caller: Caller, sup: Address, r: Request): Promise<unknown> {
  return caller.call(sup, r, { timeout: Infinity })
}
