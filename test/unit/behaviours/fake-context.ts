/**
 * FakeContext: a ProcessContext (core/process-context.ts) with no runtime behind it, so that a
 * behaviour runs in a unit test without threads, a scheduler or Node.start. Behaviours import
 * only core: this interface is all they can ask of the world, so recording what they ask is
 * recording everything they do.
 *
 *   the behaviour asks                  the fake
 *   send, trySend, cast, call           records it; a send to self also goes to `mailbox`
 *   reply, replyError, forwardCall      records it (with its `from`)
 *   stop(reason)                        records it and keeps it in `pendingStop` (the driver ends the process)
 *   exit(pid, reason)                   records it, then asks `onExitSignal` (default: the target
 *                                       behaves as a process that does not trap exits, see below)
 *   trapExit, link, unlink, monitor,    records it and keeps the state (`trapping`, links, monitors)
 *   demonitor, register, ...
 *   sendAfter(to, m, ms), delay(ms)     a FakeTimer / a promise on the fake clock: `advance(ms)` fires them
 *   spawn, spawnLink, startProcess      records it and answers with `onSpawn` / `onStart` (default: a fresh pid)
 *   watch(pid)                          resolves when the test (or `onExitSignal`) calls `end(pid, reason)`
 *   now()                               the fake clock: starts at 0, moves only by `advance`
 *   env(key)                            the `env` option (default: reports off, `'skein.reports': false`)
 *
 * Gotchas:
 * - Nothing is delivered on its own. A send to self lands in `mailbox`; the driver (drive.ts)
 *   dispatches it when the test says `drain()`. EXIT and DOWN messages are the test's to build
 *   (exitMessage, downMessage) and deliver, as the runtime would.
 * - Only other processes' *ends* are modelled (`end`), because `watch` and the default exit-signal
 *   answer need them; links do not turn an end into an EXIT here.
 * - After the process has ended, calls are still recorded (the runtime would drop them).
 */
import { LOCAL_NODE, Pid, Ref, type Address } from '../../../src/core/pid.ts'
import type {
  BehaviourClass, CallOptions, ProcessContext, SpawnOptions, StartOptions, Started, TimerRef,
} from '../../../src/core/process-context.ts'
import type { CallMessage, DownMessage, ExitMessage, From } from '../../../src/core/envelope.ts'
import type { ExitReason } from '../../../src/core/exit.ts'
import { FakeClock, FakeTimer } from './fake-clock.ts'

export { FakeTimer, settle } from './fake-clock.ts'

/** A pid on the fake node (thread 0). */
export const pid = (n: number): Pid => new Pid(LOCAL_NODE, n, 0, 0)
/** A ref on the fake node. */
export const ref = (n: number): Ref => new Ref(LOCAL_NODE, n, 0)

/** The driven process, its default parent, and the default caller of `call`. */
export const SELF = pid(1)
export const PARENT = pid(2)
export const CALLER = pid(3)

/** A trapped exit signal from `from`, as the runtime delivers it. */
export const exitMessage = (from: Pid, reason: ExitReason): ExitMessage => ({ type: 'EXIT', from, reason })
/** A monitor's DOWN, as the runtime delivers it. */
export const downMessage = (monitor: Ref, of: Pid, reason: ExitReason): DownMessage => ({ type: 'DOWN', ref: monitor, pid: of, reason })

/** A spawn or start the behaviour asked for. */
export interface SpawnRequest {
  readonly behaviour: BehaviourClass<never>
  readonly args: unknown
  readonly options: StartOptions | undefined
}

