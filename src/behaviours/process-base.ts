/**
 * ProcessBase: what every behaviour's `this` offers while it runs as a process (self, send,
 * call, spawn, link, monitor, timers, names, aliases, env, ...). Each method delegates to the
 * ProcessContext the runtime attaches before `init`; behaviours program against it and import
 * only `core`.
 */
import {
  kContext, kDirect,
  type CallOptions, type ProcessContext, type SpawnOptions, type StartOptions, type Started, type TimerRef,
  type BehaviourClass, type BehaviourInstance,
} from '../core/process-context.ts'
import type { Address, Pid, Ref, TypedPid } from '../core/pid.ts'
import type { AddressOf, CallOf, CastOf, MessageOf, ReplyTo, SpawnableClass } from '../core/behaviour-types.ts'
import type { ExitReason } from '../core/exit.ts'
import type { From } from '../core/envelope.ts'
import { makeError } from '../core/errors.ts'
import { offload, type OffloadOptions } from '../core/offload.ts'

export abstract class ProcessBase {
  /** @hidden The runtime attaches the context here before init. */
  [kContext]: ProcessContext | undefined = undefined

  /**
   * Answer a direct request (`node.direct`): served before mailbox messages, one at a time.
   * @throws ERR_UNSUPPORTED_REQUEST unless overridden
   */
  handleDirect(_request: unknown): unknown {
    throw makeError('ERR_UNSUPPORTED_REQUEST', this.self.toString(), 'direct requests (it has no handleDirect)')
  }

  /** @hidden The runtime's hook: one direct request. */
  [kDirect](request: unknown): unknown {
    return this.handleDirect(request)
  }

  /** The running process's context. @throws ERR_NOT_IN_PROCESS before the process starts */
  protected get context(): ProcessContext {
    const ctx = this[kContext]
    if (ctx === undefined) throw makeError('ERR_NOT_IN_PROCESS', 'this process context')
    return ctx
  }

  /** This process's pid. @throws ERR_NOT_IN_PROCESS before the process starts (in a constructor, say) */
  get self(): Pid {
    return this.context.self
  }

  /** The process that spawned this one linked, if any (OTP's Parent). */
  get parent(): Pid | undefined {
    return this.context.parent
  }

  /**
   * Send `message` to a pid, a registered name or an alias (Erlang's `!`). It returns at once;
   * a dead pid drops the message (a dead letter, counted in `node.stats()`).
   *
   * Details: on this thread the message is handed over as is, with no copy (treat it as
   * immutable); to another thread it is encoded with cbor. Messages from one sender to one
   * receiver arrive in the order sent. A message to a full mailbox on another thread is dropped
   * and counted there. Given a typed pid (from `spawn`), the message is type-checked against
   * its class's messages (an Actor's `Msg`, a Server's `Info`); a name, an alias or a plain Pid
   * takes anything.
   *
   * @throws ERR_UNKNOWN_NAME when no process has the name
   * @throws ERR_UNKNOWN_ALIAS when the alias is not active
   * @throws ERR_MAILBOX_FULL when a target on this thread has a full mailbox and no fallback
   * @throws ERR_NOT_SERIALIZABLE when the message cannot cross to the target's thread (a function, a class instance)
   * @throws ERR_INVALID_ARG_TYPE when `to` is not a Pid, a name or a Ref
   * @example
   * ```ts
   * this.send(this.parent ?? 'logger', { type: 'tick', at: this.now() })
   * ```
   */
  send<T = never>(to: AddressOf<T>, message: MessageOf<T>): void {
    this.context.send(to, message)
  }

  /**
   * Like `send`, but returns false instead of throwing when the name or alias is unknown or a
   * mailbox on this thread is full. True means handed over, not handled.
   *
   * @throws ERR_NOT_SERIALIZABLE, ERR_INVALID_ARG_TYPE all the same: a bad message or address is a bug, not a state
   */
  trySend<T = never>(to: AddressOf<T>, message: MessageOf<T>): boolean {
    return this.context.trySend(to, message)
  }

