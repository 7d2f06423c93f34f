/**
 * The processes a WorkerSupervisor runs: a function worker (groups and standalone workers: the
 * function is called for each message) and a chain worker (a pipeline stage: the function is
 * called for each item, and its result goes on to the next stage).
 *
 * They live on their partition's thread and share its tables by reference (a group's members, a
 * chain's stages), so a restarted peer is found at once, with no message.
 *
 * Chain flow control (SW-R6): a worker passes items on as calls and keeps at most `queueLength`
 * of them unanswered; with the window full it waits, so a blocked stage stops the whole chain
 * upstream of it within bounded memory.
 *
 *   stage k ──call {$chainItem, data}──▶ stage k+1 ──(fn)──▶ passes it on ──answer──▶ stage k
 */
import { hashKey } from '../../core/hash.ts'
import { makeError } from '../../core/errors.ts'
import { isThenable } from '../../core/thenable.ts'
import { notFound } from './worker-requests.ts'
import { isCallMessage, type From } from '../../core/envelope.ts'
import type { Address, Pid } from '../../core/pid.ts'
import type { Settle } from '../../core/process-context.ts'
import { Actor } from '../actor.ts'

/** What a worker's function gets besides the message (a chain worker's and `finished` too). */
export interface WorkerContext {
  /** The worker's own pid. */
  readonly self: Pid
  /** The worker's id (for `finished` of an empty chain: the chain's id). */
  readonly id: string
  /** Send from this worker. */
  send(to: Address, message: unknown): void
  /** End this worker (a clean reason is not a crash: nothing restarts). */
  stop(reason?: unknown): void
  /** The WorkerSupervisor. */
  readonly supervisor: Pid
  /** The worker's group, when it is in one. */
  readonly group: GroupHandle | undefined
}

/**
 * From inside a group worker: its group's other members by id. Its sends are the worker's own
 * (as `ctx.send`): from the worker's pid, and dropped once the worker has ended. A member that
 * is restarting gets nothing.
 */
export interface GroupHandle {
  /** The group's id. */
  readonly id: string
  /** Every current member (this worker included) gets `data`. */
  broadcast(data: unknown): void
  /** @throws ERR_CHILD_NOT_FOUND for an unknown member */
  send(workerId: string, data: unknown): void
  /** A random running member (this worker included) gets `data`; none running: dropped. */
  sendRandom(data: unknown): void
  /** The ids of the group's members now, running or restarting. */
  members(): string[]
}

/** A group's members as its partition keeps them, shared by reference with its workers. */
export interface GroupTable {
  readonly id: string
  readonly members: ReadonlyMap<string, { readonly pid: Pid | undefined }>
}

/** A handle on `group` whose sends go through `send` (the process holding it sends as itself). */
export function groupHandle(group: GroupTable, send: (to: Pid, data: unknown) => void): GroupHandle {
  const live = (): Pid[] => [...group.members.values()].flatMap((mb) => (mb.pid === undefined ? [] : [mb.pid]))
  return {
    id: group.id,
    broadcast: (data) => { for (const pid of live()) send(pid, data) },
    send: (workerId, data) => {
      const member = group.members.get(workerId)
      if (member === undefined) throw notFound(workerId)
      if (member.pid !== undefined) send(member.pid, data)
    },
    sendRandom: (data) => {
      const pids = live()
      if (pids.length > 0) send(pids[Math.floor(Math.random() * pids.length)] as Pid, data)
    },
    members: () => [...group.members.keys()],
  }
}

/**
 * A group or standalone worker: called for each message the worker gets, one at a time. A
 * returned Promise holds the next message until it settles; a throw (or rejection) crashes the
 * worker, which its owner's strategy then restarts.
 *
 * @example
 * ```ts
 * const cache: WorkerFn = (message, ctx) => {
 *   if (message === 'flush') ctx.send('store', { flushed: ctx.id })
 * }
 * ```
 */
export type WorkerFn = (message: unknown, ctx: WorkerContext) => unknown

/**
 * A worker function named by its module instead of given as a value: `[moduleUrl, exportName,
 * args?]` (SuperWorker's {m, f, a}). It is called as `f(message, ctx, ...args)` (a chain stage:
 * `f(data, ctx, ...args)`; a chain's `finished`: the same, in the last stage). Unlike a function value,
 * it can go to a partition on another thread: the partition imports the module itself.
 */
export type WorkerRef = readonly [module: string, exportName: string, args?: readonly unknown[]]

/** A chain stage's function: `{ next: v }` forwards v, `{ drop: reason }` ends the item, `{ stop: reason }` ends the worker; any other value is forwarded as is. */
export type ChainFn = (data: unknown, ctx: WorkerContext) => unknown

/** How an item picks a worker in a chain stage with several: at random, in turn, by a hash of the item, or all of them. */
export type SendType = 'random' | 'round_robin' | 'partition' | 'broadcast'

/** A chain as its workers see it (owned by the supervisor, shared by reference). */
export interface ChainState {
  readonly id: string
  readonly queueLength: number
  readonly sendType: SendType
  /** Called with each item's final value, in the last stage's worker (its context: send from it). */
  readonly finished: ((data: unknown, ctx: WorkerContext) => void) | undefined
  /** Pids by stage, then by worker within the stage (undefined while restarting). */
  readonly stages: (Pid | undefined)[][]
  /** Round-robin cursor per stage. */
  readonly cursors: number[]
}

/** What every worker's context starts from (the worker adds itself: self, send, stop, its group handle). */
export type BaseContext = Omit<WorkerContext, 'self' | 'send' | 'stop' | 'group'>

export interface FnWorkerArgs {
  readonly fn: WorkerFn
  readonly ctx: BaseContext
  /** The worker's group, when it is in one. */
  readonly group: GroupTable | undefined
}

