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
  IGNORE, kBehaviour, kDispatch, kInit, kTerminate,
  type BehaviourInstance, type Caller, type CallOptions, type Settle, type StartOptions, type TimerRef,
} from '../core/process-context.ts'
import { isCallMessage, isExitMessage, isStopRequest, type CallMessage, type From, type StopRequest } from '../core/envelope.ts'
import type { Address, TypedPid } from '../core/pid.ts'
import { isCleanReason, type ExitReason } from '../core/exit.ts'
import { makeError } from '../core/errors.ts'
import { ProcessBase } from './process-base.ts'
import { emitReport } from './reports.ts'

/** Marks a callback's return as a server action (see replyWith, noreply, stop). */
export const kAction: unique symbol = Symbol('skein.server.action')

/** What may follow a callback: a continue (runs before any further message) or an idle timeout. */
export interface Next {
  /** Run handleContinue(value) before taking the next message. */
  continue?: unknown
  /** If no message arrives within this many ms, handleInfo('timeout') runs. */
  timeout?: number
  /** Accepted as in OTP; a no-op here. */
  hibernate?: boolean
}

export type ServerAction<R = unknown> =
  | { readonly [kAction]: 'reply'; readonly value: R; readonly next: Next | undefined }
  | { readonly [kAction]: 'noreply'; readonly next: Next | undefined }
  | { readonly [kAction]: 'stop'; readonly reason: ExitReason; readonly reply: { readonly value: R } | undefined }
  | { readonly [kAction]: 'ignore' }

/** Reply with `value`, then do `next` (handleCall). */
export function replyWith<R>(value: R, next?: Next): ServerAction<R> {
  return { [kAction]: 'reply', value, next }
}

/** No reply now (handleCall: answer later with this.reply(from, v)); optionally continue or time out. */
export function noreply(next?: Next): ServerAction<never> {
  return { [kAction]: 'noreply', next }
}

/** Stop with `reason` (default 'normal'). */
export function stop(reason?: ExitReason): ServerAction<never>
/** Stop with `reason` from handleCall, replying `reply`: terminate runs first, then the reply is sent. */
export function stop<R>(reason: ExitReason, reply: R): ServerAction<R>
export function stop(reason: ExitReason = 'normal', ...reply: unknown[]): ServerAction<unknown> {
  return { [kAction]: 'stop', reason, reply: reply.length === 0 ? undefined : { value: reply[0] } }
}

/** From init: do not start. The process ends 'normal' (no terminate); its starter gets 'ignore'. */
export function ignore(): ServerAction<never> {
  return { [kAction]: 'ignore' }
}

const isAction = (v: unknown): v is ServerAction =>
  typeof v === 'object' && v !== null && kAction in v

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'

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

/** Type-only key: the type arguments a Server subclass declares (see Server[kTypes]). */
declare const kTypes: unique symbol

interface TypeArgs<Args, Call, Cast, Reply> {
  readonly args: Args
  readonly call: Call
  readonly cast: Cast
  readonly reply: Reply
}

// The request, cast and reply types a Server subclass declares, for typed client calls. They are
// read from the declared type arguments, not inferred from the callbacks' signatures: an override
// such as `handleCast(): void` would otherwise make every cast acceptable.
export type CallOf<S> = S extends { readonly [kTypes]?: TypeArgs<unknown, infer C, unknown, unknown> } ? C : unknown
export type CastOf<S> = S extends { readonly [kTypes]?: TypeArgs<unknown, unknown, infer C, unknown> } ? C : unknown
export type ReplyOf<S> = S extends { readonly [kTypes]?: TypeArgs<unknown, unknown, unknown, infer R> } ? R : unknown
type ArgsOf<S> = S extends { readonly [kTypes]?: TypeArgs<infer A, unknown, unknown, unknown> } ? A : unknown

/** Where a typed call can go: a typed pid, or a name or plain pid (then unchecked). */
type ServerAddress<S> = TypedPid<S> | Address

