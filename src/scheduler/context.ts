/**
 * A process's context: everything its behaviour can do (core's ProcessContext), implemented
 * once, over its thread's parts. It is the process record itself (a Proc subclass: one object
 * per process keeps the idle footprint small), and the node's own process is one too, so the
 * Node facade's methods are one line each.
 *
 * Liveness, one rule: a halted process (dead, or ended by an exit signal while its own code
 * runs; it dies as that code unwinds) has no effect any more. Its sends, casts, replies and
 * signals are dropped; its calls, starts, waits and delays reject with ERR_PROCESS_TERMINATED;
 * its spawns throw it (spawner.ts).
 */
import { assertSerializable } from '../codec/validate.ts'
import { Proc, ProcessExit, Status, envForChild, isHalted } from '../process/proc.ts'
import { Pid, Ref, aliasName, type Address } from '../core/pid.ts'
import { makeError } from '../core/errors.ts'
import type { ExitReason } from '../core/exit.ts'
import type { CallMessage, From } from '../core/envelope.ts'
import type {
  BehaviourClass, BehaviourInstance, CallOptions, ProcessContext, SpawnOptions, StartOptions, Started, TimerRef,
} from '../core/process-context.ts'
import type { TimerId } from './timers.ts'
import type { Calls } from './calls.ts'
import type { Links } from './links.ts'
import type { Monitors } from './monitors.ts'
import type { Router } from './router.ts'

/** What a process's context needs from its thread. */
export interface ContextPorts {
  /** Every thread of the node, the main thread included. */
  readonly totalThreads: number
  readonly checkSends: boolean
  readonly nodeEnv: Readonly<Record<string, unknown>>
  readonly counts: { deadLetters: number }
  readonly router: Router
  readonly calls: Calls
  readonly links: Links
  readonly monitors: Monitors
  readonly names: {
    register(name: string, pid: Pid): void
    unregister(name: string, pid: Pid): boolean
    lookup(name: string): Pid | undefined
  }
  readonly timers: {
    now(): number
    schedule<A>(ms: number, fn: (arg: A) => void, arg?: A): TimerId
    cancel(id: TimerId | null): boolean
  }
  readonly loop: { readonly inTurn: boolean; kick(): void }
  readonly spawner: {
    spawn(parent: Proc | null, behaviour: BehaviourClass, args: unknown, options: SpawnOptions | undefined, link: boolean): Pid
    startAcked(p: Proc, behaviour: BehaviourClass, args: unknown, options: StartOptions | undefined): Promise<Started>
  }
  readonly runner: { crashed(p: Proc, error: unknown): void }
  send(from: Proc | null, to: Address, message: unknown, strict: boolean): boolean
  route(pid: Pid, message: unknown): boolean
  resolveAddress(to: Address, strict: boolean): Pid | undefined
  makeRef(): Ref
  terminate(p: Proc, reason: ExitReason, runTerminate: boolean): void
  finalize(p: Proc, reason: ExitReason): void
}

const terminated = (p: Proc): Promise<never> => Promise.reject(makeError('ERR_PROCESS_TERMINATED', p.self.toString()))

export class Context extends Proc implements ProcessContext {
  readonly #s: ContextPorts

  constructor(self: Pid, instance: BehaviourInstance, thread: ContextPorts) {
    super(self, instance)
    this.#s = thread
  }

  // ── messages ─────────────────────────────────────────────────────────────────────────

  send(to: Address, message: unknown): void {
    this.#s.send(this, to, message, true)
  }

  trySend(to: Address, message: unknown): boolean {
    return this.#s.send(this, to, message, false)
  }

  /**
   * Cast `{ type: '$cast', request }`. OTP's gen_server:cast never fails: a name or alias nobody
   * holds, like a dead pid, makes a dead letter. A bad address, a message that could not travel,
   * and a full mailbox on this thread still throw.
   */
  cast(to: Address, request: unknown): void {
    if (isHalted(this)) return
    const s = this.#s
    const message = { type: '$cast', request }
    const pid = s.resolveAddress(to, false)
    if (pid === undefined) {
      // Whoever registers the name next may be on any thread: the cast must be able to get there.
      assertSerializable(message)
      s.counts.deadLetters++
      return
    }
    if (!s.route(pid, message)) throw makeError('ERR_MAILBOX_FULL', pid.toString(), s.router.proc(pid)?.limits?.mailboxSize ?? 0)
  }

