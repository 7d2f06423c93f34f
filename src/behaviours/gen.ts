/**
 * Gen: the start of every behaviour's dispatch, written once (OTP's gen module and the part of
 * gen_server's loop that is not the callback module's: decode_msg, handle_msg and
 * handle_common_reply). Each behaviour (Actor, Server, Supervisor, Application, Pool, Stage,
 * ConsumerSupervisor, WorkerSupervisor and its partitions) is a callback module on it: it gets
 * the messages the gen layer does not decide, through symbol-keyed hooks (so they never clash
 * with a user's method names).
 *
 *   a mailbox message               the gen layer                     the callback module's hook
 *   call { $system: 'stop', R }     stop(R): terminate runs; the      (none: Server.stop stops any behaviour)
 *   (Server.stop)                   caller learns the end by monitor
 *   EXIT from the parent            [kGenParentExit]: stop with the   WorkerSupervisor: 'normal' leaves it
 *   (it traps exits: SRV-R9)        parent's reason                   running (SW-R10); Actor: to receive
 *   any other call                  [kGenCall]: refused, the caller   its own requests, then super: refused
 *                                   fails ERR_UNSUPPORTED_REQUEST     (Server, Stage: handleCall; Pool: a worker)
 *   a cast                          [kGenCast]: as any other message  Server, Stage: handleCast
 *   anything else                   [kGenInfo]: dropped               children's EXITs, retries, handleInfo, ...
 *   the process ends                [kGenTerminate], then the reply   Server, Actor, Stage: terminate; the
 *   (not when killed)               of stop(R, reply), then           supervisors: shut the children down
 *                                   [kGenTerminated] (Server: its crash report)
 *
 * The one interpreter of what a callback returns (handle_common_reply; the forms are in
 * server-action.ts): [kCallResult] for a call (Server's handleCall; a Stage's, once the stage has
 * checked and emitted), [kNoreplyResult] for any other callback, [kInitResult] for init, and
 * `answer` for a behaviour's own requests (the client functions' calls: the value is the reply,
 * a throw the caller's rejection). What `next` asks for (a continue, an idle timeout) is the
 * module's [kNext]: only Server has handleContinue and timeouts.
 *
 *   runtime ──kDispatch(msg)──▶ Gen ──stop request / parent EXIT──▶ stop(R)
 *                                   ──call / cast / info──▶ module hook ──result──▶ [kCallResult] ──▶ reply, next, stop
 *
 * Hot path: a call or a cast costs a few property tests and one hook call here, with no closure
 * and no allocation; a plain (non-Promise) result is interpreted synchronously.
 */
import { IGNORE, kDispatch, kInit, kTerminate, type BehaviourInstance, type Settle } from '../core/process-context.ts'
import { isStopRequest, type CallMessage, type CastMessage, type ExitMessage, type From, type StopRequest } from '../core/envelope.ts'
import { ProcessExit, type ExitReason } from '../core/exit.ts'
import { makeError } from '../core/errors.ts'
import { isThenable } from '../core/thenable.ts'
import { ProcessBase } from './process-base.ts'
import { isAction, kAction, type Next, type ServerAction } from './server-action.ts'

/** The gen layer's routing of one message (what kDispatch does, for a module that overrides kDispatch). */
export const kGenDispatch: unique symbol = Symbol('skein.gen.dispatch')
/** A call to the module (any but a stop request); the default refuses it. */
export const kGenCall: unique symbol = Symbol('skein.gen.call')
/** A cast to the module; the default treats it as any other message. */
export const kGenCast: unique symbol = Symbol('skein.gen.cast')
/** Any other message (a trapped EXIT not from the parent, a DOWN, a plain send); the default drops it. */
export const kGenInfo: unique symbol = Symbol('skein.gen.info')
/** The parent's EXIT (the process traps exits); the default stops with the parent's reason. */
export const kGenParentExit: unique symbol = Symbol('skein.gen.parentExit')
/** The module's terminate; the default does nothing. */
export const kGenTerminate: unique symbol = Symbol('skein.gen.terminate')
/** After terminate and the reply of stop(reason, reply), with the final reason (Server: its crash report). */
export const kGenTerminated: unique symbol = Symbol('skein.gen.terminated')
/** What follows a callback (`next`): a continue or an idle timeout. */
export const kNext: unique symbol = Symbol('skein.gen.next')
/** The interpreter: what handleCall returned. */
export const kCallResult: unique symbol = Symbol('skein.gen.callResult')
/** The interpreter: what init, handleCast, handleInfo or handleContinue returned. */
export const kNoreplyResult: unique symbol = Symbol('skein.gen.noreplyResult')
/** The interpreter: what init returned. */
export const kInitResult: unique symbol = Symbol('skein.gen.initResult')
/** True once a callback has returned stop(reason). */
export const kStopping: unique symbol = Symbol('skein.gen.stopping')

