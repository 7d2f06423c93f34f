/** How a failed call, and an exit reason, are told to the caller and carried between threads. */
import { isSerializable } from '../codec/validate.ts'
import type { PendingCall } from '../process/proc.ts'
import type { Address } from '../core/pid.ts'
import { makeError } from '../core/errors.ts'
import { NOPROC, formatReason, type ExitReason } from '../core/exit.ts'

/**
 * A reason that cannot cross threads travels as a description of itself. An Error keeps its
 * name, message, stack and (when it can travel) code; only its `reason` is replaced by text.
 */
export function wireReason(reason: ExitReason): ExitReason {
  if (isSerializable(reason)) return reason
  if (reason instanceof Error) {
    const inner = reason as Error & { code?: unknown; reason?: unknown }
    const copy = new Error(reason.message) as Error & { code?: unknown; reason?: unknown }
    Object.defineProperty(copy, 'name', { value: reason.name, configurable: true, writable: true })
    if (reason.stack !== undefined) copy.stack = reason.stack
    if (isSerializable(inner.code)) copy.code = inner.code
    if (inner.reason !== undefined) copy.reason = formatReason(inner.reason)
    return copy
  }
  return makeError('ERR_NOT_SERIALIZABLE', 'exit reason', `an unserializable reason (${formatReason(reason)})`)
}

export function describe(target: Address): string {
  return typeof target === 'string' ? JSON.stringify(target) : target.toString()
}

/** The error a pending call (or spawn acknowledgement) rejects with when its target goes down. */
export function callFailure(pending: PendingCall, reason: ExitReason): Error {
  const target = describe(pending.target)
  if (pending.kind === 'spawn') {
    const error = makeError('ERR_INIT_FAILED', target, reason)
    error.reason = reason
    if (reason instanceof Error) error.cause = reason
    return error
  }
  const error = reason === NOPROC ? makeError('ERR_NOPROC', target) : makeError('ERR_CALL_EXIT', target, reason)
  error.reason = reason
  return error
}
