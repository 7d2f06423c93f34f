/**
 * One scheduler per thread: the process table, the run queue, routing, and the process
 * lifecycle (spawn, run, terminate). Links, monitors, exit signals and calls live in
 * signals.ts, which this class drives.
 *
 * Routing: a pid's thread is in the high bits of its id. A pid of this thread is looked up in
 * the table and its message is handed over as is (no copy, no encoding); any other goes into
 * the ring to that thread as a frame, published at the end of the turn.
 *
 * Process run: a queued process handles at most `batch` messages, then goes to the back of
 * the queue. A callback that returns a Promise suspends only its own process.
 */
import { Fifo } from '../mailbox/fifo.ts'
import { LOAD, slot } from '../mailbox/layout.ts'
import { Frame, SpawnFlag } from '../codec/frame.ts'
import { assertSerializable } from '../codec/validate.ts'
import { Proc, Status, type ProcOptions, type ProcessHost } from '../process/proc.ts'
import { Fifo as DirectQueue } from '../mailbox/fifo.ts'
import { NameTable } from '../process/name-table.ts'
import { BehaviourRegistry, isBehaviourClass } from '../process/behaviour-registry.ts'
import { Pid, Ref, aliasName, pidFor, type Address } from '../core/pid.ts'
import { makeError } from '../core/errors.ts'
import { formatReason, type ExitReason } from '../core/exit.ts'
import { hashKey } from '../core/hash.ts'
import {
  kContext, kDirect, kDispatch, kInit, kTerminate,
  type BehaviourClass, type CallOptions, type SpawnOptions, type TimerRef,
} from '../core/process-context.ts'
import type { DirectMessage, From } from '../core/envelope.ts'
import { NO_PAYLOAD, Transport } from './transport.ts'
import { RunLoop } from './run-loop.ts'
import { TimerQueue, type Clock } from './timers.ts'
import { Signals } from './signals.ts'
import { checkSpawnOptions } from './spawn-options.ts'

export interface SchedulerConfig {
  readonly index: number
  readonly threads: number
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
  readonly spinMicros: number
  /** The node's environment, the last place a process's env lookup falls back to. */
  readonly env?: Record<string, unknown>
  readonly clock?: Clock
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

const hasMessages = (p: Proc): boolean => p.mailbox.length > 0 || (p.directbox !== null && p.directbox.length > 0)

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function'

/** The per-process options a spawn carries (null when it needs none: the common case). */
function procOptions(options: SpawnOptions | undefined, parent: Proc | null): ProcOptions | null {
  const inherited = parent === null ? null : parent.envForChild()
  const hasInherited = inherited !== null && Object.keys(inherited).length > 0
  if (options === undefined && !hasInherited) return null
  const out: { -readonly [K in keyof ProcOptions]: ProcOptions[K] } = {}
  if (options?.mailboxSize !== undefined) out.mailboxSize = options.mailboxSize
  if (options?.fallback !== undefined) out.fallback = { name: options.fallback.name, tag: options.fallback.tag }
  if (options?.directboxSize !== undefined) out.directboxSize = options.directboxSize
  if (options?.env !== undefined) out.envOwn = { ...options.env }
  if (hasInherited) out.envInherited = inherited
  return Object.keys(out).length === 0 ? null : out
}

export class Scheduler implements ProcessHost {
  readonly index: number
  readonly threads: number
  readonly node: string
  readonly creation: number
  readonly names: NameTable
  readonly registry: BehaviourRegistry
  readonly timers: TimerQueue
  readonly transport: Transport
  readonly loop: RunLoop
  readonly signals: Signals
  readonly table = new Map<number, Proc>()
  readonly #runQueue = new Fifo<Proc>(64)
  /**
   * One process readied by a frame from another thread runs next, ahead of the queue (Go's
   * runnext): a busy thread then answers a cross-thread request within one batch. One slot only,
   * so queued processes wait at most one extra batch per poll.
   */
  #runNext: Proc | null = null
  #polling = false
  readonly #later = new Fifo<() => void>()
  readonly #parked = new Map<number, (() => void)[]>()
  readonly #control: SchedulerConfig['control']
  readonly #batch: number
  #refCounter: number
  #anyCursor = 0
  stopping = false
  readonly counts = { sentLocal: 0, sentRemote: 0, delivered: 0, deadLetters: 0, lateReplies: 0, mailboxFull: 0 }
  readonly nodeEnv: Readonly<Record<string, unknown>>

