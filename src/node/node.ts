/**
 * Node: the public facade over one OS process running Skein.
 *
 *   Node.start ─▶ shared memory (control, names, rings) ─▶ main scheduler (thread 0) + shell
 *              └▶ N workers (threads 1..N), each loading `modules`, each a scheduler
 *   node.spawn / send / call / monitor  act as the shell process on the main thread
 *   a worker dies ─▶ its names are freed, every thread fires noconnection, a replacement starts
 *   node.stop ─▶ every thread stops its processes (terminate runs) ─▶ workers end ─▶ no handle left
 *   SIGTERM / SIGINT (handleSignals) ─▶ node.stop on every node ─▶ exit 128 + signal (os-signals.ts)
 *   offload ─▶ the offload service on the main thread ─▶ the node's piscina pool (started on first use)
 *
 * This file is the facade; the worker threads' lifecycle is threads.ts, their shared memory shared-memory.ts.
 */
import { EventEmitter } from 'node:events'
import { randomInt } from 'node:crypto'
import { BehaviourRegistry, type BehaviourRef } from '../process/behaviour-registry.ts'
import { Scheduler } from '../scheduler/scheduler.ts'
import { controlViews } from '../mailbox/layout.ts'
import type { Context } from '../scheduler/context.ts'
import { type Address, type Pid, type Ref, type TypedPid } from '../core/pid.ts'
import type { AddressOf, CallOf, CastOf, MessageOf, ReplyTo, SpawnableClass } from '../core/behaviour-types.ts'
import { makeError } from '../core/errors.ts'
import type { DownMessage } from '../core/envelope.ts'
import type { ExitReason } from '../core/exit.ts'
import type {
  BehaviourClass, BehaviourInstance, CallOptions, SpawnOptions, StartOptions, Started, TimerRef,
} from '../core/process-context.ts'
import { Applications, type ApplicationInfo } from './applications.ts'
import type { ApplicationSpec, StartType } from '../behaviours/application.ts'
import { NodeShell } from './node-shell.ts'
import { resolveOptions, moduleUrl, type NodeOptions, type ResolvedOptions } from './options.ts'
import { OffloadPool, OffloadService } from './offload.ts'
import { OFFLOAD_SERVICE, offload, type OffloadOptions } from '../core/offload.ts'
import { allocateSharedMemory, schedulerInit, type SharedMemory } from './shared-memory.ts'
import { Threads } from './threads.ts'
import { nodeStats, type NodeStats } from './node-stats.ts'
import { watchStrayPromises } from '../scheduler/stray-promises.ts'
import { mainThreadUnowned } from './unowned-rejection.ts'
import { loadModules } from './load-modules.ts'
import { unwatchSignals, watchSignals } from './os-signals.ts'
import { kSkeinThread, type SkeinThreadMark } from '../workers/protocol.ts'

export type { NodeStats } from './node-stats.ts'

/** A monitor made by `node.monitor`: its ref, and a promise of its DOWN message. */
export interface Monitor {
  /** Names the monitor: pass it to `node.demonitor`. */
  readonly ref: Ref
  /**
   * Resolves with the DOWN message when the monitor fires. Rejects ERR_DEMONITORED after
   * `node.demonitor`, ERR_NODE_STOPPED when the node stops first; nobody need await it (those
   * rejections are never reported as unhandled).
   */
  readonly down: Promise<DownMessage>
}

/** What a promise-returning method gives after stop(): a rejection, never a synchronous throw. */
function stopped(): Promise<never> {
  return Promise.reject(makeError('ERR_NODE_STOPPED'))
}

