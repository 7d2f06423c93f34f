/**
 * Offload: the request a process (or the node) sends to the node's offload service to run a
 * blocking function on the piscina pool, the dirty-scheduler idea of the BEAM. The caller's
 * thread stays free: the process waits for the reply as it waits for any call, and every other
 * process on its thread keeps running.
 *
 *   process (any thread) ──call {module, name, args, timeout}──▶ OffloadService (main thread)
 *                                                                   └─ piscina.run ─▶ offload thread
 *   process ◀──────────── reply: the result, or a coded error ──────┘
 *
 * This file holds only what both ends share: the service's name and the request's shape.
 */
import { makeError } from './errors.ts'
import type { CallOptions, Caller } from './process-context.ts'

/** The registered name of the node's offload service (a process on the main thread). */
export const OFFLOAD_SERVICE = 'skein.offload'

/**
 * Options of an offload (`node.offload`, `this.offload`): run a blocking function on the node's
 * offload pool.
 */
export interface OffloadOptions {
  /**
   * Milliseconds the function may run (default Infinity). Past it the offload thread running it
   * is stopped and the offload rejects ERR_OFFLOAD_TIMEOUT.
   */
  timeout?: number
}

export interface OffloadRequest {
  readonly $offload: true
  /** The module's URL (`file:` URL string), or an absolute path. */
  readonly module: string
  readonly name: string
  readonly args: readonly unknown[]
  readonly timeout: number
}

export function isOffloadRequest(m: unknown): m is OffloadRequest {
  return typeof m === 'object' && m !== null && (m as { $offload?: unknown }).$offload === true
}

/** How long the caller waits for the service beyond the task's own timeout. */
const REPLY_GRACE_MS = 5000

/**
 * Check an offload's arguments and build the call to the service.
 * @throws ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE
 */
function offloadCall(module: string | URL, name: string, args: readonly unknown[] | undefined,
  options: OffloadOptions | undefined): { request: OffloadRequest; call: CallOptions } {
  if (!(module instanceof URL) && (typeof module !== 'string' || module.length === 0)) {
    throw makeError('ERR_INVALID_ARG_TYPE', 'module', 'a URL or an absolute path', module)
  }
  if (typeof name !== 'string' || name.length === 0) throw makeError('ERR_INVALID_ARG_TYPE', 'name', 'an export name', name)
  if (args !== undefined && !Array.isArray(args)) throw makeError('ERR_INVALID_ARG_TYPE', 'args', 'an array', args)
  const timeout = options?.timeout ?? Infinity
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout <= 0) {
    throw makeError('ERR_INVALID_ARG_VALUE', 'timeout', 'a positive number of milliseconds or Infinity', timeout)
  }
  const href = module instanceof URL ? module.href : module
  return {
    request: { $offload: true, module: href, name, args: args ?? [], timeout },
    call: { timeout: timeout === Infinity ? Infinity : timeout + REPLY_GRACE_MS },
  }
}

/**
 * Offload as `caller` (the node, or a process's context): the call to the service, or a
 * rejection for bad arguments (a method that returns a promise never throws).
 */
export function offload<R>(caller: Pick<Caller, 'call'>, module: string | URL, name: string,
  args: readonly unknown[] | undefined, options: OffloadOptions | undefined): Promise<R> {
  try {
    const { request, call } = offloadCall(module, name, args, options)
    return caller.call<R>(OFFLOAD_SERVICE, request, call)
  } catch (error) {
    return Promise.reject(error)
  }
}
