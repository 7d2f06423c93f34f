/**
 * ProcessBase: what every behaviour's `this` offers while it runs as a process (self, send,
 * call, spawn, link, monitor, timers, names, aliases, env, ...). Each method delegates to the
 * ProcessContext the runtime attaches before `init`; behaviours program against it and import
 * only `core`.
 */
import {
  kContext, kDirect,
  type CallOptions, type ProcessContext, type SpawnOptions, type StartOptions, type Started, type TimerRef,
  type BehaviourClass,
} from '../core/process-context.ts'
import type { Address, Pid, Ref, TypedPid, UntypedAddress } from '../core/pid.ts'
import type { CallOf, CastOf, ReplyOf, Server } from './server.ts'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyServer = Server<any, any, any, any>
import type { ExitReason } from '../core/exit.ts'
import type { From } from '../core/envelope.ts'
import { makeError } from '../core/errors.ts'
import { OFFLOAD_SERVICE, offloadCall, type OffloadOptions } from '../core/offload.ts'

export abstract class ProcessBase {
  ;[kContext]: ProcessContext | undefined = undefined

  /**
   * Answer a direct request (`node.direct`): served before mailbox messages, one at a time.
   * @throws ERR_UNSUPPORTED_REQUEST unless overridden
   */
  handleDirect(_request: unknown): unknown {
    throw makeError('ERR_UNSUPPORTED_REQUEST', this.self.toString())
  }

  [kDirect](request: unknown): unknown {
    return this.handleDirect(request)
  }

  /** The running process's context. @throws ERR_NOT_IN_PROCESS before the process starts */
  protected get context(): ProcessContext {
    const ctx = this[kContext]
    if (ctx === undefined) throw makeError('ERR_NOT_IN_PROCESS', 'this process context')
    return ctx
  }

  get self(): Pid {
    return this.context.self
  }

  /** The process that spawned this one linked, if any (OTP's Parent). */
  get parent(): Pid | undefined {
    return this.context.parent
  }

  send(to: Address, message: unknown): void {
    this.context.send(to, message)
  }

  trySend(to: Address, message: unknown): boolean {
    return this.context.trySend(to, message)
  }

  /** Call a process; given a typed pid of a Server, the request and reply are checked. */
  call<S extends AnyServer>(to: TypedPid<S>, request: CallOf<S>, options?: CallOptions): Promise<ReplyOf<S>>
  call<R = unknown>(to: UntypedAddress, request: unknown, options?: CallOptions): Promise<R>
  call(to: Address, request: unknown, options?: CallOptions): Promise<unknown> {
    return this.context.call(to, request, options)
  }

  cast<S extends AnyServer>(to: TypedPid<S>, request: CastOf<S>): void
  cast(to: UntypedAddress, request: unknown): void
  cast(to: Address, request: unknown): void {
    this.context.cast(to, request)
  }

  reply(from: From, value: unknown): void {
    this.context.reply(from, value)
  }

  /** Answer a call with a failure: the caller's promise rejects with `error` (an Error travels with its code). */
  replyError(from: From, error: unknown): void {
    this.context.replyError(from, error)
  }

  spawn<A>(behaviour: BehaviourClass<A>, args?: A, options?: SpawnOptions): Pid {
    return this.context.spawn(behaviour, args, options)
  }

  spawnLink<A>(behaviour: BehaviourClass<A>, args?: A, options?: SpawnOptions): Pid {
    return this.context.spawnLink(behaviour, args, options)
  }

  /**
   * Spawn and wait for init: the pid, or 'ignore'. With `link: true` it is OTP's start_link.
   * Rejects ERR_INIT_FAILED (`reason` = what init threw or stopped with) or ERR_START_TIMEOUT.
   */
  startProcess<A>(behaviour: BehaviourClass<A>, args?: A, options?: StartOptions): Promise<Started> {
    return this.context.startProcess(behaviour, args, options)
  }

  /**
   * Run a blocking function on the node's offload pool (the BEAM's dirty schedulers): `module`'s
   * export `name` is called with `args` on a piscina thread, and this resolves with its result.
   * The process waits as it waits for a call; every other process on its thread runs meanwhile.
   * Rejects ERR_OFFLOAD_FAILED, ERR_OFFLOAD_NOT_FOUND, ERR_OFFLOAD_TIMEOUT, ERR_OFFLOAD_CLOSED.
   * @example
   * async receive(job: { text: string }) {
   *   const words = await this.offload<number>(new URL('./jobs.ts', import.meta.url), 'countWords', [job.text])
   * }
   */
  offload<R = unknown>(module: string | URL, name: string, args?: readonly unknown[], options?: OffloadOptions): Promise<R> {
    const { request, call } = offloadCall(module, name, args, options)
    return this.context.call(OFFLOAD_SERVICE, request, call) as Promise<R>
  }

  /** Milliseconds on this thread's clock (virtual under the test kit's clock). */
  now(): number {
    return this.context.now()
  }

  /** Resolve with `pid`'s exit reason once it ends ('noproc' if it already has). */
  watch(pid: Pid): Promise<ExitReason> {
    return this.context.watch(pid)
  }

  /** Resolve after `ms` on this thread's clock (the process stays suspended meanwhile). */
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

  link(pid: Pid): void {
    this.context.link(pid)
  }

  unlink(pid: Pid): void {
    this.context.unlink(pid)
  }

  monitor(target: Address): Ref {
    return this.context.monitor(target)
  }

  demonitor(ref: Ref, options?: { flush?: boolean }): boolean {
    return this.context.demonitor(ref, options)
  }

  /** Send an exit signal to `pid`. */
  exit(pid: Pid, reason: ExitReason): void {
    this.context.exit(pid, reason)
  }

  /** End this process with `reason` (default 'normal') once the current callback returns. */
  stop(reason?: ExitReason): void {
    this.context.stop(reason)
  }

  trapExit(on: boolean): boolean {
    return this.context.trapExit(on)
  }

  sendAfter(to: Address, message: unknown, ms: number): TimerRef {
    return this.context.sendAfter(to, message, ms)
  }

  register(name: string): void {
    this.context.register(name)
  }

  unregister(name: string): boolean {
    return this.context.unregister(name)
  }

  whereis(name: string): Pid | undefined {
    return this.context.whereis(name)
  }

  links(): Pid[] {
    return this.context.links()
  }

  makeRef(): Ref {
    return this.context.makeRef()
  }

  /** A new alias (a Ref): messages sent to it reach this process until deleteAlias or exit. */
  createAlias(): Ref {
    return this.context.createAlias()
  }

  /** @throws ERR_ALIAS_OWNER when this process did not create `alias` */
  deleteAlias(alias: Ref): void {
    this.context.deleteAlias(alias)
  }

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

  envList(): Record<string, unknown> {
    return this.context.envList()
  }
}
