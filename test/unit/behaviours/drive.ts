/**
 * drive: run one behaviour instance against a FakeContext, playing the runtime's side of the
 * protocol in core/process-context.ts and nothing more:
 *
 *   the runtime (here)                           the behaviour instance
 *   instance[kContext] = fake
 *   kInit(args) ─────────────────────────────▶   init; IGNORE → ends 'normal', no terminate;
 *                                                a throw or rejection → ends with it, no terminate
 *   kDispatch(message), one at a time ───────▶   one message; a Promise is awaited before the next
 *   after a callback: it threw or rejected  ──▶  kTerminate(error)     (the process crashed)
 *                     it called stop(R)     ──▶  kTerminate(R)
 *   terminate(R) (node shutdown) ────────────▶   kTerminate(R); a throw in it replaces R
 *
 * A message the test gives (`deliver`, `call`, `cast`, `info`) is dispatched at once, ahead of
 * anything waiting in the mailbox; `drain()` dispatches the mailbox (sends to self, fired timers).
 *
 * `call(request)` answers as a caller would: the reply, the replyError's error (rejects), or,
 * when the process ended without replying, ERR_CALL_EXIT with its reason (a caller's monitor).
 * A call that is neither answered nor ended rejects at once ('no answer') instead of waiting.
 */
import { IGNORE, kContext, kDispatch, kInit, kTerminate, type BehaviourInstance, type Caller } from '../../../src/core/process-context.ts'
import type { CallMessage, CastMessage, From } from '../../../src/core/envelope.ts'
import { ProcessExit, type ExitReason } from '../../../src/core/exit.ts'
import { makeError } from '../../../src/core/errors.ts'
import { isThenable } from '../../../src/core/thenable.ts'
import { Pid, type Address } from '../../../src/core/pid.ts'
import { CALLER, FakeContext, type FakeContextOptions } from './fake-context.ts'

/** How one hook call went: returned or resolved, threw (synchronously) or rejected. */
export type Outcome =
  | { readonly kind: 'returned'; readonly value: unknown }
  | { readonly kind: 'resolved'; readonly value: unknown }
  | { readonly kind: 'threw'; readonly error: unknown }
  | { readonly kind: 'rejected'; readonly error: unknown }

/** How the process ended; `terminated`: whether kTerminate ran. */
export interface Ended {
  readonly reason: ExitReason
  readonly terminated: boolean
}

/** What init did: started, declined (IGNORE), or failed with a reason. */
export type Start = { readonly kind: 'started' } | { readonly kind: 'ignored' } | { readonly kind: 'failed'; readonly reason: unknown }

export class Driven<B extends BehaviourInstance> {
  readonly instance: B
  readonly ctx: FakeContext
  start: Start = { kind: 'started' }
  /** Set once the process has ended. */
  ended: Ended | undefined = undefined
  /** The outcome of the last hook call. */
  last: Outcome | undefined = undefined
  /** The client functions' caller (`Server.stop(s.caller, s.self)`, `Supervisor.whichChildren(s.caller, s.self)`). */
  readonly caller: Caller
  #busy = false

  constructor(instance: B, ctx: FakeContext) {
    this.instance = instance
    this.ctx = ctx
    this.caller = {
      call: <R>(to: Address, request: unknown) => this.#callerCall(to, request) as Promise<R>,
      cast: (to: Address, request: unknown) => {
        this.#toSelf(to)
        void this.cast(request)
      },
      send: (to: Address, message: unknown) => {
        this.#toSelf(to)
        void this.info(message)
      },
      startProcess: () => Promise.reject(new Error('drive: the caller cannot start processes')),
    }
  }

  get self(): Pid {
    return this.ctx.self
  }

  /** A fresh `from` of CALLER's. */
  from(caller: Pid = CALLER): From {
    return { pid: caller, ref: this.ctx.newRef() }
  }

  /**
   * Dispatch `message` now; after it, apply what the runtime would (a crash, a stop).
   * Throws at once if the process has ended or a callback is still running.
   */
  deliver(message: unknown): Promise<Outcome> {
    this.#assertIdle()
    return this.#callback(() => this.instance[kDispatch](message))
  }

  /** Dispatch a `$call` from `from`; its answers are `ctx.answersTo(from)`. */
  request(request: unknown, from: From = this.from()): Promise<Outcome> {
    return this.deliver({ type: '$call', from, request } satisfies CallMessage)
  }

  /** Call the process: resolves with the reply (see the banner for the other answers). */
  async call<R = unknown>(request: unknown, from: From = this.from()): Promise<R> {
    await this.request(request, from)
    return this.answer(from) as R
  }

