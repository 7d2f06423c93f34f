/**
 * Server: OTP's gen_server.
 *
 * The idea behind this server: the runtime hands every mailbox message to one callback, one at
 * a time; what a callback returns says what happens next. Calls are answered by return value.
 *
 *   callback               returns (or a Promise of it)          meaning
 *   init(args)             void                                  started
 *                          noreply({ continue | timeout })       started, then continue / arm timeout
 *                          stop(reason)                          fail the start with reason
 *                          ignore()                              do not start: the starter gets 'ignore'
 *   handleCall(req, from)  any value                             reply with it
 *                          replyWith(v, { continue | timeout })  reply, then continue / arm timeout
 *                          noreply(opts?)                        no reply now: this.reply(from, v) later
 *                          stop(reason, reply?)                  terminate runs, then the reply, then exit
 *   handleCast(req)        void | noreply(opts) | stop(reason)
 *   handleInfo(msg)        void | noreply(opts) | stop(reason)   any other message; 'timeout' after a timeout
 *   handleContinue(c)      void | noreply(opts) | stop(reason)   runs before any further message
 *   terminate(reason)      void                                  on stop, crash, shutdown, or parent EXIT
 *                                                                while trapping; never on kill
 *
 *   caller ──{$call, from, req}──▶ handleCall ──value──▶ reply(from)
 *   parent ──EXIT(R), trapping──▶ stop(R) ──▶ terminate(R)      other EXITs ──▶ handleInfo
 *
 * Server is a callback module on the gen layer (gen.ts), as gen_server's callbacks are on gen:
 * the gen layer takes Server.stop's request and the parent's EXIT, and reads what the callbacks
 * return (the forms are in server-action.ts). This file adds the callbacks, idle timeouts and
 * continues, the crash report, and the client functions.
 *
 * Client functions are static and take the caller first (the node, or `this` in a process), as
 * OTP's module functions: Server.start / startLink (wait for init: pid | 'ignore'; a failed init
 * rejects ERR_INIT_FAILED with its reason), Server.call / cast (typed against the server class),
 * Server.stop (synchronous: resolves once terminate has run and the process is gone), and
 * sendRequest / waitResponse / checkResponse (a call that does not block the caller).
 *
 * Missing callbacks (SRV-R12): no handleCall / handleCast / handleContinue crashes on use; no
 * handleInfo drops the message with a warning; no terminate is a no-op. A return value of the
 * wrong form ends the server with ERR_BAD_RETURN_VALUE (its caller, if any, fails with it).
 */
import { isDeepStrictEqual } from 'node:util'
import {
  IGNORE, kBehaviour, kDispatch, kInit,
  type Caller, type CallOptions, type Settle, type StartOptions, type TimerRef,
} from '../core/process-context.ts'
import { isCallMessage, type CallMessage, type CastMessage, type From } from '../core/envelope.ts'
import type { Address, TypedPid } from '../core/pid.ts'
import type { ArgsOf, CallOf, CastOf, DeclaredTypes, kTypes, ReplyOf } from '../core/behaviour-types.ts'
import { isCleanReason, type ExitReason } from '../core/exit.ts'
import { makeError } from '../core/errors.ts'
import { isThenable } from '../core/thenable.ts'
import {
  Gen, kCallResult, kGenCall, kGenDispatch, kGenCast, kGenInfo, kGenTerminate, kGenTerminated, kInitResult, kNext, kNoreplyResult, kStopping, stopRequest,
} from './gen.ts'
import type { Next, ServerAction } from './server-action.ts'
import { checkResponse, sendRequest, waitResponse, type RequestId, type Response } from './server-request.ts'
import { emitReport } from './reports.ts'

export { kAction, replyWith, noreply, stop, ignore, type Next, type ServerAction } from './server-action.ts'
export type { RequestId, Response } from './server-request.ts'

/** Run `then` on `value` now, or once it settles if it is a Promise. */
function after<T, U = Settle>(value: T | PromiseLike<T>, then: (v: T) => U): U | Promise<Awaited<U>> {
  return isThenable(value) ? Promise.resolve(value).then(then) as Promise<Awaited<U>> : then(value as T)
}