export class FnWorker extends Actor<FnWorkerArgs, unknown> {
  #fn!: WorkerFn
  #ctx!: WorkerContext

  override init(args: FnWorkerArgs): void {
    this.#fn = args.fn
    const send = (to: Address, m: unknown): void => this.send(to, m)
    const group = args.group === undefined ? undefined : groupHandle(args.group, send)
    this.#ctx = { ...args.ctx, self: this.self, send, stop: (r) => this.stop(r), group }
  }

  receive(message: unknown): Settle {
    const r = this.#fn(message, this.#ctx)
    if (isThenable(r)) return Promise.resolve(r).then(() => undefined)
  }
}

/** A chain item sent by the supervisor (no one to acknowledge) or, as a call's request, by the stage before. */
export interface ChainItem {
  readonly $chainItem: true
  readonly data: unknown
}

const isChainItem = (m: unknown): m is ChainItem =>
  typeof m === 'object' && m !== null && (m as { $chainItem?: unknown }).$chainItem === true

export interface ChainWorkerArgs {
  readonly fn: ChainFn
  readonly chain: ChainState
  readonly stage: number
  readonly ctx: BaseContext
}

/**
 * A chain stage. An item from the stage before arrives as a call, answered (acknowledged) once
 * the item is handled and passed on; items passed on are calls too, at most `queueLength` of
 * them unanswered: with the window full the worker waits, suspended, for an answer (answers do
 * not queue behind messages), so its own mailbox stops draining and backpressure reaches the
 * stages before it. A next stage that dies fails its calls: those items are lost (at most once).
 */
export class ChainWorker extends Actor<ChainWorkerArgs, unknown> {
  #fn!: ChainFn
  #chain!: ChainState
  #stage = 0
  #ctx!: WorkerContext
  /** Items passed on and not yet answered. */
  readonly #inFlight = new Set<Promise<void>>()

  override init(args: ChainWorkerArgs): void {
    this.#fn = args.fn
    this.#chain = args.chain
    this.#stage = args.stage
    this.#ctx = { ...args.ctx, self: this.self, send: (to, m) => this.send(to, m), stop: (r) => this.stop(r), group: undefined }
  }

  receive(message: unknown): Settle {
    if (isCallMessage(message) && isChainItem(message.request)) return this.#handle(message.request.data, message.from)
    if (isChainItem(message)) return this.#handle(message.data, null)
  }

  async #handle(data: unknown, from: From | null): Promise<void> {
    const r = await this.#fn(data, this.#ctx)
    if (typeof r === 'object' && r !== null && ('drop' in r || 'stop' in r)) {
      if (from !== null) this.reply(from, 'done')
      if ('stop' in r) this.stop((r as { stop: unknown }).stop)
      return
    }
    await this.#forward(typeof r === 'object' && r !== null && 'next' in r ? (r as { next: unknown }).next : r)
    if (from !== null) this.reply(from, 'done')
  }

  async #forward(data: unknown): Promise<void> {
    const next = this.#chain.stages[this.#stage + 1]
    if (next === undefined) {
      this.#chain.finished?.(data, this.#ctx)
      return
    }
    const targets = this.#targets(next, data)
    for (const pid of targets) {
      while (this.#inFlight.size >= this.#chain.queueLength) await Promise.race(this.#inFlight)
      const call: Promise<void> = this.call(pid, { $chainItem: true, data } satisfies ChainItem, { timeout: Infinity })
        .then(noop, noop).finally(() => this.#inFlight.delete(call))
      this.#inFlight.add(call)
    }
  }

  /** SW-R7: the next stage's worker(s) for this item, by send type (broadcast: all of them). */
  #targets(workers: (Pid | undefined)[], data: unknown): Pid[] {
    const live = workers.filter((p): p is Pid => p !== undefined)
    if (live.length <= 1) return live // none: the next stage is restarting, the item is lost
    switch (this.#chain.sendType) {
      case 'broadcast':
        return live
      case 'round_robin': {
        const cursors = this.#chain.cursors
        const k = (cursors[this.#stage + 1] ?? 0) % live.length
        cursors[this.#stage + 1] = k + 1
        return [live[k] as Pid]
      }
      case 'partition':
        return [live[hashKey(typeof data === 'number' || typeof data === 'string' ? data : JSON.stringify(data) ?? '') % live.length] as Pid]
      default:
        return [live[Math.floor(Math.random() * live.length)] as Pid]
    }
  }
}

const noop = (): void => {}

/**
 * The function a worker runs: a function value as is, a WorkerRef imported (an import of the
 * user's module by URL at run time, as the node loads its `modules`; it is not a dependency of
 * this file) and bound to its args. @throws ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE (no such export)
 */
export async function resolveWorker<F extends (...a: never[]) => unknown>(source: unknown, what: string): Promise<F> {
  if (typeof source === 'function') return source as F
  if (!isWorkerRef(source)) throw makeError('ERR_INVALID_ARG_TYPE', what, 'a function or [moduleUrl, exportName, args?]', source)
  const [module, name, args = []] = source
  const ns = (await import(module)) as Record<string, unknown>
  const f = ns[name]
  if (typeof f !== 'function') throw makeError('ERR_INVALID_ARG_VALUE', what, `a function exported as ${name} by ${module}`, f)
  return ((...head: unknown[]) => (f as (...a: unknown[]) => unknown)(...head, ...args)) as unknown as F
}

export function isWorkerRef(v: unknown): v is WorkerRef {
  return Array.isArray(v) && typeof v[0] === 'string' && typeof v[1] === 'string' && (v[2] === undefined || Array.isArray(v[2]))
}
