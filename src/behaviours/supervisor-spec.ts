/**
 * Supervisor specs: the flags and child specs a Supervisor's init returns, their defaults, and
 * their validation with OTP's error reasons (`invalid_strategy`, `missing_id`, `bad_combination`,
 * ...). Pure functions: the Supervisor (supervisor.ts) runs what these describe.
 */
import { kDispatch, type BehaviourClass, type SpawnOptions, type Started } from '../core/process-context.ts'
import type { Pid } from '../core/pid.ts'
import { makeError, type ErrorCode, type SkeinError } from '../core/errors.ts'
import { checkOptionKeys } from '../core/option-keys.ts'

/**
 * Which children restart when child k must: `one_for_one` k alone; `one_for_all` every child
 * (the others shut down in reverse order first); `rest_for_one` k and those started after it;
 * `simple_one_for_one` k, with children started only by `startChild` from one template.
 */
export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one' | 'simple_one_for_one'
/**
 * When a child is restarted: `permanent` always; `transient` unless it ends with a clean reason
 * ('normal', 'shutdown', `{ shutdown: _ }`); `temporary` never (its spec is dropped when it ends).
 */
export type RestartType = 'permanent' | 'transient' | 'temporary'
/**
 * How a child is stopped: `'brutal_kill'` kills it; a number of ms sends exit 'shutdown' and
 * kills it if it is still there after that long; `'infinity'` sends exit 'shutdown' and waits.
 */
export type Shutdown = 'brutal_kill' | 'infinity' | number
/** A child is a `'worker'` or a `'supervisor'` (which changes its default shutdown to 'infinity'). */
export type ChildType = 'worker' | 'supervisor'
/**
 * When a supervisor exits by itself because `significant` children ended without restart:
 * `'never'`, `'any_significant'` (the first one), `'all_significant'` (once all of them have).
 */
export type AutoShutdown = 'never' | 'any_significant' | 'all_significant'

/** What a start function resolves with: the child's pid (linked to the supervisor), 'ignore', or a pid with info. */
export type ChildStarted = Pid | 'ignore' | {
  /** The child, linked to the supervisor. */
  readonly pid: Pid
  /** Anything: `startChild` and `restartChild` resolve with it. */
  readonly info: unknown
}

/** Handed to a start function: start the child linked to the supervisor. */
export interface ChildStartContext {
  /** The supervisor the child is started for. */
  readonly supervisor: Pid
  /** Start `behaviour` linked to the supervisor and wait for its init: the pid, or 'ignore'. Rejects ERR_INIT_FAILED. */
  startLink<A>(behaviour: BehaviourClass<A>, args?: A, options?: SpawnOptions): Promise<Started>
}

/**
 * How to start a child: `[Class, args?, spawnOptions?]` (placement options put it on any
 * thread), or a function that starts it linked (`ctx.startLink`) and may return info.
 * simple_one_for_one passes startChild's extra arguments to a function as its second argument.
 */
export type ChildStart =
  | readonly [BehaviourClass<never>, unknown?, (SpawnOptions | undefined)?]
  | ((ctx: ChildStartContext, extra?: unknown) => ChildStarted | Promise<ChildStarted>)

/**
 * One child of a supervisor: how to start it and how to treat its end.
 *
 * @example
 * ```ts
 * const spec: ChildSpec = { id: 'indexer', start: [Indexer, { dir: '/tmp' }, { thread: 1 }], restart: 'transient', shutdown: 10_000 }
 * ```
 */
export interface ChildSpec {
  /** Unique among the supervisor's children (ignored for simple_one_for_one). */
  readonly id: string
  /** `[Class, args?, spawnOptions?]`, or a function that starts the child linked (see {@link ChildStart}). */
  readonly start: ChildStart
  /** Default 'permanent'. */
  readonly restart?: RestartType
  /** Default 5000 ms for a worker, 'infinity' for a supervisor. */
  readonly shutdown?: Shutdown
  /** Default 'worker'. */
  readonly type?: ChildType
  /** Its own exit may shut the supervisor down (autoShutdown); never with restart 'permanent'. */
  readonly significant?: boolean
}

