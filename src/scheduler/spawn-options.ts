/** Validation of spawn options: unknown keys and bad values fail with coded errors. */
import { makeError } from '../core/errors.ts'
import type { SpawnOptions } from '../core/process-context.ts'

const KNOWN = ['name', 'thread', 'key', 'link', 'trapExit'] as const

export function checkSpawnOptions(options: SpawnOptions | undefined, threads: number): void {
  if (options === undefined) return
  if (typeof options !== 'object' || options === null) {
    throw makeError('ERR_INVALID_ARG_TYPE', 'spawn options', 'an object', options)
  }
  for (const key of Object.keys(options)) {
    if (!(KNOWN as readonly string[]).includes(key)) throw makeError('ERR_UNKNOWN_OPTION', 'spawn', key, KNOWN)
  }
  const { name, thread, key, link, trapExit } = options
  if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
    throw makeError('ERR_INVALID_ARG_TYPE', 'name', 'a non-empty string', name)
  }
  if (thread !== undefined && thread !== 'any') {
    if (typeof thread !== 'number' || !Number.isInteger(thread)) {
      throw makeError('ERR_INVALID_ARG_TYPE', 'thread', "an integer or 'any'", thread)
    }
    if (thread < 0 || thread >= threads) {
      throw makeError('ERR_INVALID_ARG_VALUE', 'thread', `between 0 and ${threads - 1}`, thread)
    }
  }
  if (key !== undefined && typeof key !== 'string' && typeof key !== 'number') {
    throw makeError('ERR_INVALID_ARG_TYPE', 'key', 'a string or a number', key)
  }
  if (key !== undefined && thread !== undefined) {
    throw makeError('ERR_INVALID_ARG_VALUE', 'placement', 'either thread or key, not both', `thread ${String(thread)} and key ${String(key)}`)
  }
  if (link !== undefined && typeof link !== 'boolean') throw makeError('ERR_INVALID_ARG_TYPE', 'link', 'a boolean', link)
  if (trapExit !== undefined && typeof trapExit !== 'boolean') {
    throw makeError('ERR_INVALID_ARG_TYPE', 'trapExit', 'a boolean', trapExit)
  }
}
