/**
 * What a process's context delegates to: every capability of ProcessContext, implemented over
 * this thread's scheduler. Each refuses quietly (or throws ERR_PROCESS_TERMINATED) once the
 * process is dead, or halted (an exit signal ended it while its code ran): a killed process's
 * late code has no effect.
 */
import { Fifo } from '../mailbox/fifo.ts'
import { Frame } from '../codec/frame.ts'
import { assertSerializable } from '../codec/validate.ts'
import { ProcessExit, Status, isHalted, type Proc, type ProcessHost } from '../process/proc.ts'
import { Pid, Ref, aliasName, type Address } from '../core/pid.ts'
import { makeError } from '../core/errors.ts'
import type { ExitReason } from '../core/exit.ts'
import type { CallMessage, DirectMessage, From } from '../core/envelope.ts'
import type { BehaviourClass, CallOptions, SpawnOptions, StartOptions, Started, TimerRef } from '../core/process-context.ts'
import type { Scheduler } from './scheduler.ts'
import type { TimerId, TimerQueue } from './timers.ts'

export class ProcessServices implements ProcessHost {
  readonly #s: Scheduler
  readonly nodeEnv: Readonly<Record<string, unknown>>

  constructor(scheduler: Scheduler, env: Record<string, unknown> | undefined) {
    this.#s = scheduler
    this.nodeEnv = Object.freeze({ ...env })
  }

  crashStray(p: Proc, reason: unknown): void {
    const s = this.#s
    if (p.status === Status.DEAD) return
    // Ending already: a crash in terminate replaces the reason, as a throw there does.
    if (p.status === Status.TERMINATING) s.finalize(p, reason)
    else s.runner.crashed(p, reason)
    if (!s.loop.inTurn) s.loop.kick()
  }

  send(from: Proc, to: Address, message: unknown, strict: boolean): boolean {
    return this.#s.send(from, to, message, strict)
  }

  /**
   * Cast `{ type: '$cast', request }` as `from` (the node's process too). OTP's gen_server:cast
   * never fails: a name or alias nobody holds, like a dead pid, makes a dead letter. A bad
   * address, a message that could not travel, and a full mailbox on this thread still throw.
   */
  cast(from: Proc, to: Address, request: unknown): void {
    if (isHalted(from)) return
    const s = this.#s
    const message = { type: '$cast', request }
    const pid = s.resolveAddress(to, false)
    if (pid === undefined) {
      // Whoever registers the name next may be on any thread: the cast must be able to get there.
      assertSerializable(message)
      s.counts.deadLetters++
      return
    }
    if (!s.route(pid, message)) throw makeError('ERR_MAILBOX_FULL', pid.toString(), s.local(pid)?.limits?.mailboxSize ?? 0)
  }

  call(p: Proc, to: Address, request: unknown, options: CallOptions | undefined): Promise<unknown> {
    if (isHalted(p)) return Promise.reject(makeError('ERR_PROCESS_TERMINATED', p.self.toString()))
    return this.#s.calls.call(p, to, request, options)
  }

  replyError(p: Proc, to: From, error: unknown): void {
    if (isHalted(p)) return
    this.#s.calls.sendReply(p, to.pid, to.ref, error, true)
  }

  forwardCall(p: Proc, to: Pid, message: CallMessage): boolean {
    if (isHalted(p)) return true
    return this.#s.calls.forwardCall(p, to, message)
  }

  reply(p: Proc, to: From, value: unknown): void {
    if (isHalted(p)) return
    this.#s.calls.sendReply(p, to.pid, to.ref, value)
  }

  spawn(parent: Proc, behaviour: BehaviourClass, args: unknown, options: SpawnOptions | undefined, link: boolean): Pid {
    return this.#s.spawner.spawn(parent, behaviour, args, options, link)
  }

