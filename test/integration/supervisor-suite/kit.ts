/**
 * The shared set-up of the 013-supervisor-suite-*.test.ts specs, which port OTP's supervisor_SUITE
 * (SEMANTICS §3.4) with the SUP-T ids of §3.5: the helpers the cases are written with, and the
 * hooks each spec file runs in its own describe, so every file starts and stops its own node.
 *
 * `node` and `probe` are `export let`: an ES module import is a live binding, so a spec reading
 * `node` sees whatever the hooks last assigned, and only this module can assign it.
 *
 * Ordering used throughout: a child's exit reaches its supervisor (EXIT) before it reaches a
 * monitor the test holds (DOWN) on the same path, so a call made after the DOWN sees the
 * supervisor's reaction to that exit.
 */
import assert from 'node:assert/strict'
import v8 from 'node:v8'
import vm from 'node:vm'
import {
  Node, Pid, Supervisor,
  type ChildSpec, type ChildStartContext, type ChildStarted, type ErrorCode, type SpawnOptions, type SupervisorSpec,
} from '../../../src/index.ts'
import { probe as makeProbe, type Probe, type VirtualClock } from '../../../src/testing/index.ts'
import { kill } from '../../helpers.ts'
import { Child, Idle, Sup, started, terminated, type ChildArgs, type ChildEvent } from '../../fixtures/supervision.ts'

const FIXTURES = new URL('../../fixtures/supervision.ts', import.meta.url)
/** An intensity never reached: a failing restart loops until the test ends it. */
export const FOREVER = Number.MAX_SAFE_INTEGER

/** The suite's node and probe, set by the hooks below; a spec reads them through these live bindings. */
export let node: Node
export let probe: Probe
/** Supervisors started by startSup, killed after each case. */
const sups: Pid[] = []

// ── helpers ───────────────────────────────────────────────────────────────────────────────

export const args = (id: string, more: Partial<ChildArgs> = {}): ChildArgs => ({ id, report: probe.pid, ...more })

/** A Child worker spec; `thread` places the child on that thread. */
export function child(id: string, more: Partial<ChildSpec> = {}, a: Partial<ChildArgs> = {}, thread?: number): ChildSpec {
  return { id, start: thread === undefined ? [Child, args(id, a)] : [Child, args(id, a), { thread }], ...more }
}

export async function startSup(spec: SupervisorSpec, options: SpawnOptions = {}): Promise<Pid> {
  // On the main thread unless placed: specs given to startChild may hold functions.
  const placed = options.thread !== undefined || options.key !== undefined ? options : { ...options, thread: 0 }
  const sup = await node.spawn(Sup, spec, placed)
  sups.push(sup)
  return sup
}

export const pidOf = async (id: string): Promise<Pid> => ((await probe.expect(started(id))) as ChildEvent).pid
export const reasonOf = (pid: Pid): Promise<unknown> => node.monitor(pid).down.then((d) => d.reason)
export const str = (pid: Pid | 'restarting' | undefined): string | undefined => (pid instanceof Pid ? pid.toString() : pid)

/** whichChildren as [id, pid] pairs (pids as strings), most recently started first. */
export async function rows(sup: Pid | string): Promise<[string | undefined, string | undefined][]> {
  return (await Supervisor.whichChildren(node, sup)).map((r) => [r.id, str(r.pid)])
}

export const counts = (sup: Pid | string) => Supervisor.countChildren(node, sup)
export const count = (specs: number, active: number, supervisors: number, workers: number) => ({ specs, active, supervisors, workers })

/** Register `fail:<id>`: the Child fixture's start fails while it is there. Resolves with the switch-off. */
export async function failStarts(id: string): Promise<() => Promise<void>> {
  const flag = await node.spawn(Idle, undefined, { name: `fail:${id}` })
  return () => kill(node, flag)
}

/** A rejection check: the error's code and, if given, its `reason`. */
export const coded = (code: ErrorCode, reason?: unknown) => (e: unknown): boolean => {
  assert.equal((e as { code?: unknown }).code, code, String(e))
  if (reason !== undefined) assert.deepEqual((e as { reason?: unknown }).reason, reason)
  return true
}

/** A supervisor start that failed in init with a coded error. */
export const initFails = (code: ErrorCode, reason?: unknown) => (e: unknown): boolean =>
  coded('ERR_INIT_FAILED')(e) && coded(code, reason)((e as { reason: unknown }).reason)

export const isLifecycle = (m: unknown): boolean => started()(m) || terminated()(m)
const showReason = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'object' && v !== null && 'shutdown' in v ? JSON.stringify(v) : 'crash'

/** The next `n` started/terminated reports, as 'started c1' / 'terminated c1 shutdown'. */
export async function events(n: number): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    const e = (await probe.expect(isLifecycle)) as ChildEvent
    out.push(e.event === 'started' ? `started ${e.id}` : `terminated ${e.id} ${showReason(e.value)}`)
  }
  return out
}

let flushes = 0
/**
 * Wait for a marker sent to the probe now: reports already on their way to the main thread (sent
 * before an exit or report the test has seen from that thread) are then in `probe.pending`.
 */
export async function flush(): Promise<void> {
  const n = ++flushes
  node.send(probe.pid, { flush: n })
  await probe.expect((m) => (m as { flush?: number }).flush === n)
}

/** Track whether a promise has settled, without awaiting it. */
export function track<T>(p: Promise<T>): { done: boolean; promise: Promise<T> } {
  const t = { done: false, promise: p }
  void p.then(() => { t.done = true }, () => { t.done = true })
  return t
}

/** A start function that starts a Child linked and returns `info` with its pid (OTP's {ok, Pid, Info}). */
export const withInfo = (id: string, info: unknown) => async (ctx: ChildStartContext, extra?: unknown): Promise<ChildStarted> => {
  const pid = await ctx.startLink(Child, { ...args(id), ...(extra as object | undefined) })
  return pid === 'ignore' ? pid : { pid, info }
}

/** A trapping Child whose start fails while `refusals.left` > 0 (each failure uses one up). */
export function refusing(id: string, refusals: { left: number }): ChildSpec {
  return {
    id,
    start: (ctx) => {
      if (refusals.left > 0) {
        refusals.left--
        throw new Error(`${id} refused`)
      }
      return ctx.startLink(Child, args(id, { trap: true }))
    },
  }
}

/** A full collection, through V8's gc exposed at run time (weak references then show what is kept). */
let collectGarbage: (() => void) | undefined
export function gc(): void {
  if (collectGarbage === undefined) {
    v8.setFlagsFromString('--expose-gc')
    collectGarbage = vm.runInNewContext('gc') as () => void
  }
  collectGarbage()
}

// ── hooks ─────────────────────────────────────────────────────────────────────────────────

/** `before`: one node with a worker thread for the whole describe. */
export async function startSuiteNode(): Promise<void> {
  node = await Node.start({ threads: 1, modules: [FIXTURES] })
}

/** `after` (or `afterEach` on a virtual clock). */
export function stopNode(): Promise<void> {
  return node.stop()
}

/** `beforeEach`: a fresh probe for the case's reports. */
export async function newProbe(): Promise<void> {
  probe = await makeProbe(node)
}

/** `afterEach`: kill the supervisors the case started, whatever state it left them in. */
export function killSups(): void {
  for (const sup of sups.splice(0)) node.exit(sup, 'kill')
}

/** `beforeEach` on a virtual clock: a node with no worker threads whose timers all run on `clock`, and its probe. */
export async function startVirtualNode(clock: VirtualClock): Promise<void> {
  node = await Node.start({ threads: 0, clock })
  probe = await makeProbe(node)
}
