/**
 * Node: the public facade over one OS process running Skein.
 *
 *   Node.start ─▶ shared memory (control, names, rings) ─▶ main scheduler (thread 0) + shell
 *              └▶ N workers (threads 1..N), each loading `modules`, each a scheduler
 *   node.spawn / send / call / monitor  act as the shell process on the main thread
 *   a worker dies ─▶ its names are freed, every thread fires noconnection, a replacement starts
 *   node.stop ─▶ every thread stops its processes (terminate runs) ─▶ workers end ─▶ no handle left
 *   offload ─▶ the offload service on the main thread ─▶ the node's piscina pool (started on first use)
 */
import { EventEmitter } from 'node:events'
import { randomInt } from 'node:crypto'
import { BehaviourRegistry, type BehaviourRef } from '../process/behaviour-registry.ts'
import { nameTableBytes } from '../process/name-table.ts'
import { Scheduler, type ThreadStats } from '../scheduler/scheduler.ts'
import { controlBytes, controlViews, ringSab } from '../mailbox/layout.ts'
import { Proc } from '../process/proc.ts'
import { LOCAL_NODE, type Address, type Pid, type Ref, type TypedPid, type UntypedAddress } from '../core/pid.ts'
import type { CallOf, CastOf, ReplyOf, Server } from '../behaviours/server.ts'
import { makeError } from '../core/errors.ts'
import type { DownMessage } from '../core/envelope.ts'
import type { ExitReason } from '../core/exit.ts'
import type {
  BehaviourClass, BehaviourInstance, CallOptions, SpawnOptions, StartOptions, Started, TimerRef,
} from '../core/process-context.ts'
import type { WorkerInit } from '../workers/protocol.ts'
import { ShardHost } from './shard-host.ts'
import { Applications, type ApplicationInfo } from './applications.ts'
import type { ApplicationSpec, StartType } from '../behaviours/application.ts'
import { NodeShell } from './node-shell.ts'
import { resolveOptions, moduleUrl, type NodeOptions, type ResolvedOptions } from './options.ts'
import { OffloadPool, OffloadService } from './offload.ts'
import { OFFLOAD_SERVICE, offloadCall, type OffloadOptions } from '../core/offload.ts'

export interface NodeStats {
  readonly threads: ThreadStats[]
  readonly processes: number
  /** Messages sent to a process on the sender's thread (sends, casts, calls and replies). */
  readonly sentLocal: number
  /** Messages sent to a process on another thread (sends, casts, calls and replies). */
  readonly sentRemote: number
  readonly deadLetters: number
  readonly threadRestarts: number
}

export interface Monitor {
  readonly ref: Ref
  /** Settles when the monitor fires. */
  readonly down: Promise<DownMessage>
}

/** Processes every node runs on its main thread: the shell (node.call's caller) and the offload service. */
const SYSTEM_PROCESSES = 2

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyServer = Server<any, any, any, any>

type SharedMemory = {
  control: SharedArrayBuffer
  names: SharedArrayBuffer
  /** rings[from][to] */
  rings: (SharedArrayBuffer | null)[][]
}

export class Node extends EventEmitter {
  readonly #opts: ResolvedOptions
  readonly #mem: SharedMemory
  readonly #main: Scheduler
  readonly #shell: Proc
  readonly #offload: OffloadPool
  readonly #hosts: (ShardHost | undefined)[] = []
  readonly #generations: number[] = []
  readonly #creation: number
  #stopped = false
  #stopping: Promise<void> | null = null
  #restarts = 0
  readonly #apps: Applications = new Applications(this)
  #keepAlive: ReturnType<typeof setInterval> | null

  private constructor(opts: ResolvedOptions, mem: SharedMemory, main: Scheduler, creation: number) {
    super()
    this.#opts = opts
    this.#mem = mem
    this.#main = main
    this.#creation = creation
    const pid = main.spawner.spawn(null, NodeShell, undefined, undefined, false)
    this.#shell = main.local(pid) as Proc
    this.#offload = new OffloadPool(opts.offloadThreads)
    const service = main.spawner.spawn(null, OffloadService, undefined, { name: OFFLOAD_SERVICE }, false)
    ;((main.local(service) as Proc).instance as OffloadService).pool = this.#offload
    // While the node runs, the process stays alive even with no worker (threads: 0) or only
    // unref'd timers pending; stop() clears it.
    this.#keepAlive = setInterval(() => {}, 1 << 30)
  }

