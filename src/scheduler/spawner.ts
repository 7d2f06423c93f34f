/**
 * Spawning: placement, pid allocation, name registration, and starting a process on this
 * thread (from a local spawn or a SPAWN frame).
 *
 * The pid comes from the target thread's shared spawn counter, so it is known at once wherever
 * the process will run; the name is registered at the spawn site, so a taken name fails there
 * and the process never runs. A spawn aimed at a thread that is restarting waits (parked) until
 * the thread is back.
 */
import { LOAD, slot } from '../mailbox/layout.ts'
import { Frame, SpawnFlag } from '../codec/frame.ts'
import { assertSerializable, isSerializable } from '../codec/validate.ts'
import { Proc, Status, type ProcOptions } from '../process/proc.ts'
import { Context, type ContextPorts } from './context.ts'
import { isBehaviourClass } from '../process/behaviour-registry.ts'
import { pidFor, type Pid, type Ref } from '../core/pid.ts'
import { makeError } from '../core/errors.ts'
import { hashKey } from '../core/hash.ts'
import { RefTable } from '../core/ref-table.ts'
import {
  IGNORE, kContext, kInit, type BehaviourClass, type SpawnOptions, type StartOptions, type Started,
} from '../core/process-context.ts'
import { checkSpawnOptions, procOptions, splitStartOptions } from './spawn-options.ts'
import { isThenable } from '../core/thenable.ts'
import { NO_PAYLOAD } from './transport.ts'
import type { Births } from './births.ts'
import { enter, leave } from './stray-promises.ts'

/** Who waits for a spawned process's init: the ack (its pid, or 'ignore') goes to `pid` under `ref`. */
export interface Ack {
  readonly ref: Ref
  readonly pid: Pid
}

/** A start's ack: the starter's wait is registered as soon as the pid exists (before init runs). */
interface StartAck extends Ack {
  readonly owner: Proc
  readonly timeout: number
  started: Promise<Started> | null
}

const isStartAck = (ack: Ack): ack is StartAck => 'owner' in ack

/** What spawning needs from its thread (a new process's context gets the thread too). */
export interface SpawnerPorts extends ContextPorts {
  readonly index: number
  readonly node: string
  readonly creation: number
  readonly stopping: boolean
  readonly virtualTime: boolean
  readonly registry: { keyOf(behaviour: BehaviourClass): string | undefined }
  readonly births: Pick<Births, 'resolve'>
  readonly table: Map<number, Proc>
  readonly transport: { isUp(thread: number): boolean }
  readonly runner: ContextPorts['runner'] & {
    suspend(p: Proc, result: PromiseLike<unknown>, afterInit: ((outcome: unknown) => void) | null, inInit?: boolean): void
    afterCallback(p: Proc): void
  }
  stillborn(pid: Pid, linkTo: Pid | null, ack: Ack | null, name: string | null, reason: unknown): void
}

export class Spawner {
  readonly #s: SpawnerPorts
  readonly #control: { readonly i32: Int32Array; readonly counters: BigInt64Array }
  readonly #parked = new Map<number, (() => void)[]>()
  /** Threads that died and will not be restarted. */
  readonly #gone = new Set<number>()
  #anyCursor = 0

  constructor(scheduler: SpawnerPorts, control: { readonly i32: Int32Array; readonly counters: BigInt64Array }) {
    this.#s = scheduler
    this.#control = control
  }

