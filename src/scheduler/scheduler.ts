/**
 * One scheduler per thread: the process table, termination, and the wiring of its parts:
 * router.ts (where a pid lives), runner.ts (run queue, running processes), spawner.ts
 * (placement, start), links.ts (links, exit signals), monitors.ts, calls.ts (request/reply),
 * context.ts (what a process can do), transport.ts (the rings), run-loop.ts
 * (turns, spinning, sleeping).
 *
 * Routing (router.ts): a pid of this thread is looked up in the table and its message is
 * handed over as is (no copy, no encoding); any other goes into the ring to that thread as a
 * frame, published at the end of the process run. With the
 * `checkSends` option a message handed over is first checked as the ring would check it, so a
 * message that could not cross threads fails on every thread alike (route, sendReply, routeDirect,
 * spawn args: the places where a value is handed over without encoding).
 */
import { availableParallelism } from 'node:os'
import { Frame } from '../codec/frame.ts'
import { assertSerializable } from '../codec/validate.ts'
import { Proc, ProcessExit, Status, isHalted, type ProcOptions } from '../process/proc.ts'
import { NameTable } from '../process/name-table.ts'
import type { BehaviourRegistry } from '../process/behaviour-registry.ts'
import { slot, DOORBELL } from '../mailbox/layout.ts'
import { Pid, Ref, aliasName, localKeyOfWords, type Address } from '../core/pid.ts'
import { makeError } from '../core/errors.ts'
import { NOCONNECTION, formatReason, type ExitReason } from '../core/exit.ts'
import { kTerminate, type BehaviourClass } from '../core/process-context.ts'
import type { DirectMessage } from '../core/envelope.ts'
import { Transport } from './transport.ts'
import { RunLoop } from './run-loop.ts'
import { TimerQueue } from './timers.ts'
import type { Clock } from '../core/clock.ts'
import { Router } from './router.ts'
import { Links } from './links.ts'
import { Monitors } from './monitors.ts'
import { Calls } from './calls.ts'
import { Runner } from './runner.ts'
import { isThenable } from '../core/thenable.ts'
import { Spawner } from './spawner.ts'
import { Births } from './births.ts'
import { enter, leave } from './stray-promises.ts'
import { formatStray, type StrayReport } from '../core/stray-report.ts'
import { REPORTS_ENV, deliverReport } from '../core/report-sink.ts'

export interface SchedulerConfig {
  readonly index: number
  /** Every thread of the node, the main thread included (Node's `threads` counts the workers). */
  readonly totalThreads: number
  readonly node: string
  readonly creation: number
  /** Incarnation of this thread slot (0 at node start, +1 per replacement): keeps refs unique. */
  readonly generation: number
  readonly control: { readonly i32: Int32Array; readonly counters: BigInt64Array }
  readonly names: SharedArrayBuffer
  readonly outRings: readonly (SharedArrayBuffer | null)[]
  readonly inRings: readonly (SharedArrayBuffer | null)[]
  readonly batch: number
  readonly turnBudget: number
  /** Longest a turn works before the event loop gets a pass, in ms. */
  readonly turnSliceMs: number
  readonly spinMicros: number
  /** Light (blocking) sleep window after the last work, in ms; 0 on the main thread. */
  readonly lightSleepMs?: number
  /** The node's environment, the last place a process's env lookup falls back to. */
  readonly env?: Record<string, unknown>
  readonly clock?: Clock
  /** Run ready processes in an order drawn from this seed, one message per run (Node option seed). */
  readonly seed?: number
  /** Check what is handed over within this thread as if it crossed threads (Node option checkSends). */
  readonly checkSends?: boolean
}

export interface ThreadStats {
  thread: number
  processes: number
  runQueue: number
  sentLocal: number
  sentRemote: number
  delivered: number
  deadLetters: number
  lateReplies: number
  mailboxFull: number
  framesIn: number
  overflowed: number
  ringFull: number
  overflowQueued: number
  turns: number
  sleeps: number
}

