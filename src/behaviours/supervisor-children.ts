/**
 * A Supervisor's children (supervisor.ts): the table its restart logic and its admin requests
 * read. Children are kept in start order (simple_one_for_one: the order they were started);
 * lookups by id and by pid, a simple_one_for_one child being restarted by the pid it last ran
 * as, and the answers of whichChildren, countChildren and getChildSpec. Pure bookkeeping: it
 * starts and stops nothing.
 */
import { Pid } from '../core/pid.ts'
import { fail, publicSpec, type ChildCounts, type ChildInfo, type ChildSpec, type Normalized } from './supervisor-spec.ts'

export interface Child {
  /** Unique within this supervisor; names the child in retry messages. */
  readonly n: number
  spec: Normalized
  pid: Pid | 'restarting' | undefined
  /** simple_one_for_one: startChild's extra arguments (not kept for temporary children). */
  extra: unknown
  /** simple_one_for_one: the pid it last ran as, so terminateChild(that pid) can end its restart loop. */
  last: Pid | undefined
}

/** A bounded set of pids of simple_one_for_one children that have ended (terminateChild of one → ok). */
const RETIRED_MAX = 4096

export class SupervisorChildren {
  /** Children in start order (simple_one_for_one: in the order they were started). */
  list: Child[] = []
  /** simple_one_for_one: the template every child starts from; null for the other strategies. */
  template: Normalized | null = null
  readonly #byPid = new Map<number, Child>()
  #seq = 0
  readonly #retired = new Set<number>()

  /** A new child, not yet in the list. */
  make(spec: Normalized, extra: unknown): Child {
    return { n: ++this.#seq, spec, pid: undefined, extra, last: undefined }
  }

  /** `child` now runs as `pid`. */
  started(child: Child, pid: Pid): void {
    child.pid = pid
    this.#byPid.set(pid.key, child)
  }

  /** The running child whose pid this is. */
  ofPid(pid: Pid): Child | undefined {
    return this.#byPid.get(pid.key)
  }

  /** The child named `n` in a retry message. */
  ofN(n: number): Child | undefined {
    return this.list.find((c) => c.n === n)
  }

  /** The child with this id (not simple_one_for_one). */
  ofId(id: string | undefined): Child | undefined {
    return this.list.find((c) => c.spec.id === id)
  }

  /**
   * The child with this id, for restartChild and deleteChild.
   * @throws ERR_SIMPLE_ONE_FOR_ONE, ERR_CHILD_NOT_FOUND
   */
  byId(id: string, op: string): Child {
    if (this.template !== null) throw fail('ERR_SIMPLE_ONE_FOR_ONE', 'simple_one_for_one', op)
    const child = this.ofId(id)
    if (child === undefined) throw fail('ERR_CHILD_NOT_FOUND', 'not_found', JSON.stringify(id))
    return child
  }

  /** simple_one_for_one: a running child by pid, or one being restarted by the pid it last ran as (SUP-R5). */
  ofDynamicPid(pid: Pid): Child | undefined {
    return this.#byPid.get(pid.key) ?? this.list.find((c) => c.pid === 'restarting' && c.last !== undefined && c.last.equals(pid))
  }

  /** simple_one_for_one: a child that ran as `pid` and has ended. */
  isRetired(pid: Pid): boolean {
    return this.#retired.has(pid.key)
  }

  /** The child's pid is no longer its own (it ended or is being shut down). */
  forget(child: Child): void {
    if (child.pid instanceof Pid) {
      this.#byPid.delete(child.pid.key)
      if (this.template !== null) {
        this.#retire(child.pid)
        child.last = child.pid
      }
    }
    child.pid = undefined
  }

  #retire(pid: Pid): void {
    this.#retired.add(pid.key)
    if (this.#retired.size > RETIRED_MAX) this.#retired.delete(this.#retired.values().next().value as number)
  }

  remove(child: Child): void {
    const i = this.list.indexOf(child)
    if (i >= 0) this.list.splice(i, 1)
  }

  /** whichChildren: most recently started first, as OTP lists them. */
  which(): ChildInfo[] {
    return this.list.slice().reverse().map((c): ChildInfo => ({ id: c.spec.id, pid: c.pid, type: c.spec.type, restart: c.spec.restart }))
  }

  count(): ChildCounts {
    let active = 0
    let supervisors = 0
    for (const c of this.list) {
      if (c.pid instanceof Pid) active++
      if (c.spec.type === 'supervisor') supervisors++
    }
    const specs = this.template !== null ? 1 : this.list.length
    return { specs, active, supervisors, workers: this.list.length - supervisors }
  }

  /** getChildSpec. @throws ERR_CHILD_NOT_FOUND */
  specOf(which: string | Pid): ChildSpec {
    if (this.template !== null) {
      if (!(which instanceof Pid) || !this.#byPid.has(which.key)) throw fail('ERR_CHILD_NOT_FOUND', 'not_found', String(which))
      return publicSpec(this.template)
    }
    const child = which instanceof Pid ? this.#byPid.get(which.key) : this.ofId(which)
    if (child === undefined) throw fail('ERR_CHILD_NOT_FOUND', 'not_found', String(which))
    return publicSpec(child.spec)
  }
}
