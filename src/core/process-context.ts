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
import type { CallMessage, From } from './envelope.ts'

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

/**
 * A class the runtime can instantiate as a process (a subclass of Actor, Server, Supervisor,
 * Stage, ...); `Args` is what its init takes.
 *
 * Gotcha: to run on another thread than its spawner's, the class must be exported by a module
 * in the node's `modules` (else the spawn fails `ERR_BEHAVIOUR_NOT_REGISTERED`).
 */
export type BehaviourClass<Args = unknown> = new () => BehaviourInstance & { init(args: Args): unknown }

/**
 * How a process is spawned: where it runs, its name, its link, its mailbox limits and its
 * environment. Without placement (`thread` or `key`) a process's spawn runs on the spawner's
 * thread, and `node.spawn` on the least loaded worker thread (the main thread for a class or
 * args that cannot cross threads).
 *
 * Unknown keys fail `ERR_UNKNOWN_OPTION`, wrong types `ERR_INVALID_ARG_TYPE`, values out of
 * range `ERR_INVALID_ARG_VALUE` (a `thread` beyond the node's, `thread` and `key` together, a
 * `mailboxSize` below 1, a name starting with NUL).
 *
 * @example
 * ```ts
 * await node.spawn(Cache, { ttl: 60 }, { name: 'cache', key: 'cache', mailboxSize: 10_000 })
 * ```
 */
export interface SpawnOptions {
  /** Register the process under this name (unique across the node). */
  name?: string
  /** A thread index (0 is the main thread), or `'any'` for the least loaded worker thread. */
  thread?: number | 'any'
  /** Place on worker thread `1 + hash(key) % workerThreads` (thread 0 with none); the same key always lands on the same thread. */
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

/**
 * Options of a call (`call`, `node.call`, `node.direct`, `Server.call`).
 *
 * @example
 * ```ts
 * const controller = new AbortController()
 * const reply = node.call('search', query, { timeout: 30_000, signal: controller.signal })
 * controller.abort()   // reply rejects ERR_CALL_ABORTED; the server's late answer is dropped
 * ```
 */
export interface CallOptions {
  /** Milliseconds to wait for the reply (default 5000); `Infinity` waits for ever. A negative value fails ERR_INVALID_ARG_VALUE. */
  timeout?: number
  /**
   * Give up waiting when this signal aborts, as piscina's `run` does: the call rejects
   * `ERR_CALL_ABORTED` (`reason: 'aborted'`, `cause`: the signal's reason) and a reply that
   * comes later is dropped (counted in `stats().lateReplies`). A signal already aborted rejects
   * at once and sends nothing. Aborting after the call has settled does nothing.
   *
   * Details: the signal stays on the caller's thread (it cannot cross threads, and need not):
   * only the caller's record of the call is dropped, so it works for a target on any thread.
   * The request itself is not withdrawn: the target may still handle it. Not an AbortSignal:
   * ERR_INVALID_ARG_TYPE (as a rejection). `AbortSignal.timeout(ms)` works too.
   */
  signal?: AbortSignal
}

/** A message `sendAfter` will deliver: cancel it while it is still pending. */
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
  /** Call `to` and resolve with the reply (see `ProcessContext.call`). */
  call<R = unknown>(to: Address, request: unknown, options?: CallOptions): Promise<R>
  /** Send `to` a `{ type: '$cast', request }` (see `ProcessContext.cast`). */
  cast(to: Address, request: unknown): void
  /** Send `to` a message (see `ProcessContext.send`). */
  send(to: Address, message: unknown): void
  /** Spawn and wait for init (see `ProcessContext.startProcess`). */
  startProcess<A>(behaviour: BehaviourClass<A>, args?: A, options?: StartOptions): Promise<Started>
}

/**
 * Capabilities a running process has: what `this` offers inside a behaviour (each behaviour's
 * methods of the same names delegate here), and what a test harness implements to run a
 * behaviour without threads.
 *
 * Details: everything acts as this process (the sender of its messages, the owner of its links,
 * monitors, names and timers). Once the process has ended (code still running after a kill),
 * sends, replies and exit signals are dropped; calls, starts, watches and delays reject, and
 * spawns throw, `ERR_PROCESS_TERMINATED`.
 */