/** A timeout's message (one per arming, so a stale one is recognised); handleInfo receives 'timeout'. */
interface TimeoutMessage {
  readonly type: '$timeout'
}

const isTimeout = (m: unknown): m is TimeoutMessage =>
  typeof m === 'object' && m !== null && (m as { type?: unknown }).type === '$timeout'

/** Sent to itself by a server whose init returned a continue, so that a dispatch comes to run it. */
const CONTINUE = Object.freeze({ type: '$continue' })

type CallReturn<R> = R | ServerAction<R> | Promise<R | ServerAction<R>>
type NoReplyReturn = void | ServerAction<never> | Promise<void | ServerAction<never>>

const warned = new WeakSet<object>()

/** Where a typed call can go: a typed pid, or a name or plain pid (then unchecked). */
type ServerAddress<S> = TypedPid<S> | Address

/**
 * OTP's gen_server: a process that serves calls, casts and other messages through callbacks,
 * one message at a time; what a callback returns says what happens next.
 *
 * Type arguments: `Server<Args, Call, Cast, Reply, Info>`: what `init` takes, the call requests,
 * the casts, the replies, and what a plain send may carry (`handleInfo`'s messages besides the
 * runtime's EXIT, DOWN and 'timeout'; default `unknown`). A pid from `node.spawn(Class)` or
 * `Server.start` is typed by the class, so `Server.call(node, pid, req)`, `node.call`,
 * `node.cast` and `node.send` check what they are given and type the reply.
 *
 * Callback returns: `handleCall` returns the reply, or {@link replyWith} (reply, then continue or
 * time out), {@link noreply} (answer later with `this.reply(from, v)`), {@link stop} (terminate,
 * then the reply, then exit). `handleCast`, `handleInfo` and `handleContinue` return nothing,
 * `noreply(next)` or `stop(reason)`. `init` may return `noreply(next)`, `stop(reason)` (the
 * start fails) or {@link ignore}.
 *
 * Details:
 * - A throw in a callback ends the server with the Error as reason; a waiting caller fails
 *   `ERR_CALL_EXIT` with it, and a crash report is printed (see the `skein.reports` env key).
 * - A return of the wrong form ends it with `ERR_BAD_RETURN_VALUE`.
 * - Started linked and trapping exits, an EXIT from its parent stops it with the parent's reason.
 * - Missing callbacks: `handleCall`, `handleCast`, `handleContinue` crash when needed;
 *   `handleInfo` drops the message with one warning per class; `terminate` does nothing.
 *
 * Client functions are static and take the caller (the node, or `this` in a process) first:
 * `Server.start`, `startLink`, `call`, `cast`, `stop`, `sendRequest`, `waitResponse`, `checkResponse`.
 *
 * @example
 * ```ts
 * export class Stack extends Server<string[], 'pop' | { push: string }, 'clear', string | undefined> {
 *   items: string[] = []
 *   override init(items: string[]) { this.items = [...items] }
 *   override handleCall(req: 'pop' | { push: string }) {
 *     if (req === 'pop') return this.items.pop()
 *     this.items.push(req.push)
 *     return undefined
 *   }
 *   override handleCast() { this.items = [] }
 * }
 * const stack = await Server.start(node, Stack, ['a'], { thread: 1 })
 * if (stack !== 'ignore') await Server.call(node, stack, { push: 'b' })
 * ```
 */
