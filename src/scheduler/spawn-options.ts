/** Validation of spawn options: unknown keys and bad values fail with coded errors. */
import { makeError } from '../core/errors.ts'
import { checkOptionKeys } from '../core/option-keys.ts'
import type { SpawnOptions, StartOptions } from '../core/process-context.ts'
import { envForChild, type Proc, type ProcOptions } from '../process/proc.ts'

const KNOWN = ['name', 'thread', 'key', 'link', 'trapExit', 'mailboxSize', 'fallback', 'directboxSize', 'env'] as const

export function checkSpawnOptions(options: SpawnOptions | undefined, totalThreads: number): void {
  if (options === undefined) return
  checkOptionKeys('spawn', options, KNOWN)
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
    if (thread < 0 || thread >= totalThreads) {
      throw makeError('ERR_INVALID_ARG_VALUE', 'thread', `between 0 and ${totalThreads - 1}`, thread)
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

const START_KNOWN: readonly string[] = [...KNOWN, 'timeout']

/**
 * A start's options (spawn's, plus `timeout` for init) split into the timeout and the spawn
 * options. @throws ERR_INVALID_ARG_TYPE (not an object), ERR_UNKNOWN_OPTION, ERR_INVALID_ARG_VALUE (timeout)
 */
export function splitStartOptions(options: StartOptions | undefined): { timeout: number; spawn: SpawnOptions | undefined } {
  checkOptionKeys('spawn', options, START_KNOWN)
  const timeout = options?.timeout ?? Infinity
  if (typeof timeout !== 'number' || !(timeout > 0)) {
    throw makeError('ERR_INVALID_ARG_VALUE', 'timeout', 'a positive number of milliseconds', timeout)
  }
  if (options === undefined || !('timeout' in options)) return { timeout, spawn: options }
  const { timeout: _, ...spawn } = options
  return { timeout, spawn }
}

/** The per-process options a spawn carries (null when it needs none: the common case). */
export function procOptions(options: SpawnOptions | undefined, parent: Proc | null): ProcOptions | null {
  const inherited = parent === null ? null : envForChild(parent)
  const hasInherited = inherited !== null && Object.keys(inherited).length > 0
  if (options === undefined && !hasInherited) return null
  const out: { -readonly [K in keyof ProcOptions]: ProcOptions[K] } = {}
  if (options?.mailboxSize !== undefined) out.mailboxSize = options.mailboxSize
  if (options?.fallback !== undefined) out.fallback = { name: options.fallback.name, tag: options.fallback.tag }
  if (options?.directboxSize !== undefined) out.directboxSize = options.directboxSize
  if (options?.env !== undefined) out.envOwn = { ...options.env }
  if (hasInherited) out.envInherited = inherited
  return Object.keys(out).length === 0 ? null : out
}