export interface ProcessContext {
  /** This process's pid. */
  readonly self: Pid
  /** The process that spawned this one linked (spawnLink), as OTP's Parent; undefined otherwise. */
  readonly parent: Pid | undefined
  /**
   * Send `message` to a pid, a registered name or an alias. A dead pid drops it (a dead letter).
   * @throws ERR_UNKNOWN_NAME, ERR_UNKNOWN_ALIAS, ERR_MAILBOX_FULL (a full mailbox on this
   *   thread, no fallback), ERR_NOT_SERIALIZABLE (it cannot cross to the target's thread),
   *   ERR_INVALID_ARG_TYPE (`to` is no address)
   */
  send(to: Address, message: unknown): void
  /**
   * Like send, but returns false instead of throwing for an unknown name or alias or a full
   * mailbox on this thread. @throws ERR_NOT_SERIALIZABLE, ERR_INVALID_ARG_TYPE all the same
   */
  trySend(to: Address, message: unknown): boolean
  /**
   * Send `{type:'$call', from, request}` and resolve with the reply (default timeout 5000 ms).
   * Rejects ERR_NOPROC (no such process or name), ERR_CALL_EXIT (it ended first: `reason`),
   * ERR_CALL_TIMEOUT, ERR_CALL_ABORTED (`options.signal` aborted), ERR_CALLING_SELF,
   * ERR_MAILBOX_FULL, ERR_NOT_SERIALIZABLE, ERR_INVALID_ARG_VALUE (timeout),
   * ERR_INVALID_ARG_TYPE (signal), or with the error the target sent by `replyError`.
   */
  call<R = unknown>(to: Address, request: unknown, options?: CallOptions): Promise<R>
  /** Send `{type:'$cast', request}`: no reply; never fails for a missing name or dead process (a dead letter). @throws ERR_INVALID_ARG_TYPE, ERR_NOT_SERIALIZABLE */
  cast(to: Address, request: unknown): void
  /**
   * Answer a call. A reply to a caller that has gone or given up is dropped.
   * @throws ERR_NOT_SERIALIZABLE when `value` cannot cross to the caller's thread
   */
  reply(from: From, value: unknown): void
  /** Answer a call with a failure: the caller's promise rejects with `error`. */
  replyError(from: From, error: unknown): void
  /**
   * Hand a call made to this process on to `to`, which answers the caller directly (OTP's
   * forwarding of a `From`): the caller's watch moves to `to`, so `to` dying fails the call at
   * once with its reason. False if `to`'s mailbox on this thread is full (nothing was sent).
   */
  forwardCall(to: Pid, message: CallMessage): boolean
  /**
   * Spawn a process and return its pid at once; its init runs later, on its own thread (OTP's
   * spawn). With `link: true` it is spawnLink. An init that fails just ends the process.
   * @throws ERR_NOT_A_BEHAVIOUR, ERR_UNKNOWN_OPTION, ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE
   *   (options), ERR_NAME_TAKEN, ERR_NAME_TOO_LONG, ERR_REGISTRY_FULL (`name`),
   *   ERR_BEHAVIOUR_NOT_REGISTERED, ERR_NOT_SERIALIZABLE (another thread), ERR_THREAD_DOWN,
   *   ERR_NODE_STOPPED
   */
  spawn<A>(behaviour: BehaviourClass<A>, args?: A, options?: SpawnOptions): Pid
  /**
   * Spawn linked to this process (OTP's spawn_link): the link exists before the child runs, so
   * an init that fails reaches this process as an exit signal. @throws as `spawn`
   */
  spawnLink<A>(behaviour: BehaviourClass<A>, args?: A, options?: SpawnOptions): Pid
  /**
   * Spawn (linked with `link: true`) and resolve once init has finished: the pid, or 'ignore'.
   * Rejects ERR_INIT_FAILED (`reason` = what init threw or stopped with) or ERR_START_TIMEOUT,
   * ERR_INVALID_ARG_VALUE (timeout), and with `spawn`'s errors.
   */
  startProcess<A>(behaviour: BehaviourClass<A>, args?: A, options?: StartOptions): Promise<Started>
  /** Milliseconds on this thread's clock (virtual under the test kit's clock). */
  now(): number
  /** Resolve with `pid`'s exit reason once it ends ('noproc' if it already has); usable inside a callback. */
  watch(pid: Pid): Promise<ExitReason>
  /** Resolve after `ms` on this thread's clock; usable inside a callback (the process stays suspended). Rejects ERR_INVALID_ARG_VALUE for a negative `ms`. */
  delay(ms: number): Promise<void>
  /** How many worker threads the node has (0: the main thread only). */
  readonly workerThreads: number
  /** Messages waiting in this process's mailbox (Erlang's message_queue_len). */
  messageQueueLength(): number
  /**
   * Link to `pid`, both ways: when either ends, the other gets an exit signal with its reason.
   * Linking again, or to itself, does nothing. A gone process on another thread answers with
   * an exit signal 'noproc'.
   * @throws ERR_NOPROC when `pid` is on this thread and already gone (trapping, an EXIT with
   *   'noproc' arrives instead), ERR_INVALID_ARG_TYPE when it is not a Pid
   */
  link(pid: Pid): void
  /** Remove the link to `pid`, both ways; a trapped EXIT from it already queued is removed too. */
  unlink(pid: Pid): void
  /**
   * Monitor `target` (a pid or a registered name): when it ends, a DownMessage comes once. A
   * target already gone, or a name nobody holds, fires at once with 'noproc'. Returns its ref.
   * @throws ERR_INVALID_ARG_TYPE for anything but a Pid or a name
   */
  monitor(target: Address): Ref
  /** Remove a monitor; true if it was active. `flush` also drops its DOWN already in the mailbox. */
  demonitor(ref: Ref, options?: { flush?: boolean }): boolean
  /**
   * Send an exit signal to `pid` (PROC-R5): `'kill'` ends it untrappably with 'killed'. To this
   * process itself it takes effect at once: the callback is unwound, nothing after it runs.
   */
  exit(pid: Pid, reason: ExitReason): void
  /** End this process with `reason` once the current callback returns. */
  stop(reason?: ExitReason): void
  /** Trap exit signals (other than 'kill') as ExitMessages, or stop; returns the previous setting. */
  trapExit(on: boolean): boolean
  /**
   * Deliver `message` to `to` after `ms` on this thread's clock; dropped if this process or the
   * target is gone by then (a name or alias is resolved when it fires).
   * @throws ERR_INVALID_ARG_VALUE (`ms`), ERR_INVALID_ARG_TYPE (`to`), ERR_NOT_SERIALIZABLE
   */
  sendAfter(to: Address, message: unknown, ms: number): TimerRef
  /**
   * Register this process as `name`, node-wide, until it exits.
   * @throws ERR_NAME_TAKEN (`reason`: `{ already_started: pid }`), ERR_NAME_TOO_LONG,
   *   ERR_REGISTRY_FULL, ERR_INVALID_ARG_TYPE (empty, or starting with NUL)
   */
  register(name: string): void
  /** Remove the name, whoever holds it (as Erlang's unregister); true if it was registered. */
  unregister(name: string): boolean
  /** The pid registered as `name`, or undefined. */
  whereis(name: string): Pid | undefined
  /** The processes this one is linked to. */
  links(): Pid[]
  /** A new unique Ref. */
  makeRef(): Ref
  /** A new alias: messages sent to it reach this process until deleteAlias or exit. */
  createAlias(): Ref
  /**
   * Deactivate an alias: messages sent to it are no longer delivered. An inactive one is ignored.
   * @throws ERR_ALIAS_OWNER when called by another process than the creator
   */
  deleteAlias(alias: Ref): void
  /** True if `alias` is a Ref that is an active alias (of any process). */
  isAlias(alias: unknown): boolean
  /** Environment lookup: own value, else inherited from the parent at spawn, else the node's. */
  env(key: string): unknown
  /** Set (or with undefined, remove) this process's own value for `key`. */
  setEnv(key: string, value: unknown): void
  /** Every visible environment entry, own values winning. */
  envList(): Record<string, unknown>
}
