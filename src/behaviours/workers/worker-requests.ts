/**
 * The requests a WorkerSupervisor's client functions make (`{ $sw: name, ...fields }`), which
 * the supervisor routes to a partition, and the checks and errors both sides use.
 */
import { makeError } from '../../core/errors.ts'

export type Request = { readonly $sw: string; readonly [key: string]: unknown }

/** Requests the supervisor passes on to the partition that hosts their group, chain or worker, which answers them. */
export const FORWARDED_REQUESTS: readonly string[] = [
  'getGroup', 'sendToGroup', 'sendToGroupRandom', 'broadcastToGroup', 'getChain', 'sendToChain', 'sendToWorker', 'getStandalone',
]

export const CHAIN_STRATEGIES: readonly string[] = ['one_for_all', 'one_for_one', 'rest_for_one', 'before_for_one']
export const SEND_TYPES: readonly string[] = ['random', 'round_robin', 'partition', 'broadcast']
export const STANDALONE_RESTARTS: readonly string[] = ['permanent', 'transient', 'temporary']

/** @throws ERR_INVALID_ARG_TYPE */
export function str(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length === 0) throw makeError('ERR_INVALID_ARG_TYPE', what, 'a non-empty string', v)
  return v
}

/** @throws ERR_INVALID_ARG_VALUE */
export function positive(v: unknown, what: string): number {
  if (!Number.isInteger(v) || (v as number) < 1) throw makeError('ERR_INVALID_ARG_VALUE', what, 'an integer >= 1', v)
  return v as number
}

/** @throws ERR_INVALID_ARG_VALUE */
export function oneOf(v: unknown, known: readonly string[], what: string): string {
  if (typeof v !== 'string' || !known.includes(v)) throw makeError('ERR_INVALID_ARG_VALUE', what, known.join(' | '), v)
  return v
}

/** The ids of a chain stage of `n` workers: `id`, or `id.0` … `id.(n-1)`. */
export const stageIds = (id: string, n: number): string[] => (n === 1 ? [id] : Array.from({ length: n }, (_, k) => `${id}.${k}`))

/** ERR_ALREADY_EXISTS with SuperWorker's reason, 'already_exists', for callers that match on reasons. */
export function exists(id: string): Error {
  const error = makeError('ERR_ALREADY_EXISTS', id)
  error.reason = 'already_exists'
  return error
}

/** ERR_CHILD_NOT_FOUND with OTP's reason, 'not_found'. */
export function notFound(id: string): Error {
  const error = makeError('ERR_CHILD_NOT_FOUND', JSON.stringify(id))
  error.reason = 'not_found'
  return error
}