export class Scheduler {
  readonly index: number
  /** Every thread of the node, the main thread included (Node's `threads` counts the workers). */
  readonly totalThreads: number
  readonly node: string
  readonly creation: number
  readonly names: NameTable
  readonly registry: BehaviourRegistry
  readonly timers: TimerQueue
  readonly transport: Transport
  readonly loop: RunLoop
  readonly router: Router
  readonly links: Links
  readonly monitors: Monitors
  readonly calls: Calls
  readonly runner: Runner
  readonly spawner: Spawner
  /** The node's environment, the last place a process's env lookup falls back to. */
  readonly nodeEnv: Readonly<Record<string, unknown>>
  readonly births: Births
  readonly table = new Map<number, Proc>()
  readonly counts = { sentLocal: 0, sentRemote: 0, delivered: 0, deadLetters: 0, lateReplies: 0, mailboxFull: 0 }
  /** Values handed over on this thread must be able to cross threads (ERR_NOT_SERIALIZABLE otherwise). */
  readonly checkSends: boolean
  /** Timers follow a virtual clock (the test kit's): only this thread's time is virtual. */
  readonly virtualTime: boolean
  stopping = false
  #refCounter: number

  constructor(cfg: SchedulerConfig, registry: BehaviourRegistry) {
    this.index = cfg.index
    this.totalThreads = cfg.totalThreads
    this.node = cfg.node
    this.creation = cfg.creation
    this.checkSends = cfg.checkSends === true
    this.virtualTime = cfg.clock !== undefined
    this.registry = registry
    // Each thread incarnation takes a fresh 2^40 range of ref numbers.
    this.#refCounter = cfg.generation * 2 ** 40
    this.names = new NameTable(cfg.names, cfg.node, cfg.creation)
    this.timers = new TimerQueue(cfg.clock)
    this.runner = new Runner(this, cfg.batch, cfg.seed)
    this.spawner = new Spawner(this, cfg.control)
    this.nodeEnv = Object.freeze({ ...cfg.env })
    this.births = new Births(cfg.control.counters, cfg.index)
    this.transport = new Transport(cfg.index, cfg.outRings, cfg.inRings, cfg.control.i32,
      (_peer, kind, a, b, value) => this.#onFrame(kind, a, b, value))
    this.loop = new RunLoop({
      work: () => this.runner.work(),
      hasLocalWork: () => this.runner.hasLocalWork(),
      hasIncoming: () => this.transport.hasIncoming(),
      wokePeer: () => this.transport.takeWokePeer(),
      nextTimerMs: () => this.timers.nextDelay(),
      turnEnded: () => this.calls.armTimeouts(),
    }, cfg.control.i32, slot(cfg.index, DOORBELL), {
      turnBudget: cfg.turnBudget, spinMicros: cfg.spinMicros, maxRounds: 64, lightSleepMs: cfg.lightSleepMs ?? 0,
      sliceMs: cfg.turnSliceMs,
      cores: availableParallelism(),
    })
    this.router = new Router(cfg.index, cfg.node, cfg.creation, cfg.totalThreads, this.table, this)
    this.links = new Links(this.router, this)
    this.monitors = new Monitors(this.router, this)
    this.calls = new Calls(this.router, this.monitors, this.links, this, cfg.seed === undefined)
  }

  // ── messages ───────────────────────────────────────────────────────────────────────────

  /** The pid an address names now; undefined (or a throw, when `strict`) if none. */
  resolveAddress(to: Address, strict: boolean): Pid | undefined {
    if (typeof to === 'string') {
      const pid = this.names.lookup(to)
      if (pid === undefined && strict) throw makeError('ERR_UNKNOWN_NAME', to)
      return pid
    }
    if (to instanceof Pid) return to
    if (to instanceof Ref) {
      const pid = this.names.lookup(aliasName(to))
      if (pid === undefined && strict) throw makeError('ERR_UNKNOWN_ALIAS', to.toString())
      return pid
    }
    throw makeError('ERR_INVALID_ARG_TYPE', 'the destination', 'a Pid, a registered name or an alias', to)
  }

  /** Send from `from` (null: from outside any process). Sends by a halted process are dropped. */
  send(from: Proc | null, to: Address, message: unknown, strict: boolean): boolean {
    if (from !== null && isHalted(from)) return false
    const pid = this.resolveAddress(to, strict)
    if (pid === undefined) return false
    if (this.route(pid, message)) return true
    if (strict) throw makeError('ERR_MAILBOX_FULL', pid.toString(), this.router.proc(pid)?.limits?.mailboxSize ?? 0)
    return false
  }

  /**
   * Deliver `message` to `pid` wherever it lives; a dead pid drops it (counted). Returns false
   * only when a local target's mailbox is full and it has no fallback.
   * @throws ERR_NOT_SERIALIZABLE when it cannot cross threads (to this thread: with checkSends)
   */
  route(pid: Pid, message: unknown): boolean {
    if (this.router.isHere(pid)) {
      // As the ring would, before anything else (a dead target included): off, one field read.
      if (this.checkSends) assertSerializable(message)
      const q = this.router.proc(pid)
      this.counts.sentLocal++
      if (q === undefined) {
        this.counts.deadLetters++
        return true
      }
      return this.enqueue(q, message, true)
    }
    if (this.router.forward(pid, Frame.SEND, message)) this.counts.sentRemote++
    return true
  }

  /**
   * Put a message in q's mailbox. A user message (`limited`) to a full mailbox goes to the
   * fallback process if there is one; otherwise it is refused (false) and counted.
   */
  enqueue(q: Proc, message: unknown, limited = false): boolean {
    if (q.status === Status.DEAD || q.status === Status.TERMINATING) {
      this.counts.deadLetters++
      return true
    }
    if (limited && q.limits !== null && q.limits.mailboxSize !== undefined && q.mailbox.length >= q.limits.mailboxSize) {
      return this.#overflowMailbox(q, message, q.limits)
    }
    this.counts.delivered++
    q.mailbox.push(message)
    if (q.status === Status.IDLE) this.runner.ready(q)
    return true
  }

  #overflowMailbox(q: Proc, message: unknown, limits: ProcOptions): boolean {
    const fb = limits.fallback
    const to = fb === undefined ? undefined : this.names.lookup(fb.name)
    if (fb === undefined || to === undefined || to.equals(q.self)) {
      this.counts.mailboxFull++
      return false
    }
    return this.route(to, { type: 'fallback', process: q.self, tag: fb.tag, message })
  }

