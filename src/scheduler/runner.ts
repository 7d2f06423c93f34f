/**
 * The run queue and the running of processes: each queued process handles at most `batch`
 * messages (fewer if frames arrive meanwhile, or the turn's time slice ends), then goes to the
 * back of the queue. A callback that returns a Promise suspends only its own process until it
 * settles.
 *
 * Intake is paced with handling: while a process has a long mailbox (more than LONG_MAILBOX
 * messages), each poll decodes at most BACKLOG_POLL frames per peer. Decoding is work too; a
 * thread that decoded everything a fast producer sends would spend its time filling a mailbox
 * it has no time left to empty. The frames wait in the ring (and in the producer's overflow
 * queue once the ring is full), in order.
 *
 *   IDLE ──message──▶ QUEUED ──turn──▶ RUNNING ──returns──▶ IDLE | QUEUED
 *                                        ├── returns a Promise ──▶ SUSPENDED ──settles──▶ ...
 *                                        └── throws, or stop() ──▶ terminate (scheduler.ts)
 */
import { Fifo } from '../mailbox/fifo.ts'
import { Status, hasMessages, type Proc } from '../process/proc.ts'
import { makeError } from '../core/errors.ts'
import { kDirect, kDispatch } from '../core/process-context.ts'
import type { DirectMessage } from '../core/envelope.ts'
import type { Pid, Ref } from '../core/pid.ts'
import type { ExitReason } from '../core/exit.ts'
import { enter, leave } from './stray-promises.ts'
import { prng } from '../core/prng.ts'
import { isThenable } from '../core/thenable.ts'

/** Frames decoded per peer in one poll when nothing is backed up. */
const POLL_MAX = 4096
/** Frames decoded per peer in one poll while a mailbox is long. */
const BACKLOG_POLL = 16
/** A mailbox longer than this paces intake (see the banner). */
const LONG_MAILBOX = 256
/** The time slice is checked every this many messages of a process, and process runs (powers of two). */
const SLICE_CHECK_EVERY = 4
const SLICE_CHECK_RUNS = 16

/** What the runner needs from its thread. */
export interface RunnerPorts {
  readonly transport: { poll(max: number): number; flush(): void; hasPendingOutput(): boolean; hasFrames(): boolean }
  readonly loop: {
    readonly inTurn: boolean
    kick(): void
    startSlice(): void
    sliceOver(): boolean
    processSuspended(): void
  }
  readonly calls: { sendReply(p: Proc | null, to: Pid, ref: Ref, value: unknown, isError?: boolean): void }
  terminate(p: Proc, reason: ExitReason, runTerminate: boolean): void
  finalize(p: Proc, reason: ExitReason): void
}

export class Runner {
  readonly #s: RunnerPorts
  readonly #batch: number
  readonly #queue = new Fifo<Proc>(64)
  /**
   * One process readied by a frame from another thread runs next, ahead of the queue (Go's
   * runnext): a busy thread then answers a cross-thread request within one batch. One slot only,
   * so queued processes wait at most one extra batch per poll.
   */
  #next: Proc | null = null
  #polling = false
  /** A process ended its last run with a long mailbox: poll with BACKLOG_POLL. */
  #backlog = false
  readonly #later = new Fifo<() => void>()

  /** A seeded schedule's random source (Node option seed), else null: first come first served. */
  readonly #random: (() => number) | null

  constructor(scheduler: RunnerPorts, batch: number, seed?: number) {
    this.#s = scheduler
    this.#random = seed === undefined ? null : prng(seed)
    this.#batch = seed === undefined ? batch : 1
  }

  get queued(): number {
    return this.#queue.length + (this.#next === null ? 0 : 1)
  }

  hasLocalWork(): boolean {
    return this.#queue.length > 0 || this.#next !== null || this.#later.length > 0
  }

