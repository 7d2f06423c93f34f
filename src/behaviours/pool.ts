/**
 * Pool: a fixed number of worker processes behind one address (Ergo's gen.Pool). Calls, casts
 * and plain messages sent to the pool are handed to one worker, chosen round-robin (or at
 * random, or the least busy); the workers are ordinary Servers.
 *
 *   round_robin, random (forwarded, POOL-R2):
 *     caller ──call──▶ pool ──$call, caller's from──▶ worker k ──reply──▶ caller
 *   least_busy (relayed):
 *     caller ──call──▶ pool ──call──▶ worker k ──reply──▶ pool ──reply──▶ caller
 *   any strategy:
 *     caller ──cast/send──▶ pool ──────────▶ worker k            (no answer comes back)
 *
 * Forwarded calls (as Ergo and OTP pools do): the pool hands the caller's `$call` on with its
 * original `from`, and the runtime moves the caller's watch from the pool to the worker
 * (ProcessContext.forwardCall). So the worker answers the caller directly, and a
 * worker that dies mid-call still fails its callers at once with its exit reason (POOL-T8, D5):
 * the caller's DOWN now comes from the worker. The pool does one send per call and holds
 * nothing for it, where a relay costs a call of its own, a reply in and a reply out: it is the
 * pool's thread that carries every call, so this is what a pool call costs.
 * The trade-off: the pool never learns when a forwarded call is done. So least_busy, which
 * needs the calls each worker has in hand, relays (and only relayed calls count in
 * `stats.inFlight`); and a forwarded call that finds a worker's mailbox full on another thread
 * fails there with ERR_MAILBOX_FULL instead of being retried on the next worker (on the pool's
 * own thread the pool still sees the full mailbox and tries the next, POOL-R3).
 *
 * Workers are spread over the worker threads (worker k on thread 1 + k mod threads), linked to
 * the pool (they die with it), and a worker that dies is restarted in its slot and watched
 * again (D10); while a slot restarts, the rotation skips it. A worker whose mailbox is full (on
 * the pool's thread) is skipped for the next (POOL-R3); across threads a full mailbox drops a
 * cast or a message, as every cross-thread send does.
 *
 * Client functions: Pool.workers, Pool.stats, Pool.addWorkers, Pool.removeWorkers are answered
 * by the pool itself; everything else goes to a worker.
 *
 * A callback module on the gen layer (gen.ts): Server.stop's request stops the pool itself and
 * the parent's EXIT stops it with the parent's reason; a request in the pool's own namespace
 * (`$pool`) that it does not know is refused, not forwarded. The spec is in pool-spec.ts.
 */
import { kBehaviour, kInit, type Caller, type Settle } from '../core/process-context.ts'
import { isExitMessage, type CallMessage, type From } from '../core/envelope.ts'
import type { Address, Pid } from '../core/pid.ts'
import type { ExitReason } from '../core/exit.ts'
import { makeError } from '../core/errors.ts'
import { checkSpec, type PoolSpec, type PoolStats } from './pool-spec.ts'
import { emitReport } from './reports.ts'
import { Gen, answer, kGenCall, kGenInfo, kGenTerminate, stopRequest } from './gen.ts'
import { shutDown } from './children.ts'
import { RestartWindow } from './restart-window.ts'

export type { PoolSpec, PoolStats, PoolStrategy } from './pool-spec.ts'

interface Slot {
  pid: Pid | undefined
  inFlight: number
}

type PoolRequest =
  | { readonly $pool: 'workers' }
  | { readonly $pool: 'stats' }
  | { readonly $pool: 'add'; readonly n: number }
  | { readonly $pool: 'remove'; readonly n: number }

const POOL_OPS: readonly string[] = ['workers', 'stats', 'add', 'remove']

/** A request in the pool's own namespace: the pool answers it (an unknown one is refused), never a worker. */
const isPoolRequest = (r: unknown): r is PoolRequest =>
  typeof r === 'object' && r !== null && typeof (r as { $pool?: unknown }).$pool === 'string'

/** Restart slot `slot` again (a failed restart waits a little before the next try). */
interface Retry {
  readonly $poolRetry: number
}

