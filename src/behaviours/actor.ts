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
 */
import { kBehaviour, kDispatch, kInit, kTerminate, type BehaviourInstance, type Settle } from '../core/process-context.ts'
import type { ExitReason } from '../core/exit.ts'
import { isCallMessage, isStopRequest } from '../core/envelope.ts'
import { ProcessBase } from './process-base.ts'

export abstract class Actor<Args = void, Msg = unknown> extends ProcessBase implements BehaviourInstance {
  static readonly [kBehaviour] = 'actor'

  /** Called once before the first message. */
  init(_args: Args): Settle {}

  /** Called for each message, one at a time. */
  abstract receive(message: Msg): Settle

  /** Called when the process ends by its own act or by node shutdown. */
  terminate(_reason: ExitReason): Settle {}

  [kInit](args: unknown): Settle {
    return this.init(args as Args)
  }

  [kDispatch](message: unknown): Settle {
    // Server.stop works on any process: its stop request is not the actor's message.
    if (isCallMessage(message) && isStopRequest(message.request)) {
      this.stop(message.request.reason)
      return
    }
    return this.receive(message as Msg)
  }

  [kTerminate](reason: ExitReason): Settle {
    return this.terminate(reason)
  }
}