  /** An IDLE process got something to do. */
  ready(q: Proc): void {
    q.status = Status.QUEUED
    if (this.#polling && this.#next === null) this.#next = q
    else this.#queue.push(q)
    const loop = this.#s.loop
    if (!loop.inTurn) loop.kick()
  }

  /** Run `fn` at the next work round (used to bound recursion of signal cascades). */
  defer(fn: () => void): void {
    this.#later.push(fn)
    if (!this.#s.loop.inTurn) this.#s.loop.kick()
  }

  /** One round: read the rings, run deferred work and every queued process once, publish. */
  work(): number {
    let did = this.#poll()
    const later = this.#later
    for (let n = later.length; n > 0; n--) {
      ;(later.shift() as () => void)()
      did++
    }
    did += this.#runQueued()
    this.#s.transport.flush()
    return did
  }

  #poll(): number {
    this.#polling = true
    try {
      return this.#s.transport.poll(this.#backlog ? BACKLOG_POLL : POLL_MAX)
    } finally {
      this.#polling = false
    }
  }

  /** Run each process queued at the start (and each run-next), once; returns messages handled. */
  #runQueued(): number {
    if (this.#random !== null) this.#shuffle()
    const q = this.#queue
    const transport = this.#s.transport
    const loop = this.#s.loop
    let handled = 0
    let backlog = false
    let runs = 0
    for (let n = q.length; ;) {
      let p: Proc
      if (this.#next !== null) {
        p = this.#next
        this.#next = null
      } else {
        if (n-- <= 0) break
        p = q.shift() as Proc
      }
      if (p.status !== Status.QUEUED) continue
      const before = enter(p)
      try {
        handled += this.#run(p)
      } finally {
        leave(before)
      }
      if (p.mailbox.length > LONG_MAILBOX) backlog = this.#backlog = true
      // Between processes: publish what this one sent and pick up what arrived, so a busy
      // thread answers within one process run rather than one pass over its run queue.
      if (transport.hasPendingOutput()) transport.flush()
      handled += this.#poll()
      // The rest of the queue keeps its place for the next turn. (Not every run: reading the
      // clock would double the cost of a run that handles one cheap message.)
      if ((++runs & (SLICE_CHECK_RUNS - 1)) === 0 && loop.sliceOver()) break
    }
    this.#backlog = backlog
    return handled
  }

  /** A seeded schedule: the processes queued now run in an order the seed draws (Fisher-Yates). */
  #shuffle(): void {
    const random = this.#random as () => number
    const q = this.#queue
    const items: Proc[] = []
    for (let n = q.length; n > 0; n--) items.push(q.shift() as Proc)
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      const t = items[i] as Proc
      items[i] = items[j] as Proc
      items[j] = t
    }
    for (const p of items) q.push(p)
  }

  #run(p: Proc): number {
    this.#s.loop.startSlice()
    p.status = Status.RUNNING
    if (p.directbox !== null && p.directbox.length > 0 && this.#runDirect(p)) return 1
    const mailbox = p.mailbox
    const instance = p.instance
    const transport = this.#s.transport
    const loop = this.#s.loop
    let n = 0
    while (n < this.#batch && mailbox.length > 0) {
      const message = mailbox.shift()
      n++
      let result: unknown
      try {
        result = instance[kDispatch](message)
      } catch (error) {
        this.crashed(p, error)
        return n
      }
      if (result !== undefined && isThenable(result)) {
        this.suspend(p, result, null)
        return n
      }
      if (p.pendingExit !== null) {
        this.applyPendingExit(p)
        return n
      }
      // The clock every 4 messages up to 16, then every 16: a slow process is seen within 4 of its
      // messages, a fast one pays for a clock read about every 9.
      if ((n & (SLICE_CHECK_EVERY - 1)) === 0 && (n <= 16 || (n & 15) === 0)) {
        if (loop.sliceOver()) break
        // Cut the batch short when another thread is waiting on us: frames have arrived (unless
        // this process is backed up: they are likely more of what it is already behind on).
        if ((n & 15) === 0 && mailbox.length <= LONG_MAILBOX && transport.hasFrames()) break
      }
    }
    this.#settle(p)
    return n
  }

  /**
   * Handle `message` now, inside the sender's callback (a same-thread call, see calls.ts): `q` is
   * IDLE with nothing queued, so this is the run it would have next, done as #run does it.
   */
  runNow(q: Proc, message: unknown): void {
    q.status = Status.RUNNING
    const before = enter(q)
    try {
      let result: unknown
      try {
        result = q.instance[kDispatch](message)
      } catch (error) {
        this.crashed(q, error)
        return
      }
      if (result !== undefined && isThenable(result)) this.suspend(q, result, null)
      else this.afterCallback(q)
    } finally {
      leave(before)
    }
    if ((q.status as Status) === Status.QUEUED && !this.#s.loop.inTurn) this.#s.loop.kick()
  }

  /** After a callback: back in the queue if there is more to do, else IDLE. */
  #settle(p: Proc): void {
    if (hasMessages(p)) {
      p.status = Status.QUEUED
      this.#queue.push(p)
    } else {
      p.status = Status.IDLE
    }
  }

  /**
   * Answer one direct request. What the hook returns (or the Promise resolves to) is the reply;
   * what it throws goes back to the requester, and the process lives on (Ergo's HandleDirect).
   * Returns true if the process is now suspended on an async answer.
   */
  #runDirect(p: Proc): boolean {
    const request = (p.directbox as Fifo<DirectMessage>).shift() as DirectMessage
    const { pid, ref } = request.from
    const calls = this.#s.calls
    const hook = p.instance[kDirect]
    let result: unknown
    try {
      if (hook === undefined) throw makeError('ERR_UNSUPPORTED_REQUEST', p.self.toString(), 'direct requests (it has no handleDirect)')
      result = hook.call(p.instance, request.request)
    } catch (error) {
      calls.sendReply(p, pid, ref, error, true)
      return false
    }
    if (isThenable(result)) {
      this.suspend(p, Promise.resolve(result).then(
        (value) => calls.sendReply(p, pid, ref, value, false),
        (error: unknown) => calls.sendReply(p, pid, ref, error, true),
      ), null)
      return true
    }
    calls.sendReply(p, pid, ref, result, false)
    return false
  }

  /**
   * The callback returned a Promise: no next message until it settles. A rejection crashes the
   * process; for `init` (OTP) without running terminate. `afterInit` runs once init has settled.
   */
  suspend(p: Proc, result: PromiseLike<unknown>, afterInit: ((outcome: unknown) => void) | null, inInit = false): void {
    p.status = Status.SUSPENDED
    this.#s.loop.processSuspended()
    result.then(
      (outcome) => this.#resume(p, afterInit, outcome),
      (error: unknown) => {
        if (p.status !== Status.SUSPENDED) return
        if (inInit) this.#s.finalize(p, error)
        else this.crashed(p, error)
      },
    )
  }

  #resume(p: Proc, afterInit: ((outcome: unknown) => void) | null, outcome: unknown): void {
    if (p.status !== Status.SUSPENDED) return
    if (afterInit !== null) {
      const before = enter(p)
      try {
        afterInit(outcome)
      } finally {
        leave(before)
      }
    }
    this.afterCallback(p)
    if (!this.#s.loop.inTurn) this.#s.loop.kick()
  }

  /** A callback is over: apply a pending stop, or queue the process if it has more to do. */
  afterCallback(p: Proc): void {
    if (p.pendingExit !== null) this.applyPendingExit(p)
    else this.#settle(p)
  }

  /** The callback is over (it threw or rejected): end the process with what it threw. */
  crashed(p: Proc, error: unknown): void {
    // An exit signal ended it while the callback ran (exit(self, R) throws to unwind it): that
    // end stands, whatever the callback threw (the ProcessExit, or what a catch threw instead).
    if (p.pendingExit !== null && !p.pendingExit.runTerminate) {
      this.applyPendingExit(p)
      return
    }
    p.status = Status.IDLE
    this.#s.terminate(p, error, true)
  }

  /** The callback is over: apply a stop or self-directed exit it asked for. */
  applyPendingExit(p: Proc): void {
    const pending = p.pendingExit as NonNullable<Proc['pendingExit']>
    p.pendingExit = null
    p.status = Status.IDLE
    this.#s.terminate(p, pending.reason, pending.runTerminate)
  }
}
