/**
 * Monitors: Erlang's rules (PROC-R7, R8). A monitor is two entries: the watcher's (in its
 * `monitors`, by ref) and the target's (in its `watchers`, by ref). When the target ends, every
 * watcher gets a DOWN: a `{ type: 'DOWN', ref, pid, reason }` message, or, for a ref that names
 * a pending call, start or watch of the watcher's, the settling of that (see calls.ts). A
 * monitor of a name that is not registered fires at once with 'noproc'.
 *
 *   monitor(p, target)      p.monitors[ref] + target.watchers[ref]   (MONITOR frame elsewhere)
 *   demonitor(p, ref)       both entries go; with flush, a queued DOWN too (DEMONITOR frame)
 *   target ends             each watcher: DOWN (DOWN frame elsewhere); its own monitors go
 *   watcher's thread dies   the target drops those watchers; its monitors there fire 'noconnection'
 */
import { Frame } from '../codec/frame.ts'
import { Status, type Proc } from '../process/proc.ts'
import { RefTable } from '../core/ref-table.ts'
import { Pid, type Address, type NamedProcess, type Ref } from '../core/pid.ts'
import { makeError } from '../core/errors.ts'
import { NOPROC, type ExitReason } from '../core/exit.ts'
import { isDownMessage } from '../core/envelope.ts'
import { wireReason } from './call-errors.ts'
import type { Router } from './router.ts'

/** What monitors need from their thread. */
export interface MonitorPorts {
  readonly node: string
  readonly names: { lookup(name: string): Pid | undefined }
  makeRef(): Ref
  enqueue(q: Proc, message: unknown): boolean
  /** A DOWN for `ref` reached `w`: true if it settled one of w's pending calls, starts or watches. */
  settleCall(w: Proc, ref: Ref, reason: ExitReason): boolean
}

export class Monitors {
  readonly #router: Router
  readonly #s: MonitorPorts

  constructor(router: Router, ports: MonitorPorts) {
    this.#router = router
    this.#s = ports
  }

  monitor(p: Proc, target: Address): Ref {
    const s = this.#s
    const ref = s.makeRef()
    if (typeof target === 'string') {
      const pid = s.names.lookup(target)
      // Only the DOWN message exists: the monitor fires as it is made.
      if (pid === undefined) s.enqueue(p, { type: 'DOWN', ref, pid: { name: target, node: s.node }, reason: NOPROC })
      else this.monitorPid(p, pid, target, ref)
      return ref
    }
    if (!(target instanceof Pid)) throw makeError('ERR_INVALID_ARG_TYPE', 'the monitor target', 'a Pid or a registered name', target)
    this.monitorPid(p, target, null, ref)
    return ref
  }

  monitorPid(p: Proc, target: Pid, name: string | null, ref: Ref): void {
    ;(p.monitors ??= new Map()).set(ref.key, { ref, target, name })
    const failed = this.watch(target, ref, p.self, name)
    if (failed !== null) this.deliverDown(p, ref, name === null ? target : { name, node: this.#s.node }, failed)
  }

  demonitor(p: Proc, ref: Ref, flush: boolean): boolean {
    const entry = p.monitors?.get(ref.key)
    if (flush) p.mailbox.removeFirst((m) => isDownMessage(m) && m.ref.key === ref.key)
    if (entry === undefined || p.monitors === null) return false
    p.monitors.delete(ref.key)
    this.unwatch(entry.target, ref)
    return true
  }

  /**
   * Put `watcher`'s entry under `ref` at `target` (a MONITOR frame when it lives elsewhere).
   * Returns null, or why it could not be placed: 'noproc' (gone) or 'noconnection' (its thread is).
   */
  watch(target: Pid, ref: Ref, watcher: Pid, name: string | null): ExitReason | null {
    const router = this.#router
    if (router.isHere(target)) {
      const q = router.proc(target)
      if (q === undefined || q.status === Status.DEAD) return NOPROC
      ;(q.watchers ??= new RefTable()).set(ref.key, { ref, watcher, name })
      return null
    }
    return router.forward(target, Frame.MONITOR, [watcher, ref, name]) ? null : router.unreachable(target)
  }

  /** Take the entry under `ref` off `target` (a DEMONITOR frame when it lives elsewhere). */
  unwatch(target: Pid, ref: Ref): void {
    const router = this.#router
    if (router.isHere(target)) router.proc(target)?.watchers?.delete(ref.key)
    else router.forward(target, Frame.DEMONITOR, ref)
  }

  /** Tell `watcher` that `who` ended (a DOWN frame when it lives elsewhere). */
  signalDown(watcher: Pid, ref: Ref, who: Pid | NamedProcess, reason: ExitReason): void {
    const router = this.#router
    if (!router.isHere(watcher)) {
      router.forward(watcher, Frame.DOWN, [ref, who, wireReason(reason)], 'exit reason')
      return
    }
    const w = router.proc(watcher)
    if (w !== undefined) this.deliverDown(w, ref, who, reason)
  }

  deliverDown(w: Proc, ref: Ref, who: Pid | NamedProcess, reason: ExitReason): void {
    if (w.status === Status.DEAD) return
    if (this.#s.settleCall(w, ref, reason)) return
    if (w.monitors === null || !w.monitors.delete(ref.key)) return
    this.#s.enqueue(w, { type: 'DOWN', ref, pid: who, reason })
  }

  /** `p` ended: its own monitors go from their targets (before its links and watchers hear of it). */
  dropOwn(p: Proc): void {
    if (p.monitors === null) return
    for (const m of p.monitors.values()) this.unwatch(m.target, m.ref)
    p.monitors = null
  }

  /** `p` ended with `reason`: each of its watchers gets a DOWN. */
  exited(p: Proc, reason: ExitReason): void {
    const watchers = p.watchers
    p.watchers = null
    if (watchers === null) return
    const node = this.#s.node
    for (const w of watchers.values()) this.signalDown(w.watcher, w.ref, w.name === null ? p.self : { name: w.name, node }, reason)
  }

  /** Thread `k` died: `p` forgets watchers there, and its monitors of processes there fire with `reason`. */
  threadDown(p: Proc, k: number, reason: ExitReason): void {
    if (p.watchers !== null) for (const w of p.watchers.values()) if (w.watcher.thread === k) p.watchers.delete(w.ref.key)
    if (p.monitors === null) return
    for (const m of [...p.monitors.values()]) {
      if (m.target.thread === k) this.deliverDown(p, m.ref, m.name === null ? m.target : { name: m.name, node: this.#s.node }, reason)
    }
  }

  // ── frames ───────────────────────────────────────────────────────────────────────────

  /** A process on another thread monitors `q` (the pid in the header words a, b). */
  onMonitorFrame(q: Proc | undefined, a: number, b: number, value: unknown): void {
    const [watcher, ref, name] = value as [Pid, Ref, string | null]
    if (q !== undefined && q.status !== Status.DEAD) (q.watchers ??= new RefTable()).set(ref.key, { ref, watcher, name })
    else this.signalDown(watcher, ref, name === null ? this.#router.pidFromWords(a, b) : { name, node: this.#s.node }, NOPROC)
  }

  onDemonitorFrame(q: Proc | undefined, value: unknown): void {
    q?.watchers?.delete((value as Ref).key)
  }

  onDownFrame(q: Proc | undefined, value: unknown): void {
    const [ref, who, reason] = value as [Ref, Pid | NamedProcess, ExitReason]
    if (q !== undefined) this.deliverDown(q, ref, who, reason)
  }
}
