/**
 * What a ConsumerSupervisor's init returns, and its checks (consumer_supervisor_test's
 * "start_link/3 with non-ok init" and "with bad child_spec"): one child template, transient or
 * temporary; the strategy, if given, one_for_one; a restart intensity; no other keys.
 */
import type { Address } from '../../core/pid.ts'
import { checkOptionKeys } from '../../core/option-keys.ts'
import { formatReason } from '../../core/exit.ts'
import { fail, normalize, type ChildSpec, type Normalized } from '../supervisor-spec.ts'
import type { SubscribeOptions } from './protocol.ts'

/**
 * What a ConsumerSupervisor's `init` returns: one child template, its restart intensity, and the
 * producers to subscribe to.
 *
 * @throws ERR_BAD_CHILD_SPEC (the start fails ERR_INIT_FAILED) for a missing or bad template, or a
 *   `permanent` one (`reason`: `{ invalid_restart_type: 'permanent' }`)
 * @throws ERR_SUPERVISOR_DATA for another `strategy`, a bad `maxRestarts` or `maxSeconds`;
 *   ERR_UNKNOWN_OPTION for any other key; ERR_BAD_RETURN_VALUE when init returns no object
 * @example
 * ```ts
 * init(args: { from: Pid }): ConsumerSupervisorSpec {
 *   return {
 *     child: { id: 'job', start: [JobRunner, { tracker: 'tracker' }], restart: 'transient' },
 *     subscribeTo: [{ to: args.from, maxDemand: 3, minDemand: 1 }],
 *   }
 * }
 * ```
 */
export interface ConsumerSupervisorSpec {
  /** The child template; its restart must be 'transient' or 'temporary'. */
  readonly child: ChildSpec
  /** Only 'one_for_one' (the default), as GenStage's. */
  readonly strategy?: 'one_for_one'
  /** Most restarts within maxSeconds (default 3 in 5). */
  readonly maxRestarts?: number
  /** The restart window in seconds (default 5); more than `maxRestarts` in it and the supervisor exits 'shutdown'. */
  readonly maxSeconds?: number
  /** Producers to subscribe to as it starts: pids, names, or SubscribeOptions (demand, cancel mode). */
  readonly subscribeTo?: readonly (Address | SubscribeOptions)[]
}

/**
 * A value fit for an exit reason: a reason crosses threads, and a function inside it (a class in
 * a child spec, say) cannot, so anything but a primitive goes as text.
 */
export function plain(v: unknown): unknown {
  return v === null || ['undefined', 'boolean', 'number', 'string'].includes(typeof v) ? v : formatReason(v)
}

/** Run `check`; a reason it throws with loses what could not cross threads (a bad `start` is a function). */
function plainReason<T>(check: () => T): T {
  try {
    return check()
  } catch (error) {
    const e = error as { reason?: unknown }
    if (typeof e.reason === 'object' && e.reason !== null) {
      e.reason = Object.fromEntries(Object.entries(e.reason).map(([k, v]) => [k, plain(v)]))
    }
    throw error
  }
}

/** A spec after its checks. */
export interface CheckedSpec {
  readonly template: Normalized
  readonly maxRestarts: number
  readonly periodMs: number
  readonly subscribeTo: readonly SubscribeOptions[]
}

const KEYS: readonly string[] = ['child', 'strategy', 'maxRestarts', 'maxSeconds', 'subscribeTo']

/**
 * Check what init returned. @throws ERR_BAD_RETURN_VALUE (not a spec object), ERR_UNKNOWN_OPTION,
 * ERR_SUPERVISOR_DATA (strategy, maxRestarts, maxSeconds), ERR_BAD_CHILD_SPEC (`reason` as OTP's)
 */
export function checkSpec(spec: unknown): CheckedSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw fail('ERR_BAD_RETURN_VALUE', { bad_return_value: plain(spec) }, 'ConsumerSupervisor init', spec)
  }
  checkOptionKeys('a ConsumerSupervisor spec', spec, KEYS, (key) => ({ bad_opts: `unknown option ${key}` }))
  const s = spec as Partial<ConsumerSupervisorSpec>
  if (s.strategy !== undefined && s.strategy !== 'one_for_one') {
    throw fail('ERR_SUPERVISOR_DATA', { bad_opts: 'unknown supervision strategy for consumer supervisor' }, 'strategy', s.strategy, 'one_for_one')
  }
  const maxRestarts = s.maxRestarts ?? 3
  if (!(Number.isInteger(maxRestarts) || maxRestarts === Infinity) || maxRestarts < 0) {
    throw fail('ERR_SUPERVISOR_DATA', { invalid_intensity: maxRestarts }, 'maxRestarts', maxRestarts, 'an integer >= 0 or Infinity')
  }
  const maxSeconds = s.maxSeconds ?? 5
  if (typeof maxSeconds !== 'number' || !(maxSeconds > 0)) {
    throw fail('ERR_SUPERVISOR_DATA', { invalid_period: maxSeconds }, 'maxSeconds', maxSeconds, 'a number of seconds > 0')
  }
  const child: unknown = s.child
  if (typeof child !== 'object' || child === null || Array.isArray(child)) {
    throw fail('ERR_BAD_CHILD_SPEC', { bad_specs: 'a consumer supervisor expects one child template (a child spec object)' }, 'template', 'one child spec object')
  }
  const template = plainReason(() => normalize(child, 'never', true))
  if (template.restart === 'permanent') {
    throw fail('ERR_BAD_CHILD_SPEC', { invalid_restart_type: 'permanent' }, 'template', "a ConsumerSupervisor's children must be transient or temporary")
  }
  const subscribeTo = (s.subscribeTo ?? []).map((to) =>
    typeof to === 'object' && to !== null && 'to' in to ? to as SubscribeOptions : { to: to as Address })
  return { template, maxRestarts, periodMs: maxSeconds * 1000, subscribeTo }
}