const isRetry = (m: unknown): m is Retry =>
  typeof m === 'object' && m !== null && typeof (m as { $poolRetry?: unknown }).$poolRetry === 'number'

const RETRY_MS = 100

/**
 * A fixed number of worker processes (usually Servers) behind one address, spread over the
 * worker threads (worker k on thread `1 + (k % threads)`). Calls, casts and plain messages sent
 * to the pool go to one worker, picked by `strategy`; the workers are linked to the pool and a
 * dead one is restarted in its slot.
 *
 * Details: calls are relayed (the pool calls the worker on the caller's behalf), so a worker
 * that dies mid-call fails its caller at once with `ERR_CALL_EXIT` and its reason. The pool
 * answers `Pool.workers`, `Pool.stats`, `Pool.addWorkers` and `Pool.removeWorkers` itself.
 *
 * Gotchas: the worker class must be exported by a module in the node's `modules`; every call
 * passes through the pool's own thread; stopping or killing the pool takes its workers down.
 *
 * @throws ERR_POOL_BUSY (a call rejects) when no worker can take it (all restarting or full)
 * @example
 * ```ts
 * const pool = await node.spawn(Pool, { worker: Hasher, args: { rounds: 10 }, size: 4 })
 * await node.call(pool, { hash: 'abc' })    // answered by one of the 4 Hasher servers
 * await Pool.stats(node, pool)              // { size: 4, live: 4, restarts: 0, forwarded: 1, inFlight: [0, 0, 0, 0] }
 * ```
 */
export class Pool<A = unknown> extends Gen {
  /** @hidden The behaviour kind the runtime reads. */
  static readonly [kBehaviour] = 'pool'

  #spec!: PoolSpec<A>
  readonly #slots: Slot[] = []
  readonly #bySlot = new Map<number, number>()
  #cursor = 0
  #restarts = 0
  #forwarded = 0
  #window = new RestartWindow(Infinity, 5000)
  /** Calls are forwarded (round_robin, random), or relayed (least_busy). */
  #forwarding = false

  /** The pool's spec; override to compute it, or spawn Pool itself with the spec as its args. */
  init(spec: PoolSpec<A>): PoolSpec<A> | Promise<PoolSpec<A>> {
    return spec
  }

  /** The workers' pids by slot (undefined while a slot restarts). */
  static workers(caller: Caller, pool: Address): Promise<(Pid | undefined)[]> {
    return caller.call(pool, { $pool: 'workers' } satisfies PoolRequest, { timeout: Infinity })
  }

  /** Size, live workers, restarts, messages forwarded and calls in hand per slot. */
  static stats(caller: Caller, pool: Address): Promise<PoolStats> {
    return caller.call(pool, { $pool: 'stats' } satisfies PoolRequest, { timeout: Infinity })
  }

  /**
   * Start `n` more workers (new slots at the end); resolves with the new size.
   *
   * @throws ERR_INVALID_ARG_VALUE (rejects) unless `n` is an integer >= 1
   */
  static addWorkers(caller: Caller, pool: Address, n: number): Promise<number> {
    return caller.call(pool, { $pool: 'add', n } satisfies PoolRequest, { timeout: Infinity })
  }

  /**
   * Stop the last `n` workers (they exit 'normal', after the calls they have in hand); at least
   * one stays. Resolves with the new size.
   *
   * @throws ERR_INVALID_ARG_VALUE (rejects) unless `n` is an integer >= 1
   */
  static removeWorkers(caller: Caller, pool: Address, n: number): Promise<number> {
    return caller.call(pool, { $pool: 'remove', n } satisfies PoolRequest, { timeout: Infinity })
  }

  /** @hidden The runtime's hook: reads the spec and starts the workers. */
  async [kInit](args: unknown): Promise<void> {
    const spec = await this.init(args as PoolSpec<A>)
    this.#spec = checkSpec(spec, this.workerThreads)
    this.#window = new RestartWindow(this.#spec.intensity ?? Infinity, (this.#spec.period ?? 5) * 1000)
    this.trapExit(true)
    this.#forwarding = this.#spec.strategy !== 'least_busy'
    const size = this.#spec.size as number
    for (let k = 0; k < size; k++) this.#slots.push({ pid: undefined, inFlight: 0 })
    for (let k = 0; k < size; k++) {
      try {
        await this.#startWorker(k)
      } catch (error) {
        await this.#stopWorkers()
        throw (error as { reason?: unknown }).reason ?? error
      }
    }
  }