  /**
   * Call a process: send it `{ type: '$call', from, request }` and resolve with its reply (OTP's
   * gen_server:call). Given a typed pid (from `spawn`), the request is type-checked against its
   * class's calls (a Server's `Call`, an Actor's `CallMessage<R>` messages) and the reply typed
   * (a Server's `Reply`); to a name, an alias or a plain Pid, `call<R>` names the reply type.
   *
   * Details: the call monitors its target, so it never waits for a process that is gone. Replies
   * bypass the mailbox: awaiting a call inside a callback suspends this process (not the
   * thread) and the reply still reaches it. Default timeout 5000 ms; `Infinity` waits for ever.
   *
   * Gotcha: two processes that call each other at once wait for each other until a timeout.
   *
   * @throws ERR_NOPROC (rejects, `reason` 'noproc') when no such process or name exists
   * @throws ERR_CALL_EXIT (rejects) when the target ends before replying; `reason` is its exit reason ('noconnection' if its thread died)
   * @throws ERR_CALL_TIMEOUT (rejects) after `options.timeout`; a reply that comes later is dropped
   * @throws ERR_CALL_ABORTED (rejects, `reason` 'aborted', `cause` the signal's reason) when
   *   `options.signal` aborts first (at once if it already has); a reply that comes later is dropped
   * @throws ERR_CALLING_SELF (rejects) for a call to this process itself
   * @throws ERR_MAILBOX_FULL, ERR_NOT_SERIALIZABLE, ERR_INVALID_ARG_VALUE (`timeout`) (rejects)
   * @throws ERR_UNKNOWN_OPTION, ERR_INVALID_ARG_TYPE (rejects) for an unknown key in `options`, options that are not an object, or a `signal` that is no AbortSignal
   * @example
   * ```ts
   * const total = await this.call<number>('counter', 'get', { timeout: 1000 })
   * ```
   */
  call<R = unknown, T = never>(to: AddressOf<T>, request: CallOf<T>, options?: CallOptions): Promise<ReplyTo<T, R>> {
    // One signature, not a typed and an untyped overload: a wrong request to a typed pid then
    // reports the request type it should have been, where an overload set made TypeScript 7
    // report only its last (untyped) overload's complaint about the pid.
    return this.context.call<ReplyTo<T, R>>(to, request, options)
  }

  /**
   * Send `{ type: '$cast', request }` (OTP's gen_server:cast): no reply, no wait. Given a typed
   * pid, the request is type-checked (a Server's `Cast`, an Actor's `CastMessage<R>` messages).
   * Like gen_server:cast it never fails for its target: a name nobody holds, or a dead process,
   * counts a dead letter.
   * @throws ERR_INVALID_ARG_TYPE for anything but a Pid, a name or an alias; ERR_NOT_SERIALIZABLE
   */
  cast<T = never>(to: AddressOf<T>, request: CastOf<T>): void {
    this.context.cast(to, request)
  }

  /**
   * Answer the call `from` with `value`, now or from a later callback (OTP's gen_server:reply).
   * A reply to a caller that has gone or given up is dropped; a second reply too.
   * @throws ERR_NOT_SERIALIZABLE when `value` cannot cross to the caller's thread
   * @example
   * ```ts
   * receive(m: CallMessage<'next'> | { type: 'ready' }) {
   *   if (m.type === '$call') this.waiting.push(m.from)        // answered later
   *   else for (const from of this.waiting.splice(0)) this.reply(from, 'go')
   * }
   * ```
   */
  reply(from: From, value: unknown): void {
    this.context.reply(from, value)
  }

  /** Answer a call with a failure: the caller's promise rejects with `error` (an Error travels with its code). */
  replyError(from: From, error: unknown): void {
    this.context.replyError(from, error)
  }

  /**
   * Spawn a process and return its pid at once (OTP's spawn); its `init` runs later, on its own
   * thread. Without placement options it runs on this process's thread. With `link: true` it is
   * `spawnLink`. The pid is typed by the class (`TypedPid<Class>`): sends, calls and casts
   * through it are type-checked, and `args` are checked against the class's `init`.
   *
   * Details: messages sent to the new pid before it has started are held and delivered in order.
   * An init that fails just ends the process: use `startProcess` to wait for init and see why.
   *
   * @throws ERR_NOT_A_BEHAVIOUR when `behaviour` is not a behaviour class
   * @throws ERR_UNKNOWN_OPTION, ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE for bad options
   * @throws ERR_NAME_TAKEN, ERR_NAME_TOO_LONG, ERR_REGISTRY_FULL for `options.name`
   * @throws ERR_BEHAVIOUR_NOT_REGISTERED when it goes to another thread and no module in the node's `modules` exports the class
   * @throws ERR_NOT_SERIALIZABLE when it goes to another thread and `args` (or `env`) cannot
   * @throws ERR_THREAD_DOWN when the target thread died for good; ERR_NODE_STOPPED when the node is stopping
   * @example
   * ```ts
   * const worker = this.spawn(Worker, { job }, { thread: 'any' })
   * this.monitor(worker)
   * ```
   */
  spawn<A, I extends BehaviourInstance>(behaviour: SpawnableClass<A, I>, args?: A, options?: SpawnOptions): TypedPid<I> {
    return this.context.spawn(behaviour, args, options)
  }

  /**
   * Spawn linked to this process (OTP's spawn_link): when either ends, the other gets an exit
   * signal. The link exists before the child runs, so an init that fails reaches this process
   * as an exit signal (an ExitMessage when it traps exits). The child's `parent` is this process.
   * @throws as `spawn`
   */
  spawnLink<A, I extends BehaviourInstance>(behaviour: SpawnableClass<A, I>, args?: A, options?: SpawnOptions): TypedPid<I> {
    return this.context.spawnLink(behaviour, args, options)
  }

