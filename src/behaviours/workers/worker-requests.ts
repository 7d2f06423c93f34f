/**
 * The requests a WorkerSupervisor's client functions make (`{ $sw: name, ...fields }`), which
 * the supervisor routes to a partition, and the checks and errors both sides use.
 */
import { makeError } from '../../core/errors.ts'
import { checkOptionKeys } from '../../core/option-keys.ts'

export type Request = { readonly $sw: string; readonly [key: string]: unknown }

/** Requests the supervisor passes on to the partition that hosts their group, chain or worker, which answers them. */
export const FORWARDED_REQUESTS: readonly string[] = [
  'getGroup', 'sendToGroup', 'sendToGroupRandom', 'broadcastToGroup', 'getChain', 'sendToChain', 'sendToWorker', 'getStandalone',
]

export const GROUP_STRATEGIES: readonly string[] = ['one_for_all', 'one_for_one']
export const CHAIN_STRATEGIES: readonly string[] = ['one_for_all', 'one_for_one', 'rest_for_one', 'before_for_one']
export const SEND_TYPES: readonly string[] = ['random', 'round_robin', 'partition', 'broadcast']
export const STANDALONE_RESTARTS: readonly string[] = ['permanent', 'transient', 'temporary']

/** The keys each add request may carry besides `$sw`: its options and what its client function adds. */
const ADD_KEYS: Readonly<Record<string, readonly string[]>> = {
  addGroup: ['id', 'restartStrategy'],
  addGroupWorker: ['groupId', 'fn', 'id'],
  addChain: ['id', 'restartStrategy', 'finished', 'queueLength', 'sendType'],
  addChainWorker: ['chainId', 'fn', 'id', 'numWorkers'],
  addStandaloneWorker: ['fn', 'id', 'restartStrategy', 'maxRestarts', 'maxSeconds'],
}

/**
 * An add request's options, checked before anything is added: no unknown key, and each option
 * given has a known value (the partition applies the defaults).
 * @throws ERR_UNKNOWN_OPTION, ERR_INVALID_ARG_TYPE (TypeError), ERR_INVALID_ARG_VALUE (RangeError)
 */
export function checkAdd(r: Request): void {
  const known = ADD_KEYS[r.$sw]
  if (known === undefined) return
  const { $sw: kind, ...options } = r
  checkOptionKeys(kind, options, known)
  const strategies = r.$sw === 'addGroup' ? GROUP_STRATEGIES : r.$sw === 'addChain' ? CHAIN_STRATEGIES : STANDALONE_RESTARTS
  if (r.restartStrategy !== undefined) oneOf(r.restartStrategy, strategies, 'restartStrategy')
  if (r.queueLength !== undefined) positive(r.queueLength, 'queueLength')
  if (r.sendType !== undefined) oneOf(r.sendType, SEND_TYPES, 'sendType')
  if (r.numWorkers !== undefined) positive(r.numWorkers, 'numWorkers')
  if (r.maxRestarts !== undefined) restartLimit(r.maxRestarts)
  if (r.maxSeconds !== undefined) seconds(r.maxSeconds, 'maxSeconds')
}

/** @throws ERR_INVALID_ARG_TYPE */
export function str(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length === 0) throw makeError('ERR_INVALID_ARG_TYPE', what, 'a non-empty string', v)
  return v
}

/** @throws ERR_INVALID_ARG_TYPE (not a number), ERR_INVALID_ARG_VALUE */
export function positive(v: unknown, what: string): number {
  if (typeof v !== 'number') throw makeError('ERR_INVALID_ARG_TYPE', what, 'an integer >= 1', v)
  if (!Number.isInteger(v) || v < 1) throw makeError('ERR_INVALID_ARG_VALUE', what, 'an integer >= 1', v)
  return v
}

/** maxRestarts: an integer >= 0, or Infinity (never give up). @throws ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE */
export function restartLimit(v: unknown): number {
  const expected = 'an integer >= 0 or Infinity'
  if (typeof v !== 'number') throw makeError('ERR_INVALID_ARG_TYPE', 'maxRestarts', expected, v)
  if (!(Number.isInteger(v) || v === Infinity) || v < 0) throw makeError('ERR_INVALID_ARG_VALUE', 'maxRestarts', expected, v)
  return v
}

/** A number of seconds > 0. @throws ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE */
export function seconds(v: unknown, what: string): number {
  if (typeof v !== 'number') throw makeError('ERR_INVALID_ARG_TYPE', what, 'a number of seconds > 0', v)
  if (!(v > 0)) throw makeError('ERR_INVALID_ARG_VALUE', what, 'a number of seconds > 0', v)
  return v
}

/** @throws ERR_INVALID_ARG_TYPE (not a string), ERR_INVALID_ARG_VALUE */
export function oneOf(v: unknown, known: readonly string[], what: string): string {
  if (typeof v !== 'string') throw makeError('ERR_INVALID_ARG_TYPE', what, known.join(' | '), v)
  if (!known.includes(v)) throw makeError('ERR_INVALID_ARG_VALUE', what, known.join(' | '), v)
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