  makeRef(): Ref {
    return new Ref(this.node, ++this.#refCounter * 256 + this.index, this.creation)
  }

  // ── termination ──────────────────────────────────────────────────────────────────────

  /**
   * End `p` with `reason`. With `runTerminate`, the behaviour's terminate callback runs first
   * (it may be async; a crash in it replaces the reason, as in OTP). Without (a signal), it ends
   * at once, even while its terminate runs: OTP's process is alive until terminate returns; the
   * terminate promise settling later finds it DEAD and changes nothing.
   */
  terminate(p: Proc, reason: ExitReason, runTerminate: boolean): void {
    if (p.status === Status.DEAD) return
    if (p.status === Status.TERMINATING) {
      if (!runTerminate) this.finalize(p, reason)
      return
    }
    // RUNNING: its own callback is on the stack (one thread runs one process at a time), and
    // signalled it, directly or through a link. Applied as the callback ends (or unwinds, see
    // ProcessExit); the first signal wins, and beats a stop request.
    if (p.status === Status.RUNNING) {
      if (p.pendingExit === null || p.pendingExit.runTerminate) p.pendingExit = { reason, runTerminate }
      return
    }
    if (!runTerminate) {
      this.finalize(p, reason)
      return
    }
    p.status = Status.TERMINATING
    let result: unknown
    const before = enter(p)
    try {
      result = p.instance[kTerminate](reason)
    } catch (error) {
      this.finalize(p, error)
      return
    } finally {
      leave(before)
    }
    if (result !== undefined && isThenable(result)) {
      result.then(() => this.finalize(p, reason), (error: unknown) => this.finalize(p, error))
      return
    }
    this.finalize(p, reason)
  }

  /**
   * The process is gone: table, names, links, monitors, pending calls. Links and monitors get
   * `reason` as it is: a process that ends 'kill' by itself passes 'kill' on, as OTP does (only
   * the exit *signal* 'kill' becomes 'killed', in links.ts).
   */
  finalize(p: Proc, reason: ExitReason): void {
    if (p.status === Status.DEAD) return
    // An exit signal recorded while its code ran wins over what that code threw afterwards
    // (the ProcessExit unwinding it, or an error a catch threw instead).
    const recorded = p.pendingExit
    if (recorded !== null && !recorded.runTerminate) reason = recorded.reason
    else if (reason instanceof ProcessExit) reason = reason.reason
    p.status = Status.DEAD
    p.pendingExit = null
    this.table.delete(p.self.localKey)
    this.spawner.publishLoad()
    if (p.names !== null) for (const name of p.names) this.names.unregister(name, p.self)
    p.mailbox.clear()
    p.directbox = null
    // Its own monitors go first, then its calls; then its links and its watchers hear of it.
    this.monitors.dropOwn(p)
    this.calls.exited(p)
    this.links.exited(p, reason)
    this.monitors.exited(p, reason)
  }

  /** A DOWN reached `w` (a monitors port): true if it settled a call, start or watch of w's. */
  settleCall(w: Proc, ref: Ref, reason: ExitReason): boolean {
    return this.calls.settleDown(w, ref, reason)
  }

  /** A process that could not even be constructed: its link, its spawner, its name hear of it. */
  stillborn(pid: Pid, linkTo: Pid | null, ack: { ref: Ref; pid: Pid } | null, name: string | null, reason: unknown): void {
    if (name !== null) this.names.unregister(name, pid)
    if (linkTo !== null) this.links.stillborn(pid, linkTo, reason)
    if (ack !== null) this.monitors.signalDown(ack.pid, ack.ref, pid, reason)
  }

  // ── frames from other threads ────────────────────────────────────────────────────────

  #onFrame(kind: number, a: number, b: number, value: unknown): void {
    const localKey = localKeyOfWords(a, b)
    const q = this.table.get(localKey)
    if (q === undefined && kind !== Frame.SPAWN && kind !== Frame.ABANDON && kind !== Frame.REPLY &&
      this.births.isUnborn(localKey)) {
      // Addressed to a process whose SPAWN frame is still on its way (see births.ts).
      this.births.hold(localKey, kind, value)
      return
    }
    switch (kind) {
      case Frame.SEND:
        // A full mailbox without fallback drops the message here (counted in mailboxFull): the
        // sender on another thread cannot be told synchronously.
        if (q === undefined) this.counts.deadLetters++
        else this.enqueue(q, value, true)
        return
      case Frame.SPAWN: {
        const [key, args, flags, linkTo, ackRef, ackPid, name, extra] = value as
          [string, unknown, number, Pid | null, Ref | null, Pid | null, string | null, ProcOptions | null]
        const pid = this.router.pidFromWords(a, b)
        const ack = ackRef !== null && ackPid !== null ? { ref: ackRef, pid: ackPid } : null
        let behaviour: BehaviourClass | undefined
        try {
          behaviour = this.registry.resolveKey(key)
        } catch (error) {
          this.stillborn(pid, linkTo, ack, name, error)
        }
        if (behaviour !== undefined) this.spawner.start(pid, behaviour, args, flags, linkTo, ack, name, extra)
        this.#replayHeld(pid)
        return
      }
      case Frame.ABANDON:
        this.#replayHeld(this.router.pidFromWords(a, b))
        return
      case Frame.DIRECT:
        this.calls.routeDirect(this.router.pidFromWords(a, b), value as DirectMessage)
        return
      case Frame.EXIT: return this.links.onExitFrame(q, value)
      case Frame.LINK: return this.links.onLinkFrame(q, a, b, value)
      case Frame.UNLINK: return this.links.onUnlinkFrame(q, value)
      case Frame.MONITOR: return this.monitors.onMonitorFrame(q, a, b, value)
      case Frame.DEMONITOR: return this.monitors.onDemonitorFrame(q, value)
      case Frame.DOWN: return this.monitors.onDownFrame(q, value)
      case Frame.CALL: return this.calls.onCallFrame(q, a, b, value)
      case Frame.REPLY: return this.calls.onReplyFrame(q, value)
      default:
        throw new Error(`unknown frame kind ${kind}`)
    }
  }