/** The argument type of the `init` of behaviour class `C` (`unknown` when init takes none). */
export type InitArgsOf<C> = C extends new () => { init(args: infer A): unknown } ? A : never

/**
 * A `[Class, args, spawnOptions?]` start whose `args` are checked against the class's `init`:
 * optional only when init accepts `undefined` (or takes nothing).
 */
export type TypedStart<C, A = InitArgsOf<C>> = undefined extends A
  ? readonly [C, A?, (SpawnOptions | undefined)?]
  : readonly [C, A, (SpawnOptions | undefined)?]

/** A {@link ChildSpec} whose `start` is a {@link TypedStart} of class `C`: what {@link childSpec} takes. */
export interface TypedChildSpec<C> extends Omit<ChildSpec, 'start'> {
  /** `[Class, args, spawnOptions?]`, `args` as the class's `init` takes them. */
  readonly start: TypedStart<C>
}

/**
 * A child spec whose start arguments are type-checked against the child class's `init`
 * (the plain object form cannot be: in a list of children each has its own class). At run time
 * it returns `spec` as it is.
 *
 * Details: `args` may be left out only when `init` accepts `undefined`. Use the plain form for a
 * simple_one_for_one or ConsumerSupervisor template, whose arguments `startChild` or the event
 * completes, and {@link PartitionSupervisor.childSpec} for a partition's child.
 *
 * @example
 * ```ts
 * override init(): SupervisorSpec {
 *   return {
 *     strategy: 'one_for_one',
 *     children: [
 *       childSpec({ id: 'counter', start: [Counter, { start: 0 }, { thread: 1 }] }),
 *       childSpec({ id: 'cache', start: [Cache, { size: 100 }], restart: 'transient' }),
 *       // childSpec({ id: 'oops', start: [Counter, { start: '0' }] })  // error: Type 'string' is not assignable to type 'number'
 *     ],
 *   }
 * }
 * ```
 */
export function childSpec<C extends BehaviourClass<never>>(spec: TypedChildSpec<C>): ChildSpec {
  return spec
}

/**
 * What a Supervisor's `init` returns: the flags and the children, started in order.
 *
 * @throws ERR_SUPERVISOR_DATA for a bad flag, ERR_BAD_CHILD_SPEC for a bad child, ERR_UNKNOWN_OPTION for a key
 *   of the spec or of a child spec that is not one of theirs (the start fails with them)
 * @example
 * ```ts
 * const spec: SupervisorSpec = { strategy: 'rest_for_one', intensity: 5, period: 10, children: [db, cache, api] }
 * ```
 */
export interface SupervisorSpec {
  /** Default 'one_for_one'. */
  readonly strategy?: Strategy
  /** Most restarts within `period` (default 1). */
  readonly intensity?: number
  /** Seconds (default 5). */
  readonly period?: number
  /** Default 'never'. */
  readonly autoShutdown?: AutoShutdown
  /**
   * Exit 'normal' once no child is left running on its own account (D7, Ergo's behaviour; off by
   * default as in OTP): every child ended and was not restarted (temporary, or transient ending cleanly).
   */
  readonly autoShutdownWhenEmpty?: boolean
  /** The children, in start order (simple_one_for_one: exactly one, the template). */
  readonly children: readonly ChildSpec[]
}

/** One row of whichChildren: pid undefined when not running, 'restarting' while a restart is retried. */
export interface ChildInfo {
  /** The child's id (undefined for simple_one_for_one and ConsumerSupervisor children). */
  readonly id: string | undefined
  /** Its pid; undefined when not running, 'restarting' while a failed restart is retried. */
  readonly pid: Pid | 'restarting' | undefined
  /** 'worker' or 'supervisor'. */
  readonly type: ChildType
  /** Its restart type. */
  readonly restart: RestartType
}

/** What `Supervisor.countChildren` reports. */
export interface ChildCounts {
  /** Child specs (simple_one_for_one: 1). */
  readonly specs: number
  /** Children running. */
  readonly active: number
  /** Children of type 'supervisor'. */
  readonly supervisors: number
  /** Children of type 'worker'. */
  readonly workers: number
}