/**
 * A Skein node: one OS process running processes on `threads` worker threads plus the main
 * thread, each thread a scheduler (the BEAM's node and schedulers). Start one with
 * `Node.start`; its methods act as the node's own process on the main thread (the sender of
 * `node.send`, the caller of `node.call`), as an Erlang shell does.
 *
 * Details:
 * - Processes started with `node.spawn` go to the least loaded worker thread unless placed
 *   (`thread`, `key`, `thread: 'any'`), or to the main thread when they cannot run elsewhere (a
 *   class exported by no module in `modules`, args holding a function, a virtual clock); a class
 *   that runs on a worker thread must be exported by a module in the node's `modules`.
 * - A worker thread that dies takes its processes with it: their names are freed, every link
 *   and monitor to them fires 'noconnection', and (with `restartThreads`) a replacement starts.
 * - Events (it is an EventEmitter): `'threadDown'` (index, error) when a worker thread dies (without a
 *   listener it is logged to stderr), `'threadUp'` (index) when its replacement is running,
 *   `'threadFailed'` (index, error) when the replacement failed to start, `'threadGone'` (index)
 *   when the thread stays down; `'applicationExit'` (name, reason, startType) when a running
 *   application ends other than by `stopApplication`, and `'nodeStopping'` ({ application,
 *   reason }) when that ending stops the node.
 *
 * - On SIGTERM or SIGINT the node stops gracefully, then the process exits with 128 + the signal's
 *   number (`handleSignals`, default true; a program's own listener for the signal takes it over).
 *
 * Gotchas:
 * - Worker threads import the `modules` too: code at their top level runs once per thread. A
 *   single file that defines the actors, lists itself in `modules` and starts the node must start
 *   it only on the main thread and without a top-level await of it (`if (isMainThread) main()`):
 *   otherwise Node.start rejects ERR_NODE_START_IN_WORKER (inside ERR_THREAD_FAILED) or
 *   ERR_MODULE_AWAITS_NODE_START, and says so.
 * - After `stop()` the methods that send, call, spawn or watch throw (or reject) `ERR_NODE_STOPPED`.
 *
 * @example
 * ```ts
 * const node = await Node.start({ threads: 2, modules: [new URL('./actors.js', import.meta.url)] })
 * const counter = await node.spawn(Counter, { start: 1 }, { thread: 1, name: 'counter' })
 * node.send(counter, { type: 'add', n: 41 })
 * console.log(await node.call('counter', 'get'))   // 42
 * await node.stop()
 * ```
 */
export class Node extends EventEmitter {
  readonly #opts: ResolvedOptions
  readonly #main: Scheduler
  readonly #shell: Context
  readonly #offload: OffloadPool
  readonly #threads: Threads
  #stopped = false
  #stopping: Promise<void> | null = null
  readonly #apps: Applications = new Applications(this)
  #keepAlive: ReturnType<typeof setInterval> | null
  /** Stops attributing stray rejections to this node's main-thread processes. */
  readonly #unwatchStray: () => void

  private constructor(opts: ResolvedOptions, mem: SharedMemory, main: Scheduler, creation: number) {
    super()
    this.#opts = opts
    this.#main = main
    this.#threads = new Threads(opts, mem, creation, main, this)
    const pid = main.spawner.spawn(null, NodeShell, undefined, undefined, false)
    this.#shell = main.router.proc(pid) as Context
    this.#shell.external = true
    this.#offload = new OffloadPool(opts.offloadThreads)
    const service = main.spawner.spawn(null, OffloadService, undefined, { name: OFFLOAD_SERVICE }, false)
    ;((main.router.proc(service) as Context).instance as OffloadService).pool = this.#offload
    // While the node runs, the process stays alive even with no worker (threads: 0) or only
    // unref'd timers pending; stop() clears it.
    this.#keepAlive = setInterval(() => {}, 1 << 30)
    this.#unwatchStray = watchStrayPromises(mainThreadUnowned)
  }