/** An outstanding request made with Server.sendRequest. */
export interface RequestId<R = unknown> {
  /** @internal settles with the reply */
  readonly promise: Promise<R>
  /** @internal */
  state: { done: false } | { done: true; ok: true; value: R } | { done: true; ok: false; error: unknown }
}

/** What waitResponse and checkResponse report: a reply, or that none has come yet. */
export type Response<R> = { readonly reply: R } | 'timeout' | 'no_reply'

/* eslint-disable-next-line @typescript-eslint/no-explicit-any */
export abstract class Server<Args = void, Call = unknown, Cast = unknown, Reply = unknown>
  extends ProcessBase implements BehaviourInstance {
  static readonly [kBehaviour] = 'server'
  /** For the type checker only (CallOf, CastOf, ReplyOf): never set at run time. */
  declare readonly [kTypes]?: TypeArgs<Args, Call, Cast, Reply>
  #timer: TimerRef | null = null
  /** The message being (or last) handled, for a crash report. */
  #lastMessage: unknown = undefined
  /** The message of the armed timeout: one that fired while another message was queued is stale. */
  #timeoutMessage: TimeoutMessage | null = null
  #replyAfterTerminate: { from: From; value: unknown } | null = null
  /** A continue init asked for: it runs at the first dispatch, before that message. */
  #initContinue: Next | undefined = undefined
  /** A callback asked to stop (so the message an init continue ran ahead of is not handled). */
  #stopping = false

  // ── client functions (OTP's gen_server module functions) ──────────────────────────────

  /**
   * Start a server and wait for its init: the pid, or 'ignore'. Rejects ERR_INIT_FAILED with
   * `reason` = what init threw or stopped with, ERR_START_TIMEOUT (`timeout` option; the process
   * is killed), ERR_NAME_TAKEN.
   */
  static start<S extends Server<any, any, any, any>>(caller: Caller, server: new () => S, args?: ArgsOf<S>,
    options?: StartOptions): Promise<TypedPid<S> | 'ignore'> {
    return caller.startProcess(server as never, args, options)
  }

  /** start, linked to the caller (a failed init also sends the caller an exit signal). */
  static startLink<S extends Server<any, any, any, any>>(caller: Caller, server: new () => S, args?: ArgsOf<S>,
    options?: StartOptions): Promise<TypedPid<S> | 'ignore'> {
    return caller.startProcess(server as never, args, { ...options, link: true })
  }

  /** Call a server, typed by its class. Rejects ERR_NOPROC, ERR_CALL_EXIT, ERR_CALL_TIMEOUT. */
  static override call<S>(caller: Caller, server: ServerAddress<S>, request: CallOf<S>, options?: CallOptions): Promise<ReplyOf<S>> {
    return caller.call<ReplyOf<S>>(server, request, options)
  }

  /** Cast to a server, typed by its class; never fails for a dead server. */
  static cast<S>(caller: Caller, server: ServerAddress<S>, request: CastOf<S>): void {
    caller.cast(server, request)
  }

  /**
   * Stop a server synchronously (SRV-R10): resolves once terminate(reason) has run and the
   * process is gone. Rejects ERR_NOPROC if it is not alive, ERR_CALL_EXIT if it ended with
   * another reason (terminate crashed), ERR_CALL_TIMEOUT after `timeout` (the server goes on
   * stopping). An invalid timeout throws at once and the server is left alone.
   */
  static async stop(caller: Caller, server: Address, reason: ExitReason = 'normal', timeout = Infinity): Promise<void> {
    if (typeof timeout !== 'number' || !(timeout >= 0)) {
      throw makeError('ERR_INVALID_ARG_VALUE', 'timeout', 'a non-negative number of milliseconds or Infinity', timeout)
    }
    const request: StopRequest = { $system: 'stop', reason }
    try {
      await caller.call(server, request, { timeout })
    } catch (error) {
      const ended = (error as { code?: unknown; reason?: unknown })
      if (ended.code === 'ERR_CALL_EXIT' && isDeepStrictEqual(ended.reason, reason)) return
      throw error
    }
    throw makeError('ERR_BAD_RETURN_VALUE', 'stop', 'a reply (the process is not a Server)')
  }

  /** A call that does not wait: collect the reply with waitResponse or checkResponse. */
  static sendRequest<S>(caller: Caller, server: ServerAddress<S>, request: CallOf<S>): RequestId<ReplyOf<S>> {
    const promise = caller.call<ReplyOf<S>>(server, request, { timeout: Infinity })
    const id: RequestId<ReplyOf<S>> = { promise, state: { done: false } }
    promise.then((value) => { id.state = { done: true, ok: true, value } },
      (error: unknown) => { id.state = { done: true, ok: false, error } })
    return id
  }

  /**
   * Wait up to `timeout` ms for the reply: `{ reply }`, or 'timeout' (the request stays pending
   * and a later wait still gets it). Rejects as a call would (ERR_NOPROC, ERR_CALL_EXIT).
   */
  static async waitResponse<R>(id: RequestId<R>, timeout = Infinity): Promise<Response<R>> {
    if (!id.state.done && timeout !== Infinity) {
      let timer: ReturnType<typeof setTimeout> | undefined
      const expired = new Promise<'timeout'>((resolve) => { timer = setTimeout(resolve, timeout, 'timeout') })
      const first = await Promise.race([id.promise.then(() => 'done' as const, () => 'done' as const), expired])
      clearTimeout(timer)
      if (first === 'timeout') return 'timeout'
    }
    return { reply: await id.promise }
  }

  /** The reply if it has come (`{ reply }`), else 'no_reply'; throws the call's error if it failed. */
  static checkResponse<R>(id: RequestId<R>): Response<R> {
    const st = id.state
    if (!st.done) return 'no_reply'
    if (st.ok) return { reply: st.value }
    throw st.error
  }

  // ── callbacks ───────────────────────────────────────────────────────────────────────────

  init(_args: Args): NoReplyReturn {}

  handleCall(_request: Call, _from: From): CallReturn<Reply> {
    throw new Error(`${this.constructor.name} has no handleCall`)
  }

  handleCast(_request: Cast): NoReplyReturn {
    throw new Error(`${this.constructor.name} has no handleCast`)
  }

  handleInfo(message: unknown): NoReplyReturn {
    const cls = this.constructor
    if (!warned.has(cls)) {
      warned.add(cls)
      console.warn(`skein: ${cls.name} has no handleInfo; dropping messages such as ${String(message)}`)
    }
  }

  handleContinue(_value: unknown): NoReplyReturn {
    throw new Error(`${this.constructor.name} returned a continue but has no handleContinue`)
  }

  terminate(_reason: ExitReason): Settle {}

  [kInit](args: unknown): Settle | typeof IGNORE | Promise<void | typeof IGNORE> {
    return after(this.init(args as Args), (r) => {
      if (isAction(r) && r[kAction] === 'ignore') return IGNORE
      if (isAction(r) && r[kAction] === 'noreply' && r.next !== undefined && 'continue' in r.next) {
        // OTP: the start returns first, then the continue runs before any further message. A
        // full mailbox refuses the wake-up, but then a message is there to bring the dispatch.
        this.#initContinue = r.next
        this.trySend(this.self, CONTINUE)
        return
      }
      return this.#noreplyResult(r, 'init')
    })
  }

  [kDispatch](message: unknown): Settle {
    const pending = this.#initContinue
    if (pending !== undefined) {
      this.#initContinue = undefined
      const ran = this.#next(pending)
      if (message === CONTINUE) return ran
      return after(ran, () => (this.#stopping ? undefined : this.#dispatch(message)))
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
      return after(this.handleInfo('timeout'), (r) => this.#noreplyResult(r, 'handleInfo'))
    }
    if (isCallMessage(message)) {
      if (isStopRequest(message.request)) return this.#stopRequested(message.request)
      return this.#call(message as CallMessage<Call>)
    }
    const m = message as { type?: unknown; request?: unknown }
    if (m !== null && typeof m === 'object' && m.type === '$cast') {
      const r = this.handleCast(m.request as Cast)
      // Plain returns take no closure: this is the hot path of casts and infos.
      return isThenable(r) ? Promise.resolve(r).then((v) => this.#noreplyResult(v, 'handleCast')) : this.#noreplyResult(r, 'handleCast')
    }
    // SRV-R9: an exit signal from the parent, trapped, stops the server with the parent's reason.
    const parent = this.parent
    if (isExitMessage(message) && parent !== undefined && message.from.equals(parent)) {
      this.stop(message.reason)
      return
    }
    const r = this.handleInfo(message)
    return isThenable(r) ? Promise.resolve(r).then((v) => this.#noreplyResult(v, 'handleInfo')) : this.#noreplyResult(r, 'handleInfo')
  }

  [kTerminate](reason: ExitReason): Settle {
    let result: Settle
    try {
      result = this.terminate(reason)
    } catch (error) {
      this.#terminated(error)
      throw error
    }
    if (!isThenable(result)) {
      this.#terminated(reason)
      return
    }
    return Promise.resolve(result).then(() => this.#terminated(reason), (error: unknown) => {
      this.#terminated(error)
      throw error
    })
  }

  /** OTP order after terminate: the reply of stop(reason, reply), then the crash report. */
  #terminated(final: ExitReason): void {
    const pending = this.#replyAfterTerminate
    this.#replyAfterTerminate = null
    if (pending !== null) this.reply(pending.from, pending.value)
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

  #call(m: CallMessage<Call>): Settle {
    const r = this.handleCall(m.request, m.from)
    if (isThenable(r)) return Promise.resolve(r).then((v) => this.#callResult(m, v))
    return this.#callResult(m, r)
  }

  #callResult(m: CallMessage<Call>, r: unknown): Settle {
    if (!isAction(r)) {
      this.reply(m.from, r)
      return
    }
    switch (r[kAction]) {
      case 'reply':
        this.reply(m.from, r.value)
        return this.#next(r.next)
      case 'noreply':
        return this.#next(r.next)
      case 'stop':
        if (r.reply !== undefined) this.#replyAfterTerminate = { from: m.from, value: r.reply.value }
        this.#stop(r.reason)
        return
      case 'ignore':
        throw makeError('ERR_BAD_RETURN_VALUE', 'handleCall', 'ignore()')
      default:
        return assertNever(r, 'handleCall')
    }
  }

  #stop(reason: ExitReason): void {
    this.#stopping = true
    this.stop(reason)
  }

  /** Server.stop: terminate runs with the reason; the caller learns the end from its monitor. */
  #stopRequested(request: StopRequest): void {
    this.stop(request.reason)
  }

  /** The result of init, handleCast, handleInfo or handleContinue. */
  #noreplyResult(r: unknown, callback: string): Settle {
    if (r === undefined) return
    if (!isAction(r) || r[kAction] === 'reply' || r[kAction] === 'ignore') throw makeError('ERR_BAD_RETURN_VALUE', callback, r)
    if (r[kAction] === 'stop') {
      if (callback === 'init') throw stopInit(r.reason)
      this.#stop(r.reason)
      return
    }
    return this.#next(r.next)
  }

  #next(next: Next | undefined): Settle {
    if (next === undefined) return
    if ('continue' in next) {
      return after(this.handleContinue(next.continue), (r) => this.#noreplyResult(r, 'handleContinue'))
    }
    if (next.timeout !== undefined && next.timeout !== Infinity) {
      const message: TimeoutMessage = { type: '$timeout' }
      this.#timeoutMessage = message
      this.#timer = this.sendAfter(this.self, message, next.timeout)
    }
  }
}

function assertNever(x: never, callback: string): never {
  throw makeError('ERR_BAD_RETURN_VALUE', callback, x)
}

/** init returned stop(reason): the start fails with that reason (thrown so init ends the process). */
function stopInit(reason: ExitReason): unknown {
  return reason
}