  sendAfter(to: Address, message: unknown, ms: number): TimerRef {
    const s = this.#s
    if (typeof ms !== 'number' || !(ms >= 0)) throw makeError('ERR_INVALID_ARG_VALUE', 'ms', 'a non-negative number', ms)
    if (typeof to !== 'string' && !(to instanceof Pid) && !(to instanceof Ref)) {
      throw makeError('ERR_INVALID_ARG_TYPE', 'the destination', 'a Pid, a registered name or an alias', to)
    }
    // A name or alias may resolve to any thread at fire time, so its message must be able to travel.
    if (s.checkSends || !(to instanceof Pid) || !s.router.isHere(to)) assertSerializable(message)
    const id = s.timers.schedule(ms, () => {
      // D11: dropped if the sender is dead; a dead or unknown destination drops it too.
      if (this.status === Status.DEAD) return
      const pid = s.resolveAddress(to, false)
      if (pid !== undefined) s.route(pid, message)
      if (!s.loop.inTurn) s.loop.kick()
    })
    return new Timer(s.timers, id)
  }

  messageQueueLength(): number {
    return this.mailbox.length
  }

  // ── calls ────────────────────────────────────────────────────────────────────────────

  call<R = unknown>(to: Address, request: unknown, options?: CallOptions): Promise<R> {
    if (isHalted(this)) return terminated(this)
    return this.#s.calls.call(this, to, request, options) as Promise<R>
  }

  /** A direct request (node.direct): served ahead of the target's mailbox by its handleDirect. */
  direct<R = unknown>(to: Address, request: unknown, options?: CallOptions): Promise<R> {
    if (isHalted(this)) return terminated(this)
    return this.#s.calls.call(this, to, request, options, 'direct') as Promise<R>
  }

  reply(from: From, value: unknown): void {
    if (!isHalted(this)) this.#s.calls.sendReply(this, from.pid, from.ref, value)
  }

  replyError(from: From, error: unknown): void {
    if (!isHalted(this)) this.#s.calls.sendReply(this, from.pid, from.ref, error, true)
  }

  forwardCall(to: Pid, message: CallMessage): boolean {
    return isHalted(this) || this.#s.calls.forwardCall(this, to, message)
  }

  watch(pid: Pid): Promise<ExitReason> {
    if (isHalted(this)) return terminated(this)
    return this.#s.calls.watch(this, pid)
  }

  // ── processes ────────────────────────────────────────────────────────────────────────

  spawn<A>(behaviour: BehaviourClass<A>, args?: A, options?: SpawnOptions): Pid {
    return this.#s.spawner.spawn(this, behaviour as BehaviourClass, args, options, options?.link === true)
  }

  spawnLink<A>(behaviour: BehaviourClass<A>, args?: A, options?: SpawnOptions): Pid {
    return this.#s.spawner.spawn(this, behaviour as BehaviourClass, args, options, true)
  }

