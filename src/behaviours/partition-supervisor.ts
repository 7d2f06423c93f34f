/**
 * PartitionSupervisor: the hash-partitioned supervision tree. One child spec is started once
 * per partition, partition k on worker thread 1 + (k mod workers) and registered node-wide as
 * `name:k`; a key belongs to partition hash(key) mod partitions. Since names resolve on every
 * thread, any process reaches the partition that owns a key with a plain call or send to
 * `PartitionSupervisor.partition(name, key, partitions)`, and sends within one partition's work
 * never leave its thread.
 *
 *   PartitionSupervisor 'words' (one_for_one: a worker thread when the node starts it)
 *     ├─ words:0  on thread 1      key 'apple' ─ hash % 2 = 1 ─▶ words:1
 *     └─ words:1  on thread 2
 *
 * A crashed partition is restarted on its thread under the same name. Each partition's child
 * gets `{ ...args, partition: k }` as its arguments (args must be an object or undefined).
 */
import { hashKey } from '../core/hash.ts'
import { makeError } from '../core/errors.ts'
import { checkOptionKeys } from '../core/option-keys.ts'
import { Supervisor } from './supervisor.ts'
import type { BehaviourClass, SpawnOptions } from '../core/process-context.ts'
import type { ChildSpec, InitArgsOf, SupervisorSpec, TypedChildSpec } from './supervisor-spec.ts'

/** Init arguments `A` less the `partition` the supervisor adds. */
type WithoutPartition<A> = { [K in keyof A as K extends 'partition' ? never : K]: A[K] }

/** `[Class, args, spawnOptions?]` with `args` checked as {@link PartitionSupervisor.childSpec} says. */
type PartitionStart<C, A = WithoutPartition<InitArgsOf<C>>> = object extends A
  ? readonly [C, A?, (SpawnOptions | undefined)?]
  : readonly [C, A, (SpawnOptions | undefined)?]

/**
 * A partition's child spec whose start arguments are checked against the child class's `init`,
 * less the `partition` the supervisor adds: what {@link PartitionSupervisor.childSpec} takes.
 */
export interface PartitionChildSpec<C> extends Omit<TypedChildSpec<C>, 'start'> {
  /** `[Class, args, spawnOptions?]`: `args` as `init` takes them without `partition` (optional when nothing else is required). */
  readonly start: PartitionStart<C>
}

/**
 * A PartitionSupervisor's arguments: the child to start once per partition.
 *
 * @example
 * ```ts
 * await node.spawn(PartitionSupervisor, { name: 'words', child: { id: 'counter', start: [WordCounter, {}] } })
 * ```
 */
export interface PartitionSpec {
  /** Partition k is registered as `${name}:${k}`. */
  readonly name: string
  /** Started once per partition; `start` must be `[Class, args?, spawnOptions?]`. */
  readonly child: ChildSpec
  /** Default: one per worker thread (1 with no workers). */
  readonly partitions?: number
  /** The restart intensity of the partitions' supervisor (default 3 within 5 s). */
  readonly intensity?: number
  /** Seconds of the restart window (default 5). */
  readonly period?: number
}

/**
 * A hash-partitioned supervision tree: one child per partition (default one per worker thread),
 * partition k on worker thread `1 + (k % workers)`, registered node-wide as `name:k` and started
 * with `{ ...args, partition: k }`. A key belongs to partition `hash(key) % partitions`, which
 * any process reaches by name: `PartitionSupervisor.partition(name, key, partitions)`.
 *
 * Details: spawn PartitionSupervisor itself with a {@link PartitionSpec}; it is a one_for_one
 * {@link Supervisor} (restart intensity 3 in 5 s by default), so a crashed partition comes back
 * on its thread under its name, and the Supervisor client functions work on it.
 *
 * Gotchas: pass the same `partitions` to `partition()` as the supervisor uses (by default
 * `node.threads`, or `this.workerThreads` in a process); a partition's state is lost when it
 * restarts; the child class must be exported by a module in the node's `modules`.
 *
 * @throws ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_UNKNOWN_OPTION for a bad spec (the start rejects ERR_INIT_FAILED with it as `reason`)
 * @example
 * ```ts
 * await node.spawn(PartitionSupervisor, { name: 'words', child: { id: 'counter', start: [WordCounter, {}] } })
 * node.cast(PartitionSupervisor.partition('words', 'apple', node.threads), { word: 'apple' })
 * ```
 */
const SPEC_KEYS: readonly string[] = ['name', 'child', 'partitions', 'intensity', 'period']

export class PartitionSupervisor extends Supervisor<PartitionSpec> {
  /**
   * A partition's child spec whose start arguments are type-checked against the child class's
   * `init` less `partition` (which each partition's child gets added); the plain object form
   * is not checked. At run time it returns `spec` as it is.
   *
   * @example
   * ```ts
   * // WordCounter extends Server<{ partition: number; minLength: number }, ...>
   * await node.spawn(PartitionSupervisor, {
   *   name: 'words',
   *   child: PartitionSupervisor.childSpec({ id: 'counter', start: [WordCounter, { minLength: 3 }] }),
   * })
   * ```
   */
  static childSpec<C extends BehaviourClass<never>>(spec: PartitionChildSpec<C>): ChildSpec {
    return spec
  }

  /**
   * The registered name of the partition that owns `key`: `${name}:${hash(key) % partitions}`.
   * Pure: it asks no process, so it works on any thread.
   *
   * @throws ERR_INVALID_ARG_VALUE unless `partitions` is an integer >= 1
   */
  static partition(name: string, key: string | number, partitions: number): string {
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw makeError('ERR_INVALID_ARG_VALUE', 'partitions', 'an integer >= 1', partitions)
    }
    return `${name}:${hashKey(key) % partitions}`
  }

  /** Builds the one_for_one spec of the partitions (not to be overridden). */
  init(spec: PartitionSpec): SupervisorSpec {
    if (typeof spec !== 'object' || spec === null) throw makeError('ERR_INVALID_ARG_TYPE', 'PartitionSupervisor spec', 'an object', spec)
    checkOptionKeys('a PartitionSupervisor spec', spec, SPEC_KEYS)
    const { name, child, intensity = 3, period = 5 } = spec
    if (typeof name !== 'string' || name.length === 0) throw makeError('ERR_INVALID_ARG_TYPE', 'name', 'a non-empty string', name)
    const start = child?.start
    if (!Array.isArray(start)) {
      throw makeError('ERR_INVALID_ARG_TYPE', 'child.start', 'a [BehaviourClass, args?, spawnOptions?] tuple', start)
    }
    const [behaviour, args, options] = start
    if (args !== undefined && (typeof args !== 'object' || args === null || Array.isArray(args))) {
      throw makeError('ERR_INVALID_ARG_TYPE', 'child args', 'an object or undefined (the partition index is added to it)', args)
    }
    const workers = this.workerThreads
    const partitions = spec.partitions ?? Math.max(1, workers)
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw makeError('ERR_INVALID_ARG_VALUE', 'partitions', 'an integer >= 1', partitions)
    }
    const children: ChildSpec[] = []
    for (let k = 0; k < partitions; k++) {
      const id = `${name}:${k}`
      children.push({
        ...child,
        id,
        start: [behaviour, { ...args, partition: k }, { ...options, name: id, thread: workers === 0 ? 0 : 1 + (k % workers) }],
      })
    }
    return { strategy: 'one_for_one', intensity, period, children }
  }
}