/** What startChild and restartChild resolve with: the pid (undefined if the child ignored its start), and its info. */
export interface ChildStartResult {
  /** The new child, or undefined if its init returned ignore. */
  readonly pid: Pid | undefined
  /** What a start function returned as `{ pid, info }`. */
  readonly info?: unknown
}

/** A child spec with every default filled in (id undefined for a simple_one_for_one template). */
export interface Normalized {
  readonly id: string | undefined
  readonly start: ChildStart
  readonly restart: RestartType
  readonly shutdown: Shutdown
  readonly type: ChildType
  readonly significant: boolean
}

/** Flags after defaults and validation. */
export interface Flags {
  readonly strategy: Strategy
  readonly intensity: number
  readonly periodMs: number
  readonly autoShutdown: AutoShutdown
  readonly whenEmpty: boolean
}

export function fail(code: ErrorCode, reason: unknown, ...args: unknown[]): SkeinError {
  const error = makeError(code, ...args)
  error.reason = reason
  return error
}

/** The exit reason inside a failed start (ERR_INIT_FAILED carries it as `reason`). */
export function reasonOf(error: unknown): unknown {
  const e = error as { code?: unknown; reason?: unknown } | null
  return typeof e === 'object' && e !== null && e.code === 'ERR_INIT_FAILED' && 'reason' in e ? e.reason : error
}

/** Valid values, for validation and error messages. */
const STRATEGIES: readonly string[] = ['one_for_one', 'one_for_all', 'rest_for_one', 'simple_one_for_one']
const RESTARTS: readonly string[] = ['permanent', 'transient', 'temporary']
const AUTO: readonly string[] = ['never', 'any_significant', 'all_significant']
/** The keys of a SupervisorSpec and of a ChildSpec; any other fails ERR_UNKNOWN_OPTION (`reason`: { unknown_option: key }). */
const SPEC_KEYS: readonly string[] = ['strategy', 'intensity', 'period', 'autoShutdown', 'autoShutdownWhenEmpty', 'children']
const CHILD_KEYS: readonly string[] = ['id', 'start', 'restart', 'shutdown', 'type', 'significant']
const unknownOption = (key: string): unknown => ({ unknown_option: key })

export function readFlags(spec: SupervisorSpec): Flags {
  if (typeof spec !== 'object' || spec === null) throw fail('ERR_SUPERVISOR_DATA', { bad_return: spec }, 'spec', spec, 'an object')
  checkOptionKeys('a Supervisor spec', spec, SPEC_KEYS, unknownOption)
  const { strategy = 'one_for_one', intensity = 1, period = 5, autoShutdown = 'never' } = spec
  if (!STRATEGIES.includes(strategy)) {
    throw fail('ERR_SUPERVISOR_DATA', { invalid_strategy: strategy }, 'strategy', strategy, STRATEGIES.join(' | '))
  }
  if (!Number.isInteger(intensity) || intensity < 0) {
    throw fail('ERR_SUPERVISOR_DATA', { invalid_intensity: intensity }, 'intensity', intensity, 'an integer >= 0')
  }
  if (typeof period !== 'number' || !(period > 0)) {
    throw fail('ERR_SUPERVISOR_DATA', { invalid_period: period }, 'period', period, 'a number of seconds > 0')
  }
  if (!AUTO.includes(autoShutdown)) {
    throw fail('ERR_SUPERVISOR_DATA', { invalid_auto_shutdown: autoShutdown }, 'autoShutdown', autoShutdown, AUTO.join(' | '))
  }
  const whenEmpty = spec.autoShutdownWhenEmpty ?? false
  if (typeof whenEmpty !== 'boolean') {
    throw fail('ERR_SUPERVISOR_DATA', { invalid_auto_shutdown_when_empty: whenEmpty }, 'autoShutdownWhenEmpty', whenEmpty, 'a boolean')
  }
  return { strategy, intensity, periodMs: period * 1000, autoShutdown, whenEmpty }
}

