/**
 * Links and exit signals: Erlang's rules (PROC-R5, R6, R11).
 *
 * Exit signal (from P, reason R) arriving at L:
 *   sent by exit(L, 'kill')          → L dies with 'killed', trapping or not
 *   L traps exits                    → message { type: 'EXIT', from: P, reason: R }
 *   R is 'normal'                    → ignored (unless P is L itself: then L exits normal)
 *   otherwise                        → L dies with R (no terminate callback: a signal is not L's act)
 * The same holds while L's terminate runs (OTP: L is alive until it returns): a signal that
 * would end L ends it at once, and a trapped one is a message terminate never reads. Only during
 * node stop, whose terminate('shutdown') every process runs, a terminating L waits for 'kill'.
 * A link-borne signal is dropped if the link is gone by the time it arrives (after unlink); an
 * EXIT already queued stays (OTP 25: the caller flushes it if it cares).
 */
import { ExitKind, Frame } from '../codec/frame.ts'
import { Status, type Proc } from '../process/proc.ts'
import { Pid } from '../core/pid.ts'
import { makeError } from '../core/errors.ts'
import { NOPROC, type ExitReason } from '../core/exit.ts'
import { wireReason } from './call-errors.ts'
import type { Router } from './router.ts'

/** A chain of links deeper than this goes on in the next round instead of recursing. */
const MAX_DEPTH = 64

/** What links need from their thread. */
export interface LinkPorts {
  readonly stopping: boolean
  enqueue(q: Proc, message: unknown): boolean
  terminate(p: Proc, reason: ExitReason, runTerminate: boolean): void
  readonly runner: { defer(fn: () => void): void }
}

export class Links {
  readonly #router: Router
  readonly #s: LinkPorts
  #depth = 0

  constructor(router: Router, ports: LinkPorts) {
    this.#router = router
    this.#s = ports
  }

  /** exit(to, reason) called by `from`. */
  exit(from: Pid, to: Pid, reason: ExitReason): void {
    this.#signal(from, to, reason, ExitKind.CALL)
  }

  link(p: Proc, pid: Pid): void {
    if (p.status === Status.DEAD) return
    if (!(pid instanceof Pid)) throw makeError('ERR_INVALID_ARG_TYPE', 'pid', 'a Pid', pid)
    if (pid.equals(p.self)) return
    if (p.linked?.has(pid.key)) return
    const router = this.#router
    if (router.isHere(pid)) {
      const q = router.proc(pid)
      if (q === undefined || q.status === Status.DEAD) {
        if (p.trapExitFlag) {
          this.#s.enqueue(p, { type: 'EXIT', from: pid, reason: NOPROC })
          return
        }
        const error = makeError('ERR_NOPROC', pid.toString())
        error.reason = NOPROC
        throw error
      }
      ;(p.linked ??= new Map()).set(pid.key, pid)
      ;(q.linked ??= new Map()).set(p.self.key, p.self)
      return
    }
    // Elsewhere: if the target is gone, its thread answers with an exit signal 'noproc'.
    ;(p.linked ??= new Map()).set(pid.key, pid)
    if (!router.forward(pid, Frame.LINK, p.self)) this.deliver(p, pid, router.unreachable(pid), ExitKind.LINK)
  }

  unlink(p: Proc, pid: Pid): void {
    if (p.status === Status.DEAD || !(pid instanceof Pid)) return
    p.linked?.delete(pid.key)
    const router = this.#router
    if (router.isHere(pid)) router.proc(pid)?.linked?.delete(p.self.key)
    else router.forward(pid, Frame.UNLINK, p.self)
    // An EXIT from `pid` already in the mailbox stays there: OTP 25's unlink/1 leaves it (its
    // docs tell a trapping caller to flush it), and so do we.
  }

  /** An exit signal reaches `q` (see the rules above). */
  deliver(q: Proc, from: Pid, reason: ExitReason, kind: ExitKind): void {
    if (q.status === Status.DEAD) return
    if (kind === ExitKind.LINK) {
      if (q.linked === null || !q.linked.delete(from.key)) return
    }
    const s = this.#s
    if (kind === ExitKind.CALL && reason === 'kill') {
      s.terminate(q, 'killed', false)
      return
    }
    // Node stop runs every process's terminate to its end (bounded by its timeout): signals
    // among processes it is stopping must not cut another's cleanup short.
    if (q.status === Status.TERMINATING && s.stopping && !from.equals(q.self)) return
    if (q.trapExitFlag) {
      // While terminate runs, enqueue drops it (a dead letter): terminate reads no messages.
      s.enqueue(q, { type: 'EXIT', from, reason })
      return
    }
    if (reason === 'normal') {
      if (kind === ExitKind.CALL && from.equals(q.self)) s.terminate(q, 'normal', false)
      return
    }
    s.terminate(q, reason, false)
  }

  /** `p` ended with `reason`: every process linked to it gets the exit signal. */
  exited(p: Proc, reason: ExitReason): void {
    const linked = p.linked
    p.linked = null
    if (linked !== null) for (const pid of linked.values()) this.#signal(p.self, pid, reason, ExitKind.LINK)
  }

  /** A process that never ran (`pid`, spawned linked to `linkTo`) ended with `reason`. */
  stillborn(pid: Pid, linkTo: Pid, reason: ExitReason): void {
    this.#signal(pid, linkTo, reason, ExitKind.LINK)
  }

  /** Thread `k` died: `p`'s links to its processes break with 'noconnection'. */
  threadDown(p: Proc, k: number, reason: ExitReason): void {
    if (p.linked === null) return
    for (const pid of [...p.linked.values()]) if (pid.thread === k) this.deliver(p, pid, reason, ExitKind.LINK)
  }

  // ── frames ───────────────────────────────────────────────────────────────────────────

  onExitFrame(q: Proc | undefined, value: unknown): void {
    const [from, reason, how] = value as [Pid, ExitReason, ExitKind]
    if (q !== undefined) this.deliver(q, from, reason, how)
  }

  /** A process on another thread linked to `q` (the pid in the header words a, b). */
  onLinkFrame(q: Proc | undefined, a: number, b: number, value: unknown): void {
    const from = value as Pid
    if (q !== undefined && q.status !== Status.DEAD) (q.linked ??= new Map()).set(from.key, from)
    else this.#signal(this.#router.pidFromWords(a, b), from, NOPROC, ExitKind.LINK)
  }

  onUnlinkFrame(q: Proc | undefined, value: unknown): void {
    q?.linked?.delete((value as Pid).key)
  }

  #signal(from: Pid, to: Pid, reason: ExitReason, kind: ExitKind): void {
    const router = this.#router
    if (!router.isHere(to)) {
      router.forward(to, Frame.EXIT, [from, wireReason(reason), kind], 'exit reason')
      return
    }
    const q = router.proc(to)
    if (q === undefined) return
    if (this.#depth >= MAX_DEPTH) {
      // A long chain of links would otherwise recurse once per process.
      this.#s.runner.defer(() => this.deliver(q, from, reason, kind))
      return
    }
    this.#depth++
    try {
      this.deliver(q, from, reason, kind)
    } finally {
      this.#depth--
    }
  }
}
