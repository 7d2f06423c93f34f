/**
 * Actor: the plain process behaviour, Erlang's `spawn` of a receive loop.
 *
 * The idea: the runtime calls `init(args)` once, then `receive(message)` for each mailbox
 * message, one at a time, then `terminate(reason)` when the process ends by its own act
 * (stop, a thrown error) or by node shutdown. A process killed by an exit signal runs no code.
 *
 *   callback          return                  effect
 *   init(args)        void | Promise<void>    a throw or rejection ends the process (no terminate)
 *   receive(msg)      void | Promise<void>    a throw ends it with the Error as reason
 *   terminate(r)      void | Promise<void>    a throw replaces the reason
 *   handleDirect(req) value | Promise<value>  answers node.direct; a throw goes back to the
 *                                             requester and the process lives on
 *
 * Calls reach an Actor as `{ type: '$call', from, request }`; answer with `this.reply(from, v)`.
 * Server.stop(caller, actor) stops it too (terminate runs), as it does a Server.
 * Trapped exits arrive as `{ type: 'EXIT', from, reason }`, monitors as `{ type: 'DOWN', ... }`.
 *
 * On the gen layer (gen.ts), an Actor is the callback module that takes everything itself: the
 * gen layer keeps only Server.stop's request; every call, cast and EXIT (its parent's too: a
 * plain process decides for itself, as an Erlang process does) reaches `receive`.
 */
import { kBehaviour, kInit, type Settle } from '../core/process-context.ts'
import type { ExitReason } from '../core/exit.ts'
import type { CallMessage, ExitMessage } from '../core/envelope.ts'
import type { DeclaredTypes, kTypes, RequestsIn } from '../core/behaviour-types.ts'
import { Gen, kGenCall, kGenInfo, kGenParentExit, kGenTerminate } from './gen.ts'

/**
 * The plain process behaviour: `init` once, then `receive` for each message, one at a time.
 *
 * Extend it and spawn the class (`node.spawn(Class, args, options)`, `this.spawn` inside a
 * process). `Args` is what `init` takes, `Msg` what `receive` gets. Inside the callbacks `this`
 * offers the process's capabilities: `self`, `send`, `call`, `reply`, `spawn`, `link`,
 * `monitor`, `trapExit`, `sendAfter`, `register`, `env`, ...
 *
 * The pid `node.spawn(Class)` resolves with is typed by the class: `node.send(pid, m)` and
 * `this.send(pid, m)` check `m` against `Msg`, and `node.call(pid, r)` checks `r` against the
 * requests of `Msg`'s `CallMessage<R>` members (a cast, those of its `CastMessage<R>` members).
 *
 * Details:
 * - A call reaches an Actor as `{ type: '$call', from, request }`; answer it with
 *   `this.reply(from, value)`, now or from a later message.
 * - A trapped exit arrives as `{ type: 'EXIT', from, reason }`, a monitor as
 *   `{ type: 'DOWN', ref, pid, reason }`.
 * - `Server.stop(caller, actor)` stops an Actor too: `terminate` runs with the reason.
 *
 * Gotchas:
 * - A callback that returns a Promise suspends this process (not the thread) until it settles.
 * - `terminate` does not run when the process is killed by an exit signal.
 * - To run on a worker thread, the class must be exported by a module in the node's `modules`
 *   (else `ERR_BEHAVIOUR_NOT_REGISTERED`).
 *
 * @throws ERR_INIT_FAILED (from `node.spawn`) when `init` throws; the error's `reason` is what it threw
 * @example
 * ```ts
 * export class Counter extends Actor<{ start: number }, CallMessage<'get'> | { type: 'add'; n: number }> {
 *   total = 0
 *   override init(args: { start: number }) { this.total = args.start }
 *   receive(m: CallMessage<'get'> | { type: 'add'; n: number }) {
 *     if (m.type === '$call') this.reply(m.from, this.total)
 *     else this.total += m.n
 *   }
 * }
 * const pid = await node.spawn(Counter, { start: 1 }, { thread: 1 })
 * node.send(pid, { type: 'add', n: 41 })
 * await node.call(pid, 'get')   // 42
 * ```
 */
export abstract class Actor<Args = void, Msg = unknown> extends Gen {
  /** @hidden The behaviour kind the runtime reads. */
  static readonly [kBehaviour] = 'actor'
  /** @hidden For the type checker only (MessageOf, CallOf, CastOf): never set at run time. */
  declare readonly [kTypes]?: DeclaredTypes<Args, Msg, RequestsIn<Msg, '$call'>, RequestsIn<Msg, '$cast'>, unknown>

  /**
   * Called once, before the first message, with the spawn arguments.
   * A throw or rejection ends the process (no `terminate`) and fails its spawn with `ERR_INIT_FAILED`.
   */
  init(_args: Args): Settle {}

  /**
   * Called for each message, one at a time. A returned Promise holds the next message until it
   * settles; a throw ends the process with the Error as its exit reason.
   */
  abstract receive(message: Msg): Settle

  /**
   * Called when the process ends by its own act (`this.stop`, a throw) or by node shutdown, with
   * the exit reason; never when it is killed by an exit signal. A throw replaces the reason.
   */
  terminate(_reason: ExitReason): Settle {}

  /** @hidden The runtime's hook: runs `init`. */
  [kInit](args: unknown): Settle {
    return this.init(args as Args)
  }

  /** @hidden The gen layer's hook: a call is a message like any other (answer with this.reply). */
  override [kGenCall](message: CallMessage): Settle {
    return this.receive(message as Msg)
  }

  /** @hidden The gen layer's hook: every other message, casts included. */
  override [kGenInfo](message: unknown): Settle {
    return this.receive(message as Msg)
  }

  /** @hidden The gen layer's hook: the parent's EXIT is the actor's to handle, as any other. */
  override [kGenParentExit](message: ExitMessage): Settle {
    return this.receive(message as Msg)
  }

  /** @hidden The gen layer's hook: terminate. */
  override [kGenTerminate](reason: ExitReason): Settle {
    return this.terminate(reason)
  }
}
