/**
 * One process: its pid, mailbox, behaviour instance, links, monitors and pending calls.
 * A Proc is also the ProcessContext its behaviour sees (one object per process keeps the idle
 * footprint small); every capability delegates to the owning thread's ProcessHost.
 */
import { Fifo } from '../mailbox/fifo.ts'
import type { RefTable } from '../core/ref-table.ts'
import type { Address, NamedProcess, Pid, Ref } from '../core/pid.ts'
import type { ExitReason } from '../core/exit.ts'
import type { CallMessage, DirectMessage, From } from '../core/envelope.ts'
import type {
  BehaviourClass, BehaviourInstance, CallOptions, ProcessContext, SpawnOptions, StartOptions, Started, TimerRef,
} from '../core/process-context.ts'


export const Status = {
  /** Alive, nothing queued to run. */
  IDLE: 0,
  /** In the run queue. */
  QUEUED: 1,
  /** A callback is executing right now. */
  RUNNING: 2,
  /** A callback returned a Promise that has not settled; no next message until it does. */
  SUSPENDED: 3,
  /** terminate() is running (possibly async); no more messages. */
  TERMINATING: 4,
  DEAD: 5,
} as const
export type Status = (typeof Status)[keyof typeof Status]

export { ProcessExit } from '../core/exit.ts'

/**
 * Dead, or ended by an exit signal while its own code runs (it dies as that code unwinds): what
 * it does now (sends, casts, replies, signals) has no effect.
 */
export const isHalted = (p: Proc): boolean =>
  p.status === Status.DEAD || (p.pendingExit !== null && !p.pendingExit.runTerminate)

/** Per-process limits and environment from the spawn options (absent for most processes). */
export interface ProcOptions {
  readonly mailboxSize?: number
  readonly fallback?: { readonly name: string; readonly tag: string }
  readonly directboxSize?: number
  /** The parent's visible environment at spawn time, less the node's (every thread has that). */
  readonly envInherited?: Record<string, unknown>
  readonly envOwn?: Record<string, unknown>
}

/** A monitor this process holds on another. */
export interface MonitorEntry {
  readonly ref: Ref
  readonly target: Pid
  readonly name: string | null
}

/** A monitor another process holds on this one. */
export interface WatcherEntry {
  readonly ref: Ref
  readonly watcher: Pid
  readonly name: string | null
}

const OPEN = 0
const RESOLVED = 1
const REJECTED = 2

/**
 * A call, start or watch waiting on `pid`: the target holds a watcher under `ref` (so its end
 * settles this at once), but the caller keeps no monitor entry of its own (this is it).
 *
 * Its promise is made last (`promise()`), once the request is out: a call answered meanwhile (a
 * process on the same thread that handled it at once) then gets an already settled promise, and
 * never pays for a promise's resolving functions.
 */
export class PendingCall {
  readonly target: Address
  /** The process watched: `target` resolved when the request was made. */
  readonly pid: Pid
  readonly ref: Ref
  readonly owner: Proc
  /** The timeout in ms, for the error message. */
  readonly ms: number
  kind: 'call' | 'spawn' | 'direct' | 'watch'
  /** The thread's timer for the timeout (scheduler/timers.ts TimerId), if any. */
  timer: { readonly at: number } | null = null
  /**
   * The caller's AbortSignal and the listener on it (a call made with `signal`), else null.
   * Whatever settles the call takes the listener off, so a long-lived signal holds no call.
   */
  abort: { readonly signal: AbortSignal; readonly listener: () => void } | null = null
  #resolve: ((value: unknown) => void) | null = null
  #reject: ((error: unknown) => void) | null = null
  /** Settled before its promise was made: how, and with what. */
  #state = OPEN
  #outcome: unknown = undefined
  /** Whatever answer comes, the promise fails with this (a start that timed out). */
  #failure: Error | null = null

  constructor(target: Address, pid: Pid, ref: Ref, owner: Proc, ms: number, kind: PendingCall['kind']) {
    this.target = target
    this.pid = pid
    this.ref = ref
    this.owner = owner
    this.ms = ms
    this.kind = kind
  }

