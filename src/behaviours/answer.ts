/**
 * Answering a behaviour's own requests (a supervisor's startChild, a stage's subscribe, ...):
 * the value `work` returns is the reply; what it throws becomes the caller's rejection (the
 * error travels with its code and reason), so client functions are plain calls.
 */
import type { From } from '../core/envelope.ts'
import type { Settle } from '../core/process-context.ts'
import type { ProcessBase } from './process-base.ts'

export function answer(process: ProcessBase, from: From, work: () => unknown): Settle {
  let value: unknown
  try {
    value = work()
  } catch (error) {
    process.replyError(from, error)
    return
  }
  if (typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function') {
    return Promise.resolve(value).then((v) => process.reply(from, v), (error: unknown) => process.replyError(from, error))
  }
  process.reply(from, value)
}