  constructor(cfg: SchedulerConfig, registry: BehaviourRegistry) {
    this.index = cfg.index
    this.threads = cfg.threads
    this.node = cfg.node
    this.creation = cfg.creation
    this.registry = registry
    this.nodeEnv = Object.freeze({ ...cfg.env })
    this.#control = cfg.control
    this.#batch = cfg.batch
    // Each thread incarnation takes a fresh 2^40 range of ref numbers.
    this.#refCounter = cfg.generation * 2 ** 40
    this.names = new NameTable(cfg.names, cfg.node, cfg.creation)
    this.timers = new TimerQueue(cfg.clock)
    this.signals = new Signals(this)
    this.transport = new Transport(cfg.index, cfg.outRings, cfg.inRings, cfg.control.i32,
      (peer, kind, a, b, value) => this.#onFrame(peer, kind, a, b, value))
    this.loop = new RunLoop({
      work: () => this.#work(),
      hasLocalWork: () => this.#runQueue.length > 0 || this.#runNext !== null || this.#later.length > 0,
      hasIncoming: () => this.transport.hasIncoming(),
    }, cfg.control.i32, slot(cfg.index, 0), { turnBudget: cfg.turnBudget, spinMicros: cfg.spinMicros, maxRounds: 64 })
  }

  // ── routing ────────────────────────────────────────────────────────────────────────────

  /** The live local process for `pid`, if it is one of this thread's. */
  local(pid: Pid): Proc | undefined {
    if (pid.thread !== this.index || pid.node !== this.node || pid.creation !== this.creation) return undefined
    return this.table.get(pid.localKey)
  }

  isLocalThread(pid: Pid): boolean {
    return pid.thread === this.index && pid.node === this.node
  }

  /** Build the pid of this node for header words (a = id, b = serial). */
  pidFromWords(a: number, b: number): Pid {
    const id = a >>> 0
    return pidFor(this.node, this.creation, id >>> 24, (b >>> 0) * 0x1000000 + (id & 0xffffff))
  }

  /**
   * Send a frame addressed to `pid` on another thread. Returns false (and counts a dead
   * letter) if that thread is down or the pid belongs to no thread of this node.
   */
  sendFrame(pid: Pid, kind: number, value: unknown, what?: string): boolean {
    const t = pid.thread
    if (pid.node !== this.node || pid.creation !== this.creation || t >= this.threads || !this.transport.isUp(t)) {
      this.counts.deadLetters++
      return false
    }
    this.transport.send(t, kind, pid.id, pid.serial, value, what)
    if (!this.loop.inTurn) this.loop.kick()
    return true
  }

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

  send(from: Proc | null, to: Address, message: unknown, strict: boolean): boolean {
    if (from !== null && from.status === Status.DEAD) return false
    const pid = this.resolveAddress(to, strict)
    if (pid === undefined) return false
    if (this.route(pid, message)) return true
    if (strict) throw makeError('ERR_MAILBOX_FULL', pid.toString(), this.local(pid)?.limits?.mailboxSize ?? 0)
    return false
  }

  /**
   * Deliver `message` to `pid` wherever it lives; a dead pid drops it (counted). Returns false
   * only when a local target's mailbox is full and it has no fallback.
   */
  route(pid: Pid, message: unknown): boolean {
    if (pid.thread === this.index && pid.node === this.node) {
      const q = pid.creation === this.creation ? this.table.get(pid.localKey) : undefined
      this.counts.sentLocal++
      if (q === undefined) {
        this.counts.deadLetters++
        return true
      }
      return this.enqueue(q, message, true)
    }
    if (this.sendFrame(pid, Frame.SEND, message)) this.counts.sentRemote++
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
    if (q.status === Status.IDLE) this.#ready(q)
    return true
  }

  #ready(q: Proc): void {
    q.status = Status.QUEUED
    if (this.#polling && this.#runNext === null) this.#runNext = q
    else this.#runQueue.push(q)
    if (!this.loop.inTurn) this.loop.kick()
  }

  #poll(): number {
    this.#polling = true
    try {
      return this.transport.poll(4096)
    } finally {
      this.#polling = false
    }
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

  /** Deliver a direct request into its target's directbox (bounded by directboxSize). */
  routeDirect(pid: Pid, request: DirectMessage): void {
    if (!this.isLocalThread(pid)) {
      this.sendFrame(pid, Frame.DIRECT, request, 'request')
      return
    }
    const q = this.local(pid)
    if (q === undefined || q.status === Status.DEAD || q.status === Status.TERMINATING) {
      this.counts.deadLetters++
      return // the caller's monitor answers noproc
    }
    const box = (q.directbox ??= new DirectQueue<DirectMessage>(4))
    const max = q.limits?.directboxSize ?? 100
    if (box.length >= max) {
      this.signals.sendReply(q, request.from.pid, request.from.ref, makeError('ERR_PROCESS_BUSY', pid.toString(), max), true)
      return
    }
    box.push(request)
    if (q.status === Status.IDLE) this.#ready(q)
  }

  createAlias(p: Proc): Ref {
    const ref = this.makeRef()
    const name = aliasName(ref)
    this.names.register(name, p.self)
    ;(p.names ??= []).push(name)
    return ref
  }

  deleteAlias(p: Proc, alias: Ref): void {
    const name = aliasName(alias)
    const owner = this.names.lookup(name)
    if (owner === undefined) return
    if (!owner.equals(p.self)) throw makeError('ERR_ALIAS_OWNER', alias.toString())
    this.names.unregister(name, p.self)
    if (p.names !== null) p.names = p.names.filter((n) => n !== name)
  }

  isAlias(v: unknown): boolean {
    return v instanceof Ref && this.names.lookup(aliasName(v)) !== undefined
  }

  /** Run `fn` at the next work round (used to bound recursion of signal cascades). */
  defer(fn: () => void): void {
    this.#later.push(fn)
    if (!this.loop.inTurn) this.loop.kick()
  }

  makeRef(): Ref {
    return new Ref(this.node, ++this.#refCounter * 256 + this.index, this.creation)
  }

  // ── the run loop's work ──────────────────────────────────────────────────────────────

  #work(): number {
    let did = this.#poll()
    const later = this.#later
    for (let n = later.length; n > 0; n--) {
      ;(later.shift() as () => void)()
      did++
    }
    did += this.#runQueued()
    this.transport.flush()
    return did
  }

  /** Run each process queued at the start, once; returns messages handled. */
  #runQueued(): number {
    const q = this.#runQueue
    let handled = 0
    const transport = this.transport
    for (let n = q.length; ;) {
      let p: Proc
      if (this.#runNext !== null) {
        p = this.#runNext
        this.#runNext = null
      } else {
        if (n-- <= 0) break
        p = q.shift() as Proc
      }
      if (p.status !== Status.QUEUED) continue
      handled += this.#run(p)
      // Between processes: publish what this one sent and pick up what arrived, so a busy
      // thread answers within one process run rather than one pass over its run queue.
      if (transport.hasPendingOutput()) transport.flush()
      handled += this.#poll()
    }
    return handled
  }