/** The request Server.stop makes (OTP's sys:terminate): any behaviour stops with `reason`. */
export function stopRequest(reason: ExitReason): StopRequest {
  return { $system: 'stop', reason }
}

/**
 * A behaviour's own request (a supervisor's startChild, a stage's subscribe, ...): the value
 * `work` returns (or resolves with) is the reply; what it throws (or rejects with) becomes the
 * caller's rejection, the error travelling with its code and reason. So the client functions are
 * plain calls, and a bad request fails its caller, not the behaviour.
 */
export function answer(process: ProcessBase, from: From, work: () => unknown): Settle {
  let value: unknown
  try {
    value = work()
  } catch (error) {
    process.replyError(from, error)
    return
  }
  if (isThenable(value)) {
    return Promise.resolve(value).then((v) => process.reply(from, v), (error: unknown) => process.replyError(from, error))
  }
  process.reply(from, value)
}

/**
 * The gen layer: what every behaviour's process does with a message before (and after) its own
 * callbacks, and the one interpreter of their results. Internal: users extend the behaviours.
 */
export abstract class Gen extends ProcessBase implements BehaviourInstance {
  /**
   * A callback returned stop(reason) (null until then), with the reply of handleCall's
   * stop(reason, reply), which goes once terminate has run (SRV-R5). One field, so that the
   * processes that never stop this way (most Actors) carry one slot for it.
   */
  #stopped: { reply: { readonly from: From; readonly value: unknown } | null } | null = null

  /** @hidden The runtime's hook: runs init. */
  abstract [kInit](args: unknown): Settle | typeof IGNORE | Promise<void | typeof IGNORE>

  /** @hidden The runtime's hook: one mailbox message. */
  [kDispatch](message: unknown): Settle {
    return this[kGenDispatch](message)
  }

  /**
   * @hidden The gen layer's routing: system messages first, then the module's hooks. A module
   * that does something before it (Server's timeouts) overrides kDispatch and calls this: a
   * `super[symbol]` call would leave V8's fast path.
   */
  [kGenDispatch](message: unknown): Settle {
    if (typeof message === 'object' && message !== null) {
      const type = (message as { type?: unknown }).type
      if (type === '$call') {
        const request = (message as CallMessage).request
        if (isStopRequest(request)) {
          // Server.stop: terminate runs with the reason; the caller learns the end from its monitor.
          this.stop(request.reason)
          return
        }
        return this[kGenCall](message as CallMessage)
      }
      if (type === '$cast') return this[kGenCast](message as CastMessage)
      // SRV-R9: the parent's exit signal, trapped, is the parent's to decide (OTP: decode_msg).
      if (type === 'EXIT') {
        const parent = this.parent
        if (parent !== undefined && (message as ExitMessage).from.equals(parent)) return this[kGenParentExit](message as ExitMessage)
      }
    }
    return this[kGenInfo](message)
  }

  /** @hidden A call the module does not know: refused, so its caller does not wait for a timeout. */
  [kGenCall](message: CallMessage): Settle {
    this.replyError(message.from, makeError('ERR_UNSUPPORTED_REQUEST', this.self.toString()))
  }

  /** @hidden A cast: by default, as any other message. */
  [kGenCast](message: CastMessage): Settle {
    return this[kGenInfo](message)
  }

  /** @hidden Any other message: dropped by default. */
  [kGenInfo](_message: unknown): Settle {}

  /** @hidden The parent ended (or sent an exit signal) and this process traps exits: stop with its reason. */
  [kGenParentExit](message: ExitMessage): Settle {
    this.stop(message.reason)
  }

  /** @hidden The module's terminate. */
  [kGenTerminate](_reason: ExitReason): Settle {}

  /** @hidden After terminate, with the final reason (a throw in terminate replaces it). */
  [kGenTerminated](_final: ExitReason): void {}