  /**
   * Spawn and wait for init: the pid, or 'ignore'. With `link: true` it is OTP's start_link.
   * Rejects ERR_INIT_FAILED (`reason` = what init threw or stopped with) or ERR_START_TIMEOUT
   * (`options.timeout` passed: the process is killed), ERR_INVALID_ARG_VALUE (a `timeout` that is
   * not positive), and with `spawn`'s errors.
   */
  startProcess<A>(behaviour: BehaviourClass<A>, args?: A, options?: StartOptions): Promise<Started> {
    return this.context.startProcess(behaviour, args, options)
  }

  /**
   * Run a blocking function on the node's offload pool (the BEAM's dirty schedulers): `module`'s
   * export `name` is called with `args` on a piscina thread, and this resolves with its result.
   * The process waits as it waits for a call; every other process on its thread runs meanwhile.
   * Rejects ERR_OFFLOAD_FAILED (the function threw: `reason` has its name, message and code),
   * ERR_OFFLOAD_NOT_FOUND (no such module or export), ERR_OFFLOAD_TIMEOUT (past `options.timeout`:
   * the offload thread running it is stopped), ERR_OFFLOAD_CLOSED (the node stopped first).
   *
   * Gotchas: `args` and the result cross threads (plain data, as messages); the module is
   * imported once per offload thread. The offload pool starts on the first offload.
   *
   * @throws ERR_INVALID_ARG_TYPE (module, name, args), ERR_INVALID_ARG_VALUE (timeout)
   * @example
   * ```ts
   * async receive(job: { text: string }) {
   *   const words = await this.offload<number>(new URL('./jobs.js', import.meta.url), 'countWords', [job.text])
   * }
   * ```
   */
  offload<R = unknown>(module: string | URL, name: string, args?: readonly unknown[], options?: OffloadOptions): Promise<R> {
    return offload<R>(this.context, module, name, args, options)
  }

  /** Milliseconds on this thread's clock (virtual under the test kit's clock). */
  now(): number {
    return this.context.now()
  }

  /** Resolve with `pid`'s exit reason once it ends ('noproc' if it already has). */
  watch(pid: Pid): Promise<ExitReason> {
    return this.context.watch(pid)
  }

  /** Resolve after `ms` on this thread's clock (the process stays suspended meanwhile). Rejects ERR_INVALID_ARG_VALUE for a negative `ms`. */
  delay(ms: number): Promise<void> {
    return this.context.delay(ms)
  }

  /** How many worker threads the node has (0: the main thread only). */
  get workerThreads(): number {
    return this.context.workerThreads
  }

  /** Messages waiting in this process's mailbox (Erlang's message_queue_len). */
  messageQueueLength(): number {
    return this.context.messageQueueLength()
  }

  /**
   * Link this process and `pid`, both ways (Erlang's link/1): when either ends, the other gets
   * an exit signal with its reason, which ends it too unless the reason is 'normal' or it traps
   * exits. Linking again, or to itself, does nothing.
   *
   * Details: a gone process on another thread answers with an exit signal 'noproc'; a thread
   * that dies sends 'noconnection' to every process linked to one of its processes.
   *
   * @throws ERR_NOPROC when `pid` is on this thread and already gone (when this process traps
   *   exits, an ExitMessage with reason 'noproc' arrives instead)
   * @throws ERR_INVALID_ARG_TYPE when `pid` is not a Pid
   */
  link(pid: Pid): void {
    this.context.link(pid)
  }

  /**
   * Remove the link to `pid`, both ways (Erlang's unlink/1); an exit signal of that link still
   * on its way is dropped, and while trapping exits an EXIT from `pid` already queued is removed.
   * Not linked: nothing happens.
   */
  unlink(pid: Pid): void {
    this.context.unlink(pid)
  }

  /**
   * Monitor `target`, a pid or a registered name (Erlang's monitor/2): when it ends, this
   * process gets one `{ type: 'DOWN', ref, pid, reason }` (a DownMessage). Returns the ref
   * that names the monitor. Each call makes a new monitor.
   *
   * Details: a target already gone, or a name nobody holds, fires at once with 'noproc'; a
   * monitor by name reports `pid` as `{ name, node }`. A monitor is one-way: the target knows
   * nothing of it and is not affected.
   *
   * @throws ERR_INVALID_ARG_TYPE for anything but a Pid or a name (an alias cannot be monitored)
   * @example
   * ```ts
   * this.watching.set(this.monitor(worker).key, job)
   * // later, in receive: if (isDownMessage(m)) this.retry(this.watching.get(m.ref.key))
   * ```
   */
  monitor(target: Address): Ref {
    return this.context.monitor(target)
  }

