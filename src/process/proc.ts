/**
 * One process's record: its pid, mailbox, behaviour instance, links, monitors, watchers, pending
 * calls, names, limits and environment. Data only: what a process can do is its context
 * (scheduler/context.ts, a subclass, so a process stays one object), and what happens to it is
 * the scheduler's parts' business (links.ts, monitors.ts, calls.ts, runner.ts).
 */
import { Fifo } from '../mailbox/fifo.ts'
import type { RefTable } from '../core/ref-table.ts'
import type { Address, NamedProcess, Pid, Ref } from '../core/pid.ts'
import type { ExitReason } from '../core/exit.ts'
import type { DirectMessage } from '../core/envelope.ts'
import type { BehaviourInstance } from '../core/process-context.ts'


export const Status = {
  /** Alive, nothing queued to run. */
  IDLE: 0,
  /** In the run queue. */
  QUEUED: 1,
  /** A callback is executing right now. */
  RUNNING: 2,
  /** A callback returned a Promise that has not settled; no next message until it does. */
  SUSPENDED: 3,
  /** terminate() is running (possibly async); no more messages. */
  TERMINATING: 4,
  DEAD: 5,
} as const
export type Status = (typeof Status)[keyof typeof Status]

export { ProcessExit } from '../core/exit.ts'

/**
 * Dead, or ended by an exit signal while its own code runs (it dies as that code unwinds): what
 * it does now (sends, casts, replies, signals) has no effect.
 */
export const isHalted = (p: Proc): boolean =>
  p.status === Status.DEAD || (p.pendingExit !== null && !p.pendingExit.runTerminate)

/** True if `p` has a message or a direct request waiting. */
export const hasMessages = (p: Proc): boolean => p.mailbox.length > 0 || (p.directbox !== null && p.directbox.length > 0)

/** Per-process limits and environment from the spawn options (absent for most processes). */
export interface ProcOptions {
  readonly mailboxSize?: number
  readonly fallback?: { readonly name: string; readonly tag: string }
  readonly directboxSize?: number
  /** The parent's visible environment at spawn time, less the node's (every thread has that). */
  readonly envInherited?: Record<string, unknown>
  readonly envOwn?: Record<string, unknown>
}

/** A monitor this process holds on another. */
export interface MonitorEntry {
  readonly ref: Ref
  readonly target: Pid
  readonly name: string | null
}

/** A monitor another process holds on this one. */
export interface WatcherEntry {
  readonly ref: Ref
  readonly watcher: Pid
  readonly name: string | null
}

const OPEN = 0
const RESOLVED = 1
const REJECTED = 2

/**
 * A call, start or watch waiting on `pid`: the target holds a watcher under `ref` (so its end
 * settles this at once), but the caller keeps no monitor entry of its own (this is it).
 *
 * Its promise is made last (`promise()`), once the request is out: a call answered meanwhile (a
 * process on the same thread that handled it at once) then gets an already settled promise, and
 * never pays for a promise's resolving functions.
 */
export class PendingCall {
  readonly target: Address
  /** The process watched: `target` resolved when the request was made. */
  readonly pid: Pid
  readonly ref: Ref
  readonly owner: Proc
  /** The timeout in ms, for the error message. */
  readonly ms: number
  kind: 'call' | 'spawn' | 'direct' | 'watch'
  /** The thread's timer for the timeout (scheduler/timers.ts TimerId), if any. */
  timer: { readonly at: number } | null = null
  /**
   * The caller's AbortSignal and the listener on it (a call made with `signal`), else null.
   * Whatever settles the call takes the listener off, so a long-lived signal holds no call.
   */
  abort: { readonly signal: AbortSignal; readonly listener: () => void } | null = null
  #resolve: ((value: unknown) => void) | null = null
  #reject: ((error: unknown) => void) | null = null
  /** Settled before its promise was made: how, and with what. */
  #state = OPEN
  #outcome: unknown = undefined
  /** Whatever answer comes, the promise fails with this (a start that timed out). */
  #failure: Error | null = null

  constructor(target: Address, pid: Pid, ref: Ref, owner: Proc, ms: number, kind: PendingCall['kind']) {
    this.target = target
    this.pid = pid
    this.ref = ref
    this.owner = owner
    this.ms = ms
    this.kind = kind
  }

  resolve(value: unknown): void {
    if (this.#failure !== null) this.#settle(REJECTED, this.#failure)
    else this.#settle(RESOLVED, value)
  }

  reject(error: Error): void {
    this.#settle(REJECTED, this.#failure ?? error)
  }

  /** From now on any answer fails the promise with `error`. */
  failWith(error: Error): void {
    this.#failure = error
  }

  /** The caller's promise; call once, after the request went out. */
  promise(): Promise<unknown> {
    if (this.#state === RESOLVED) return Promise.resolve(this.#outcome)
    if (this.#state === REJECTED) return Promise.reject(this.#outcome)
    return new Promise((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
  }

  #settle(state: number, outcome: unknown): void {
    if (this.#resolve !== null) {
      if (state === RESOLVED) this.#resolve(outcome)
      else (this.#reject as (error: unknown) => void)(outcome)
    } else if (this.#state === OPEN) {
      this.#state = state
      this.#outcome = outcome
    }
  }
}

export class Proc {
  status: Status = Status.IDLE
  trapExitFlag = false
  readonly mailbox = new Fifo<unknown>(4)
  linked: Map<number, Pid> | null = null
  monitors: Map<number, MonitorEntry> | null = null
  watchers: RefTable<WatcherEntry> | null = null
  calls: RefTable<PendingCall> | null = null
  names: string[] | null = null
  /** The spawner, when it spawned linked (OTP's Parent). */
  parent: Pid | undefined = undefined
  /** Limits from the spawn options; null when none were given. */
  limits: ProcOptions | null = null
  /** Direct requests waiting: served before mailbox messages, bounded by directboxSize. */
  directbox: Fifo<DirectMessage> | null = null
  envOwn: Map<string, unknown> | null = null
  envInherited: Record<string, unknown> | null = null
  /**
   * The end asked for while a callback ran: by stop() (`runTerminate`), or by an exit signal
   * (then the first one wins, and the process is halted: see isHalted).
   */
  pendingExit: { reason: ExitReason; runTerminate: boolean } | null = null
  /**
   * Its calls are awaited by code outside any process (the node's own process, behind node.call,
   * node.spawn, node.direct): when it ends, they reject instead of ending with it.
   */
  external = false

  readonly self: Pid
  readonly instance: BehaviourInstance

  constructor(self: Pid, instance: BehaviourInstance) {
    this.self = self
    this.instance = instance
  }
}

/** What a child of `p` inherits: everything visible to `p` except the node's own environment. */
export function envForChild(p: Proc): Record<string, unknown> {
  const out: Record<string, unknown> = { ...p.envInherited }
  if (p.envOwn !== null) for (const [k, v] of p.envOwn) out[k] = v
  return out
}

export type { NamedProcess }