/** One thing the behaviour asked of its process, in the order it asked. */
export type Effect =
  | { readonly op: 'send' | 'trySend'; readonly to: Address; readonly message: unknown }
  | { readonly op: 'cast'; readonly to: Address; readonly request: unknown }
  | { readonly op: 'call'; readonly to: Address; readonly request: unknown; readonly options: CallOptions | undefined }
  | { readonly op: 'reply'; readonly from: From; readonly value: unknown }
  | { readonly op: 'replyError'; readonly from: From; readonly error: unknown }
  | { readonly op: 'forwardCall'; readonly to: Pid; readonly message: CallMessage }
  | { readonly op: 'stop'; readonly reason: ExitReason }
  | { readonly op: 'exit'; readonly pid: Pid; readonly reason: ExitReason }
  | { readonly op: 'trapExit'; readonly on: boolean }
  | { readonly op: 'link' | 'unlink' | 'watch'; readonly pid: Pid }
  | { readonly op: 'monitor'; readonly target: Address; readonly ref: Ref }
  | { readonly op: 'demonitor'; readonly ref: Ref }
  | { readonly op: 'sendAfter'; readonly timer: FakeTimer }
  | { readonly op: 'delay'; readonly ms: number }
  | { readonly op: 'spawn' | 'spawnLink'; readonly request: SpawnRequest; readonly pid: Pid }
  | { readonly op: 'startProcess'; readonly request: SpawnRequest; result: Started | { readonly error: unknown } | 'pending' }
  | { readonly op: 'register' | 'unregister'; readonly name: string }
  | { readonly op: 'setEnv'; readonly key: string; readonly value: unknown }

export type Op = Effect['op']
/** The effects whose op may be `K` (a member that covers several ops, as send | trySend, included). */
export type EffectOf<K extends Op> = WithOp<Effect, K>
type WithOp<E, K> = E extends { op: infer O } ? ([Extract<O, K>] extends [never] ? never : E) : never

export interface FakeContextOptions {
  /** The process's pid (default SELF). */
  self?: Pid
  /** Its parent (default PARENT; `undefined`: spawned unlinked). */
  parent?: Pid | undefined
  /** Start with trapExit on. */
  trapExit?: boolean
  /** The environment (default `{ 'skein.reports': false }`: no reports on stderr). */
  env?: Record<string, unknown>
  /** Names `whereis` knows. */
  names?: Record<string, Pid>
}

export class FakeContext implements ProcessContext {
  readonly self: Pid
  readonly parent: Pid | undefined
  readonly workerThreads = 0
  /** Everything the behaviour asked, in order. */
  readonly effects: Effect[] = []
  /** Messages sent to self (sends, fired timers), oldest first: the driver's `drain` dispatches them. */
  readonly mailbox: unknown[] = []
  /** The reason of the last stop() not yet applied (the driver applies it after the callback). */
  pendingStop: { readonly reason: ExitReason } | undefined = undefined
  trapping: boolean
  /** Answers startProcess (may throw or reject: the start fails with that). */
  onStart: (request: SpawnRequest) => Started | Promise<Started> = () => this.newPid()
  /** Answers spawn and spawnLink. */
  onSpawn: (request: SpawnRequest) => Pid = () => this.newPid()
  /** Answers a call the behaviour makes (default: never answered). */
  onCall: (to: Address, request: unknown) => Promise<unknown> = () => new Promise<never>(() => {})
  /**
   * What an exit signal the behaviour sends does to its target. Default: the target does not
   * trap exits, so 'kill' ends it 'killed', 'normal' does nothing, any other reason ends it.
   */
  onExitSignal: (target: Pid, reason: ExitReason) => void = (target, reason) => {
    if (target.equals(this.self) || reason === 'normal') return
    this.end(target, reason === 'kill' ? 'killed' : reason)
  }

  /** The deterministic clock behind now, sendAfter and delay. */
  readonly clock = new FakeClock()
  #serial = 100
  #taken = 0
  readonly #links = new Map<number, Pid>()
  readonly #monitors = new Map<number, Address>()
  readonly #ended = new Map<number, ExitReason>()
  readonly #watchers = new Map<number, Array<(reason: ExitReason) => void>>()
  readonly #env: Map<string, unknown>
  readonly #names: Map<string, Pid>
  readonly #aliases = new Map<number, Ref>()

  constructor(options: FakeContextOptions = {}) {
    this.self = options.self ?? SELF
    this.parent = 'parent' in options ? options.parent : PARENT
    this.trapping = options.trapExit ?? false
    this.#env = new Map(Object.entries(options.env ?? { 'skein.reports': false }))
    this.#names = new Map(Object.entries(options.names ?? {}))
    if (this.parent !== undefined) this.#links.set(this.parent.key, this.parent)
  }