  resolve(value: unknown): void {
    if (this.#failure !== null) this.#settle(REJECTED, this.#failure)
    else this.#settle(RESOLVED, value)
  }

  reject(error: Error): void {
    this.#settle(REJECTED, this.#failure ?? error)
  }

  /** From now on any answer fails the promise with `error`. */
  failWith(error: Error): void {
    this.#failure = error
  }

  /** The caller's promise; call once, after the request went out. */
  promise(): Promise<unknown> {
    if (this.#state === RESOLVED) return Promise.resolve(this.#outcome)
    if (this.#state === REJECTED) return Promise.reject(this.#outcome)
    return new Promise((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
  }

  #settle(state: number, outcome: unknown): void {
    if (this.#resolve !== null) {
      if (state === RESOLVED) this.#resolve(outcome)
      else (this.#reject as (error: unknown) => void)(outcome)
    } else if (this.#state === OPEN) {
      this.#state = state
      this.#outcome = outcome
    }
  }
}

/** What a Proc needs from the thread that runs it (implemented by the scheduler). */
export interface ProcessHost {
  send(from: Proc, to: Address, message: unknown, strict: boolean): boolean
  /** A promise `p` made was rejected and nobody handled it: `p` crashes with `reason`. */
  crashStray(p: Proc, reason: unknown): void
  cast(from: Proc, to: Address, request: unknown): void
  call(from: Proc, to: Address, request: unknown, options: CallOptions | undefined): Promise<unknown>
  reply(from: Proc, to: From, value: unknown): void
  replyError(from: Proc, to: From, error: unknown): void
  forwardCall(from: Proc, to: Pid, message: CallMessage): boolean
  spawn(parent: Proc, behaviour: BehaviourClass, args: unknown, options: SpawnOptions | undefined, link: boolean): Pid
  startProcess(parent: Proc, behaviour: BehaviourClass, args: unknown, options: StartOptions | undefined): Promise<Started>
  watch(p: Proc, pid: Pid): Promise<ExitReason>
  delay(p: Proc, ms: number): Promise<void>
  now(): number
  readonly workerThreads: number
  link(p: Proc, pid: Pid): void
  unlink(p: Proc, pid: Pid): void
  monitor(p: Proc, target: Address): Ref
  demonitor(p: Proc, ref: Ref, flush: boolean): boolean
  exitSignal(p: Proc, pid: Pid, reason: ExitReason): void
  requestStop(p: Proc, reason: ExitReason): void
  sendAfter(p: Proc, to: Address, message: unknown, ms: number): TimerRef
  register(p: Proc, name: string): void
  unregister(p: Proc, name: string): boolean
  whereis(name: string): Pid | undefined
  makeRef(): Ref
  createAlias(p: Proc): Ref
  deleteAlias(p: Proc, alias: Ref): void
  isAlias(v: unknown): boolean
  readonly nodeEnv: Readonly<Record<string, unknown>>
}

export class Proc implements ProcessContext {
  status: Status = Status.IDLE
  trapExitFlag = false
  readonly mailbox = new Fifo<unknown>(4)
  linked: Map<number, Pid> | null = null
  monitors: Map<number, MonitorEntry> | null = null
  watchers: RefTable<WatcherEntry> | null = null
  calls: RefTable<PendingCall> | null = null
  names: string[] | null = null
  /** The spawner, when it spawned linked (OTP's Parent). */
  parent: Pid | undefined = undefined
  /** Limits from the spawn options; null when none were given. */
  limits: ProcOptions | null = null
  /** Direct requests waiting: served before mailbox messages, bounded by directboxSize. */
  directbox: Fifo<DirectMessage> | null = null
  envOwn: Map<string, unknown> | null = null
  envInherited: Record<string, unknown> | null = null
  /**
   * The end asked for while a callback ran: by stop() (`runTerminate`), or by an exit signal
   * (then the first one wins, and the process is halted: see isHalted).
   */
  pendingExit: { reason: ExitReason; runTerminate: boolean } | null = null
  /**
   * Its calls are awaited by code outside any process (the node's own process, behind node.call,
   * node.spawn, node.direct): when it ends, they reject instead of ending with it.
   */
  external = false

  readonly self: Pid
  readonly host: ProcessHost
  readonly instance: BehaviourInstance

  constructor(self: Pid, host: ProcessHost, instance: BehaviourInstance) {
    this.self = self
    this.host = host
    this.instance = instance
  }

  send(to: Address, message: unknown): void {
    this.host.send(this, to, message, true)
  }

  trySend(to: Address, message: unknown): boolean {
    return this.host.send(this, to, message, false)
  }

  call<R = unknown>(to: Address, request: unknown, options?: CallOptions): Promise<R> {
    return this.host.call(this, to, request, options) as Promise<R>
  }

  cast(to: Address, request: unknown): void {
    this.host.cast(this, to, request)
  }

  replyError(from: From, error: unknown): void {
    this.host.replyError(this, from, error)
  }

  reply(from: From, value: unknown): void {
    this.host.reply(this, from, value)
  }

  forwardCall(to: Pid, message: CallMessage): boolean {
    return this.host.forwardCall(this, to, message)
  }

  spawn<A>(behaviour: BehaviourClass<A>, args?: A, options?: SpawnOptions): Pid {
    return this.host.spawn(this, behaviour as BehaviourClass, args, options, options?.link === true)
  }

  spawnLink<A>(behaviour: BehaviourClass<A>, args?: A, options?: SpawnOptions): Pid {
    return this.host.spawn(this, behaviour as BehaviourClass, args, options, true)
  }

  startProcess<A>(behaviour: BehaviourClass<A>, args?: A, options?: StartOptions): Promise<Started> {
    return this.host.startProcess(this, behaviour as BehaviourClass, args, options)
  }

  now(): number {
    return this.host.now()
  }

  watch(pid: Pid): Promise<ExitReason> {
    return this.host.watch(this, pid)
  }

  delay(ms: number): Promise<void> {
    return this.host.delay(this, ms)
  }

  get workerThreads(): number {
    return this.host.workerThreads
  }

  messageQueueLength(): number {
    return this.mailbox.length
  }

  link(pid: Pid): void {
    this.host.link(this, pid)
  }

  unlink(pid: Pid): void {
    this.host.unlink(this, pid)
  }

  monitor(target: Address): Ref {
    return this.host.monitor(this, target)
  }

  demonitor(ref: Ref, options?: { flush?: boolean }): boolean {
    return this.host.demonitor(this, ref, options?.flush === true)
  }

  exit(pid: Pid, reason: ExitReason): void {
    this.host.exitSignal(this, pid, reason)
  }

  stop(reason: ExitReason = 'normal'): void {
    this.host.requestStop(this, reason)
  }

  trapExit(on: boolean): boolean {
    const was = this.trapExitFlag
    this.trapExitFlag = on
    return was
  }

  sendAfter(to: Address, message: unknown, ms: number): TimerRef {
    return this.host.sendAfter(this, to, message, ms)
  }

  register(name: string): void {
    this.host.register(this, name)
  }

  unregister(name: string): boolean {
    return this.host.unregister(this, name)
  }

  whereis(name: string): Pid | undefined {
    return this.host.whereis(name)
  }

  links(): Pid[] {
    return this.linked === null ? [] : [...this.linked.values()]
  }

  makeRef(): Ref {
    return this.host.makeRef()
  }

  createAlias(): Ref {
    return this.host.createAlias(this)
  }

  deleteAlias(alias: Ref): void {
    this.host.deleteAlias(this, alias)
  }

  isAlias(alias: unknown): boolean {
    return this.host.isAlias(alias)
  }

  env(key: string): unknown {
    if (this.envOwn !== null && this.envOwn.has(key)) return this.envOwn.get(key)
    if (this.envInherited !== null && Object.hasOwn(this.envInherited, key)) return this.envInherited[key]
    return this.host.nodeEnv[key]
  }

  setEnv(key: string, value: unknown): void {
    if (value === undefined) this.envOwn?.delete(key)
    else (this.envOwn ??= new Map()).set(key, value)
  }

  envList(): Record<string, unknown> {
    return { ...this.host.nodeEnv, ...this.envForChild() }
  }

  /** What a child inherits: everything visible here except the node's own environment. */
  envForChild(): Record<string, unknown> {
    const out: Record<string, unknown> = { ...this.envInherited }
    if (this.envOwn !== null) for (const [k, v] of this.envOwn) out[k] = v
    return out
  }
}

export type { NamedProcess }
