/** Validation of spawn options: unknown keys and bad values fail with coded errors. */
import { makeError } from '../core/errors.ts'
import type { SpawnOptions } from '../core/process-context.ts'

const KNOWN = ['name', 'thread', 'key', 'link', 'trapExit', 'mailboxSize', 'fallback', 'directboxSize', 'env'] as const

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
  if (name !== undefined && name.startsWith('\u0000')) {
    throw makeError('ERR_INVALID_ARG_VALUE', 'name', 'a name not starting with NUL (reserved for aliases)', name)
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
  for (const key of ['mailboxSize', 'directboxSize'] as const) {
    const v = options[key]
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 1)) {
      throw makeError(typeof v === 'number' ? 'ERR_INVALID_ARG_VALUE' : 'ERR_INVALID_ARG_TYPE', key, 'a positive integer', v)
    }
  }
  const fb = options.fallback
  if (fb !== undefined && (typeof fb !== 'object' || fb === null || typeof fb.name !== 'string' || typeof fb.tag !== 'string')) {
    throw makeError('ERR_INVALID_ARG_TYPE', 'fallback', 'an object { name: string, tag: string }', fb)
  }
  if (options.env !== undefined && (typeof options.env !== 'object' || options.env === null)) {
    throw makeError('ERR_INVALID_ARG_TYPE', 'env', 'an object', options.env)
  }
}
