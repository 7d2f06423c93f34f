/**
 * Links, monitors, exit signals, and request/reply: Erlang's rules (PROC-R5..R8, R11).
 *
 * Exit signal (from P, reason R) arriving at L:
 *   sent by exit(L, 'kill')          → L dies with 'killed', trapping or not
 *   L traps exits                    → message { type: 'EXIT', from: P, reason: R }
 *   R is 'normal'                    → ignored (unless P is L itself: then L exits normal)
 *   otherwise                        → L dies with R (no terminate callback: a signal is not L's act)
 * The same holds while L's terminate runs (OTP: L is alive until it returns): a signal that
 * would end L ends it at once, and a trapped one is a message terminate never reads. Only during
 * node stop, whose terminate('shutdown') every process runs, a terminating L waits for 'kill'.
 * A link-borne signal is dropped if the link is gone by the time it arrives (after unlink); an
 * EXIT already queued stays (OTP 25: the caller flushes it if it cares).
 *
 * Call:   caller ──MONITOR(ref)──▶ target, caller ──{$call, from:{pid, ref}}──▶ target
 *         target ──REPLY(ref, v)──▶ caller       → resolve, demonitor
 *         target ──DOWN(ref, R)──▶ caller        → reject ERR_NOPROC / ERR_CALL_EXIT at once
 *         timer                                   → reject ERR_CALL_TIMEOUT; a late reply is dropped
 *         caller's AbortSignal fires              → reject ERR_CALL_ABORTED; a late reply is dropped
 * Whichever comes first settles the call and undoes the rest: the pending entry goes, the
 * watcher at the target goes (DEMONITOR across threads), the timer is cancelled and the abort
 * listener is taken off the signal (#release). The signal never leaves the caller's thread.
 * Forward: target ──{$call, from}──▶ worker, the caller's watcher moved from target to worker
 *         (forwardCall): the worker answers, or its DOWN fails the call, straight to the caller.
 * Replies bypass the mailbox, so a process awaiting a call inside a callback still gets them.
 */
import { Frame, ExitKind } from '../codec/frame.ts'
import { PendingCall, Proc, Status } from '../process/proc.ts'
import { RefTable } from '../core/ref-table.ts'
import { Pid, type Address, type NamedProcess, type Ref } from '../core/pid.ts'
import { makeError } from '../core/errors.ts'
import { assertSerializable } from '../codec/validate.ts'
import { checkOptionKeys } from '../core/option-keys.ts'
import { NOCONNECTION, NOPROC, type ExitReason } from '../core/exit.ts'
import { isDownMessage, type CallMessage } from '../core/envelope.ts'
import type { CallOptions, Started } from '../core/process-context.ts'
import type { Scheduler } from './scheduler.ts'
import { callFailure, describe, wireReason } from './call-errors.ts'
import { hasMessages } from './runner.ts'

const MAX_DEPTH = 64
/** Calls handled at once (#runNow) between two turns, and nested within each other. */
const DIRECT_RUNS = 64
const DIRECT_DEPTH = 8
const DEFAULT_CALL_TIMEOUT = 5000
/** What `call` and `direct` take in their options (CallOptions). */
const CALL_OPTION_KEYS: readonly string[] = ['timeout', 'signal']

export class Signals {
  readonly #s: Scheduler
  #depth = 0
  /** Calls made in this turn whose timeout is not armed yet (see armTimeouts), and their count. */
  readonly #unarmed: (PendingCall | undefined)[] = []
  #unarmedCount = 0
  /** Calls handled at once since the last turn ended, and how deep they nest now (see #runNow). */
  #directRuns = 0
  #directDepth = 0

  constructor(scheduler: Scheduler) {
    this.#s = scheduler
  }

  // ── exit signals ─────────────────────────────────────────────────────────────────────

  /** exit(to, reason) called by `from`. */
  exit(from: Pid, to: Pid, reason: ExitReason): void {
    this.#signalExit(from, to, reason, ExitKind.CALL)
  }