  /** What was answered to `from`: the reply, or a rejection (see the banner). */
  answer(from: From): unknown {
    const answers = this.ctx.answersTo(from)
    if (answers.length > 1) throw new Error(`drive: ${answers.length} answers to one call`)
    const first = answers[0]
    if (first?.op === 'reply') return first.value
    if (first?.op === 'replyError') throw first.error
    if (this.ended !== undefined) {
      throw Object.assign(makeError('ERR_CALL_EXIT', this.self.toString(), this.ended.reason), { reason: this.ended.reason })
    }
    throw new Error('drive: no answer to the call, and the process is alive')
  }

  cast(request: unknown): Promise<Outcome> {
    return this.deliver({ type: '$cast', request } satisfies CastMessage)
  }

  info(message: unknown): Promise<Outcome> {
    return this.deliver(message)
  }

  /** Dispatch what waits in the mailbox, oldest first, until it is empty or the process ends. */
  async drain(): Promise<void> {
    while (this.ctx.mailbox.length > 0 && this.ended === undefined) await this.deliver(this.ctx.mailbox.shift())
  }

  /** The runtime ends the process with `reason` (node shutdown): kTerminate runs. */
  terminate(reason: ExitReason): Promise<Ended> {
    this.#assertIdle()
    return this.#end(reason, true)
  }

  async #callerCall(to: Address, request: unknown): Promise<unknown> {
    this.#toSelf(to)
    if (this.ended !== undefined) throw makeError('ERR_NOPROC', this.self.toString())
    return this.call(request)
  }

  #toSelf(to: Address): void {
    if (!(to instanceof Pid) || !to.equals(this.self)) throw new Error(`drive: the caller reaches only ${this.self.toString()}`)
  }

  #assertIdle(): void {
    if (this.ended !== undefined) throw new Error(`drive: the process has ended (${String(this.ended.reason)})`)
    if (this.#busy) throw new Error('drive: a callback is still running (the runtime takes one message at a time)')
  }

  /** One hook call, then the runtime's afterCallback: a crash or a stop ends the process. */
  async #callback(hook: () => unknown): Promise<Outcome> {
    this.#busy = true
    const outcome = await run(hook)
    this.#busy = false
    this.last = outcome
    if (outcome.kind === 'threw' || outcome.kind === 'rejected') {
      const error = outcome.error
      // exit(self, R) unwinds with a ProcessExit: the process is gone, terminate does not run.
      if (error instanceof ProcessExit) await this.#end(error.reason, false)
      else await this.#end(error, true)
    } else {
      await this.#applyStop()
    }
    return outcome
  }

  async #applyStop(): Promise<void> {
    const pending = this.ctx.pendingStop
    if (pending === undefined) return
    this.ctx.pendingStop = undefined
    await this.#end(pending.reason, true)
  }

  async #end(reason: ExitReason, runTerminate: boolean): Promise<Ended> {
    let final = reason
    if (runTerminate) {
      this.#busy = true
      const outcome = await run(() => this.instance[kTerminate](reason))
      this.#busy = false
      if (outcome.kind === 'threw' || outcome.kind === 'rejected') final = outcome.error
    }
    this.ended = { reason: final, terminated: runTerminate }
    return this.ended
  }

  /** @internal drive's init. */
  async init(args: unknown): Promise<void> {
    this.#busy = true
    const outcome = await run(() => this.instance[kInit](args))
    this.#busy = false
    this.last = outcome
    if (outcome.kind === 'threw' || outcome.kind === 'rejected') {
      this.start = { kind: 'failed', reason: outcome.error }
      this.ended = { reason: outcome.error, terminated: false }
      return
    }
    if (outcome.value === IGNORE) {
      this.start = { kind: 'ignored' }
      this.ended = { reason: 'normal', terminated: false }
      return
    }
    await this.#applyStop()
  }
}

/** Call a hook as the runtime does: a plain return, or a Promise to wait for. */
async function run(hook: () => unknown): Promise<Outcome> {
  let result: unknown
  try {
    result = hook()
  } catch (error) {
    return { kind: 'threw', error }
  }
  if (!isThenable(result)) return { kind: 'returned', value: result }
  try {
    return { kind: 'resolved', value: await result }
  } catch (error) {
    return { kind: 'rejected', error }
  }
}

/**
 * Create an instance of `behaviour`, attach a FakeContext (made from `options`, or `options.ctx`)
 * and run its init as the runtime would.
 */
export async function drive<B extends BehaviourInstance>(behaviour: new () => B, args?: unknown,
  options: FakeContextOptions & { ctx?: FakeContext } = {}): Promise<Driven<B>> {
  const ctx = options.ctx ?? new FakeContext(options)
  const instance = new behaviour()
  instance[kContext] = ctx
  const driven = new Driven(instance, ctx)
  await driven.init(args)
  return driven
}
