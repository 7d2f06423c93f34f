/**
 * The interface every behaviour programs against. The scheduler implements it for a process;
 * a test harness may implement it with no threads at all. Behaviours import only `core`.
 *
 * The runtime drives a behaviour instance through three symbol-keyed hooks:
 *   kInit(args)      once, before the first message
 *   kDispatch(msg)   once per mailbox message, one at a time
 *   kTerminate(r)    when the process ends by its own action or node shutdown (not when killed)
 * Each may return a Promise; the process takes no next message until it settles.
 */
import type { Address, Pid, Ref } from './pid.ts'
import type { ExitReason } from './exit.ts'
import type { From } from './envelope.ts'

export const kContext = Symbol('skein.context')
export const kInit = Symbol('skein.init')
export const kDispatch = Symbol('skein.dispatch')
export const kTerminate = Symbol('skein.terminate')
/** Optional hook: answer a direct request (node.direct); a throw goes back to the requester. */
export const kDirect = Symbol('skein.direct')
/** Marks a class as a behaviour; its value names the kind ('actor', 'server', ...). */
export const kBehaviour = Symbol.for('skein.behaviour')

export type Settle = void | Promise<void>

/**
 * What `kInit` returns (or resolves to) to decline the start, as OTP's init returning `ignore`:
 * the process ends with reason 'normal' (no terminate) and whoever awaited its start gets 'ignore'.
 */
export const IGNORE: unique symbol = Symbol.for('skein.ignore')

/** The outcome of a start that waited for init: the pid, or 'ignore' when init declined. */
export type Started = Pid | 'ignore'

/** What the runtime needs from a behaviour instance. */
export interface BehaviourInstance {
  [kContext]: ProcessContext | undefined
  [kInit](args: unknown): Settle | typeof IGNORE | Promise<void | typeof IGNORE>
  [kDispatch](message: unknown): Settle
  [kTerminate](reason: ExitReason): Settle
  [kDirect]?(request: unknown): unknown
}

/** A class the runtime can instantiate as a process; `Args` is what its init takes. */
export type BehaviourClass<Args = unknown> = new () => BehaviourInstance & { init(args: Args): unknown }

/** Where a process runs. Without placement it runs on the caller's thread. */
export interface SpawnOptions {
  /** Register the process under this name (unique across the node). */
  name?: string
  /** A thread index (0 is the main thread), or `'any'` for the least loaded worker thread. */
  thread?: number | 'any'
  /** Place by `hash(key) % workerThreads`; the same key always lands on the same thread. */
  key?: string | number
  /** Link the new process to the spawner (spawnLink). */
  link?: boolean
  /** Start with trapExit on, before init runs. */
  trapExit?: boolean
  /** Most messages waiting in the mailbox; beyond it a send fails (or goes to `fallback`). */
  mailboxSize?: number
  /** Where messages go when the mailbox is full: `{ type: 'fallback', process, tag, message }` to `name`. */
  fallback?: { name: string; tag: string }
  /** Most direct requests waiting (default 100); beyond it node.direct fails with ERR_PROCESS_BUSY. */
  directboxSize?: number
  /** The process's own environment; it overrides what it inherits from its parent and the node. */
  env?: Record<string, unknown>
}

/** Spawn options for a start that waits for init (OTP's start / start_link). */
export interface StartOptions extends SpawnOptions {
  /** Milliseconds init may take (default Infinity); beyond it the process is killed and the start fails 'timeout'. */
  timeout?: number
}

export interface CallOptions {
  /** Milliseconds to wait for the reply (default 5000); `Infinity` waits for ever. */
  timeout?: number
}

export interface TimerRef {
  /** True if it prevented the delivery; false if the message was already sent or dropped. */
  cancel(): boolean
}

/**
 * Who can use a behaviour's client functions (`Server.start(caller, ...)`, `Supervisor.startChild
 * (caller, ...)`): the node, or a running process (`this` inside a behaviour), as OTP's module
 * functions run in whichever process calls them.
 */
export interface Caller {
  call<R = unknown>(to: Address, request: unknown, options?: CallOptions): Promise<R>
  cast(to: Address, request: unknown): void
  send(to: Address, message: unknown): void
  startProcess<A>(behaviour: BehaviourClass<A>, args?: A, options?: StartOptions): Promise<Started>
}

/** Capabilities a running process has. */
export interface ProcessContext {
  readonly self: Pid
  /** The process that spawned this one linked (spawnLink), as OTP's Parent; undefined otherwise. */
  readonly parent: Pid | undefined
  /** Send `message` to a pid or registered name. @throws ERR_UNKNOWN_NAME, ERR_NOT_SERIALIZABLE */
  send(to: Address, message: unknown): void
  /** Like send, but returns false instead of throwing for an unknown name. */
  trySend(to: Address, message: unknown): boolean
  /** Send `{type:'$call', from, request}` and resolve with the reply. */
  call<R = unknown>(to: Address, request: unknown, options?: CallOptions): Promise<R>
  /** Send `{type:'$cast', request}`. */
  cast(to: Address, request: unknown): void
  /** Answer a call. A reply to a caller that has gone or given up is dropped. */
  reply(from: From, value: unknown): void
  /** Answer a call with a failure: the caller's promise rejects with `error`. */
  replyError(from: From, error: unknown): void
  spawn<A>(behaviour: BehaviourClass<A>, args?: A, options?: SpawnOptions): Pid
  spawnLink<A>(behaviour: BehaviourClass<A>, args?: A, options?: SpawnOptions): Pid
  /**
   * Spawn (linked with `link: true`) and resolve once init has finished: the pid, or 'ignore'.
   * Rejects ERR_INIT_FAILED (`reason` = what init threw or stopped with) or ERR_START_TIMEOUT.
   */
  startProcess<A>(behaviour: BehaviourClass<A>, args?: A, options?: StartOptions): Promise<Started>
  /** Milliseconds on this thread's clock (virtual under the test kit's clock). */
  now(): number
  /** Resolve with `pid`'s exit reason once it ends ('noproc' if it already has); usable inside a callback. */
  watch(pid: Pid): Promise<ExitReason>
  /** Resolve after `ms` on this thread's clock; usable inside a callback (the process stays suspended). */
  delay(ms: number): Promise<void>
  /** How many worker threads the node has (0: the main thread only). */
  readonly workerThreads: number
  /** Messages waiting in this process's mailbox (Erlang's message_queue_len). */
  messageQueueLength(): number
  link(pid: Pid): void
  unlink(pid: Pid): void
  monitor(target: Address): Ref
  demonitor(ref: Ref, options?: { flush?: boolean }): boolean
  /** Send an exit signal to `pid` (PROC-R5). */
  exit(pid: Pid, reason: ExitReason): void
  /** End this process with `reason` once the current callback returns. */
  stop(reason?: ExitReason): void
  trapExit(on: boolean): boolean
  sendAfter(to: Address, message: unknown, ms: number): TimerRef
  register(name: string): void
  unregister(name: string): boolean
  whereis(name: string): Pid | undefined
  links(): Pid[]
  makeRef(): Ref
  /** A new alias: messages sent to it reach this process until deleteAlias or exit. */
  createAlias(): Ref
  /** @throws ERR_ALIAS_OWNER when called by another process than the creator */
  deleteAlias(alias: Ref): void
  isAlias(alias: unknown): boolean
  /** Environment lookup: own value, else inherited from the parent at spawn, else the node's. */
  env(key: string): unknown
  /** Set (or with undefined, remove) this process's own value for `key`. */
  setEnv(key: string, value: unknown): void
  /** Every visible environment entry, own values winning. */
  envList(): Record<string, unknown>
}