  #signalExit(from: Pid, to: Pid, reason: ExitReason, kind: ExitKind): void {
    const s = this.#s
    if (s.isLocalThread(to)) {
      const q = s.local(to)
      if (q === undefined) return
      if (this.#depth >= MAX_DEPTH) {
        // A long chain of links would otherwise recurse once per process.
        s.runner.defer(() => this.deliverExit(q, from, reason, kind))
        return
      }
      this.#depth++
      try {
        this.deliverExit(q, from, reason, kind)
      } finally {
        this.#depth--
      }
      return
    }
    s.sendFrame(to, Frame.EXIT, [from, wireReason(reason), kind], 'exit reason')
  }

  deliverExit(q: Proc, from: Pid, reason: ExitReason, kind: ExitKind): void {
    if (q.status === Status.DEAD) return
    if (kind === ExitKind.LINK) {
      if (q.linked === null || !q.linked.delete(from.key)) return
    }
    if (kind === ExitKind.CALL && reason === 'kill') {
      this.#s.terminate(q, 'killed', false)
      return
    }
    // Node stop runs every process's terminate to its end (bounded by its timeout): signals
    // among processes it is stopping must not cut another's cleanup short.
    if (q.status === Status.TERMINATING && this.#s.stopping && !from.equals(q.self)) return
    if (q.trapExitFlag) {
      // While terminate runs, enqueue drops it (a dead letter): terminate reads no messages.
      this.#s.enqueue(q, { type: 'EXIT', from, reason })
      return
    }
    if (reason === 'normal') {
      if (kind === ExitKind.CALL && from.equals(q.self)) this.#s.terminate(q, 'normal', false)
      return
    }
    this.#s.terminate(q, reason, false)
  }

  // ── links ────────────────────────────────────────────────────────────────────────────

  link(p: Proc, pid: Pid): void {
    if (p.status === Status.DEAD) return
    if (!(pid instanceof Pid)) throw makeError('ERR_INVALID_ARG_TYPE', 'pid', 'a Pid', pid)
    if (pid.equals(p.self)) return
    if (p.linked?.has(pid.key)) return
    const s = this.#s
    if (s.isLocalThread(pid)) {
      const q = s.local(pid)
      if (q === undefined || q.status === Status.DEAD) {
        if (p.trapExitFlag) {
          s.enqueue(p, { type: 'EXIT', from: pid, reason: NOPROC })
          return
        }
        const error = makeError('ERR_NOPROC', pid.toString())
        error.reason = NOPROC
        throw error
      }
      ;(p.linked ??= new Map()).set(pid.key, pid)
      ;(q.linked ??= new Map()).set(p.self.key, p.self)
      return
    }
    // Remote: if the target is gone, its thread answers with an exit signal 'noproc'.
    ;(p.linked ??= new Map()).set(pid.key, pid)
    if (!s.sendFrame(pid, Frame.LINK, p.self)) {
      this.deliverExit(p, pid, s.transport.isUp(pid.thread) ? NOPROC : NOCONNECTION, ExitKind.LINK)
    }
  }

  unlink(p: Proc, pid: Pid): void {
    if (p.status === Status.DEAD || !(pid instanceof Pid)) return
    p.linked?.delete(pid.key)
    const s = this.#s
    if (s.isLocalThread(pid)) s.local(pid)?.linked?.delete(p.self.key)
    else s.sendFrame(pid, Frame.UNLINK, p.self)
    // An EXIT from `pid` already in the mailbox stays there: OTP 25's unlink/1 leaves it (its
    // docs tell a trapping caller to flush it), and so do we.
  }

  // ── monitors ─────────────────────────────────────────────────────────────────────────

  monitor(p: Proc, target: Address): Ref {
    const s = this.#s
    const ref = s.makeRef()
    if (typeof target === 'string') {
      const pid = s.names.lookup(target)
      if (pid === undefined) {
        this.#downNow(p, ref, { name: target, node: s.node }, NOPROC)
        return ref
      }
      this.monitorPid(p, pid, target, ref)
      return ref
    }
    if (!(target instanceof Pid)) throw makeError('ERR_INVALID_ARG_TYPE', 'the monitor target', 'a Pid or a registered name', target)
    this.monitorPid(p, target, null, ref)
    return ref
  }

  monitorPid(p: Proc, target: Pid, name: string | null, ref: Ref): void {
    const s = this.#s
    ;(p.monitors ??= new Map()).set(ref.key, { ref, target, name })
    const who: Pid | NamedProcess = name === null ? target : { name, node: s.node }
    if (s.isLocalThread(target)) {
      const q = s.local(target)
      if (q === undefined || q.status === Status.DEAD) this.deliverDown(p, ref, who, NOPROC)
      else (q.watchers ??= new RefTable()).set(ref.key, { ref, watcher: p.self, name })
      return
    }
    if (!s.sendFrame(target, Frame.MONITOR, [p.self, ref, name])) {
      this.deliverDown(p, ref, who, s.transport.isUp(target.thread) ? NOPROC : NOCONNECTION)
    }
  }

  /** A monitor that fires as it is made (an unknown name): only the DOWN message exists. */
  #downNow(p: Proc, ref: Ref, who: NamedProcess, reason: ExitReason): void {
    this.#s.enqueue(p, { type: 'DOWN', ref, pid: who, reason })
  }

  demonitor(p: Proc, ref: Ref, flush: boolean): boolean {
    const entry = p.monitors?.get(ref.key)
    if (flush) p.mailbox.removeFirst((m) => isDownMessage(m) && m.ref.key === ref.key)
    if (entry === undefined || p.monitors === null) return false
    p.monitors.delete(ref.key)
    const s = this.#s
    if (s.isLocalThread(entry.target)) s.local(entry.target)?.watchers?.delete(ref.key)
    else s.sendFrame(entry.target, Frame.DEMONITOR, ref)
    return true
  }

  deliverDown(w: Proc, ref: Ref, who: Pid | NamedProcess, reason: ExitReason): void {
    if (w.status === Status.DEAD) return
    const pending = w.calls?.get(ref.key)
    if (pending !== undefined) {
      ;(w.calls as RefTable<PendingCall>).delete(ref.key)
      this.#settle(pending, reason)
      return
    }
    if (w.monitors === null || !w.monitors.delete(ref.key)) return
    this.#s.enqueue(w, { type: 'DOWN', ref, pid: who, reason })
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
    const s = this.#s
    const { pid, ref } = pending
    ;(p.calls ??= new RefTable()).set(ref.key, pending)
    if (s.isLocalThread(pid)) {
      const q = s.local(pid)
      if (q !== undefined && q.status !== Status.DEAD) {
        ;(q.watchers ??= new RefTable()).set(ref.key, { ref, watcher: p.self, name: null })
        return true
      }
      p.calls.delete(ref.key)
      this.#settle(pending, NOPROC)
      return false
    }
    if (s.sendFrame(pid, Frame.MONITOR, [p.self, ref, null])) return true
    p.calls.delete(ref.key)
    this.#settle(pending, s.transport.isUp(pid.thread) ? NOPROC : NOCONNECTION)
    return false
  }

  /** Drop `pending`'s watcher at its target (the call was answered, timed out or abandoned). */
  #unwatch(pending: PendingCall): void {
    const s = this.#s
    if (s.isLocalThread(pending.pid)) s.local(pending.pid)?.watchers?.delete(pending.ref.key)
    else s.sendFrame(pending.pid, Frame.DEMONITOR, pending.ref)
  }

  #signalDown(watcher: Pid, ref: Ref, who: Pid | NamedProcess, reason: ExitReason): void {
    const s = this.#s
    if (s.isLocalThread(watcher)) {
      const w = s.local(watcher)
      if (w !== undefined) this.deliverDown(w, ref, who, reason)
      return
    }
    s.sendFrame(watcher, Frame.DOWN, [ref, who, wireReason(reason)], 'exit reason')
  }

  // ── calls ────────────────────────────────────────────────────────────────────────────

  call(p: Proc, to: Address, request: unknown, options: CallOptions | undefined, kind: 'call' | 'direct' = 'call'): Promise<unknown> {
    const s = this.#s
    if (p.status === Status.DEAD) return Promise.reject(makeError('ERR_PROCESS_TERMINATED', p.self.toString()))
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
    if (kind === 'call' && !s.isLocalThread(pid)) {
      // One frame does both halves: the watcher at the target and the $call message.
      ;(p.calls ??= new RefTable()).set(ref.key, pending)
      let sent: boolean
      try {
        sent = s.sendFrame(pid, Frame.CALL, [p.self, ref, request], 'call request')
      } catch (error) {
        p.calls.delete(ref.key)
        pending.reject(error as Error)
        return pending.promise()
      }
      if (!sent) {
        p.calls.delete(ref.key)
        this.#settle(pending, s.transport.isUp(pid.thread) ? NOPROC : NOCONNECTION)
        return pending.promise()
      }
      s.counts.sentRemote++
      this.#arm(pending, signal)
      return pending.promise()
    }
    if (!this.#watchFor(p, pending)) return pending.promise()
    try {
      const from = { pid: p.self, ref }
      if (kind === 'direct') s.services.routeDirect(pid, { type: '$direct', from, request })
      else if (!this.#runNow(pid, { type: '$call', from, request }) && !s.route(pid, { type: '$call', from, request })) {
        throw makeError('ERR_MAILBOX_FULL', pid.toString(), s.local(pid)?.limits?.mailboxSize ?? 0)
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
   * mailbox, a turn and the wake-up of one (a same-thread call costs about half as much). The
   * order of messages is kept (its mailbox is empty; what the caller sent before is already
   * delivered). Bounded: at most DIRECT_RUNS between two turns, so a caller looping on calls
   * still lets the run loop, the other processes and the event loop have their turns; never
   * nested deeper than DIRECT_DEPTH. False: route it as a message.
   */
  #runNow(pid: Pid, message: CallMessage): boolean {
    const s = this.#s
    if (this.#directRuns >= DIRECT_RUNS || this.#directDepth >= DIRECT_DEPTH || !s.isLocalThread(pid)) return false
    const q = s.local(pid)
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
    if (p.status === Status.DEAD) return Promise.reject(makeError('ERR_PROCESS_TERMINATED', p.self.toString()))
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
    if (p.linked?.has(pending.pid.key) === true) this.unlink(p, pending.pid)
    this.exit(p.self, pending.pid, 'kill')
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
    if (s.isLocalThread(to)) {
      const q = s.local(to)
      if (q === undefined || q.status === Status.DEAD) {
        p.watchers?.delete(ref.key)
        this.#signalDown(caller, ref, to, NOPROC)
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
    const sent = s.sendFrame(to, Frame.CALL, [caller, ref, m.request], 'call request')
    p.watchers?.delete(ref.key)
    if (!sent) this.#signalDown(caller, ref, to, s.transport.isUp(to.thread) ? NOPROC : NOCONNECTION)
    else s.counts.sentRemote++
    return true
  }

  /** Answer `ref` at `to`; with `isError`, the caller's promise rejects with `value`. */
  sendReply(p: Proc | null, to: Pid, ref: Ref, value: unknown, isError = false): void {
    const s = this.#s
    // The call is answered: its watcher here goes, so the caller need not send a DEMONITOR.
    const unwatched = p !== null && p.watchers !== null && p.watchers.delete(ref.key)
    if (s.isLocalThread(to)) {
      // checkSends: a reply that could not cross threads fails here as the REPLY frame would (an
      // error travels as wireReason makes it, which never fails).
      if (s.checkSends && !isError) assertSerializable(value, 'reply')
      const q = s.local(to)
      s.counts.sentLocal++
      if (q !== undefined) this.deliverReply(q, ref, value, isError, unwatched)
      return
    }
    if (s.sendFrame(to, Frame.REPLY, [ref, isError ? wireReason(value) : value, isError, unwatched], 'reply')) s.counts.sentRemote++
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

  // ── process exit ─────────────────────────────────────────────────────────────────────

  /** Tell everyone linked to or watching `p` that it ended; drop what it held. */
  processExited(p: Proc, reason: ExitReason): void {
    const self = p.self
    const s = this.#s
    if (p.monitors !== null) {
      for (const m of p.monitors.values()) {
        if (s.isLocalThread(m.target)) s.local(m.target)?.watchers?.delete(m.ref.key)
        else s.sendFrame(m.target, Frame.DEMONITOR, m.ref)
      }
      p.monitors = null
    }
    if (p.calls !== null) {
      const calls = p.calls
      p.calls = null
      for (const c of calls.values()) {
        this.#release(c)
        this.#unwatch(c)
        // A process's own awaits end with it (its code runs no more); the node's are the API's
        // promises, and every one of those settles.
        if (p.external) c.reject(s.stopping ? makeError('ERR_NODE_STOPPED') : makeError('ERR_PROCESS_TERMINATED', self.toString()))
      }
    }
    const linked = p.linked
    p.linked = null
    if (linked !== null) for (const pid of linked.values()) this.#signalExit(self, pid, reason, ExitKind.LINK)
    const watchers = p.watchers
    p.watchers = null
    if (watchers !== null) {
      for (const w of watchers.values()) {
        this.#signalDown(w.watcher, w.ref, w.name === null ? self : { name: w.name, node: s.node }, reason)
      }
    }
  }

  /** A process that could not even be constructed: report it to its link and its spawner. */
  stillborn(pid: Pid, linkTo: Pid | null, ack: { ref: Ref; pid: Pid } | null, name: string | null, reason: unknown): void {
    const s = this.#s
    if (name !== null) s.names.unregister(name, pid)
    if (linkTo !== null) this.#signalExit(pid, linkTo, reason, ExitKind.LINK)
    if (ack !== null) this.#signalDown(ack.pid, ack.ref, pid, reason)
  }

  // ── frames ───────────────────────────────────────────────────────────────────────────

  onSignalFrame(kind: number, q: Proc | undefined, a: number, b: number, value: unknown): void {
    const s = this.#s
    switch (kind) {
      case Frame.EXIT: {
        const [from, reason, how] = value as [Pid, ExitReason, ExitKind]
        if (q !== undefined) this.deliverExit(q, from, reason, how)
        return
      }
      case Frame.LINK: {
        const from = value as Pid
        if (q !== undefined && q.status !== Status.DEAD) (q.linked ??= new Map()).set(from.key, from)
        else this.#signalExit(s.pidFromWords(a, b), from, NOPROC, ExitKind.LINK)
        return
      }
      case Frame.UNLINK:
        q?.linked?.delete((value as Pid).key)
        return
      case Frame.MONITOR: {
        const [watcher, ref, name] = value as [Pid, Ref, string | null]
        if (q !== undefined && q.status !== Status.DEAD) (q.watchers ??= new RefTable()).set(ref.key, { ref, watcher, name })
        else this.#signalDown(watcher, ref, name === null ? s.pidFromWords(a, b) : { name, node: s.node }, NOPROC)
        return
      }
      case Frame.DEMONITOR:
        q?.watchers?.delete((value as Ref).key)
        return
      case Frame.DOWN: {
        const [ref, who, reason] = value as [Ref, Pid | NamedProcess, ExitReason]
        if (q !== undefined) this.deliverDown(q, ref, who, reason)
        return
      }
      case Frame.REPLY: {
        const [ref, reply, isError, unwatched] = value as [Ref, unknown, boolean, boolean]
        if (q !== undefined) this.deliverReply(q, ref, reply, isError, unwatched)
        else s.counts.lateReplies++
        return
      }
      case Frame.CALL: {
        const [caller, ref, request] = value as [Pid, Ref, unknown]
        const target = s.pidFromWords(a, b)
        if (q === undefined || q.status === Status.DEAD) {
          this.#signalDown(caller, ref, target, NOPROC)
          return
        }
        ;(q.watchers ??= new RefTable()).set(ref.key, { ref, watcher: caller, name: null })
        if (!s.enqueue(q, { type: '$call', from: { pid: caller, ref }, request }, true)) {
          // A full mailbox refuses the call: the caller hears of it at once, not at its timeout.
          q.watchers.delete(ref.key)
          this.sendReply(null, caller, ref, makeError('ERR_MAILBOX_FULL', target.toString(), q.limits?.mailboxSize ?? 0), true)
        }
        return
      }
      default:
        throw new Error(`unknown frame kind ${kind}`)
    }
  }

  /** Thread `k` died: every link and monitor to one of its processes fires 'noconnection'. */
  threadDown(k: number): void {
    const s = this.#s
    for (const p of [...s.table.values()]) {
      if (p.status === Status.DEAD) continue
      if (p.watchers !== null) for (const w of p.watchers.values()) if (w.watcher.thread === k) p.watchers.delete(w.ref.key)
      if (p.monitors !== null) {
        for (const m of [...p.monitors.values()]) {
          if (m.target.thread === k) this.deliverDown(p, m.ref, m.name === null ? m.target : { name: m.name, node: s.node }, NOCONNECTION)
        }
      }
      if (p.calls !== null) {
        for (const c of p.calls.values()) if (c.pid.thread === k) this.deliverDown(p, c.ref, c.pid, NOCONNECTION)
      }
      if (p.linked !== null) {
        for (const pid of [...p.linked.values()]) if (pid.thread === k) this.deliverExit(p, pid, NOCONNECTION, ExitKind.LINK)
      }
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