  // ── for the test ──────────────────────────────────────────────────────────────────────

  /** A pid nobody has used yet. */
  newPid(): Pid {
    return pid(++this.#serial)
  }

  /** A ref nobody has used yet. */
  newRef(): Ref {
    return ref(++this.#serial)
  }

  /** The effects of one kind, in order. */
  ops<K extends Op>(...kinds: K[]): Array<EffectOf<K>> {
    return this.effects.filter((e): e is EffectOf<K> => (kinds as Op[]).includes(e.op))
  }

  /** The effects recorded since the last take (all of them the first time). */
  take(): Effect[] {
    const fresh = this.effects.slice(this.#taken)
    this.#taken = this.effects.length
    return fresh
  }

  /** The replies and error replies sent to `from`. */
  answersTo(from: From): Array<EffectOf<'reply' | 'replyError'>> {
    return this.ops('reply', 'replyError').filter((e) => e.from.pid.equals(from.pid) && e.from.ref.equals(from.ref))
  }

  /** Another process ended with `reason`: its watches resolve with it. */
  end(target: Pid, reason: ExitReason): void {
    if (this.#ended.has(target.key)) return
    this.#ended.set(target.key, reason)
    this.#links.delete(target.key)
    const waiting = this.#watchers.get(target.key) ?? []
    this.#watchers.delete(target.key)
    for (const wake of waiting) wake(reason)
  }

  /** The fake clock's timers still pending, earliest first. */
  pendingTimers(): FakeTimer[] {
    return this.clock.pending()
  }

  /**
   * Fire `timer` now, whatever the clock says (it must be pending): to self it lands in the
   * mailbox. Returns its message.
   */
  fire(timer: FakeTimer): unknown {
    if (timer.state !== 'pending') throw new Error(`FakeContext: the timer is ${timer.state}, it cannot fire`)
    timer.state = 'fired'
    if (this.#isSelf(timer.to)) this.mailbox.push(timer.message)
    return timer.message
  }

  /**
   * Move the clock `ms` forward, firing what falls due in time order: delays resolve, sendAfters
   * to self land in the mailbox. Await it: what the woken code does runs before it resolves.
   */
  advance(ms: number): Promise<void> {
    return this.clock.advance(ms, (timer) => this.fire(timer))
  }

  #isSelf(to: Address): boolean {
    return to instanceof Pid && to.equals(this.self)
  }

  #record(effect: Effect): void {
    this.effects.push(effect)
  }

  // ── ProcessContext ────────────────────────────────────────────────────────────────────

  send(to: Address, message: unknown): void {
    this.#record({ op: 'send', to, message })
    if (this.#isSelf(to)) this.mailbox.push(message)
  }

  trySend(to: Address, message: unknown): boolean {
    this.#record({ op: 'trySend', to, message })
    if (this.#isSelf(to)) this.mailbox.push(message)
    return true
  }

  call<R = unknown>(to: Address, request: unknown, options?: CallOptions): Promise<R> {
    this.#record({ op: 'call', to, request, options })
    return this.onCall(to, request) as Promise<R>
  }

  cast(to: Address, request: unknown): void {
    this.#record({ op: 'cast', to, request })
    if (this.#isSelf(to)) this.mailbox.push({ type: '$cast', request })
  }

  reply(from: From, value: unknown): void {
    this.#record({ op: 'reply', from, value })
  }

  replyError(from: From, error: unknown): void {
    this.#record({ op: 'replyError', from, error })
  }

  forwardCall(to: Pid, message: CallMessage): boolean {
    this.#record({ op: 'forwardCall', to, message })
    return true
  }

  spawn<A>(behaviour: BehaviourClass<A>, args?: A, options?: SpawnOptions): Pid {
    const request: SpawnRequest = { behaviour: behaviour as BehaviourClass<never>, args, options }
    const child = this.onSpawn(request)
    if (options?.link === true) this.#links.set(child.key, child)
    this.#record({ op: 'spawn', request, pid: child })
    return child
  }

  spawnLink<A>(behaviour: BehaviourClass<A>, args?: A, options?: SpawnOptions): Pid {
    const request: SpawnRequest = { behaviour: behaviour as BehaviourClass<never>, args, options }
    const child = this.onSpawn(request)
    this.#links.set(child.key, child)
    this.#record({ op: 'spawnLink', request, pid: child })
    return child
  }

  startProcess<A>(behaviour: BehaviourClass<A>, args?: A, options?: StartOptions): Promise<Started> {
    const request: SpawnRequest = { behaviour: behaviour as BehaviourClass<never>, args, options }
    const effect: EffectOf<'startProcess'> = { op: 'startProcess', request, result: 'pending' }
    this.#record(effect)
    return (async () => {
      try {
        const started = await this.onStart(request)
        effect.result = started
        if (started instanceof Pid && options?.link === true) this.#links.set(started.key, started)
        return started
      } catch (error) {
        effect.result = { error }
        throw error
      }
    })()
  }

  now(): number {
    return this.clock.now()
  }

  watch(target: Pid): Promise<ExitReason> {
    this.#record({ op: 'watch', pid: target })
    if (this.#ended.has(target.key)) return Promise.resolve('noproc')
    return new Promise((resolve) => {
      const list = this.#watchers.get(target.key) ?? []
      list.push(resolve)
      this.#watchers.set(target.key, list)
    })
  }

  delay(ms: number): Promise<void> {
    this.#record({ op: 'delay', ms })
    return this.clock.sleep(ms)
  }

  messageQueueLength(): number {
    return this.mailbox.length
  }

  link(target: Pid): void {
    this.#record({ op: 'link', pid: target })
    if (!target.equals(this.self)) this.#links.set(target.key, target)
  }

  unlink(target: Pid): void {
    this.#record({ op: 'unlink', pid: target })
    this.#links.delete(target.key)
  }

  monitor(target: Address): Ref {
    const r = this.newRef()
    this.#monitors.set(r.key, target)
    this.#record({ op: 'monitor', target, ref: r })
    return r
  }

  demonitor(r: Ref): boolean {
    this.#record({ op: 'demonitor', ref: r })
    return this.#monitors.delete(r.key)
  }

  exit(target: Pid, reason: ExitReason): void {
    this.#record({ op: 'exit', pid: target, reason })
    this.onExitSignal(target, reason)
  }

  stop(reason: ExitReason = 'normal'): void {
    this.#record({ op: 'stop', reason })
    this.pendingStop = { reason }
  }

  trapExit(on: boolean): boolean {
    this.#record({ op: 'trapExit', on })
    const was = this.trapping
    this.trapping = on
    return was
  }

  sendAfter(to: Address, message: unknown, ms: number): TimerRef {
    const timer = this.clock.timer(to, message, ms)
    this.#record({ op: 'sendAfter', timer })
    return timer
  }

  register(name: string): void {
    this.#record({ op: 'register', name })
    this.#names.set(name, this.self)
  }

  unregister(name: string): boolean {
    this.#record({ op: 'unregister', name })
    return this.#names.delete(name)
  }

  whereis(name: string): Pid | undefined {
    return this.#names.get(name)
  }

  links(): Pid[] {
    return [...this.#links.values()]
  }

  makeRef(): Ref {
    return this.newRef()
  }

  createAlias(): Ref {
    const alias = this.newRef()
    this.#aliases.set(alias.key, alias)
    return alias
  }

  deleteAlias(alias: Ref): void {
    this.#aliases.delete(alias.key)
  }

  isAlias(alias: unknown): boolean {
    return alias instanceof Ref && this.#aliases.has(alias.key)
  }

  env(key: string): unknown {
    return this.#env.get(key)
  }

  setEnv(key: string, value: unknown): void {
    this.#record({ op: 'setEnv', key, value })
    if (value === undefined) this.#env.delete(key)
    else this.#env.set(key, value)
  }

  envList(): Record<string, unknown> {
    return Object.fromEntries(this.#env)
  }
}