/** Validate child specs as a Supervisor's init does. @throws ERR_BAD_CHILD_SPEC */
export function checkChildSpecs(specs: readonly ChildSpec[], autoShutdown: AutoShutdown): void {
  const seen = new Set<string>()
  for (const spec of specs) {
    const c = normalize(spec, autoShutdown, false)
    if (seen.has(c.id as string)) throw fail('ERR_BAD_CHILD_SPEC', { duplicate_child_name: c.id }, c.id, 'duplicate id')
    seen.add(c.id as string)
  }
}

/** simple_one_for_one: the template's args followed by startChild's (arrays concatenate, objects merge). */
export function mergeArgs(template: unknown, extra: unknown): unknown {
  if (extra === undefined) return template
  if (template === undefined) return extra
  if (Array.isArray(template) && Array.isArray(extra)) return [...template, ...extra]
  if (isPlainObject(template) && isPlainObject(extra)) return { ...template, ...extra }
  throw fail('ERR_BAD_CHILD_SPEC', { bad_extra_args: extra }, 'simple_one_for_one',
    'startChild arguments must be an array (template args an array) or an object (template args an object)')
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype

export function normalize(raw: unknown, auto: AutoShutdown, template: boolean): Normalized {
  if (!isPlainObject(raw)) throw fail('ERR_BAD_CHILD_SPEC', { invalid_child_spec: raw }, raw, 'a child spec object')
  const s = raw as Partial<ChildSpec>
  const id = s.id
  checkOptionKeys(typeof id === 'string' ? `child spec ${JSON.stringify(id)}` : 'a child spec', raw, CHILD_KEYS, unknownOption)
  if (!template && id === undefined) throw fail('ERR_BAD_CHILD_SPEC', 'missing_id', undefined, 'id is required')
  if (!template && typeof id !== 'string') throw fail('ERR_BAD_CHILD_SPEC', { invalid_child_id: id }, id, 'id must be a string')
  const start = s.start
  if (start === undefined) throw fail('ERR_BAD_CHILD_SPEC', 'missing_start', id, 'start is required')
  if (typeof start !== 'function' && !(Array.isArray(start) && typeof start[0] === 'function' &&
    typeof (start[0] as { prototype?: Record<symbol, unknown> }).prototype?.[kDispatch] === 'function')) {
    throw fail('ERR_BAD_CHILD_SPEC', { invalid_mfa: start }, id, 'start must be [BehaviourClass, args?, spawnOptions?] or a function')
  }
  const restart = s.restart ?? 'permanent'
  if (!RESTARTS.includes(restart)) throw fail('ERR_BAD_CHILD_SPEC', { invalid_restart_type: restart }, id, `bad restart ${String(restart)}`)
  const type = s.type ?? 'worker'
  if (type !== 'worker' && type !== 'supervisor') throw fail('ERR_BAD_CHILD_SPEC', { invalid_child_type: type }, id, `bad type ${String(type)}`)
  const shutdown = s.shutdown ?? (type === 'supervisor' ? 'infinity' : 5000)
  if (shutdown !== 'brutal_kill' && shutdown !== 'infinity' && !(typeof shutdown === 'number' && shutdown >= 0)) {
    throw fail('ERR_BAD_CHILD_SPEC', { invalid_shutdown: shutdown }, id, `bad shutdown ${String(shutdown)}`)
  }
  const significant = s.significant ?? false
  if (typeof significant !== 'boolean') throw fail('ERR_BAD_CHILD_SPEC', { invalid_significant: significant }, id, 'significant must be a boolean')
  if (significant && (auto === 'never' || restart === 'permanent')) {
    throw fail('ERR_BAD_CHILD_SPEC', { bad_combination: { restart, significant, autoShutdown: auto } }, id,
      'a significant child needs autoShutdown other than never and restart other than permanent')
  }
  return { id: template ? undefined : id, start: start as ChildStart, restart, shutdown, type, significant }
}

export function withoutArgs(n: Normalized): Normalized {
  if (typeof n.start === 'function') return n
  const [behaviour, , options] = n.start
  return { ...n, start: [behaviour, undefined, options] }
}

export function publicSpec(n: Normalized): ChildSpec {
  return { id: n.id as string, start: n.start, restart: n.restart, shutdown: n.shutdown, type: n.type, significant: n.significant }
}