  /** @hidden The gen layer's hook: the pool's own requests; every other call goes to a worker (POOL-R2). */
  override [kGenCall](m: CallMessage): Settle {
    const r = m.request
    if (isPoolRequest(r)) return POOL_OPS.includes(r.$pool) ? answer(this, m.from, () => this.#poolRequest(r)) : super[kGenCall](m)
    if (this.#forwarding) this.#forwardCall(m)
    else this.#relay(m, 0)
  }

  /** @hidden The gen layer's hook: a worker's EXIT, a retry; anything else (casts included) goes to a worker. */
  override [kGenInfo](message: unknown): Settle {
    if (isExitMessage(message)) return this.#exited(message.from)
    if (isRetry(message)) return this.#restart(message.$poolRetry)
    this.#forward(message)
  }

  /** @hidden The gen layer's hook: terminate stops the workers. */
  override [kGenTerminate](_reason: ExitReason): Settle {
    return this.#stopWorkers()
  }

  /** Requests the pool answers itself (POOL-T10: they are never forwarded). */
  async #poolRequest(r: PoolRequest): Promise<unknown> {
    switch (r.$pool) {
      case 'workers':
        return this.#slots.map((s) => s.pid)
      case 'stats':
        return this.#stats()
      case 'add': {
        if (!Number.isInteger(r.n) || r.n < 1) throw makeError('ERR_INVALID_ARG_VALUE', 'n', 'an integer >= 1', r.n)
        for (let i = 0; i < r.n; i++) {
          this.#slots.push({ pid: undefined, inFlight: 0 })
          await this.#startWorker(this.#slots.length - 1)
        }
        return this.#slots.length
      }
      case 'remove': {
        if (!Number.isInteger(r.n) || r.n < 1) throw makeError('ERR_INVALID_ARG_VALUE', 'n', 'an integer >= 1', r.n)
        const keep = Math.max(1, this.#slots.length - r.n)
        const gone = this.#slots.splice(keep)
        this.#cursor %= this.#slots.length
        for (const s of gone) {
          if (s.pid === undefined) continue
          this.#bySlot.delete(s.pid.key)
          this.unlink(s.pid)
          // Server.stop's request, not awaited: the worker stops 'normal' after what is ahead of it
          // in its mailbox (its calls in hand are answered first); no answer comes back.
          this.send(s.pid, { type: '$call', from: { pid: this.self, ref: this.makeRef() }, request: stopRequest('normal') })
        }
        return this.#slots.length
      }
    }
  }

  // ── forwarding ────────────────────────────────────────────────────────────────────────

  /** The next worker by strategy, skipping slots that are restarting; -1 if none is up. */
  #pick(): number {
    const slots = this.#slots
    const n = slots.length
    if (this.#spec.strategy === 'least_busy') {
      let best = -1
      for (let i = 0; i < n; i++) {
        const k = (this.#cursor + i) % n
        const s = slots[k] as Slot
        if (s.pid !== undefined && (best < 0 || s.inFlight < (slots[best] as Slot).inFlight)) best = k
      }
      this.#cursor = (this.#cursor + 1) % n
      return best
    }
    const start = this.#spec.strategy === 'random' ? Math.floor(Math.random() * n) : this.#cursor
    for (let i = 0; i < n; i++) {
      const k = (start + i) % n
      if ((slots[k] as Slot).pid !== undefined) {
        this.#cursor = (k + 1) % n
        return k
      }
    }
    return -1
  }

  /** A cast or a plain message: to one worker; a full mailbox on this thread tries the next. */
  #forward(message: unknown): void {
    for (let attempt = 0; attempt < this.#slots.length; attempt++) {
      const k = this.#pick()
      if (k < 0) break
      try {
        this.send((this.#slots[k] as Slot).pid as Pid, message)
        this.#forwarded++
        return
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'ERR_MAILBOX_FULL') throw error
      }
    }
    emitReport(this, { type: 'report', kind: 'pool', pool: this.self, event: 'dropped', message })
  }

  /** A call handed on with the caller's `from`: the worker answers the caller directly. */
  #forwardCall(m: CallMessage): void {
    for (let attempt = 0; attempt < this.#slots.length; attempt++) {
      const k = this.#pick()
      if (k < 0) break
      // False only for a full mailbox on this thread: then the next worker (POOL-R3).
      if (this.context.forwardCall((this.#slots[k] as Slot).pid as Pid, m)) {
        this.#forwarded++
        return
      }
    }
    this.replyError(m.from, makeError('ERR_POOL_BUSY', this.self.toString()))
  }

  /** A call: made to a worker on the caller's behalf; its answer, or failure, goes back to the caller. */
  #relay(m: CallMessage, attempt: number): void {
    const k = attempt < this.#slots.length ? this.#pick() : -1
    if (k < 0) {
      this.replyError(m.from, makeError('ERR_POOL_BUSY', this.self.toString()))
      return
    }
    const slot = this.#slots[k] as Slot
    slot.inFlight++
    this.#forwarded++
    this.call(slot.pid as Pid, m.request, { timeout: Infinity }).then(
      (value) => this.#answered(slot, m.from, value, undefined),
      (error: unknown) => {
        // A full mailbox: try another worker; anything else (the worker died mid-call) is the caller's.
        if ((error as { code?: unknown }).code === 'ERR_MAILBOX_FULL') {
          slot.inFlight--
          this.#relay(m, attempt + 1)
          return
        }
        this.#answered(slot, m.from, undefined, error)
      },
    )
  }

  #answered(slot: Slot, from: From, value: unknown, error: unknown): void {
    slot.inFlight--
    if (error === undefined) this.reply(from, value)
    else this.replyError(from, error)
  }

  // ── workers ───────────────────────────────────────────────────────────────────────────

  async #startWorker(k: number): Promise<void> {
    const { worker, args, workerOptions } = this.#spec
    const threads = this.workerThreads
    const placement = workerOptions?.thread !== undefined || workerOptions?.key !== undefined || threads === 0
      ? {} : { thread: 1 + (k % threads) }
    const started = await this.startProcess(worker, args, { ...workerOptions, ...placement, link: true })
    if (started === 'ignore') throw makeError('ERR_BAD_RETURN_VALUE', 'a pool worker init', 'ignore')
    const slot = this.#slots[k] as Slot
    slot.pid = started
    slot.inFlight = 0
    this.#bySlot.set(started.key, k)
  }

