/**
 * What a Server callback (and a Stage's handleCall) returns to say what happens next, besides a
 * plain value: the return forms of OTP's gen_server, made by replyWith, noreply, stop and ignore.
 * The gen layer (gen.ts) is their one interpreter; server.ts re-exports them as the public API.
 *
 *   form                   OTP's return                          from
 *   a plain value          {reply, V, S}                         handleCall
 *   replyWith(v, next?)    {reply, V, S [, Next]}                handleCall
 *   noreply(next?)         {noreply, S [, Next]}, {ok, S [, Next]}   any callback
 *   stop(reason, reply?)   {stop, R, S}, {stop, R, Reply, S}     any callback (from init: the start fails)
 *   ignore()               ignore                                init only
 *
 *   Next: { continue } | { timeout } | { hibernate } (OTP's {continue, C} | Timeout | hibernate)
 */
import type { ExitReason } from '../core/exit.ts'

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

/**
 * What a Server callback returns to say what happens next: made by {@link replyWith},
 * {@link noreply}, {@link stop} and {@link ignore}, never built by hand. `R` is the reply type.
 *
 * Gotcha: in a module compiled with `declaration: true`, give `handleCall` an explicit return
 * type such as `Reply | ServerAction<Reply>`: the inferred one names a symbol `skein` does not export.
 */
export type ServerAction<R = unknown> =
  | {
    /** Which action: reply now. */
    readonly [kAction]: 'reply'
    /** The reply. */
    readonly value: R
    /** What follows the reply. */
    readonly next: Next | undefined
  }
  | {
    /** Which action: no reply now. */
    readonly [kAction]: 'noreply'
    /** What follows. */
    readonly next: Next | undefined
  }
  | {
    /** Which action: stop the server. */
    readonly [kAction]: 'stop'
    /** The exit reason. */
    readonly reason: ExitReason
    /** handleCall only: the reply, sent after terminate. */
    readonly reply: {
      /** The reply value. */
      readonly value: R
    } | undefined
  }
  | {
    /** Which action: init declines to start. */
    readonly [kAction]: 'ignore'
  }

/**
 * From handleCall: reply with `value`, then do `next`: a continue (`handleContinue` runs before
 * the next message) or an idle timeout (`handleInfo('timeout')` if no message comes in time).
 *
 * @example
 * ```ts
 * override handleCall(req: 'get') { return replyWith(this.n, { timeout: 60_000 }) }
 * ```
 */
export function replyWith<R>(value: R, next?: Next): ServerAction<R> {
  return { [kAction]: 'reply', value, next }
}

/**
 * No reply now; optionally continue or arm an idle timeout. From handleCall, answer later with
 * `this.reply(from, v)` (from this or any process); from init, handleCast, handleInfo and
 * handleContinue it is the same as returning nothing, plus `next`.
 *
 * Gotcha: the caller still waits under its own timeout (5000 ms by default) and fails
 * `ERR_CALL_TIMEOUT` if no reply comes in time.
 *
 * @example
 * ```ts
 * override handleCall(req: 'next', from: From) { this.waiting.push(from); return noreply() }
 * // later, in another callback: this.reply(from, value)
 * ```
 */
export function noreply(next?: Next): ServerAction<never> {
  return { [kAction]: 'noreply', next }
}

/**
 * Stop the server with `reason` (default 'normal'): `terminate(reason)` runs, then the process
 * ends. From init, the start fails instead: the starter gets `ERR_INIT_FAILED` with `reason`.
 *
 * @example
 * ```ts
 * override handleInfo(msg: unknown) { if (msg === 'timeout') return stop('normal') }
 * ```
 */
export function stop(reason?: ExitReason): ServerAction<never>
/**
 * From handleCall: stop with `reason` and reply `reply`. `terminate(reason)` runs first, then
 * the reply is sent, then the process ends (OTP's order).
 *
 * @example
 * ```ts
 * override handleCall(req: 'close') { return stop('normal', this.balance) }
 * ```
 */
export function stop<R>(reason: ExitReason, reply: R): ServerAction<R>
export function stop(reason: ExitReason = 'normal', ...reply: unknown[]): ServerAction<unknown> {
  return { [kAction]: 'stop', reason, reply: reply.length === 0 ? undefined : { value: reply[0] } }
}

/**
 * From init: do not start. The process ends 'normal' (no terminate); `Server.start` resolves
 * `'ignore'`, while `node.spawn` rejects `ERR_INIT_IGNORED`. Anywhere else it is a bad return
 * value (`ERR_BAD_RETURN_VALUE`).
 *
 * @example
 * ```ts
 * override init(args: { enabled: boolean }) { if (!args.enabled) return ignore() }
 * ```
 */
export function ignore(): ServerAction<never> {
  return { [kAction]: 'ignore' }
}

/** True for a return made by replyWith, noreply, stop or ignore. */
export const isAction = (v: unknown): v is ServerAction =>
  typeof v === 'object' && v !== null && kAction in v