  #run(p: Proc): number {
    p.status = Status.RUNNING
    if (p.directbox !== null && p.directbox.length > 0 && this.#runDirect(p)) return 1
    const mailbox = p.mailbox
    const instance = p.instance
    let n = 0
    while (n < this.#batch && mailbox.length > 0) {
      const message = mailbox.shift()
      n++
      let result: unknown
      try {
        result = instance[kDispatch](message)
      } catch (error) {
        this.#crashed(p, error)
        return n
      }
      if (result !== undefined && isThenable(result)) {
        this.#suspend(p, result, null)
        return n
      }
      if (p.pendingExit !== null) {
        this.#applyPendingExit(p)
        return n
      }
      // Cut the batch short when another thread is waiting on us: frames have arrived.
      if ((n & 15) === 0 && this.transport.hasFrames()) break
    }
    if (hasMessages(p)) {
      p.status = Status.QUEUED
      this.#runQueue.push(p)
    } else {
      p.status = Status.IDLE
    }
    return n
  }

  /**
   * Answer one direct request. What the hook returns (or the Promise resolves to) is the reply;
   * what it throws goes back to the requester, and the process lives on (Ergo's HandleDirect).
   * Returns true if the process is now suspended on an async answer.
   */
  #runDirect(p: Proc): boolean {
    const request = (p.directbox as DirectQueue<DirectMessage>).shift() as DirectMessage
    const { pid, ref } = request.from
    const hook = p.instance[kDirect]
    let result: unknown
    try {
      if (hook === undefined) throw makeError('ERR_UNSUPPORTED_REQUEST', p.self.toString())
      result = hook.call(p.instance, request.request)
    } catch (error) {
      this.signals.sendReply(p, pid, ref, error, true)
      return false
    }
    if (result !== null && typeof result === 'object' && isThenable(result)) {
      this.#suspend(p, Promise.resolve(result).then(
        (value) => this.signals.sendReply(p, pid, ref, value, false),
        (error: unknown) => this.signals.sendReply(p, pid, ref, error, true),
      ), null)
      return true
    }
    this.signals.sendReply(p, pid, ref, result, false)
    return false
  }

  #suspend(p: Proc, result: PromiseLike<unknown>, afterInit: (() => void) | null): void {
    p.status = Status.SUSPENDED
    result.then(
      () => this.#resume(p, afterInit),
      (error: unknown) => {
        if (p.status === Status.SUSPENDED) this.#crashed(p, error)
      },
    )
  }

  #resume(p: Proc, afterInit: (() => void) | null): void {
    if (p.status !== Status.SUSPENDED) return
    if (afterInit !== null) afterInit()
    if (p.pendingExit !== null) {
      this.#applyPendingExit(p)
    } else if (hasMessages(p)) {
      p.status = Status.QUEUED
      this.#runQueue.push(p)
    } else {
      p.status = Status.IDLE
    }
    if (!this.loop.inTurn) this.loop.kick()
  }

  /** The callback is over (it threw or rejected): end the process with what it threw. */
  #crashed(p: Proc, error: unknown): void {
    p.status = Status.IDLE
    this.terminate(p, error, true)
  }

  /** The callback is over: apply a stop or self-directed exit it asked for. */
  #applyPendingExit(p: Proc): void {
    const pending = p.pendingExit as NonNullable<Proc['pendingExit']>
    p.pendingExit = null
    p.status = Status.IDLE
    this.terminate(p, pending.reason, pending.runTerminate)
  }

  // ── spawn ────────────────────────────────────────────────────────────────────────────

  /**
   * Create a process. The pid is taken from the target thread's shared spawn counter, so it
   * is known at once wherever the process will run; the name is registered here, so a taken
   * name fails at the call site and the process never runs.
   */
  spawn(parent: Proc | null, behaviour: BehaviourClass, args: unknown, options: SpawnOptions | undefined,
    link: boolean, ack: { ref: Ref; pid: Pid; before?: (pid: Pid) => void } | null = null): Pid {
    if (parent !== null && parent.status === Status.DEAD) throw makeError('ERR_PROCESS_TERMINATED', parent.self.toString())
    if (this.stopping) throw makeError('ERR_NODE_STOPPED')
    if (!isBehaviourClass(behaviour)) throw makeError('ERR_NOT_A_BEHAVIOUR', behaviour)
    checkSpawnOptions(options, this.threads)
    const thread = this.#place(options)
    const remote = thread !== this.index
    const key = this.registry.keyOf(behaviour)
    if (remote) {
      if (key === undefined) throw makeError('ERR_BEHAVIOUR_NOT_REGISTERED', behaviour.name)
      assertSerializable(args, 'spawn args')
      if (options?.env !== undefined) assertSerializable(options.env, 'spawn env')
      if (parent !== null) assertSerializable(parent.envForChild(), 'inherited env')
    }
    const counter = Number(Atomics.add(this.#control.counters, thread, 1n))
    const pid = pidFor(this.node, this.creation, thread, counter)
    const name = options?.name ?? null
    if (name !== null) this.names.register(name, pid)
    const linkTo = link && parent !== null ? parent.self : null
    if (linkTo !== null) ((parent as Proc).linked ??= new Map()).set(pid.key, pid)
    ack?.before?.(pid)
    const flags = options?.trapExit === true ? SpawnFlag.TRAP_EXIT : 0
    const extra = procOptions(options, parent)
    if (!remote) {
      this.start(pid, behaviour, args, flags, linkTo, ack, name, extra)
      return pid
    }
    const payload = [key, args, flags, linkTo, ack?.ref ?? null, ack?.pid ?? null, name, extra]
    if (this.transport.isUp(thread)) this.sendFrame(pid, Frame.SPAWN, payload, 'spawn args')
    else this.#park(thread, () => this.sendFrame(pid, Frame.SPAWN, payload, 'spawn args'))
    return pid
  }

  /** Spawn and resolve once the new process's init has completed (rejects with ERR_INIT_FAILED). */
  spawnAcked(p: Proc, behaviour: BehaviourClass, args: unknown, options: SpawnOptions | undefined): Promise<Pid> {
    const ref = this.makeRef()
    let started: Promise<Pid> | undefined
    this.spawn(p, behaviour, args, options, false, {
      ref, pid: p.self, before: (pid) => { started = this.signals.awaitStarted(p, pid, ref) },
    })
    return started as Promise<Pid>
  }

  #place(options: SpawnOptions | undefined): number {
    if (options === undefined) return this.index
    const workers = this.threads - 1
    if (options.key !== undefined) return workers === 0 ? 0 : 1 + (hashKey(options.key) % workers)
    const t = options.thread
    if (t === undefined) return this.index
    if (t !== 'any') return t
    if (workers === 0) return 0
    // Least loaded worker by live process count; the cursor breaks ties round-robin.
    let best = -1
    let bestLoad = Infinity
    for (let k = 0; k < workers; k++) {
      const w = 1 + ((this.#anyCursor + k) % workers)
      if (!this.transport.isUp(w) && w !== this.index) continue
      const load = Atomics.load(this.#control.i32, slot(w, LOAD))
      if (load < bestLoad) {
        best = w
        bestLoad = load
      }
    }
    this.#anyCursor = (this.#anyCursor + 1) % workers
    return best < 0 ? 1 + this.#anyCursor : best
  }

  #park(thread: number, fn: () => void): void {
    let list = this.#parked.get(thread)
    if (list === undefined) this.#parked.set(thread, (list = []))
    list.push(fn)
  }

  /** Start a process on this thread (from a local spawn or a SPAWN frame). */
  start(pid: Pid, behaviour: BehaviourClass, args: unknown, flags: number, linkTo: Pid | null,
    ack: { ref: Ref; pid: Pid } | null, name: string | null, extra: ProcOptions | null): void {
    let instance
    try {
      instance = new behaviour()
    } catch (error) {
      this.signals.stillborn(pid, linkTo, ack, name, error)
      return
    }
    const p = new Proc(pid, this, instance)
    instance[kContext] = p
    this.table.set(pid.localKey, p)
    this.#publishLoad()
    if (name !== null) p.names = [name]
    if (linkTo !== null) p.linked = new Map([[linkTo.key, linkTo]])
    if (ack !== null) p.watchers = new Map([[ack.ref.key, { ref: ack.ref, watcher: ack.pid, name: null }]])
    if ((flags & SpawnFlag.TRAP_EXIT) !== 0) p.trapExitFlag = true
    if (extra !== null) {
      p.limits = extra
      if (extra.envInherited !== undefined) p.envInherited = extra.envInherited
      if (extra.envOwn !== undefined) p.envOwn = new Map(Object.entries(extra.envOwn))
    }
    const initDone = ack === null ? null : () => this.signals.sendReply(p, ack.pid, ack.ref, pid)
    p.status = Status.RUNNING
    let result: unknown
    try {
      result = instance[kInit](args)
    } catch (error) {
      // OTP: a failed init does not run terminate.
      p.status = Status.IDLE
      this.finalize(p, error)
      return
    }
    if (result !== undefined && isThenable(result)) {
      p.status = Status.SUSPENDED
      result.then(
        () => this.#resume(p, initDone),
        (error: unknown) => {
          if (p.status === Status.SUSPENDED) this.finalize(p, error)
        },
      )
      return
    }
    if (initDone !== null) initDone()
    if (p.pendingExit !== null) this.#applyPendingExit(p)
    else if (hasMessages(p)) {
      p.status = Status.QUEUED
      this.#runQueue.push(p)
      if (!this.loop.inTurn) this.loop.kick()
    } else p.status = Status.IDLE
  }

  #publishLoad(): void {
    // Owner writes its live process count; placement on other threads reads it (a hint only).
    Atomics.store(this.#control.i32, slot(this.index, LOAD), this.table.size)
  }

  // ── termination ──────────────────────────────────────────────────────────────────────

  /**
   * End `p` with `reason`. With `runTerminate`, the behaviour's terminate callback runs first
   * (it may be async; a crash in it replaces the reason, as in OTP).
   */
  terminate(p: Proc, reason: ExitReason, runTerminate: boolean): void {
    if (p.status === Status.DEAD || p.status === Status.TERMINATING) return
    // RUNNING means its own callback is on the stack right now (one thread runs one process at
    // a time): it signalled itself. Apply once the callback returns.
    if (p.status === Status.RUNNING) {
      p.pendingExit = { reason, runTerminate }
      return
    }
    if (!runTerminate) {
      this.finalize(p, reason)
      return
    }
    p.status = Status.TERMINATING
    let result: unknown
    try {
      result = p.instance[kTerminate](reason)
    } catch (error) {
      this.finalize(p, error)
      return
    }
    if (result !== undefined && isThenable(result)) {
      result.then(
        () => this.finalize(p, reason),
        (error: unknown) => this.finalize(p, error),
      )
      return
    }
    this.finalize(p, reason)
  }

  /** The process is gone: table, names, links, monitors, pending calls. */
  finalize(p: Proc, reason: ExitReason): void {
    if (p.status === Status.DEAD) return
    p.status = Status.DEAD
    p.pendingExit = null
    this.table.delete(p.self.localKey)
    this.#publishLoad()
    if (p.names !== null) for (const name of p.names) this.names.unregister(name, p.self)
    p.mailbox.clear()
    this.signals.processExited(p, reason === 'kill' ? 'killed' : reason)
  }

  // ── ProcessHost: what a process's context delegates to ─────────────────────────────

  call(p: Proc, to: Address, request: unknown, options: CallOptions | undefined): Promise<unknown> {
    return this.signals.call(p, to, request, options)
  }

  reply(p: Proc, to: From, value: unknown): void {
    if (p.status === Status.DEAD) return
    this.signals.sendReply(p, to.pid, to.ref, value)
  }

  link(p: Proc, pid: Pid): void {
    this.signals.link(p, pid)
  }

  unlink(p: Proc, pid: Pid): void {
    this.signals.unlink(p, pid)
  }

  monitor(p: Proc, target: Address): Ref {
    return this.signals.monitor(p, target)
  }

  demonitor(p: Proc, ref: Ref, flush: boolean): boolean {
    return this.signals.demonitor(p, ref, flush)
  }

  exitSignal(p: Proc, pid: Pid, reason: ExitReason): void {
    if (p.status === Status.DEAD) return
    this.signals.exit(p.self, pid, reason)
  }

  requestStop(p: Proc, reason: ExitReason): void {
    if (p.status === Status.DEAD || p.status === Status.TERMINATING) return
    if (p.status === Status.RUNNING || p.status === Status.SUSPENDED) p.pendingExit = { reason, runTerminate: true }
    else this.terminate(p, reason, true)
  }

  sendAfter(p: Proc | null, to: Address, message: unknown, ms: number): TimerRef {
    if (typeof ms !== 'number' || !(ms >= 0)) throw makeError('ERR_INVALID_ARG_VALUE', 'ms', 'a non-negative number', ms)
    if (typeof to !== 'string' && !(to instanceof Pid)) {
      throw makeError('ERR_INVALID_ARG_TYPE', 'the destination', 'a Pid or a registered name', to)
    }
    // A name may resolve to any thread at fire time, so its message must be able to travel.
    if (typeof to === 'string' || !this.isLocalThread(to)) assertSerializable(message)
    const id = this.timers.schedule(ms, () => {
      // D11: dropped if the sender is dead; a dead or unknown destination drops it too.
      if (p !== null && p.status === Status.DEAD) return
      const pid = this.resolveAddress(to, false)
      if (pid !== undefined) this.route(pid, message)
      if (!this.loop.inTurn) this.loop.kick()
    })
    return { cancel: () => this.timers.cancel(id) }
  }

  register(p: Proc, name: string): void {
    if (typeof name !== 'string' || name.length === 0) throw makeError('ERR_INVALID_ARG_TYPE', 'name', 'a non-empty string', name)
    this.names.register(name, p.self)
    ;(p.names ??= []).push(name)
  }

  unregister(_p: Proc, name: string): boolean {
    const owner = this.names.lookup(name)
    if (owner === undefined || !this.names.unregister(name, owner)) return false
    const q = this.local(owner)
    if (q?.names) q.names = q.names.filter((n) => n !== name)
    return true
  }

  whereis(name: string): Pid | undefined {
    return this.names.lookup(name)
  }

  // ── frames from other threads ────────────────────────────────────────────────────────

  #onFrame(_peer: number, kind: number, a: number, b: number, value: unknown): void {
    const q = this.table.get((b >>> 0) * 0x1000000 + (a & 0xffffff))
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
        const pid = this.pidFromWords(a, b)
        let behaviour: BehaviourClass
        try {
          behaviour = this.registry.resolveKey(key)
        } catch (error) {
          this.signals.stillborn(pid, linkTo, ackRef && ackPid ? { ref: ackRef, pid: ackPid } : null, name, error)
          return
        }
        this.start(pid, behaviour, args, flags, linkTo, ackRef && ackPid ? { ref: ackRef, pid: ackPid } : null, name, extra)
        return
      }
      case Frame.DIRECT:
        this.routeDirect(this.pidFromWords(a, b), value as DirectMessage)
        return
      default:
        this.signals.onSignalFrame(kind, q, a, b, value)
    }
  }

  // ── thread failure and shutdown ──────────────────────────────────────────────────────

  /** Thread `k` died: forget its rings; links and monitors to its processes fire noconnection. */
  threadDown(k: number): void {
    this.transport.peerDown(k)
    this.signals.threadDown(k)
    this.loop.kick()
  }

  /** Thread `k` is back: send what was parked for it (spawns placed on it meanwhile). */
  threadUp(k: number): void {
    this.transport.peerUp(k)
    const list = this.#parked.get(k)
    this.#parked.delete(k)
    if (list !== undefined) for (const fn of list) fn()
    this.loop.kick()
  }

  /**
   * Stop every process, newest first: each runs terminate('shutdown'), bounded by
   * `timeoutMs` in all; whatever is still running then is dropped.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    this.stopping = true
    const procs = [...this.table.values()].reverse()
    for (const p of procs) {
      if (p.status === Status.SUSPENDED) p.status = Status.IDLE
      this.terminate(p, 'shutdown', true)
    }
    const deadline = performance.now() + timeoutMs
    while (this.table.size > 0 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    for (const p of [...this.table.values()]) this.finalize(p, 'shutdown')
    this.transport.flush()
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
      runQueue: this.#runQueue.length + (this.#runNext === null ? 0 : 1),
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

  describeReason(reason: ExitReason): string {
    return formatReason(reason)
  }

  /** Payload-less frames use this marker. */
  static readonly NO_PAYLOAD = NO_PAYLOAD
}