  /** Create a process; returns its pid at once (init runs later, on its thread). */
  spawn(parent: Proc | null, behaviour: BehaviourClass, args: unknown, options: SpawnOptions | undefined,
    link: boolean, ack: Ack | null = null): Pid {
    const s = this.#s
    if (parent !== null && parent.status === Status.DEAD) throw makeError('ERR_PROCESS_TERMINATED', parent.self.toString())
    if (s.stopping) throw makeError('ERR_NODE_STOPPED')
    if (!isBehaviourClass(behaviour)) throw makeError('ERR_NOT_A_BEHAVIOUR', behaviour)
    checkSpawnOptions(options, s.totalThreads)
    const key = s.registry.keyOf(behaviour)
    const extra = procOptions(options, parent)
    const placed = options?.thread !== undefined || options?.key !== undefined
    const thread = placed ? this.#place(options) : this.#defaultThread(parent, key, args, extra)
    if (this.#gone.has(thread)) throw makeError('ERR_THREAD_DOWN', thread)
    const remote = thread !== s.index
    if (remote && key === undefined) throw makeError('ERR_BEHAVIOUR_NOT_REGISTERED', behaviour.name)
    // checkSends: a local spawn's args are checked as a SPAWN frame's would be. A default
    // placement sends them to another thread only once it has found that they can travel.
    if ((remote || s.checkSends) && (placed || !remote)) {
      assertSerializable(args, 'spawn args')
      if (extra !== null) assertSerializable(extra, 'spawn env')
    }
    const pid = pidFor(s.node, s.creation, thread, Number(Atomics.add(this.#control.counters, thread, 1n)))
    const name = options?.name ?? null
    if (name !== null) {
      try {
        s.names.register(name, pid)
      } catch (error) {
        this.#abandon(pid, remote)
        throw error
      }
    }
    const linkTo = link && parent !== null ? parent.self : null
    if (linkTo !== null) ((parent as Proc).linked ??= new Map()).set(pid.key, pid)
    if (ack !== null && isStartAck(ack)) ack.started = s.calls.awaitStarted(ack.owner, pid, ack.ref, ack.timeout)
    const flags = options?.trapExit === true ? SpawnFlag.TRAP_EXIT : 0
    if (!remote) {
      s.births.resolve(pid.localKey)
      this.start(pid, behaviour, args, flags, linkTo, ack, name, extra)
      return pid
    }
    const payload = [key, args, flags, linkTo, ack?.ref ?? null, ack?.pid ?? null, name, extra]
    if (s.transport.isUp(thread)) s.router.forward(pid, Frame.SPAWN, payload, 'spawn args')
    else this.#park(thread, () => void s.router.forward(pid, Frame.SPAWN, payload, 'spawn args'))
    return pid
  }

  /**
   * Spawn and resolve once the new process's init has completed: its pid, or 'ignore' (OTP's
   * proc_lib start). Rejects ERR_INIT_FAILED, or ERR_START_TIMEOUT after `options.timeout`.
   */
  startAcked(p: Proc, behaviour: BehaviourClass, args: unknown, options: StartOptions | undefined): Promise<Started> {
    let timeout: number
    let spawnOptions: SpawnOptions | undefined
    try {
      ({ timeout, spawn: spawnOptions } = splitStartOptions(options))
    } catch (error) {
      return Promise.reject(error)
    }
    const ack: StartAck = { ref: this.#s.makeRef(), pid: p.self, owner: p, timeout, started: null }
    this.spawn(p, behaviour, args, spawnOptions, spawnOptions?.link === true, ack)
    return ack.started as Promise<Started>
  }

  /** Start a process on this thread. */
  start(pid: Pid, behaviour: BehaviourClass, args: unknown, flags: number, linkTo: Pid | null,
    ack: Ack | null, name: string | null, extra: ProcOptions | null): void {
    const s = this.#s
    let instance
    try {
      instance = new behaviour()
    } catch (error) {
      s.stillborn(pid, linkTo, ack, name, error)
      return
    }
    const p = new Context(pid, instance, s)
    instance[kContext] = p
    s.table.set(pid.localKey, p)
    this.publishLoad()
    if (name !== null) p.names = [name]
    if (linkTo !== null) {
      p.linked = new Map([[linkTo.key, linkTo]])
      p.parent = linkTo
    }
    if (ack !== null) (p.watchers = new RefTable()).set(ack.ref.key, { ref: ack.ref, watcher: ack.pid, name: null })
    if ((flags & SpawnFlag.TRAP_EXIT) !== 0) p.trapExitFlag = true
    if (extra !== null) {
      p.limits = extra
      if (extra.envInherited !== undefined) p.envInherited = extra.envInherited
      if (extra.envOwn !== undefined) p.envOwn = new Map(Object.entries(extra.envOwn))
    }
    p.status = Status.RUNNING
    let result: unknown
    const before = enter(p)
    try {
      result = instance[kInit](args)
    } catch (error) {
      // OTP: a failed init does not run terminate.
      p.status = Status.IDLE
      s.finalize(p, error)
      return
    } finally {
      leave(before)
    }
    if (result !== undefined && isThenable(result)) {
      s.runner.suspend(p, result, (outcome) => this.#initDone(p, ack, outcome), true)
      return
    }
    this.#initDone(p, ack, result)
    s.runner.afterCallback(p)
    if (!s.loop.inTurn) s.loop.kick()
  }

  /**
   * Init's outcome: the awaiting starter learns the pid or 'ignore'; an ignoring process then
   * ends 'normal' without terminate, as in OTP. (A method, not a closure: spawn is a hot path.)
   */
  #initDone(p: Proc, ack: Ack | null, outcome: unknown): void {
    const ignored = outcome === IGNORE
    if (ignored) p.pendingExit = { reason: 'normal', runTerminate: false }
    if (ack !== null) this.#s.calls.sendReply(p, ack.pid, ack.ref, ignored ? 'ignore' : p.self)
  }

  /** A pid was allocated but will never be spawned: tell its thread, which may hold frames for it. */
  #abandon(pid: Pid, remote: boolean): void {
    if (!remote) this.#s.births.resolve(pid.localKey)
    else if (this.#s.transport.isUp(pid.thread)) this.#s.router.forward(pid, Frame.ABANDON, NO_PAYLOAD)
  }

  /** Owner writes its live process count; placement on any thread reads it and adds its own spawns (a hint only). */
  publishLoad(): void {
    Atomics.store(this.#control.i32, slot(this.#s.index, LOAD), this.#s.table.size)
  }

  /** Thread `k` is back: send what was parked for it. */
  unpark(k: number): void {
    const list = this.#parked.get(k)
    this.#parked.delete(k)
    if (list !== undefined) for (const fn of list) fn()
  }

  /** Thread `k` will not come back: drop what was parked for it (its acks fire noconnection). */
  gone(k: number): void {
    this.#gone.add(k)
    this.#parked.delete(k)
  }

  #park(thread: number, fn: () => void): void {
    let list = this.#parked.get(thread)
    if (list === undefined) this.#parked.set(thread, (list = []))
    list.push(fn)
  }

  /**
   * A spawn without `thread` or `key`. Inside a process it stays on the spawner's thread
   * (locality, as a BEAM spawn stays on its scheduler). From the node (outside any process) it
   * goes to the least loaded worker thread, as a pool spreads its work, when the process can
   * live there: its class is exported by a module in `modules` and its args (and env) can
   * cross threads; otherwise, or on a virtual clock (the test kit's, which only the main
   * thread follows), it runs on the main thread.
   */
  #defaultThread(parent: Proc | null, key: string | undefined, args: unknown, extra: ProcOptions | null): number {
    const s = this.#s
    if (parent === null || !parent.external || s.virtualTime || s.totalThreads === 1 || key === undefined) return s.index
    if (!isSerializable(args) || (extra !== null && !isSerializable(extra))) return s.index
    return this.#leastLoaded()
  }

  #place(options: SpawnOptions): number {
    const s = this.#s
    const workers = s.totalThreads - 1
    if (options.key !== undefined) return workers === 0 ? 0 : 1 + (hashKey(options.key) % workers)
    const t = options.thread as number | 'any'
    if (t !== 'any') return t
    return workers === 0 ? 0 : this.#leastLoaded()
  }

  /**
   * The worker thread with the fewest live processes; the cursor breaks ties round-robin. The
   * chosen thread's count goes up by one at once, so a burst of spawns spreads before the
   * threads publish their counts again (publishLoad).
   */
  #leastLoaded(): number {
    const s = this.#s
    const workers = s.totalThreads - 1
    let best = -1
    let bestLoad = Infinity
    for (let k = 0; k < workers; k++) {
      const w = 1 + ((this.#anyCursor + k) % workers)
      if (this.#gone.has(w) || (!s.transport.isUp(w) && w !== s.index)) continue
      const load = Atomics.load(this.#control.i32, slot(w, LOAD))
      if (load < bestLoad) {
        best = w
        bestLoad = load
      }
    }
    this.#anyCursor = (this.#anyCursor + 1) % workers
    if (best < 0) return 1 + this.#anyCursor
    Atomics.add(this.#control.i32, slot(best, LOAD), 1)
    return best
  }
}