  #exited(pid: Pid): Settle {
    const k = this.#bySlot.get(pid.key)
    // Not a worker's: dropped (the parent's is the gen layer's: the pool stops with its reason).
    if (k === undefined) return
    this.#bySlot.delete(pid.key)
    ;(this.#slots[k] as Slot).pid = undefined
    if (!this.#countRestart()) {
      this.stop('shutdown')
      return
    }
    return this.#restart(k)
  }

  /** POOL-R4/D10: a new worker in the same slot, linked (so watched) again. */
  async #restart(k: number): Promise<void> {
    if ((this.#slots[k] as Slot).pid !== undefined) return
    try {
      await this.#startWorker(k)
      this.#restarts++
    } catch {
      this.sendAfter(this.self, { $poolRetry: k } satisfies Retry, RETRY_MS)
    }
  }

  #countRestart(): boolean {
    return this.#window.record(this.now())
  }

  /** Every worker at once: exit 'shutdown', wait up to `shutdown` ms, then kill the rest. */
  async #stopWorkers(): Promise<void> {
    const pids = this.#slots.flatMap((s) => (s.pid === undefined ? [] : [s.pid]))
    for (const s of this.#slots) s.pid = undefined
    this.#bySlot.clear()
    await shutDown(this, pids, this.#spec.shutdown ?? 5000)
  }

  #stats(): PoolStats {
    return {
      size: this.#slots.length,
      live: this.#slots.filter((s) => s.pid !== undefined).length,
      restarts: this.#restarts,
      forwarded: this.#forwarded,
      inFlight: this.#slots.map((s) => s.inFlight),
    }
  }
}