  startProcess(parent: Proc, behaviour: BehaviourClass, args: unknown, options: StartOptions | undefined): Promise<Started> {
    if (parent.status === Status.DEAD) return Promise.reject(makeError('ERR_PROCESS_TERMINATED', parent.self.toString()))
    try {
      return this.#s.spawner.startAcked(parent, behaviour, args, options)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  now(): number {
    return this.#s.timers.now()
  }

  get workerThreads(): number {
    return this.#s.threads - 1
  }

  watch(p: Proc, pid: Pid): Promise<ExitReason> {
    return this.#s.calls.watch(p, pid)
  }

  delay(p: Proc, ms: number): Promise<void> {
    if (typeof ms !== 'number' || !(ms >= 0)) {
      return Promise.reject(makeError('ERR_INVALID_ARG_VALUE', 'ms', 'a non-negative number', ms))
    }
    if (p.status === Status.DEAD) return Promise.reject(makeError('ERR_PROCESS_TERMINATED', p.self.toString()))
    return new Promise((resolve) => void this.#s.timers.schedule(ms, resolve))
  }

  link(p: Proc, pid: Pid): void {
    this.#s.links.link(p, pid)
  }

  unlink(p: Proc, pid: Pid): void {
    this.#s.links.unlink(p, pid)
  }

  monitor(p: Proc, target: Address): Ref {
    return this.#s.monitors.monitor(p, target)
  }

  demonitor(p: Proc, ref: Ref, flush: boolean): boolean {
    return this.#s.monitors.demonitor(p, ref, flush)
  }

  /**
   * exit(pid, reason) sent by `p`. When it ends `p` itself (exit(self, R) without trapping, or
   * exit(self, 'kill')), `p` is gone at once as in Erlang: its code is unwound with a
   * ProcessExit, so nothing after the call runs (what it sent before has gone out).
   */
  exitSignal(p: Proc, pid: Pid, reason: ExitReason): void {
    if (!(pid instanceof Pid)) throw makeError('ERR_INVALID_ARG_TYPE', 'pid', 'a Pid', pid)
    // An undefined reason would kill as if it were one (nothing else is special): refuse it.
    if (reason === undefined) throw makeError('ERR_INVALID_ARG_TYPE', 'reason', 'an exit reason (any value but undefined)', reason)
    if (isHalted(p)) return
    const ownCode = p.status === Status.RUNNING || p.status === Status.SUSPENDED || p.status === Status.TERMINATING
    this.#s.links.exit(p.self, pid, reason)
    // Only the process's own code (a callback, its async continuation, terminate) is unwound:
    // a throw from anywhere else (a timer of its own) would have no callback to end.
    if (ownCode && pid.equals(p.self) && isHalted(p)) {
      throw new ProcessExit(p.pendingExit?.reason ?? (reason === 'kill' ? 'killed' : reason))
    }
  }

  requestStop(p: Proc, reason: ExitReason): void {
    if (p.status === Status.DEAD || p.status === Status.TERMINATING) return
    if (p.status === Status.RUNNING || p.status === Status.SUSPENDED) p.pendingExit = { reason, runTerminate: true }
    else this.#s.terminate(p, reason, true)
  }

  sendAfter(p: Proc | null, to: Address, message: unknown, ms: number): TimerRef {
    const s = this.#s
    if (typeof ms !== 'number' || !(ms >= 0)) throw makeError('ERR_INVALID_ARG_VALUE', 'ms', 'a non-negative number', ms)
    if (typeof to !== 'string' && !(to instanceof Pid) && !(to instanceof Ref)) {
      throw makeError('ERR_INVALID_ARG_TYPE', 'the destination', 'a Pid, a registered name or an alias', to)
    }
    // A name or alias may resolve to any thread at fire time, so its message must be able to travel.
    if (s.checkSends || !(to instanceof Pid) || !s.router.isHere(to)) assertSerializable(message)
    const id = s.timers.schedule(ms, () => {
      // D11: dropped if the sender is dead; a dead or unknown destination drops it too.
      if (p !== null && p.status === Status.DEAD) return
      const pid = s.resolveAddress(to, false)
      if (pid !== undefined) s.route(pid, message)
      if (!s.loop.inTurn) s.loop.kick()
    })
    return new Timer(s.timers, id)
  }

  register(p: Proc, name: string): void {
    if (typeof name !== 'string' || name.length === 0 || name.startsWith('\u0000')) {
      throw makeError('ERR_INVALID_ARG_TYPE', 'name', 'a non-empty string not starting with NUL', name)
    }
    this.#s.names.register(name, p.self)
    ;(p.names ??= []).push(name)
  }

  unregister(_p: Proc, name: string): boolean {
    const s = this.#s
    const owner = s.names.lookup(name)
    if (owner === undefined || !s.names.unregister(name, owner)) return false
    const q = s.local(owner)
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
  createAlias(p: Proc): Ref {
    const ref = this.#s.makeRef()
    const name = aliasName(ref)
    this.#s.names.register(name, p.self)
    ;(p.names ??= []).push(name)
    return ref
  }

  deleteAlias(p: Proc, alias: Ref): void {
    const name = aliasName(alias)
    const owner = this.#s.names.lookup(name)
    if (owner === undefined) return
    if (!owner.equals(p.self)) throw makeError('ERR_ALIAS_OWNER', alias.toString())
    this.#s.names.unregister(name, p.self)
    if (p.names !== null) p.names = p.names.filter((n) => n !== name)
  }

  isAlias(v: unknown): boolean {
    return v instanceof Ref && this.#s.names.lookup(aliasName(v)) !== undefined
  }

  /** Deliver a direct request into its target's directbox (bounded by directboxSize). */
  routeDirect(pid: Pid, request: DirectMessage): void {
    const s = this.#s
    if (!s.router.isHere(pid)) {
      s.router.forward(pid, Frame.DIRECT, request, 'request')
      return
    }
    // checkSends: as the DIRECT frame would (a request that came in as a frame passes again).
    if (s.checkSends) assertSerializable(request, 'request')
    const q = s.local(pid)
    if (q === undefined || q.status === Status.DEAD || q.status === Status.TERMINATING) {
      s.counts.deadLetters++
      return // the caller's monitor answers noproc
    }
    const box = (q.directbox ??= new Fifo<DirectMessage>(4))
    const max = q.limits?.directboxSize ?? 100
    if (box.length >= max) {
      s.calls.sendReply(q, request.from.pid, request.from.ref, makeError('ERR_PROCESS_BUSY', pid.toString(), max), true)
      return
    }
    box.push(request)
    if (q.status === Status.IDLE) s.runner.ready(q)
  }
}

/** A sendAfter's handle (a class, not a closure per timer: Server timeouts arm one per callback). */
class Timer implements TimerRef {
  readonly #timers: TimerQueue
  readonly #id: TimerId

  constructor(timers: TimerQueue, id: TimerId) {
    this.#timers = timers
    this.#id = id
  }

  cancel(): boolean {
    return this.#timers.cancel(this.#id)
  }
}