  /**
   * Start a node: `threads` worker threads plus the main thread, each a scheduler. Resolves once
   * every thread has imported the `modules` and is running.
   *
   * Details: the main thread imports the `modules` first, then each worker thread does. A thread
   * that fails to start stops the others and rejects the start. Once started, the node stops on
   * SIGTERM and SIGINT unless `handleSignals` is false (see NodeOptions).
   *
   * @throws ERR_UNKNOWN_OPTION, ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE (rejects) for bad options
   * @throws ERR_THREAD_FAILED (rejects) when a worker thread cannot start; its `cause` is
   *   ERR_NODE_START_IN_WORKER when a module in `modules` called Node.start as the thread imported it
   * @throws ERR_MODULE_LOAD_FAILED (rejects) when a module in `modules` fails to load on a thread (not
   *   found, a syntax error, a throw at its top level): the message names the entry and the thread,
   *   and `cause` is Node's error (ERR_MODULE_NOT_FOUND, ...)
   * @throws ERR_MODULE_AWAITS_NODE_START (rejects) when a module in `modules` awaits this very
   *   Node.start at its top level (its import would wait for itself; Node would exit with code 13)
   * @throws ERR_NODE_START_IN_WORKER (rejects) when called on a Skein worker thread
   * @example
   * ```ts
   * const node = await Node.start({ threads: 4, modules: [new URL('./behaviours.js', import.meta.url)] })
   * ```
   */
  static async start(options?: NodeOptions): Promise<Node> {
    // Before any await: a module being imported by a worker calls this synchronously, and the
    // worker must tell the main thread before the module goes on (see worker-main.ts).
    const mark = (globalThis as Record<symbol, unknown>)[kSkeinThread] as SkeinThreadMark | undefined
    if (mark !== undefined) {
      mark.nodeStartCalled()
      throw makeError('ERR_NODE_START_IN_WORKER', mark.index, mark.loading)
    }
    const opts = resolveOptions(options)
    const total = opts.threads + 1
    const creation = randomInt(1, 2 ** 31)
    const mem = allocateSharedMemory(total, opts)
    const registry = new BehaviourRegistry()
    await loadModules(registry, opts.modules)
    const main = new Scheduler({
      ...schedulerInit(0, total, creation, 0, mem, opts),
      control: controlViews(mem.control, total),
      ...(opts.clock === undefined ? {} : { clock: opts.clock }),
      ...(opts.seed === undefined ? {} : { seed: opts.seed }),
    }, registry)
    const node = new Node(opts, mem, main, creation)
    main.loop.kick()
    try {
      await node.#threads.startAll()
    } catch (error) {
      await node.stop()
      throw error
    }
    if (opts.handleSignals) watchSignals(node)
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
   * Without placement options (`thread`, `key`) it runs on the least loaded worker thread, or on
   * the main thread when it cannot run elsewhere: its class is in no module of `modules`, its
   * args cannot cross threads, the node has no workers or runs on a virtual clock.
   * `behaviour` is a class, or `{ module, export }` naming one in the node's `modules`. A class
   * gives a typed pid: sends to an Actor's, and a Server's calls and casts, are then type-checked.
   *
   * @throws ERR_INIT_FAILED (rejects) when init throws or stops; the error's `reason` is what it threw or its stop reason
   * @throws ERR_INIT_IGNORED (rejects) when init declines (a Server's `ignore()`, say); use `startProcess` to get 'ignore' as a value
   * @throws ERR_NAME_TAKEN, ERR_NAME_TOO_LONG, ERR_REGISTRY_FULL (rejects) for `options.name`
   * @throws ERR_UNKNOWN_BEHAVIOUR (rejects) when `{ module, export }` names no behaviour class of the node's `modules`
   * @throws ERR_BEHAVIOUR_NOT_REGISTERED (rejects) when the class must run on a worker thread and no module in `modules` exports it
   * @throws ERR_NOT_SERIALIZABLE (rejects) when `args` cannot cross to the process's thread
   * @throws ERR_UNKNOWN_OPTION, ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_NOT_A_BEHAVIOUR, ERR_THREAD_DOWN, ERR_NODE_STOPPED (rejects)
   * @example
   * ```ts
   * const pid = await node.spawn(Counter, { start: 0 }, { thread: 'any', name: 'counter' })
   * const stack = await node.spawn(Stack, ['a'])            // TypedPid<Stack>: node.call(stack, ...) is checked
   * await node.spawn({ module: new URL('./workers.js', import.meta.url).href, export: 'Indexer' }, undefined, { key: 'idx' })
   * ```
   */
  async spawn<A, I extends BehaviourInstance>(behaviour: SpawnableClass<A, I> | BehaviourRef,
    args?: A, options?: SpawnOptions): Promise<TypedPid<I>> {
    const started = await this.startProcess(behaviour, args, options)
    if (started === 'ignore') throw makeError('ERR_INIT_IGNORED', behaviourName(behaviour))
    return started
  }

  /**
   * Spawn (linked to the node's process with `link: true`) and resolve once init has finished:
   * the pid, or 'ignore' when init declined. Behaviours' `start` functions build on it.
   * Rejects ERR_INIT_FAILED (`reason` = what init threw or stopped with) or ERR_START_TIMEOUT
   * (`options.timeout` passed: the process is killed), and with `spawn`'s other errors.
   */
  async startProcess<A>(behaviour: BehaviourClass<A> | BehaviourRef, args?: A, options?: StartOptions): Promise<Started> {
    this.#live()
    const cls = isRef(behaviour)
      ? this.#main.registry.resolve({ module: moduleUrl(behaviour.module), export: behaviour.export })
      : behaviour
    return this.#shell.startProcess(cls as BehaviourClass, args, options)
  }

  /** Milliseconds on the main thread's clock (the test kit's virtual clock when one is given). */
  now(): number {
    return this.#shell.now()
  }

  /**
   * Send a message to a pid, a registered name or an alias, from the node's process. A dead pid
   * drops it (counted in stats().deadLetters).
   * @throws ERR_UNKNOWN_NAME, ERR_UNKNOWN_ALIAS, ERR_MAILBOX_FULL (a full mailbox on the main thread),
   *   ERR_NOT_SERIALIZABLE, ERR_INVALID_ARG_TYPE, ERR_NODE_STOPPED
   */
  send<T = never>(to: AddressOf<T>, message: MessageOf<T>): void {
    this.#live()
    this.#shell.send(to, message)
  }

  /** Like send, but false instead of a throw for an unknown name or alias or a full mailbox on the main thread. */
  trySend<T = never>(to: AddressOf<T>, message: MessageOf<T>): boolean {
    this.#live()
    return this.#shell.trySend(to, message)
  }

  /**
   * Call a process from the node's process: send `{ type: '$call', from, request }` and resolve
   * with the reply (default timeout 5000 ms). Given a typed pid of a Server (from spawn or
   * Server.start), the request and reply are checked.
   *
   * @throws ERR_NOPROC (rejects) when no such process or name exists
   * @throws ERR_CALL_EXIT (rejects) when it ends before replying (`reason`: its exit reason)
   * @throws ERR_CALL_TIMEOUT (rejects) after `options.timeout`; a later reply is dropped
   * @throws ERR_CALL_ABORTED (rejects) when `options.signal` aborts first (at once if it already
   *   has; `cause` is the signal's reason); a later reply is dropped
   * @throws ERR_UNKNOWN_OPTION, ERR_INVALID_ARG_TYPE (rejects) for an unknown key in `options`, or options that are no object, or a `signal` that is no AbortSignal
   * @throws ERR_MAILBOX_FULL, ERR_NOT_SERIALIZABLE, ERR_INVALID_ARG_VALUE, ERR_NODE_STOPPED after
   *   `stop()` (all as rejections: a method that returns a promise never throws)
   * @example
   * ```ts
   * const n = await node.call<number>('counter', 'get', { timeout: 1000 })
   * ```
   */
  call<R = unknown, T = never>(to: AddressOf<T>, request: CallOf<T>, options?: CallOptions): Promise<ReplyTo<T, R>> {
    // One signature, not a typed and an untyped overload: see ProcessBase.call.
    if (this.#stopped) return stopped()
    return this.#shell.call(to, request, options) as Promise<ReplyTo<T, R>>
  }

  /**
   * Cast to a process (`{ type: '$cast', request }`); typed against a Server's casts via a typed
   * pid. Like OTP's gen_server:cast it never fails for its target: a dead pid, or a name or
   * alias nobody holds (a server being restarted), drops the cast as a dead letter
   * (`stats().deadLetters`).
   * @throws ERR_INVALID_ARG_TYPE (`to` is no address), ERR_NOT_SERIALIZABLE (it could not cross
   *   threads), ERR_MAILBOX_FULL (a full mailbox on the main thread, no fallback), ERR_NODE_STOPPED
   * @example
   * ```ts
   * node.cast('counter', { add: 1 })     // fine even while 'counter' restarts
   * ```
   */
  cast<T = never>(to: AddressOf<T>, request: CastOf<T>): void {
    this.#live()
    this.#shell.cast(to, request)
  }

  /**
   * Run `module`'s export `name` with `args` on the node's offload pool (piscina threads, apart
   * from the schedulers) and resolve with its result; `this.offload` does the same inside a
   * process. The module is imported once per offload thread; it may be .ts under tsx.
   * Rejects ERR_OFFLOAD_FAILED (the function threw: `reason` has its name, message and code),
   * ERR_OFFLOAD_NOT_FOUND (no such module or export), ERR_OFFLOAD_TIMEOUT (past `timeout`: the
   * thread running it is stopped), ERR_OFFLOAD_CLOSED (the node stopped first).
   * Also rejects ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE (bad arguments), ERR_NODE_STOPPED.
   * @example
   * ```ts
   * const digest = await node.offload<string>(new URL('./crypto-jobs.js', import.meta.url), 'scrypt', [password])
   * ```
   */
  offload<R = unknown>(module: string | URL, name: string, args?: readonly unknown[], options?: OffloadOptions): Promise<R> {
    return offload<R>(this, module, name, args, options)
  }

  /** The pid registered as `name`, or undefined. */
  whereis(name: string): Pid | undefined {
    this.#live()
    return this.#shell.whereis(name)
  }

  /** Registered names across the node (aliases are not names and are not listed). @throws ERR_NODE_STOPPED */
  registered(): string[] {
    this.#live()
    return this.#main.names.names().filter((n) => !n.startsWith('\u0000') && n !== OFFLOAD_SERVICE)
  }

  /**
   * A direct request: answered by the process's `handleDirect`, ahead of its mailbox, from its
   * bounded directbox. Rejects ERR_UNSUPPORTED_REQUEST (no handler), ERR_PROCESS_BUSY (directbox
   * full), ERR_CALL_TIMEOUT, ERR_CALL_ABORTED (`options.signal` aborted; a later answer is
   * dropped), ERR_NOPROC, or with whatever handleDirect threw.
   */
  direct<R = unknown>(to: Address, request: unknown, options?: CallOptions): Promise<R> {
    if (this.#stopped) return stopped()
    return this.#shell.direct<R>(to, request, options)
  }

  /**
   * Monitor a process (by pid or name) from the node's process; `down` resolves with the DOWN
   * message when it ends (at once, with 'noproc', for a process already gone or a name nobody holds).
   * @throws ERR_INVALID_ARG_TYPE for anything but a Pid or a name; ERR_NODE_STOPPED
   * @example
   * ```ts
   * const { down } = node.monitor(pid)
   * node.exit(pid, 'kill')
   * const { reason } = await down     // 'killed'
   * ```
   */
  monitor(target: Address): Monitor {
    this.#live()
    const shell = this.#shell.instance as NodeShell
    const ref = this.#shell.monitor(target)
    const down = new Promise<DownMessage>((resolve, reject) => shell.downs.set(ref.key, { resolve, reject }))
    // It rejects only at demonitor or stop; nobody need await it.
    down.catch(() => {})
    return { ref, down }
  }

  /**
   * Remove a monitor made by `node.monitor`; true if it was still active. Its `down` promise then
   * rejects ERR_DEMONITORED (and a DOWN already queued is dropped).
   * @throws ERR_NODE_STOPPED
   */
  demonitor(ref: Ref): boolean {
    this.#live()
    const shell = this.#shell.instance as NodeShell
    const waiting = shell.downs.get(ref.key)
    const active = this.#shell.demonitor(ref, { flush: true })
    if (waiting !== undefined) {
      shell.downs.delete(ref.key)
      waiting.reject(makeError('ERR_DEMONITORED', ref.toString()))
    }
    return active
  }

  /**
   * Send an exit signal to `pid` from the node's process (Erlang's exit/2): `'kill'` ends it
   * with 'killed', trapping or not; a trapping process gets an ExitMessage; `'normal'` is
   * ignored by one that does not trap; any other reason ends it, without terminate.
   * @throws ERR_INVALID_ARG_TYPE when `pid` is not a Pid or `reason` is missing (undefined);
   *   ERR_NODE_STOPPED
   * @example
   * ```ts
   * node.exit(pid, 'shutdown')
   * ```
   */
  exit(pid: Pid, reason: ExitReason): void {
    this.#live()
    this.#shell.exit(pid, reason)
  }

  /**
   * Deliver `message` to `to` after `ms` on the main thread's clock, from the node's process;
   * the returned TimerRef cancels it. A name or alias is resolved when it fires.
   * @throws ERR_INVALID_ARG_VALUE (`ms`), ERR_INVALID_ARG_TYPE (`to`), ERR_NOT_SERIALIZABLE, ERR_NODE_STOPPED
   */
  sendAfter<T = never>(to: AddressOf<T>, message: MessageOf<T>, ms: number): TimerRef {
    this.#live()
    return this.#shell.sendAfter(to, message, ms)
  }

  /** Per-thread counters and node totals (a thread that dies meanwhile is left out). */
  async stats(): Promise<NodeStats> {
    this.#live()
    const per = [this.#main.stats(), ...await this.#threads.stats()]
    return nodeStats(per, this.#threads.restarts)
  }

  /**
   * Stop every process (their terminate runs, bounded by `shutdownTimeout`), then every
   * thread. Leaves no handle open (nor a signal listener): a script that calls stop() exits by
   * itself. SIGTERM and SIGINT call it too (see `handleSignals`).
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop()
    return this.#stopping
  }

  async #stop(): Promise<void> {
    this.#stopped = true
    this.#apps.nodeStopping()
    // Publish what the node sent just now, before the control port tells the threads to stop:
    // each thread reads its rings before it stops its processes.
    this.#main.transport.flush()
    // The node's process ends last: the calls, spawns and monitors it holds hear their targets
    // end ('shutdown'), then whatever is still pending rejects ERR_NODE_STOPPED.
    await this.#threads.shutdown(this.#opts.shutdownTimeout, this.#shell)
    this.#main.drain()
    this.#main.finalize(this.#shell, 'shutdown')
    ;(this.#shell.instance as NodeShell).stopped(makeError('ERR_NODE_STOPPED'))
    await Promise.all([this.#threads.close(), this.#offload.close()])
    this.#main.close()
    if (this.#keepAlive !== null) clearInterval(this.#keepAlive)
    this.#keepAlive = null
    this.#unwatchStray()
    unwatchSignals(this)
  }

  /** Synchronous methods throw ERR_NODE_STOPPED after stop(); those that return a promise reject (see stopped). */
  #live(): void {
    if (this.#stopped) throw makeError('ERR_NODE_STOPPED')
  }

  // ── applications ─────────────────────────────────────────────────────────────────────

  /**
   * Load an application spec (OTP's application:load); returns its name.
   * @throws ERR_APP_ALREADY_LOADED, ERR_INVALID_ARG_TYPE (no spec object or no name), ERR_INVALID_ARG_VALUE (`startType`)
   */
  loadApplication(spec: ApplicationSpec): string {
    return this.#apps.load(spec)
  }

  /** Forget a loaded application. @throws ERR_APP_UNKNOWN, ERR_APP_ALREADY_STARTED (unload a running application: stop it first) */
  unloadApplication(name: string): void {
    this.#apps.unload(name)
  }

  /**
   * Start a loaded application (its dependencies first) with its spec's start type or `startType`;
   * resolves with the application master's pid once every child is up.
   * Rejects ERR_APP_UNKNOWN, ERR_APP_ALREADY_STARTED, ERR_APP_START_FAILED (`reason`: why:
   * a dependency not loaded or failing, a circular dependency, the master's start failing),
   * ERR_INVALID_ARG_VALUE (`startType`).
   * @example
   * ```ts
   * node.loadApplication({ name: 'shop', applications: ['db'], children: [{ id: 'top', start: [ShopSup], type: 'supervisor' }] })
   * const master = await node.startApplication('shop', 'permanent')   // starts 'db' first if it is not running
   * ```
   */
  startApplication(name: string, startType?: StartType): Promise<Pid> {
    if (this.#stopped) return stopped()
    return this.#apps.start(name, startType)
  }

  /** Stop a running application (children in reverse order); it stays loaded. Rejects ERR_APP_NOT_RUNNING. */
  stopApplication(name: string): Promise<void> {
    if (this.#stopped) return stopped()
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

  /** A loaded application's name, description, version and master pid. @throws ERR_APP_UNKNOWN */
  applicationInfo(name: string): ApplicationInfo {
    return this.#apps.info(name)
  }

  /** @internal For the testing kit: the behaviour instance of a process on the main thread. */
  localInstance(pid: Pid): unknown {
    return this.#main.router.proc(pid)?.instance
  }

}

function behaviourName(b: { readonly name: string } | BehaviourRef): string {
  return isRef(b) ? `${b.module}#${b.export}` : b.name
}

function isRef(v: unknown): v is BehaviourRef {
  return typeof v === 'object' && v !== null && typeof (v as BehaviourRef).export === 'string' && 'module' in v
}