  /**
   * Remove a monitor (Erlang's demonitor/2); true if it was still active, false if it had fired
   * or is not this process's. With `flush: true` its DOWN, when already queued, is removed too.
   */
  demonitor(ref: Ref, options?: { flush?: boolean }): boolean {
    return this.context.demonitor(ref, options)
  }

  /**
   * Send an exit signal to `pid` (Erlang's exit/2). `'kill'` ends it with 'killed', trapping or
   * not; a process that traps exits gets an ExitMessage instead; `'normal'` is ignored (except by
   * this process itself, which ends 'normal'); any other reason ends it, without `terminate`.
   * To `this.self`, it takes effect at once, as in Erlang: nothing after the call runs (it
   * throws to unwind the callback; a `catch` that swallows it changes nothing).
   * @throws ERR_INVALID_ARG_TYPE when `pid` is not a Pid or `reason` is missing
   */
  exit(pid: Pid, reason: ExitReason): void {
    this.context.exit(pid, reason)
  }

  /** End this process with `reason` (default 'normal') once the current callback returns. */
  stop(reason?: ExitReason): void {
    this.context.stop(reason)
  }

  /**
   * Trap exits, or stop trapping (Erlang's process_flag(trap_exit)); returns the previous
   * setting. While on, exit signals other than 'kill' arrive as ExitMessages
   * (`{ type: 'EXIT', from, reason }`) instead of ending this process.
   */
  trapExit(on: boolean): boolean {
    return this.context.trapExit(on)
  }

  /**
   * Deliver `message` to `to` after `ms` on this thread's clock (Erlang's send_after); cancel it
   * with the returned TimerRef. A name or alias is resolved when the timer fires.
   *
   * Details: the message is dropped if this process has ended by then, or if the target is gone
   * or unknown. It is checked now when it may have to cross threads.
   *
   * @throws ERR_INVALID_ARG_VALUE unless `ms` is a non-negative number
   * @throws ERR_INVALID_ARG_TYPE when `to` is not a Pid, a name or a Ref
   * @throws ERR_NOT_SERIALIZABLE when the target may be on another thread and the message cannot travel
   * @example
   * ```ts
   * this.tick = this.sendAfter(this.self, { type: 'tick' }, 1000)
   * // ... this.tick.cancel()
   * ```
   */
  sendAfter<T = never>(to: AddressOf<T>, message: MessageOf<T>, ms: number): TimerRef {
    return this.context.sendAfter(to, message, ms)
  }

  /**
   * Register this process as `name`, node-wide (every thread resolves it), until it exits or
   * the name is unregistered. A process may hold several names.
   * @throws ERR_NAME_TAKEN when the name is held (`reason`: `{ already_started: pid }`)
   * @throws ERR_NAME_TOO_LONG beyond 108 UTF-8 bytes; ERR_REGISTRY_FULL when the name table is full (the node's `maxNames`)
   * @throws ERR_INVALID_ARG_TYPE for an empty name or one starting with NUL
   */
  register(name: string): void {
    this.context.register(name)
  }

  /** Remove the registered name, whichever process holds it (as Erlang's unregister/1); true if it was registered. */
  unregister(name: string): boolean {
    return this.context.unregister(name)
  }

  /** The pid registered as `name` now, or undefined (Erlang's whereis/1). */
  whereis(name: string): Pid | undefined {
    return this.context.whereis(name)
  }

  /** The processes this one is linked to now. */
  links(): Pid[] {
    return this.context.links()
  }

  /** A new unique Ref (Erlang's make_ref/0), for tagging requests and replies. */
  makeRef(): Ref {
    return this.context.makeRef()
  }

  /** A new alias (a Ref): messages sent to it reach this process until deleteAlias or exit. */
  createAlias(): Ref {
    return this.context.createAlias()
  }

  /**
   * Deactivate an alias: messages sent to it are no longer delivered (`send` then fails
   * ERR_UNKNOWN_ALIAS). An alias no longer active is ignored.
   * @throws ERR_ALIAS_OWNER when this process did not create `alias`
   */
  deleteAlias(alias: Ref): void {
    this.context.deleteAlias(alias)
  }

  /** True if `alias` is a Ref that is an active alias (of any process). */
  isAlias(alias: unknown): boolean {
    return this.context.isAlias(alias)
  }

  /** Own value, else inherited from the parent at spawn, else the node's. */
  env(key: string): unknown {
    return this.context.env(key)
  }

  /** Set this process's own value; `undefined` removes it (the inherited value shows again). */
  setEnv(key: string, value: unknown): void {
    this.context.setEnv(key, value)
  }

  /** Every environment entry this process sees, its own values winning over inherited ones and the node's. */
  envList(): Record<string, unknown> {
    return this.context.envList()
  }
}
