/**
 * Where a pid lives, and how a frame gets there: the one decision every send, link, monitor,
 * exit, call and reply makes. A pid's thread is in the high bits of its id.
 *
 *   isHere(pid)       this thread of this node: the caller acts on the process itself
 *   proc(pid)         ... and here it is (undefined once it has ended, or for another incarnation)
 *   forward(pid, …)   anywhere else: a frame into the ring to its thread, published at the end
 *                     of the turn (another node, once distribution comes, is one more branch)
 *   unreachable(pid)  why a frame could not go: 'noproc' when its thread is up (no such
 *                     process), 'noconnection' when its thread is down
 */
import { pidFromWords, type Pid } from '../core/pid.ts'
import { NOCONNECTION, NOPROC, type ExitReason } from '../core/exit.ts'
import type { Proc } from '../process/proc.ts'

/** What the router needs from the thread's transport and run loop. */
export interface RouterPorts {
  readonly transport: {
    isUp(thread: number): boolean
    send(thread: number, kind: number, a: number, b: number, value: unknown, what?: string): void
  }
  readonly loop: { readonly inTurn: boolean; kick(): void }
  readonly counts: { deadLetters: number }
}

export class Router {
  readonly #index: number
  readonly #node: string
  readonly #creation: number
  readonly #totalThreads: number
  readonly #table: ReadonlyMap<number, Proc>
  readonly #ports: RouterPorts

  constructor(index: number, node: string, creation: number, totalThreads: number, table: ReadonlyMap<number, Proc>, ports: RouterPorts) {
    this.#index = index
    this.#node = node
    this.#creation = creation
    this.#totalThreads = totalThreads
    this.#table = table
    this.#ports = ports
  }

  /** True if `pid` belongs to this thread of this node (alive or not). */
  isHere(pid: Pid): boolean {
    return pid.thread === this.#index && pid.node === this.#node
  }

  /** The process for `pid`, if it is one of this thread's and has not ended. */
  proc(pid: Pid): Proc | undefined {
    if (pid.thread !== this.#index || pid.node !== this.#node || pid.creation !== this.#creation) return undefined
    return this.#table.get(pid.localKey)
  }

  /**
   * Send a frame addressed to `pid` on another thread. Returns false (and counts a dead letter)
   * if that thread is down or the pid belongs to no thread of this node.
   * @throws ERR_NOT_SERIALIZABLE when `value` cannot cross threads (`what` names it)
   */
  forward(pid: Pid, kind: number, value: unknown, what?: string): boolean {
    const t = pid.thread
    const ports = this.#ports
    if (pid.node !== this.#node || pid.creation !== this.#creation || t >= this.#totalThreads || !ports.transport.isUp(t)) {
      ports.counts.deadLetters++
      return false
    }
    ports.transport.send(t, kind, pid.id, pid.serial, value, what)
    if (!ports.loop.inTurn) ports.loop.kick()
    return true
  }

  /** Why a frame to `pid` found nobody: its thread is up (no such process) or down. */
  unreachable(pid: Pid): ExitReason {
    return this.#ports.transport.isUp(pid.thread) ? NOPROC : NOCONNECTION
  }

  /** The pid of this node named by a frame's header words (a = id, b = serial). */
  pidFromWords(a: number, b: number): Pid {
    return pidFromWords(this.#node, this.#creation, a, b)
  }
}
