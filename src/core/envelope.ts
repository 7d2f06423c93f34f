/**
 * The shapes of the messages the runtime itself puts in a mailbox. Every message a behaviour
 * receives from the runtime is a discriminated union on `type`.
 */
import type { NamedProcess, Pid, Ref } from './pid.ts'
import type { ExitReason } from './exit.ts'

/**
 * A trapped exit signal (`trapExit` on): the linked process `from` ended with `reason`, or sent
 * this process an exit signal with `exit(pid, reason)` (Erlang's `{'EXIT', From, Reason}`).
 *
 * Details: `reason` is `'noproc'` for a link to a process that was already gone, and
 * `'noconnection'` when the thread of `from` died. An untrappable `'kill'` never arrives as a
 * message. Recognise one with {@link isExitMessage}.
 */
export interface ExitMessage {
  /** Always `'EXIT'`. */
  readonly type: 'EXIT'
  /** The process the signal came from. */
  readonly from: Pid
  /** Its exit reason (or the reason given to `exit`). */
  readonly reason: ExitReason
}

/**
 * A monitor fired: the process watched under `ref` ended with `reason` (Erlang's
 * `{'DOWN', Ref, process, Pid, Reason}`). It arrives once; the monitor is gone after it.
 *
 * Details: a monitor of a process already gone, or of a name nobody holds, fires at once with
 * `'noproc'`; one whose target's thread died fires with `'noconnection'`. Recognise one with
 * {@link isDownMessage}; `node.monitor` hands it over as its `down` promise instead.
 */
export interface DownMessage {
  /** Always `'DOWN'`. */
  readonly type: 'DOWN'
  /** The ref `monitor` returned. */
  readonly ref: Ref
  /** The process watched: its pid, or `{ name, node }` for a monitor made by name. */
  readonly pid: Pid | NamedProcess
  /** Its exit reason. */
  readonly reason: ExitReason
}

/**
 * Where a reply goes: the caller and the call's ref (OTP's `From`). Keep it to answer later,
 * with `this.reply(from, value)` or `this.replyError(from, error)`, from any later callback.
 */
export interface From {
  /** The caller. */
  readonly pid: Pid
  /** Names the call; a reply under another ref does not answer it. */
  readonly ref: Ref
}

/**
 * A request made with `call`, as a plain process (an Actor) receives it; answer it with
 * `this.reply(from, value)`, now or later. A Server gets the parts in `handleCall` instead.
 *
 * Gotcha: the caller waits until the reply, the callee's end (`ERR_CALL_EXIT`) or its timeout
 * (`ERR_CALL_TIMEOUT`); a call never answered only ends by that timeout.
 *
 * @example
 * ```ts
 * class Counter extends Actor<void, CallMessage<'get'> | { type: 'add'; n: number }> {
 *   total = 0
 *   receive(m: CallMessage<'get'> | { type: 'add'; n: number }) {
 *     if (m.type === '$call') this.reply(m.from, this.total)
 *     else this.total += m.n
 *   }
 * }
 * ```
 */
export interface CallMessage<Req = unknown> {
  /** Always `'$call'`. */
  readonly type: '$call'
  /** Where the reply goes. */
  readonly from: From
  /** What the caller asked. */
  readonly request: Req
}

/** A request made with `cast`: no reply. A Server gets `request` in `handleCast` instead. */
export interface CastMessage<Req = unknown> {
  /** Always `'$cast'`. */
  readonly type: '$cast'
  /** What the sender cast. */
  readonly request: Req
}

/**
 * A message that found the target's mailbox full (`mailboxSize`), forwarded to the process
 * registered as its `fallback.name` instead of failing the send.
 */
export interface FallbackMessage {
  /** Always `'fallback'`. */
  readonly type: 'fallback'
  /** The process whose mailbox was full. */
  readonly process: Pid
  /** The `fallback.tag` of its spawn options. */
  readonly tag: string
  /** The message it could not take. */
  readonly message: unknown
}

/** A direct request (node.direct); the runtime routes it to the behaviour's direct hook. */
export interface DirectMessage {
  readonly type: '$direct'
  readonly from: From
  readonly request: unknown
}

/**
 * A call asking the process to stop with `reason` (Server.stop, OTP's sys terminate): the
 * behaviour stops without replying, so the caller learns the final reason from its monitor.
 */
export interface StopRequest {
  readonly $system: 'stop'
  readonly reason: unknown
}

/** True for a `StopRequest`. */
export function isStopRequest(m: unknown): m is StopRequest {
  return typeof m === 'object' && m !== null && (m as { $system?: unknown }).$system === 'stop'
}

/** Every message the runtime itself may put in a process's mailbox. */
export type SystemMessage = ExitMessage | DownMessage | CallMessage | CastMessage | FallbackMessage

/** True for an {@link ExitMessage} (a trapped exit signal). */
export function isExitMessage(m: unknown): m is ExitMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'EXIT'
}

/** True for a {@link DownMessage} (a monitor fired). */
export function isDownMessage(m: unknown): m is DownMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'DOWN'
}

/** True for a {@link CallMessage} (a request made with `call`). */
export function isCallMessage(m: unknown): m is CallMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === '$call'
}
