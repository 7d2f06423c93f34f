/**
 * The shapes of the messages the runtime itself puts in a mailbox. Every message a behaviour
 * receives from the runtime is a discriminated union on `type`.
 */
import type { NamedProcess, Pid, Ref } from './pid.ts'
import type { ExitReason } from './exit.ts'

/** A trapped exit signal (`trapExit` on): the linked process `from` ended with `reason`. */
export interface ExitMessage {
  readonly type: 'EXIT'
  readonly from: Pid
  readonly reason: ExitReason
}

/** A monitor fired: the process watched under `ref` ended with `reason`. */
export interface DownMessage {
  readonly type: 'DOWN'
  readonly ref: Ref
  readonly pid: Pid | NamedProcess
  readonly reason: ExitReason
}

/** Where a reply goes: the caller and the call's ref. */
export interface From {
  readonly pid: Pid
  readonly ref: Ref
}

/** A request made with `call`; answer it with `reply(from, value)`. */
export interface CallMessage<Req = unknown> {
  readonly type: '$call'
  readonly from: From
  readonly request: Req
}

/** A request made with `cast`: no reply. */
export interface CastMessage<Req = unknown> {
  readonly type: '$cast'
  readonly request: Req
}

/** A message that found the target's mailbox full, forwarded to its `fallback` process. */
export interface FallbackMessage {
  readonly type: 'fallback'
  readonly process: Pid
  readonly tag: string
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

export function isStopRequest(m: unknown): m is StopRequest {
  return typeof m === 'object' && m !== null && (m as { $system?: unknown }).$system === 'stop'
}

export type SystemMessage = ExitMessage | DownMessage | CallMessage | CastMessage | FallbackMessage

export function isExitMessage(m: unknown): m is ExitMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'EXIT'
}

export function isDownMessage(m: unknown): m is DownMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'DOWN'
}

export function isCallMessage(m: unknown): m is CallMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === '$call'
}
