/**
 * Request/reply: calls, starts that wait for init, and watches (PROC-R8's monitor, used as a
 * promise). Replies bypass the mailbox, so a process awaiting a call inside a callback still
 * gets them.
 *
 *   caller ──MONITOR(ref)──▶ target, caller ──{$call, from:{pid, ref}}──▶ target
 *   (across threads one CALL frame does both)
 *   target ──REPLY(ref, v)──▶ caller       → resolve, demonitor
 *   target ──DOWN(ref, R)──▶ caller        → reject ERR_NOPROC / ERR_CALL_EXIT at once
 *   timer                                   → reject ERR_CALL_TIMEOUT; a late reply is dropped
 *   caller's AbortSignal fires              → reject ERR_CALL_ABORTED; a late reply is dropped
 * Whichever comes first settles the call and undoes the rest: the pending entry goes, the
 * watcher at the target goes (DEMONITOR across threads), the timer is cancelled and the abort
 * listener is taken off the signal (#release). The signal never leaves the caller's thread.
 * Forward: target ──{$call, from}──▶ worker, the caller's watcher moved from target to worker
 *         (forwardCall): the worker answers, or its DOWN fails the call, straight to the caller.
 * Same thread: a call to an idle process with nothing queued is handled at once (#runNow).
 * Timeouts are armed when the turn ends (armTimeouts), so a call answered within its turn never
 * touches the timer queue.
 */
import { Frame } from '../codec/frame.ts'
import { Fifo } from '../mailbox/fifo.ts'
import { PendingCall, Status, hasMessages, type Proc } from '../process/proc.ts'
import { RefTable } from '../core/ref-table.ts'
import type { Address, Pid, Ref } from '../core/pid.ts'
import { makeError } from '../core/errors.ts'
import { assertSerializable } from '../codec/validate.ts'
import { checkOptionKeys } from '../core/option-keys.ts'
import { NOPROC, type ExitReason } from '../core/exit.ts'
import type { CallMessage, DirectMessage } from '../core/envelope.ts'
import type { CallOptions, Started } from '../core/process-context.ts'
import type { TimerId } from './timers.ts'
import { callFailure, describe, wireReason } from './call-errors.ts'
import type { Router } from './router.ts'
import type { Monitors } from './monitors.ts'
import type { Links } from './links.ts'

const DEFAULT_CALL_TIMEOUT = 5000
/** What `call` and `direct` take in their options (CallOptions). */
const CALL_OPTION_KEYS: readonly string[] = ['timeout', 'signal']
/** Calls handled at once (#runNow) between two turns, and nested within each other. */
const DIRECT_RUNS = 64
const DIRECT_DEPTH = 8

/** What calls need from their thread. */
export interface CallPorts {
  readonly checkSends: boolean
  readonly stopping: boolean
  readonly counts: { sentLocal: number; sentRemote: number; delivered: number; lateReplies: number; deadLetters: number }
  readonly timers: {
    schedule<A>(ms: number, fn: (arg: A) => void, arg: A): TimerId
    cancel(id: TimerId | null): boolean
  }
  readonly loop: { readonly inTurn: boolean; kick(): void; awaitMicrotasks(): void }
  readonly runner: { runNow(q: Proc, message: unknown): void; ready(q: Proc): void }
  makeRef(): Ref
  resolveAddress(to: Address, strict: boolean): Pid | undefined
  route(pid: Pid, message: unknown): boolean
  enqueue(q: Proc, message: unknown, limited?: boolean): boolean
}

export class Calls {
  readonly #router: Router
  readonly #monitors: Monitors
  readonly #links: Links
  readonly #s: CallPorts
  /** Calls made in this turn whose timeout is not armed yet (see armTimeouts), and their count. */
  readonly #unarmed: (PendingCall | undefined)[] = []
  #unarmedCount = 0
  /** Calls handled at once since the last turn ended, and how deep they nest now (see #runNow). */
  #directRuns = 0
  #directDepth = 0

  /** False under a seeded schedule: every call goes through the mailbox, where the seed orders it. */
  readonly #direct: boolean

  constructor(router: Router, monitors: Monitors, links: Links, ports: CallPorts, direct = true) {
    this.#router = router
    this.#monitors = monitors
    this.#links = links
    this.#s = ports
    this.#direct = direct
  }