  startProcess<A>(behaviour: BehaviourClass<A>, args?: A, options?: StartOptions): Promise<Started> {
    if (isHalted(this)) return terminated(this)
    try {
      return this.#s.spawner.startAcked(this, behaviour as BehaviourClass, args, options)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  get workerThreads(): number {
    return this.#s.totalThreads - 1
  }

  // ── links, monitors, exits ───────────────────────────────────────────────────────────

  link(pid: Pid): void {
    this.#s.links.link(this, pid)
  }

  unlink(pid: Pid): void {
    this.#s.links.unlink(this, pid)
  }

  links(): Pid[] {
    return this.linked === null ? [] : [...this.linked.values()]
  }

  monitor(target: Address): Ref {
    return this.#s.monitors.monitor(this, target)
  }

  demonitor(ref: Ref, options?: { flush?: boolean }): boolean {
    return this.#s.monitors.demonitor(this, ref, options?.flush === true)
  }

  /**
   * exit(pid, reason). When it ends this process itself (exit(self, R) without trapping, or
   * exit(self, 'kill')), it is gone at once as in Erlang: its code is unwound with a
   * ProcessExit, so nothing after the call runs (what it sent before has gone out).
   */
  exit(pid: Pid, reason: ExitReason): void {
    if (!(pid instanceof Pid)) throw makeError('ERR_INVALID_ARG_TYPE', 'pid', 'a Pid', pid)
    // An undefined reason would kill as if it were one (nothing else is special): refuse it.
    if (reason === undefined) throw makeError('ERR_INVALID_ARG_TYPE', 'reason', 'an exit reason (any value but undefined)', reason)
    if (isHalted(this)) return
    const ownCode = this.status === Status.RUNNING || this.status === Status.SUSPENDED || this.status === Status.TERMINATING
    this.#s.links.exit(this.self, pid, reason)
    // Only the process's own code (a callback, its async continuation, terminate) is unwound:
    // a throw from anywhere else (a timer of its own) would have no callback to end.
    if (ownCode && pid.equals(this.self) && isHalted(this)) {
      throw new ProcessExit(this.pendingExit?.reason ?? (reason === 'kill' ? 'killed' : reason))
    }
  }

  stop(reason: ExitReason = 'normal'): void {
    if (this.status === Status.DEAD || this.status === Status.TERMINATING) return
    if (this.status === Status.RUNNING || this.status === Status.SUSPENDED) this.pendingExit = { reason, runTerminate: true }
    else this.#s.terminate(this, reason, true)
  }

  trapExit(on: boolean): boolean {
    const was = this.trapExitFlag
    this.trapExitFlag = on
    return was
  }

  /** A promise this process made was rejected and nobody handled it: it crashes with `reason`. */
  crashStray(reason: unknown): void {
    const s = this.#s
    if (this.status === Status.DEAD) return
    // Ending already: a crash in terminate replaces the reason, as a throw there does.
    if (this.status === Status.TERMINATING) s.finalize(this, reason)
    else s.runner.crashed(this, reason)
    if (!s.loop.inTurn) s.loop.kick()
  }

  // ── names and aliases ────────────────────────────────────────────────────────────────

  register(name: string): void {
    if (typeof name !== 'string' || name.length === 0 || name.startsWith('\u0000')) {
      throw makeError('ERR_INVALID_ARG_TYPE', 'name', 'a non-empty string not starting with NUL', name)
    }
    this.#s.names.register(name, this.self)
    ;(this.names ??= []).push(name)
  }

  unregister(name: string): boolean {
    const s = this.#s
    const owner = s.names.lookup(name)
    if (owner === undefined || !s.names.unregister(name, owner)) return false
    const q = s.router.proc(owner)
    if (q?.names) q.names = q.names.filter((n) => n !== name)
    return true
  }

  whereis(name: string): Pid | undefined {
    return this.#s.names.lookup(name)
  }

  makeRef(): Ref {
    return this.#s.makeRef()
  }

  /** An alias is a Ref bound in the shared name table, so every thread resolves it at once. */
  createAlias(): Ref {
    const ref = this.#s.makeRef()
    const name = aliasName(ref)
    this.#s.names.register(name, this.self)
    ;(this.names ??= []).push(name)
    return ref
  }

  deleteAlias(alias: Ref): void {
    const s = this.#s
    const name = aliasName(alias)
    const owner = s.names.lookup(name)
    if (owner === undefined) return
    if (!owner.equals(this.self)) throw makeError('ERR_ALIAS_OWNER', alias.toString())
    s.names.unregister(name, this.self)
    if (this.names !== null) this.names = this.names.filter((n) => n !== name)
  }

  isAlias(alias: unknown): boolean {
    return alias instanceof Ref && this.#s.names.lookup(aliasName(alias)) !== undefined
  }

  // ── time ─────────────────────────────────────────────────────────────────────────────

  now(): number {
    return this.#s.timers.now()
  }

  delay(ms: number): Promise<void> {
    if (typeof ms !== 'number' || !(ms >= 0)) {
      return Promise.reject(makeError('ERR_INVALID_ARG_VALUE', 'ms', 'a non-negative number', ms))
    }
    if (isHalted(this)) return terminated(this)
    return new Promise((resolve) => void this.#s.timers.schedule(ms, resolve))
  }

  // ── environment ──────────────────────────────────────────────────────────────────────

  env(key: string): unknown {
    if (this.envOwn !== null && this.envOwn.has(key)) return this.envOwn.get(key)
    if (this.envInherited !== null && Object.hasOwn(this.envInherited, key)) return this.envInherited[key]
    return this.#s.nodeEnv[key]
  }

  setEnv(key: string, value: unknown): void {
    if (value === undefined) this.envOwn?.delete(key)
    else (this.envOwn ??= new Map()).set(key, value)
  }

  envList(): Record<string, unknown> {
    return { ...this.#s.nodeEnv, ...envForChild(this) }
  }
}

/** A sendAfter's handle (a class, not a closure per timer: Server timeouts arm one per callback). */
class Timer implements TimerRef {
  readonly #timers: ContextPorts['timers']
  readonly #id: TimerId

  constructor(timers: ContextPorts['timers'], id: TimerId) {
    this.#timers = timers
    this.#id = id
  }

  cancel(): boolean {
    return this.#timers.cancel(this.#id)
  }
}