  /**
   * Start a node: `threads` worker threads plus the main thread, each a scheduler.
   * @throws ERR_UNKNOWN_OPTION, ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_THREAD_FAILED
   */
  static async start(options?: NodeOptions): Promise<Node> {
    const opts = resolveOptions(options)
    const total = opts.threads + 1
    const creation = randomInt(1, 2 ** 31)
    const mem = allocate(total, opts)
    const registry = new BehaviourRegistry()
    for (const url of opts.modules) await registry.load(url)
    const main = new Scheduler({
      ...schedulerInit(0, total, creation, 0, mem, opts),
      control: controlViews(mem.control, total),
      ...(opts.clock === undefined ? {} : { clock: opts.clock }),
    }, registry)
    const node = new Node(opts, mem, main, creation)
    main.loop.kick()
    try {
      await Promise.all(Array.from({ length: opts.threads }, (_, k) => node.#startThread(k + 1)))
    } catch (error) {
      await node.stop()
      throw error
    }
    return node
  }

  /** Worker threads (the main thread, index 0, comes on top). */
  get threads(): number {
    return this.#opts.threads
  }

  /** The pid of the node's own process (the sender of node.send, the caller of node.call). */
  get pid(): Pid {
    return this.#shell.self
  }

  /**
   * Spawn a process and resolve with its pid once its init has completed.
   * Without placement options it runs on the main thread; use `thread`, `key` or `thread: 'any'`.
   * @throws ERR_NAME_TAKEN, ERR_UNKNOWN_BEHAVIOUR, ERR_BEHAVIOUR_NOT_REGISTERED, ERR_NOT_SERIALIZABLE;
   *   rejects ERR_INIT_FAILED when init throws (the error's `reason` is what init threw)
   */
  async spawn<A, I extends BehaviourInstance>(behaviour: (new () => I & { init(args: A): unknown }) | BehaviourRef,
    args?: A, options?: SpawnOptions): Promise<I extends AnyServer ? TypedPid<I> : Pid> {
    const started = await this.startProcess(behaviour, args, options)
    if (started === 'ignore') throw makeError('ERR_INIT_IGNORED', behaviourName(behaviour))
    return started as I extends AnyServer ? TypedPid<I> : Pid
  }

  /**
   * Spawn (linked to the node's process with `link: true`) and resolve once init has finished:
   * the pid, or 'ignore' when init declined. Behaviours' `start` functions build on it.
   * Rejects ERR_INIT_FAILED (`reason` = what init threw or stopped with) or ERR_START_TIMEOUT.
   */
  async startProcess<A>(behaviour: BehaviourClass<A> | BehaviourRef, args?: A, options?: StartOptions): Promise<Started> {
    this.#live()
    const cls = isRef(behaviour)
      ? this.#main.registry.resolve({ module: moduleUrl(behaviour.module), export: behaviour.export })
      : behaviour
    return this.#main.spawner.startAcked(this.#shell, cls as BehaviourClass, args, options)
  }

  /** Milliseconds on the main thread's clock (the test kit's virtual clock when one is given). */
  now(): number {
    return this.#main.timers.now()
  }

  /** Send a message. A dead pid drops it (counted in stats().deadLetters). @throws ERR_UNKNOWN_NAME, ERR_NOT_SERIALIZABLE */
  send(to: Address, message: unknown): void {
    this.#live()
    this.#main.send(this.#shell, to, message, true)
  }

  /** Like send, but false instead of a throw for an unknown name. */
  trySend(to: Address, message: unknown): boolean {
    this.#live()
    return this.#main.send(this.#shell, to, message, false)
  }

  /**
   * Call a process: rejects ERR_NOPROC, ERR_CALL_EXIT (it died mid-call), ERR_CALL_TIMEOUT.
   * Given a typed pid of a Server (from spawn or Server.start), the request and reply are checked.
   */
  call<S extends AnyServer>(to: TypedPid<S>, request: CallOf<S>, options?: CallOptions): Promise<ReplyOf<S>>
  call<R = unknown>(to: UntypedAddress, request: unknown, options?: CallOptions): Promise<R>
  call(to: Address, request: unknown, options?: CallOptions): Promise<unknown> {
    this.#live()
    return this.#main.services.call(this.#shell, to, request, options)
  }

  /** Cast to a process (`{ type: '$cast', request }`); typed against a Server's casts via a typed pid. */
  cast<S extends AnyServer>(to: TypedPid<S>, request: CastOf<S>): void
  cast(to: UntypedAddress, request: unknown): void
  cast(to: Address, request: unknown): void {
    this.#live()
    this.#main.send(this.#shell, to, { type: '$cast', request }, true)
  }

  /**
   * Run `module`'s export `name` with `args` on the node's offload pool (piscina threads, apart
   * from the schedulers) and resolve with its result; `this.offload` does the same inside a
   * process. The module is imported once per offload thread; it may be .ts under tsx.
   * Rejects ERR_OFFLOAD_FAILED (the function threw: `reason` has its name, message and code),
   * ERR_OFFLOAD_NOT_FOUND (no such module or export), ERR_OFFLOAD_TIMEOUT (past `timeout`: the
   * thread running it is stopped), ERR_OFFLOAD_CLOSED (the node stopped first).
   * @throws ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_NOT_SERIALIZABLE
   * @example
   * const digest = await node.offload<string>(new URL('./crypto-jobs.js', import.meta.url), 'scrypt', [password])
   */
  offload<R = unknown>(module: string | URL, name: string, args?: readonly unknown[], options?: OffloadOptions): Promise<R> {
    this.#live()
    const { request, call } = offloadCall(module, name, args, options)
    return this.#main.services.call(this.#shell, OFFLOAD_SERVICE, request, call) as Promise<R>
  }

  whereis(name: string): Pid | undefined {
    this.#live()
    return this.#main.services.whereis(name)
  }

  /** Registered names across the node (aliases are not names and are not listed). */
  registered(): string[] {
    return this.#main.names.names().filter((n) => !n.startsWith('\u0000') && n !== OFFLOAD_SERVICE)
  }

  /**
   * A direct request: answered by the process's `handleDirect`, ahead of its mailbox, from its
   * bounded directbox. Rejects ERR_UNSUPPORTED_REQUEST (no handler), ERR_PROCESS_BUSY (directbox
   * full), ERR_CALL_TIMEOUT, ERR_NOPROC, or with whatever handleDirect threw.
   */
  direct<R = unknown>(to: Address, request: unknown, options?: CallOptions): Promise<R> {
    this.#live()
    return this.#main.signals.call(this.#shell, to, request, options, 'direct') as Promise<R>
  }

  /** Monitor a process (by pid or name); `down` settles with the DOWN message. */
  monitor(target: Address): Monitor {
    this.#live()
    const shell = this.#shell.instance as NodeShell
    const ref = this.#main.services.monitor(this.#shell, target)
    const down = new Promise<DownMessage>((resolve) => shell.downs.set(ref.key, resolve))
    return { ref, down }
  }

  demonitor(ref: Ref): boolean {
    ;(this.#shell.instance as NodeShell).downs.delete(ref.key)
    return this.#main.services.demonitor(this.#shell, ref, true)
  }

  /** Send an exit signal to `pid` from the node's process (`'kill'` is untrappable). */
  exit(pid: Pid, reason: ExitReason): void {
    this.#live()
    this.#main.services.exitSignal(this.#shell, pid, reason)
  }

  sendAfter(to: Address, message: unknown, ms: number): TimerRef {
    this.#live()
    return this.#main.services.sendAfter(this.#shell, to, message, ms)
  }

  /** Per-thread counters and node totals. */
  async stats(): Promise<NodeStats> {
    const per: ThreadStats[] = [this.#main.stats()]
    const remote = await Promise.all(this.#hosts.map((h) => (h !== undefined && h.alive ? raceExit(h, h.control.stats()) : undefined)))
    for (const s of remote) if (s !== undefined) per.push(s)
    const sum = (k: keyof ThreadStats): number => per.reduce((a, s) => a + s[k], 0)
    return {
      threads: per,
      // The node's own processes (its shell and the offload service) are not the user's.
      processes: sum('processes') - SYSTEM_PROCESSES,
      sentLocal: sum('sentLocal'),
      sentRemote: sum('sentRemote'),
      deadLetters: sum('deadLetters'),
      threadRestarts: this.#restarts,
    }
  }

  /**
   * Stop every process (their terminate runs, bounded by `shutdownTimeout`), then every
   * thread. Leaves no handle open: a script that calls stop() exits by itself.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop()
    return this.#stopping
  }

  async #stop(): Promise<void> {
    this.#stopped = true
    this.#apps.nodeStopping()
    const timeout = this.#opts.shutdownTimeout
    const hosts = this.#hosts.filter((h): h is ShardHost => h !== undefined && h.alive)
    await Promise.all([
      this.#main.shutdown(timeout),
      ...hosts.map((h) => raceExit(h, h.control.shutdown(timeout))),
    ])
    // Every thread keeps its loop running until all are done: a process still terminating on one
    // thread (a supervisor shutting down its children) may need an answer from another, such as
    // the DOWN of a child that thread already stopped.
    await Promise.all(hosts.map((h) => raceExit(h, h.control.close())))
    await Promise.all([...hosts.map((h) => h.close()), this.#offload.close()])
    this.#main.close()
    if (this.#keepAlive !== null) clearInterval(this.#keepAlive)
    this.#keepAlive = null
  }

  #live(): void {
    if (this.#stopped) throw makeError('ERR_NODE_STOPPED')
  }

  async #startThread(k: number): Promise<void> {
    const total = this.#opts.threads + 1
    const generation = this.#generations[k] ?? 0
    const init: WorkerInit = schedulerInit(k, total, this.#creation, generation, this.#mem, this.#opts)
    const host = await ShardHost.start(init, (h, code, error) => this.#onThreadExit(h, code, error))
    this.#hosts[k] = host
  }

  /** A worker died outside stop(): clean up after it everywhere, then replace it. */
  #onThreadExit(host: ShardHost, code: number, error: unknown): void {
    if (this.#stopped || this.#hosts[host.index] !== host) return
    const k = host.index
    this.#main.names.removeThread(k)
    this.#hosts[k] = undefined
    const reason = error instanceof Error ? error : new Error(`thread ${k} exited with code ${code}`)
    if (this.listenerCount('threadDown') > 0) this.emit('threadDown', k, reason)
    else console.error(`skein: thread ${k} died (${reason.message}); its processes are gone`)
    void this.#replace(k)
  }

  async #replace(k: number): Promise<void> {
    const peers = this.#hosts.filter((h): h is ShardHost => h !== undefined && h.alive)
    this.#main.threadDown(k)
    await Promise.all(peers.map((h) => raceExit(h, h.control.threadDown(k))))
    if (this.#stopped) return
    if (!this.#opts.restartThreads) {
      await this.#gone(k)
      return
    }
    this.#generations[k] = (this.#generations[k] ?? 0) + 1
    try {
      await this.#startThread(k)
    } catch (error) {
      await this.#gone(k)
      this.emit('threadFailed', k, error)
      return
    }
    if (this.#stopped) return
    this.#restarts++
    this.#main.threadUp(k)
    const now = this.#hosts.filter((h): h is ShardHost => h !== undefined && h.alive && h.index !== k)
    await Promise.all(now.map((h) => raceExit(h, h.control.threadUp(k))))
    this.emit('threadUp', k)
  }

  /** Thread `k` stays down: every thread fails spawns aimed at it from now on. */
  async #gone(k: number): Promise<void> {
    this.#main.threadGone(k)
    const peers = this.#hosts.filter((h): h is ShardHost => h !== undefined && h.alive)
    await Promise.all(peers.map((h) => raceExit(h, h.control.threadGone(k))))
    this.emit('threadGone', k)
  }

  // ── applications ─────────────────────────────────────────────────────────────────────

  /** Load an application spec; returns its name. @throws ERR_APP_ALREADY_LOADED, ERR_INVALID_ARG_TYPE */
  loadApplication(spec: ApplicationSpec): string {
    return this.#apps.load(spec)
  }

  /** @throws ERR_APP_UNKNOWN, ERR_APP_ALREADY_STARTED (unload a running application: stop it first) */
  unloadApplication(name: string): void {
    this.#apps.unload(name)
  }

  /**
   * Start a loaded application (its dependencies first) with its spec's start type or `startType`;
   * resolves with the application master's pid once every child is up.
   * Rejects ERR_APP_UNKNOWN, ERR_APP_ALREADY_STARTED, ERR_APP_START_FAILED (`reason`: why).
   */
  startApplication(name: string, startType?: StartType): Promise<Pid> {
    this.#live()
    return this.#apps.start(name, startType)
  }

  /** Stop a running application (children in reverse order); it stays loaded. Rejects ERR_APP_NOT_RUNNING. */
  stopApplication(name: string): Promise<void> {
    return this.#apps.stop(name)
  }

  /** Running applications. */
  whichApplications(): ApplicationInfo[] {
    return this.#apps.which()
  }

  /** Loaded applications, running or not. */
  loadedApplications(): ApplicationInfo[] {
    return this.#apps.loaded()
  }

  /** @throws ERR_APP_UNKNOWN */
  applicationInfo(name: string): ApplicationInfo {
    return this.#apps.info(name)
  }

  /** For the testing kit: the behaviour instance of a process on the main thread. */
  localInstance(pid: Pid): unknown {
    return this.#main.local(pid)?.instance
  }

}

function behaviourName(b: { readonly name: string } | BehaviourRef): string {
  return isRef(b) ? `${b.module}#${b.export}` : b.name
}

function isRef(v: unknown): v is BehaviourRef {
  return typeof v === 'object' && v !== null && typeof (v as BehaviourRef).export === 'string' && 'module' in v
}

/** A control call to a thread that dies meanwhile would never settle; end it on exit. */
function raceExit<T>(host: ShardHost, p: Promise<T>): Promise<T | undefined> {
  if (!host.alive) return Promise.resolve(undefined)
  return new Promise((resolve, reject) => {
    const onExit = (): void => resolve(undefined)
    host.worker.once('exit', onExit)
    p.then((v) => {
      host.worker.off('exit', onExit)
      resolve(v)
    }, (e: unknown) => {
      host.worker.off('exit', onExit)
      reject(e)
    })
  })
}

function allocate(total: number, opts: ResolvedOptions): SharedMemory {
  let capacity = 16
  while (capacity * 0.75 < opts.maxNames) capacity *= 2
  const rings: (SharedArrayBuffer | null)[][] = []
  for (let from = 0; from < total; from++) {
    rings.push(Array.from({ length: total }, (_, to) => (from === to ? null : ringSab(opts.ringBytes))))
  }
  return { control: new SharedArrayBuffer(controlBytes(total)), names: new SharedArrayBuffer(nameTableBytes(capacity)), rings }
}

function schedulerInit(index: number, total: number, creation: number, generation: number, mem: SharedMemory,
  opts: ResolvedOptions): WorkerInit {
  return {
    index,
    threads: total,
    node: LOCAL_NODE,
    creation,
    generation,
    control: mem.control,
    names: mem.names,
    outRings: (mem.rings[index] ?? []).slice(),
    inRings: mem.rings.map((row) => row[index] ?? null),
    modules: opts.modules,
    batch: opts.batch,
    turnBudget: opts.turnBudget,
    spinMicros: opts.spinMicros,
    // The main thread is the user's: it never blocks in a light sleep.
    lightSleepMs: index === 0 ? 0 : opts.lightSleepMs,
    env: opts.env,
  }
}