  /** The watched process ended: a watch resolves with the reason, a call or start fails with it. */
  #settle(pending: PendingCall, reason: ExitReason): void {
    this.#release(pending)
    if (pending.kind === 'watch') pending.resolve(reason)
    else pending.reject(callFailure(pending, reason))
    this.#s.loop.awaitMicrotasks()
  }

  /**
   * Register `pending` at its target (a watcher under its ref). False if the target is already
   * gone: then `pending` has been settled with 'noproc' (or 'noconnection').
   */
  #watchFor(p: Proc, pending: PendingCall): boolean {
    const { pid, ref } = pending
    ;(p.calls ??= new RefTable()).set(ref.key, pending)
    const failed = this.#monitors.watch(pid, ref, p.self, null)
    if (failed === null) return true
    p.calls.delete(ref.key)
    this.#settle(pending, failed)
    return false
  }

  /** Drop `pending`'s watcher at its target (the call was answered, timed out or abandoned). */
  #unwatch(pending: PendingCall): void {
    this.#monitors.unwatch(pending.pid, pending.ref)
  }

  /** A call or direct request from `p` (its context has checked that it is alive). */
  call(p: Proc, to: Address, request: unknown, options: CallOptions | undefined, kind: 'call' | 'direct' = 'call'): Promise<unknown> {
    const s = this.#s
    try {
      checkOptionKeys(kind, options, CALL_OPTION_KEYS)
    } catch (error) {
      return Promise.reject(error)
    }
    const timeout = options?.timeout ?? DEFAULT_CALL_TIMEOUT
    if (typeof timeout !== 'number' || !(timeout >= 0)) {
      return Promise.reject(makeError('ERR_INVALID_ARG_VALUE', 'timeout', 'a non-negative number of milliseconds', timeout))
    }
    const signal = options?.signal
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      return Promise.reject(makeError('ERR_INVALID_ARG_TYPE', 'signal', 'an AbortSignal', signal))
    }
    let target: Pid | undefined
    try {
      target = s.resolveAddress(to, false)
    } catch (error) {
      return Promise.reject(error)
    }
    if (target === undefined) {
      const error = makeError('ERR_NOPROC', JSON.stringify(to))
      error.reason = NOPROC
      return Promise.reject(error)
    }
    const pid = target
    // SRV-R3(d): a call to oneself could only time out; fail it at once.
    if (pid.equals(p.self)) return Promise.reject(makeError('ERR_CALLING_SELF', pid.toString()))
    // Already aborted: nothing is sent, as piscina's run with an aborted signal.
    if (signal?.aborted === true) return Promise.reject(abortError(to, signal))
    const ref = s.makeRef()
    const pending = new PendingCall(to, pid, ref, p, timeout, kind)
    if (kind === 'call' && !this.#router.isHere(pid)) {
      // One frame does both halves: the watcher at the target and the $call message.
      ;(p.calls ??= new RefTable()).set(ref.key, pending)
      let sent: boolean
      try {
        sent = this.#router.forward(pid, Frame.CALL, [p.self, ref, request], 'call request')
      } catch (error) {
        p.calls.delete(ref.key)
        pending.reject(error as Error)
        return pending.promise()
      }
      if (!sent) {
        p.calls.delete(ref.key)
        this.#settle(pending, this.#router.unreachable(pid))
        return pending.promise()
      }
      s.counts.sentRemote++
      this.#arm(pending, signal)
      return pending.promise()
    }
    if (!this.#watchFor(p, pending)) return pending.promise()
    try {
      const from = { pid: p.self, ref }
      if (kind === 'direct') {
        this.routeDirect(pid, { type: '$direct', from, request })
      } else {
        const message: CallMessage = { type: '$call', from, request }
        if (!this.#runNow(pid, message) && !s.route(pid, message)) {
          throw makeError('ERR_MAILBOX_FULL', pid.toString(), this.#router.proc(pid)?.limits?.mailboxSize ?? 0)
        }
      }
    } catch (error) {
      p.calls?.delete(ref.key)
      this.#unwatch(pending)
      pending.reject(error as Error)
      return pending.promise()
    }
    this.#arm(pending, signal)
    return pending.promise()
  }

  /**
   * A call to a process on this thread that is idle with nothing queued is handled at once, in
   * the caller's turn: it would be the next thing that process does anyway, and this saves the
   * mailbox, a turn and the wake-up of one (a same-thread call: 2.4 -> 0.4 µs of CPU). The
   * order of messages is kept (its mailbox is empty; what the caller sent before is already
   * delivered). Bounded: at most DIRECT_RUNS between two turns, so a caller looping on calls
   * still lets the run loop, the other processes and the event loop have their turns; never
   * nested deeper than DIRECT_DEPTH. False: route it as a message.
   */
  #runNow(pid: Pid, message: CallMessage): boolean {
    const s = this.#s
    if (!this.#direct || this.#directRuns >= DIRECT_RUNS || this.#directDepth >= DIRECT_DEPTH || !this.#router.isHere(pid)) return false
    const q = this.#router.proc(pid)
    if (q === undefined || q.status !== Status.IDLE || q.external || q.pendingExit !== null || hasMessages(q)) return false
    if (s.checkSends) assertSerializable(message)
    this.#directRuns++
    this.#directDepth++
    s.counts.sentLocal++
    s.counts.delivered++
    try {
      s.runner.runNow(q, message)
    } finally {
      this.#directDepth--
    }
    return true
  }

  /**
   * Start the call's timeout and listen to its signal, unless it has already settled (a local
   * directbox that was full answers at once).
   */
  #arm(pending: PendingCall, signal: AbortSignal | undefined): void {
    if (pending.owner.calls?.get(pending.ref.key) !== pending) return
    if (pending.ms !== Infinity) {
      // Armed when the turn ends (armTimeouts): most calls on one thread are answered by then.
      this.#unarmed[this.#unarmedCount++] = pending
      if (!this.#s.loop.inTurn) this.#s.loop.kick()
    }
    if (signal === undefined) return
    const listener = (): void => this.#callAborted(pending)
    pending.abort = { signal, listener }
    signal.addEventListener('abort', listener, { once: true })
  }

  /**
   * The end of a turn: start the timeout of each call made in it that is still waiting. A call
   * answered within its turn (a Server on the same thread, most often) never touches the timer
   * queue; the others' timeouts count from the turn's end, at most a time slice late.
   */
  armTimeouts(): void {
    this.#directRuns = 0
    const list = this.#unarmed
    const n = this.#unarmedCount
    if (n === 0) return
    this.#unarmedCount = 0
    for (let i = 0; i < n; i++) {
      const pending = list[i] as PendingCall
      list[i] = undefined
      if (pending.timer === null && pending.owner.calls?.get(pending.ref.key) === pending) {
        pending.timer = this.#s.timers.schedule(pending.ms, this.#callTimedOut, pending)
      }
    }
  }

  /** The call settled (or its owner ended): cancel its timer and take its listener off the signal. */
  #release(pending: PendingCall): void {
    this.#s.timers.cancel(pending.timer)
    pending.timer = null
    const abort = pending.abort
    if (abort === null) return
    pending.abort = null
    abort.signal.removeEventListener('abort', abort.listener)
  }

  /** The caller's signal fired: fail the call as a timeout does; a reply that comes later is dropped. */
  #callAborted(pending: PendingCall): void {
    const p = pending.owner
    const signal = pending.abort?.signal
    if (signal === undefined || p.calls?.get(pending.ref.key) !== pending) return
    p.calls.delete(pending.ref.key)
    this.#release(pending)
    this.#unwatch(pending)
    pending.reject(abortError(pending.target, signal))
    this.#s.loop.awaitMicrotasks()
    // Aborted from outside a turn (a timer, I/O): the DEMONITOR frame and the rejection need one.
    if (!this.#s.loop.inTurn) this.#s.loop.kick()
  }

  /**
   * Resolve with `pid`'s exit reason once it has ended ('noproc' if it already had): a monitor
   * whose DOWN settles a promise instead of reaching the mailbox, so a process can wait for
   * another's end inside a callback (a supervisor shutting a child down).
   */
  watch(p: Proc, pid: Pid): Promise<ExitReason> {
    const pending = new PendingCall(pid, pid, this.#s.makeRef(), p, Infinity, 'watch')
    this.#watchFor(p, pending)
    return pending.promise() as Promise<ExitReason>
  }

  /**
   * Wait for the ack that a spawned process finished init (its pid, or 'ignore'). After
   * `timeout` ms the process is killed and the start fails 'timeout' (OTP's start option).
   */
  awaitStarted(p: Proc, pid: Pid, ref: Ref, timeout = Infinity): Promise<Started> {
    // The new process already holds the watcher (its spawn carried the ack): record our side only.
    const pending = new PendingCall(pid, pid, ref, p, timeout, 'spawn')
    ;(p.calls ??= new RefTable()).set(ref.key, pending)
    if (timeout !== Infinity) pending.timer = this.#s.timers.schedule(timeout, this.#startTimedOut, pending)
    return pending.promise() as Promise<Started>
  }

  /**
   * A start timed out: kill the process and fail the start once it is gone (its name is free by
   * then), whatever the watcher or a just-in-time ack says.
   */
  readonly #startTimedOut = (pending: PendingCall): void => {
    const p = pending.owner
    if (p.calls?.get(pending.ref.key) !== pending) return
    pending.timer = null
    const error = makeError('ERR_START_TIMEOUT', pending.pid.toString(), pending.ms)
    error.reason = 'timeout'
    pending.failWith(error)
    pending.kind = 'watch'
    if (p.linked?.has(pending.pid.key) === true) this.#links.unlink(p, pending.pid)
    this.#links.exit(p.self, pending.pid, 'kill')
  }

  readonly #callTimedOut = (pending: PendingCall): void => {
    const p = pending.owner
    if (p.calls?.get(pending.ref.key) !== pending) return
    p.calls.delete(pending.ref.key)
    pending.timer = null
    this.#release(pending)
    this.#unwatch(pending)
    const error = makeError('ERR_CALL_TIMEOUT', describe(pending.target), pending.ms)
    error.reason = 'timeout'
    pending.reject(error)
    this.#s.loop.awaitMicrotasks()
  }

  /**
   * Hand the call `m`, made to `p`, on to `to` with its original `from` (OTP-style forwarding):
   * `to` answers the caller directly. The caller's watch moves from `p` to `to`, so if `to` dies
   * before answering, the caller fails at once with `to`'s reason (D5), and `p` no longer holds
   * anything for the call. Returns false, having changed nothing, if `to` is on this thread and
   * its mailbox is full; a full mailbox on another thread fails the call there (ERR_MAILBOX_FULL).
   */
  forwardCall(p: Proc, to: Pid, m: CallMessage): boolean {
    const s = this.#s
    const { pid: caller, ref } = m.from
    if (this.#router.isHere(to)) {
      const q = this.#router.proc(to)
      if (q === undefined || q.status === Status.DEAD) {
        p.watchers?.delete(ref.key)
        this.#monitors.signalDown(caller, ref, to, NOPROC)
        return true
      }
      const watchers = (q.watchers ??= new RefTable())
      watchers.set(ref.key, { ref, watcher: caller, name: null })
      if (!s.enqueue(q, m, true)) {
        watchers.delete(ref.key)
        return false
      }
      p.watchers?.delete(ref.key)
      s.counts.sentLocal++
      return true
    }
    // One CALL frame: the target registers the caller's watcher and queues the $call (see onSignalFrame).
    const sent = this.#router.forward(to, Frame.CALL, [caller, ref, m.request], 'call request')
    p.watchers?.delete(ref.key)
    if (!sent) this.#monitors.signalDown(caller, ref, to, this.#router.unreachable(to))
    else s.counts.sentRemote++
    return true
  }

  /** Answer `ref` at `to`; with `isError`, the caller's promise rejects with `value`. */
  sendReply(p: Proc | null, to: Pid, ref: Ref, value: unknown, isError = false): void {
    const s = this.#s
    // The call is answered: its watcher here goes, so the caller need not send a DEMONITOR.
    const unwatched = p !== null && p.watchers !== null && p.watchers.delete(ref.key)
    if (this.#router.isHere(to)) {
      // checkSends: a reply that could not cross threads fails here as the REPLY frame would (an
      // error travels as wireReason makes it, which never fails).
      if (s.checkSends && !isError) assertSerializable(value, 'reply')
      const q = this.#router.proc(to)
      s.counts.sentLocal++
      if (q !== undefined) this.deliverReply(q, ref, value, isError, unwatched)
      return
    }
    if (this.#router.forward(to, Frame.REPLY, [ref, isError ? wireReason(value) : value, isError, unwatched], 'reply')) s.counts.sentRemote++
  }

  deliverReply(q: Proc, ref: Ref, value: unknown, isError = false, unwatched = false): void {
    const pending = q.calls?.get(ref.key)
    if (pending === undefined || q.status === Status.DEAD) {
      this.#s.counts.lateReplies++
      return
    }
    ;(q.calls as RefTable<PendingCall>).delete(ref.key)
    this.#release(pending)
    if (!unwatched) this.#unwatch(pending)
    if (isError) pending.reject(value instanceof Error ? value : new Error(String(value)))
    else pending.resolve(value)
    this.#s.loop.awaitMicrotasks()
  }

  /** A DOWN for `ref` reached `w`: settle the call, start or watch it names, if any. */
  settleDown(w: Proc, ref: Ref, reason: ExitReason): boolean {
    const pending = w.calls?.get(ref.key)
    if (pending === undefined) return false
    ;(w.calls as RefTable<PendingCall>).delete(ref.key)
    this.#settle(pending, reason)
    return true
  }

  /** `p` ended: its calls' timers and watchers go; the node's own (external) calls reject. */
  exited(p: Proc): void {
    const calls = p.calls
    if (calls === null) return
    p.calls = null
    for (const c of calls.values()) {
      this.#release(c)
      this.#unwatch(c)
      // A process's own awaits end with it (its code runs no more); the node's are the API's
      // promises, and every one of those settles.
      if (p.external) c.reject(this.#s.stopping ? makeError('ERR_NODE_STOPPED') : makeError('ERR_PROCESS_TERMINATED', p.self.toString()))
    }
  }

  /** Thread `k` died: `p`'s calls to its processes fail with `reason`. */
  threadDown(p: Proc, k: number, reason: ExitReason): void {
    if (p.calls === null) return
    for (const c of p.calls.values()) if (c.pid.thread === k) this.#monitors.deliverDown(p, c.ref, c.pid, reason)
  }

  /** Deliver a direct request into its target's directbox (bounded by directboxSize). */
  routeDirect(pid: Pid, request: DirectMessage): void {
    const s = this.#s
    const router = this.#router
    if (!router.isHere(pid)) {
      router.forward(pid, Frame.DIRECT, request, 'request')
      return
    }
    // checkSends: as the DIRECT frame would (a request that came in as a frame passes again).
    if (s.checkSends) assertSerializable(request, 'request')
    const q = router.proc(pid)
    if (q === undefined || q.status === Status.DEAD || q.status === Status.TERMINATING) {
      s.counts.deadLetters++
      return // the caller's monitor answers noproc
    }
    const box = (q.directbox ??= new Fifo<DirectMessage>(4))
    const max = q.limits?.directboxSize ?? 100
    if (box.length >= max) {
      this.sendReply(q, request.from.pid, request.from.ref, makeError('ERR_PROCESS_BUSY', pid.toString(), max), true)
      return
    }
    box.push(request)
    if (q.status === Status.IDLE) s.runner.ready(q)
  }

  // ── frames ───────────────────────────────────────────────────────────────────────────

  onReplyFrame(q: Proc | undefined, value: unknown): void {
    const [ref, reply, isError, unwatched] = value as [Ref, unknown, boolean, boolean]
    if (q !== undefined) this.deliverReply(q, ref, reply, isError, unwatched)
    else this.#s.counts.lateReplies++
  }

  /** A call from another thread to `q` (the pid in the header words a, b): its watcher, then its $call. */
  onCallFrame(q: Proc | undefined, a: number, b: number, value: unknown): void {
    const [caller, ref, request] = value as [Pid, Ref, unknown]
    const target = this.#router.pidFromWords(a, b)
    if (q === undefined || q.status === Status.DEAD) {
      this.#monitors.signalDown(caller, ref, target, NOPROC)
      return
    }
    ;(q.watchers ??= new RefTable()).set(ref.key, { ref, watcher: caller, name: null })
    if (!this.#s.enqueue(q, { type: '$call', from: { pid: caller, ref }, request }, true)) {
      // A full mailbox refuses the call: the caller hears of it at once, not at its timeout.
      q.watchers.delete(ref.key)
      this.sendReply(null, caller, ref, makeError('ERR_MAILBOX_FULL', target.toString(), q.limits?.mailboxSize ?? 0), true)
    }
  }
}

/** ERR_CALL_ABORTED for a call to `target`: `reason` 'aborted', `cause` the signal's reason. */
function abortError(target: Address, signal: AbortSignal): Error {
  const error = makeError('ERR_CALL_ABORTED', describe(target))
  error.reason = 'aborted'
  error.cause = signal.reason
  return error
}
