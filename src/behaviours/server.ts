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
 * Missing callbacks (SRV-R12): no handleCall / handleCast / handleContinue crashes on use; no
 * handleInfo drops the message with a warning; no terminate is a no-op. A return value of the
 * wrong form ends the server with ERR_BAD_RETURN_VALUE (its caller, if any, fails with it).
 */
import { kBehaviour, kDispatch, kInit, kTerminate, type BehaviourInstance, type Settle, type TimerRef } from '../core/process-context.ts'
import { isCallMessage, isExitMessage, type CallMessage, type From } from '../core/envelope.ts'
import type { ExitReason } from '../core/exit.ts'
import { makeError } from '../core/errors.ts'
import { ProcessBase } from './process-base.ts'

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

const isAction = (v: unknown): v is ServerAction =>
  typeof v === 'object' && v !== null && kAction in v

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'

/** Run `then` on `value` now, or once it settles if it is a Promise. */
function after<T>(value: T | PromiseLike<T>, then: (v: T) => Settle): Settle {
  return isThenable(value) ? Promise.resolve(value).then(then) : then(value as T)
}

/** The message a timeout arms; handleInfo receives 'timeout' when it arrives. */
const TIMEOUT = Object.freeze({ type: '$timeout' })

type CallReturn<R> = R | ServerAction<R> | Promise<R | ServerAction<R>>
type NoReplyReturn = void | ServerAction<never> | Promise<void | ServerAction<never>>

const warned = new WeakSet<object>()

export abstract class Server<Args = void, Call = unknown, Cast = unknown, Reply = unknown>
  extends ProcessBase implements BehaviourInstance {
  static readonly [kBehaviour] = 'server'
  #timer: TimerRef | null = null
  #replyAfterTerminate: { from: From; value: unknown } | null = null

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

  [kInit](args: unknown): Settle {
    return after(this.init(args as Args), (r) => this.#noreplyResult(r, 'init'))
  }

  [kDispatch](message: unknown): Settle {
    if (this.#timer !== null) {
      this.#timer.cancel()
      this.#timer = null
    }
    if (message === TIMEOUT) return after(this.handleInfo('timeout'), (r) => this.#noreplyResult(r, 'handleInfo'))
    if (isCallMessage(message)) return this.#call(message as CallMessage<Call>)
    const m = message as { type?: unknown; request?: unknown }
    if (m !== null && typeof m === 'object' && m.type === '$cast') {
      return after(this.handleCast(m.request as Cast), (r) => this.#noreplyResult(r, 'handleCast'))
    }
    // SRV-R9: an exit signal from the parent, trapped, stops the server with the parent's reason.
    const parent = this.parent
    if (isExitMessage(message) && parent !== undefined && message.from.equals(parent)) {
      this.stop(message.reason)
      return
    }
    return after(this.handleInfo(message), (r) => this.#noreplyResult(r, 'handleInfo'))
  }

  [kTerminate](reason: ExitReason): Settle {
    const sendReply = (): void => {
      const pending = this.#replyAfterTerminate
      this.#replyAfterTerminate = null
      if (pending !== null) this.reply(pending.from, pending.value)
    }
    let result: Settle
    try {
      result = this.terminate(reason)
    } catch (error) {
      sendReply()
      throw error
    }
    if (!isThenable(result)) {
      sendReply()
      return
    }
    return Promise.resolve(result).then(sendReply, (error: unknown) => {
      sendReply()
      throw error
    })
  }

  #call(m: CallMessage<Call>): Settle {
    return after(this.handleCall(m.request, m.from), (r) => {
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
          this.stop(r.reason)
          return
      }
    })
  }

  /** The result of init, handleCast, handleInfo or handleContinue. */
  #noreplyResult(r: unknown, callback: string): Settle {
    if (r === undefined) return
    if (!isAction(r) || r[kAction] === 'reply') throw makeError('ERR_BAD_RETURN_VALUE', callback, r)
    if (r[kAction] === 'stop') {
      if (callback === 'init') throw stopInit(r.reason)
      this.stop(r.reason)
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
      this.#timer = this.sendAfter(this.self, TIMEOUT, next.timeout)
    }
  }
}

/** init returned stop(reason): the start fails with that reason (thrown so init ends the process). */
function stopInit(reason: ExitReason): unknown {
  return reason
}