/* eslint-disable-next-line @typescript-eslint/no-explicit-any */
export abstract class Server<Args = void, Call = unknown, Cast = unknown, Reply = unknown, Info = unknown>
  extends Gen {
  /** @hidden The behaviour kind the runtime reads. */
  static readonly [kBehaviour] = 'server'
  /** @hidden For the type checker only (CallOf, CastOf, ReplyOf, MessageOf): never set at run time. */
  declare readonly [kTypes]?: DeclaredTypes<Args, Info, Call, Cast, Reply>
  #timer: TimerRef | null = null
  /** The message being (or last) handled, for a crash report. */
  #lastMessage: unknown = undefined
  /** The message of the armed timeout: one that fired while another message was queued is stale. */
  #timeoutMessage: TimeoutMessage | null = null
  /** A continue init asked for: it runs at the first dispatch, before that message. */
  #initContinue: Next | undefined = undefined

  // ── client functions (OTP's gen_server module functions) ──────────────────────────────

  /**
   * Start a server and wait for its init: the pid (typed by the class), or 'ignore' when init
   * returned `ignore()`. Placement and name come from `options`, as for `spawn`.
   *
   * @throws ERR_INIT_FAILED (rejects) with `reason` = what init threw or stopped with
   * @throws ERR_START_TIMEOUT (rejects) when init outlives `options.timeout` (the process is killed)
   * @throws ERR_NAME_TAKEN (rejects) when `options.name` is registered already
   * @example
   * ```ts
   * const pid = await Server.start(node, Stack, ['a'], { thread: 1, name: 'stack', timeout: 1000 })
   * ```
   */
  static start<S extends Server<any, any, any, any, any>>(caller: Caller, server: new () => S, args?: ArgsOf<S>,
    options?: StartOptions): Promise<TypedPid<S> | 'ignore'> {
    return caller.startProcess(server as never, args, options)
  }

  /**
   * {@link Server.start}, linked to the caller: the server's abnormal end reaches the caller as an
   * exit signal (a failed init too).
   *
   * @throws ERR_INIT_FAILED, ERR_START_TIMEOUT, ERR_NAME_TAKEN (rejects), as start
   */
  static startLink<S extends Server<any, any, any, any, any>>(caller: Caller, server: new () => S, args?: ArgsOf<S>,
    options?: StartOptions): Promise<TypedPid<S> | 'ignore'> {
    return caller.startProcess(server as never, args, { ...options, link: true })
  }

  /**
   * Call a server and wait for the reply (default timeout 5000 ms; `Infinity` waits for ever).
   * With a typed pid, the request and the reply are checked against the class's types.
   *
   * @throws ERR_NOPROC (rejects) when no such process (or name) exists
   * @throws ERR_CALL_EXIT (rejects) when it ends before replying; `reason` is its exit reason
   * @throws ERR_CALL_TIMEOUT (rejects) when no reply comes in time (a later reply is dropped)
   * @throws ERR_CALL_ABORTED (rejects) when `options.signal` aborts first (a later reply is dropped)
   * @example
   * ```ts
   * const top = await Server.call(node, stack, 'pop', { timeout: 1000 })
   * ```
   */
  static override call<S>(caller: Caller, server: ServerAddress<S>, request: CallOf<S>, options?: CallOptions): Promise<ReplyOf<S>> {
    return caller.call<ReplyOf<S>>(server, request, options)
  }

  /**
   * Cast to a server (`handleCast` gets `request`), typed by its class. Like OTP's
   * gen_server:cast it never fails for its target: a dead pid, or a name nobody holds (the
   * server is being restarted), drops it as a dead letter (counted in `node.stats()`).
   *
   * @throws ERR_NOT_SERIALIZABLE for a request that cannot cross threads; ERR_INVALID_ARG_TYPE
   *   when `server` is not a pid, a name or an alias; ERR_MAILBOX_FULL for a full mailbox on
   *   the caller's thread (no fallback)
   * @example
   * ```ts
   * Server.cast(node, 'counter', { add: 1 })
   * ```
   */
  static cast<S>(caller: Caller, server: ServerAddress<S>, request: CastOf<S>): void {
    caller.cast(server, request)
  }

  /**
   * Stop a server synchronously (SRV-R10): resolves once terminate(reason) has run and the
   * process is gone. Rejects ERR_NOPROC if it is not alive, ERR_CALL_EXIT if it ended with
   * another reason (terminate crashed), ERR_CALL_TIMEOUT after `timeout` (the server goes on
   * stopping). An invalid timeout throws at once and the server is left alone.
   *
   * Works on every behaviour (an Actor, a Supervisor, a Stage, ...): each stops with `reason`.
   *
   * @throws ERR_NOPROC, ERR_CALL_EXIT, ERR_CALL_TIMEOUT (rejects); ERR_INVALID_ARG_VALUE for a bad timeout
   * @example
   * ```ts
   * await Server.stop(node, pid)               // 'normal', waits for terminate
   * await Server.stop(node, pid, 'shutdown', 5000)
   * ```
   */
  static async stop(caller: Caller, server: Address, reason: ExitReason = 'normal', timeout = Infinity): Promise<void> {
    if (typeof timeout !== 'number' || !(timeout >= 0)) {
      throw makeError('ERR_INVALID_ARG_VALUE', 'timeout', 'a non-negative number of milliseconds or Infinity', timeout)
    }
    try {
      await caller.call(server, stopRequest(reason), { timeout })
    } catch (error) {
      const ended = (error as { code?: unknown; reason?: unknown })
      if (ended.code === 'ERR_CALL_EXIT' && isDeepStrictEqual(ended.reason, reason)) return
      throw error
    }
    throw makeError('ERR_BAD_RETURN_VALUE', 'stop', 'a reply (the process is not a Server)')
  }

  /**
   * A call that does not wait: collect the reply with {@link Server.waitResponse} or
   * {@link Server.checkResponse}. The request has no timeout of its own.
   *
   * @example
   * ```ts
   * const id = Server.sendRequest(node, pid, 'pop')
   * const r = await Server.waitResponse(id, 100)   // { reply } or 'timeout'
   * ```
   */
  static sendRequest<S>(caller: Caller, server: ServerAddress<S>, request: CallOf<S>): RequestId<ReplyOf<S>> {
    return sendRequest(caller.call<ReplyOf<S>>(server, request, { timeout: Infinity }))
  }

  /**
   * Wait up to `timeout` ms for the reply: `{ reply }`, or 'timeout' (the request stays pending
   * and a later wait still gets it). Rejects as a call would.
   *
   * @throws ERR_NOPROC, ERR_CALL_EXIT (rejects)
   */
  static waitResponse<R>(id: RequestId<R>, timeout = Infinity): Promise<Response<R>> {
    return waitResponse(id, timeout)
  }

  /**
   * The reply if it has come (`{ reply }`), else 'no_reply'; synchronous.
   *
   * @throws the call's error (ERR_NOPROC, ERR_CALL_EXIT) if it failed
   */
  static checkResponse<R>(id: RequestId<R>): Response<R> {
    return checkResponse(id)
  }

  // ── callbacks ───────────────────────────────────────────────────────────────────────────

  /**
   * Called once with the start arguments, before any message. Return nothing (started),
   * `noreply({ continue | timeout })`, `stop(reason)` (the start fails with `reason`) or `ignore()`.
   */
  init(_args: Args): NoReplyReturn {}

  /**
   * A call: return the reply, or `replyWith(v, next)`, `noreply(next)` (answer later with
   * `this.reply(from, v)`), `stop(reason, reply?)`. A throw ends the server; the caller fails
   * `ERR_CALL_EXIT`. Without an override, a call crashes the server.
   */
  handleCall(_request: Call, _from: From): CallReturn<Reply> {
    throw new Error(`${this.constructor.name} has no handleCall`)
  }

  /** A cast: return nothing, `noreply(next)` or `stop(reason)`. Without an override, a cast crashes the server. */
  handleCast(_request: Cast): NoReplyReturn {
    throw new Error(`${this.constructor.name} has no handleCast`)
  }

  /**
   * Any other message (a trapped EXIT, a DOWN, a plain send, `'timeout'` after an idle timeout):
   * return nothing, `noreply(next)` or `stop(reason)`. Without an override, messages are dropped
   * with one warning per class.
   */
  handleInfo(message: unknown): NoReplyReturn {
    const cls = this.constructor
    if (!warned.has(cls)) {
      warned.add(cls)
      console.warn(`skein: ${cls.name} has no handleInfo; dropping messages such as ${String(message)}`)
    }
  }

  /** Runs a `continue` another callback asked for, before any further message; returns as handleCast. */
  handleContinue(_value: unknown): NoReplyReturn {
    throw new Error(`${this.constructor.name} returned a continue but has no handleContinue`)
  }

  /**
   * Runs when the server stops (`stop`, a crash, `Server.stop`, node shutdown, the parent's exit
   * while trapping), with the reason; never when it is killed. A throw replaces the reason.
   */
  terminate(_reason: ExitReason): Settle {}

  /** @hidden The runtime's hook: runs `init`. */
  [kInit](args: unknown): Settle | typeof IGNORE | Promise<void | typeof IGNORE> {
    return after(this.init(args as Args), (r) => this[kInitResult](r))
  }

  /** @hidden The runtime's hook: one mailbox message (a continue init asked for runs first). */
  override [kDispatch](message: unknown): Settle {
    const pending = this.#initContinue
    if (pending !== undefined) {
      this.#initContinue = undefined
      const ran = this.#next(pending)
      if (message === CONTINUE) return ran
      return after(ran, () => (this[kStopping] ? undefined : this.#dispatch(message)))
    }
    if (message === CONTINUE) return
    return this.#dispatch(message)
  }

  #dispatch(message: unknown): Settle {
    this.#lastMessage = message
    const armed = this.#timeoutMessage
    this.#timeoutMessage = null
    if (this.#timer !== null) {
      this.#timer.cancel()
      this.#timer = null
    }
    if (isTimeout(message)) {
      // SRV-R6: any message cancels the timeout, even one that arrived after it fired.
      if (message !== armed) return
      return after(this.handleInfo('timeout'), (r) => this[kNoreplyResult](r, 'handleInfo'))
    }
    // The gen layer: a stop request, the parent's EXIT, then handleCall, handleCast, handleInfo.
    return this[kGenDispatch](message)
  }

  /** @hidden The gen layer's hook: handleCall, its result read by the gen layer. Plain returns take no closure. */
  override [kGenCall](m: CallMessage): Settle {
    const r = this.handleCall(m.request as Call, m.from)
    if (isThenable(r)) return Promise.resolve(r).then((v) => this[kCallResult](m.from, v))
    return this[kCallResult](m.from, r)
  }

  /** @hidden The gen layer's hook: handleCast. */
  override [kGenCast](m: CastMessage): Settle {
    const r = this.handleCast(m.request as Cast)
    return isThenable(r) ? Promise.resolve(r).then((v) => this[kNoreplyResult](v, 'handleCast')) : this[kNoreplyResult](r, 'handleCast')
  }

  /** @hidden The gen layer's hook: handleInfo (a trapped EXIT from a non-parent among them, SRV-R9). */
  override [kGenInfo](message: unknown): Settle {
    const r = this.handleInfo(message)
    return isThenable(r) ? Promise.resolve(r).then((v) => this[kNoreplyResult](v, 'handleInfo')) : this[kNoreplyResult](r, 'handleInfo')
  }

  /** @hidden The gen layer's hook: terminate. */
  override [kGenTerminate](reason: ExitReason): Settle {
    return this.terminate(reason)
  }

  /** @hidden The gen layer's hook, after terminate and the reply of stop(reason, reply): the crash report. */
  override [kGenTerminated](final: ExitReason): void {
    if (!isCleanReason(final)) this.#crashReport(final)
  }

  /** SRV-R11: an abnormal end is reported with the message being handled and, for a call, the caller. */
  #crashReport(reason: ExitReason): void {
    const last = this.#lastMessage
    const client = isCallMessage(last) ? last.from.pid : undefined
    const lastMessage = isCallMessage(last) ? { call: last.request } : (last as { type?: unknown })?.type === '$cast'
      ? { cast: (last as { request?: unknown }).request } : last
    emitReport(this, { type: 'report', kind: 'crash', process: this.self, behaviour: this.constructor.name, reason, lastMessage, client })
  }

  /**
   * @hidden The gen layer's hook: what `next` asks for. A continue runs handleContinue now (one
   * init asked for waits for the first dispatch: OTP's start returns first); a timeout arms one.
   */
  override [kNext](next: Next, callback: string): Settle {
    if (callback === 'init' && 'continue' in next) {
      // A full mailbox refuses the wake-up, but then a message is there to bring the dispatch.
      this.#initContinue = next
      this.trySend(this.self, CONTINUE)
      return
    }
    return this.#next(next)
  }

  #next(next: Next): Settle {
    if ('continue' in next) {
      return after(this.handleContinue(next.continue), (r) => this[kNoreplyResult](r, 'handleContinue'))
    }
    if (next.timeout !== undefined && next.timeout !== Infinity) {
      const message: TimeoutMessage = { type: '$timeout' }
      this.#timeoutMessage = message
      this.#timer = this.sendAfter(this.self, message, next.timeout)
    }
  }
}