  /** Deliver, in order, what arrived for `pid` before it was born (or learned it never will be). */
  #replayHeld(pid: Pid): void {
    for (const [kind, value] of this.births.resolve(pid.localKey)) this.#onFrame(kind, pid.id, pid.serial, value)
  }

  // ── thread failure and shutdown ──────────────────────────────────────────────────────

  /** Thread `k` died: forget its rings; links and monitors to its processes fire noconnection. */
  threadDown(k: number): void {
    this.transport.peerDown(k)
    this.#lostThread(k)
    this.loop.kick()
  }

  /** Thread `k` is back: send what was parked for it (spawns placed on it meanwhile). */
  threadUp(k: number): void {
    this.transport.peerUp(k)
    this.spawner.unpark(k)
    this.loop.kick()
  }

  /** Thread `k` will not come back: fail what was parked for it, and refuse spawns onto it. */
  threadGone(k: number): void {
    this.spawner.gone(k)
    // Spawn acknowledgements made while it was down watch pids on it: they fire now.
    this.#lostThread(k)
    this.loop.kick()
  }

  /** Every link, monitor and call to a process on thread `k` fires 'noconnection'. */
  #lostThread(k: number): void {
    for (const p of [...this.table.values()]) {
      if (p.status === Status.DEAD) continue
      this.monitors.threadDown(p, k, NOCONNECTION)
      this.calls.threadDown(p, k, NOCONNECTION)
      this.links.threadDown(p, k, NOCONNECTION)
    }
  }

  /**
   * Stop every process but `spare`, newest first: each runs terminate('shutdown'), bounded by
   * `timeoutMs` in all; whatever is still running then is dropped. `spare` (the node's own
   * process) lives on to hear the others end; the node ends it last (see Node.stop).
   */
  async shutdown(timeoutMs: number, spare: Proc | null = null): Promise<void> {
    this.stopping = true
    // What was sent before the stop reaches its target first (the control port that says stop
    // is no ring, and may overtake frames): a call made before stop() fails with 'shutdown'.
    for (let round = 0; round < 64 && this.transport.poll(4096) > 0; round++) { /* read */ }
    for (const p of [...this.table.values()].reverse()) {
      if (p === spare) continue
      if (p.status === Status.SUSPENDED) p.status = Status.IDLE
      this.terminate(p, 'shutdown', true)
    }
    const left = spare === null ? 0 : 1
    const deadline = performance.now() + timeoutMs
    while (this.table.size > left && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    for (const p of [...this.table.values()]) if (p !== spare) this.finalize(p, 'shutdown')
    this.transport.flush()
  }

  /** Handle what has arrived and what it readied, until nothing is left (bounded); outside a turn. */
  drain(): void {
    for (let round = 0; round < 1000 && this.runner.work() > 0; round++) { /* work */ }
  }

  /**
   * An error no process owns reached this thread's top (a rejection nobody handled, or a throw
   * from a timer or listener a process set up): the thread survives, and it is reported where
   * the node's environment sends reports (`skein.reports`: a registered name, false, or stderr).
   */
  reportStray(reason: unknown, what: StrayReport['what']): void {
    const report: StrayReport = { type: 'report', kind: 'stray', thread: this.index, what, reason }
    deliverReport(this.nodeEnv[REPORTS_ENV], report, {
      send: (name, r) => void this.send(null, name, r, false),
      asText: (r) => ({ ...r, reason: formatReason(r.reason) }),
      print: formatStray,
    })
  }

  /** Release every handle: timers and the run loop. */
  close(): void {
    this.timers.clear()
    this.loop.stop()
  }

  stats(): ThreadStats {
    const t = this.transport.stats
    return {
      thread: this.index,
      processes: this.table.size,
      runQueue: this.runner.queued,
      sentLocal: this.counts.sentLocal,
      sentRemote: this.counts.sentRemote,
      delivered: this.counts.delivered,
      deadLetters: this.counts.deadLetters,
      lateReplies: this.counts.lateReplies,
      mailboxFull: this.counts.mailboxFull,
      framesIn: t.framesIn,
      overflowed: t.overflowed,
      ringFull: t.ringFull,
      overflowQueued: this.transport.overflowLength(),
      turns: this.loop.turns,
      sleeps: this.loop.sleeps,
    }
  }
}