  /**
   * @hidden The runtime's hook: the module's terminate, then the reply of stop(reason, reply)
   * (OTP's order, SRV-R5), then [kGenTerminated]. An `exit(self, R)` in terminate ends the
   * process at once, as in OTP: nothing follows it (the ProcessExit unwinds through here).
   */
  [kTerminate](reason: ExitReason): Settle {
    let result: Settle
    try {
      result = this[kGenTerminate](reason)
    } catch (error) {
      if (!(error instanceof ProcessExit)) this.#terminated(error)
      throw error
    }
    if (!isThenable(result)) {
      this.#terminated(reason)
      return
    }
    return Promise.resolve(result).then(() => this.#terminated(reason), (error: unknown) => {
      if (!(error instanceof ProcessExit)) this.#terminated(error)
      throw error
    })
  }

  #terminated(final: ExitReason): void {
    const stopped = this.#stopped
    if (stopped !== null && stopped.reply !== null) {
      const { from, value } = stopped.reply
      stopped.reply = null
      this.reply(from, value)
    }
    this[kGenTerminated](final)
  }

  // ── the interpreter (handle_common_reply) ──────────────────────────────────────────────

  /**
   * @hidden What handleCall returned (settled): a plain value or replyWith(v, next) replies v,
   * then `next`; noreply(next): no reply now; stop(reason, reply?): terminate runs, then the
   * reply, then the process ends; ignore() is a bad return value.
   */
  [kCallResult](from: From, r: unknown): Settle {
    if (!isAction(r)) {
      this.reply(from, r)
      return
    }
    return this.#callAction(from, r)
  }

  /** An action from handleCall (kept apart so that the plain reply above stays small enough to inline). */
  #callAction(from: From, r: ServerAction): Settle {
    switch (r[kAction]) {
      case 'reply':
        this.reply(from, r.value)
        return r.next === undefined ? undefined : this[kNext](r.next, 'handleCall')
      case 'noreply':
        return r.next === undefined ? undefined : this[kNext](r.next, 'handleCall')
      case 'stop':
        this.#stop(r.reason, r.reply === undefined ? null : { from, value: r.reply.value })
        return
      case 'ignore':
        throw makeError('ERR_BAD_RETURN_VALUE', 'handleCall', 'ignore()')
      default:
        return assertNever(r, 'handleCall')
    }
  }

  /** @hidden What init, handleCast, handleInfo or handleContinue returned: nothing, noreply(next) or stop(reason). */
  [kNoreplyResult](r: unknown, callback: string): Settle {
    if (r === undefined) return
    if (!isAction(r) || r[kAction] === 'reply' || r[kAction] === 'ignore') throw makeError('ERR_BAD_RETURN_VALUE', callback, r)
    if (r[kAction] === 'stop') {
      this.#stop(r.reason, null)
      return
    }
    return r.next === undefined ? undefined : this[kNext](r.next, callback)
  }

  /**
   * @hidden What init returned (OTP's init_it): as any callback, plus ignore() (do not start:
   * IGNORE) and stop(reason), which fails the start with that reason (thrown, so init ends the
   * process).
   */
  [kInitResult](r: unknown): Settle | typeof IGNORE {
    if (isAction(r)) {
      if (r[kAction] === 'ignore') return IGNORE
      if (r[kAction] === 'stop') throw r.reason
    }
    return this[kNoreplyResult](r, 'init')
  }

  /**
   * @hidden What `next` asks for after `callback`. Only a module with handleContinue and idle
   * timeouts (Server) overrides this; elsewhere they are bad return values. `hibernate` is
   * accepted everywhere and does nothing (SRV-R8).
   */
  [kNext](next: Next, callback: string): Settle {
    if ('continue' in next || next.timeout !== undefined) throw makeError('ERR_BAD_RETURN_VALUE', callback, next)
  }

  /** @hidden True once a callback has returned stop(reason): what it ran ahead of is not handled. */
  get [kStopping](): boolean {
    return this.#stopped !== null
  }

  #stop(reason: ExitReason, reply: { readonly from: From; readonly value: unknown } | null): void {
    this.#stopped ??= { reply: null }
    if (reply !== null) this.#stopped.reply = reply
    this.stop(reason)
  }
}

function assertNever(x: never, callback: string): never {
  throw makeError('ERR_BAD_RETURN_VALUE', callback, x)
}
