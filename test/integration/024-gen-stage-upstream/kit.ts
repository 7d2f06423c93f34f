/**
 * The shared set-up of the 024-gen-stage-upstream-*.test.ts specs, which port GenStage's own
 * `test/gen_stage_test.exs` (SEMANTICS §7.5) under the upstream describe/test names, for the cases
 * 020/021 do not already cover: the node and probe (live bindings the hooks set; each spec file
 * starts its own node), clean-up, and the report matchers the cases are written with.
 *
 * Stages report to the probe as `{ event, from, ... }` (fixtures/upstream-stages.ts); assertions
 * on order only compare messages from one sender (one stage).
 */
import assert from 'node:assert/strict'
import { Node, type CancelReason, type Pid, type SubscriptionFrom } from '../../../src/index.ts'
import { probe as makeProbe, type Probe } from '../../../src/testing/index.ts'

const MODULES = [new URL('../../fixtures/upstream-stages.ts', import.meta.url), new URL('../../fixtures/stages.ts', import.meta.url)]

export interface Report {
  event: string
  from: Pid
  events?: unknown[]
  why?: CancelReason
  message?: unknown
  reason?: unknown
  role?: string
  n?: number
  sub?: { tag: unknown }
}

export let node: Node
export let probe: Probe
/** Processes a case started, killed after it. */
const started: Pid[] = []

export async function startSuiteNode(): Promise<void> {
  node = await Node.start({ threads: 2, modules: MODULES })
}

export const stopNode = (): Promise<void> => node.stop()

export async function newProbe(): Promise<void> {
  probe = await makeProbe(node)
}

export function killStarted(): void {
  for (const p of started.splice(0)) node.exit(p, 'kill')
}

/** Spawn and remember, so the afterEach hook cleans up whatever a case leaves running. */
export async function spawn(...args: Parameters<Node['spawn']>): Promise<Pid> {
  const pid = await node.spawn(...args)
  started.push(pid)
  return pid
}

export const is = (event: string, pid?: Pid) => (m: unknown): boolean =>
  (m as Report).event === event && (pid === undefined || (m as Report).from.equals(pid))
export const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i)
export const doubled = (a: number, b: number): number[] => range(a, b).flatMap((e) => [e, e])

/** The next report `event` from `pid`. */
export const next = async (event: string, pid: Pid): Promise<Report> => probe.expect<Report>(is(event, pid))

/**
 * Listener `consumer` reported no `event` ('consumed' by default) for anything `stage` sent it
 * before answering a call from it: no time window. The consumer calls `stage` twice. The first
 * call reaches `stage` behind the consumer's subscribes and asks (one sender, in order), and its
 * answer arrives behind whatever `stage` sent the consumer before it; the second call is handled
 * after those, so its 'synced' report follows everything they made the consumer report.
 */
export async function nothingYet(consumer: Pid, stage: Pid, event = 'consumed'): Promise<void> {
  await node.call(consumer, { sync: stage })
  await next('synced', consumer)
  await node.call(consumer, { sync: stage })
  await probe.expectNoneBefore(is(event, consumer), is('synced', consumer))
}

/** The next batch a Listener consumed. */
export const consumed = async (pid: Pid): Promise<unknown[]> => (await next('consumed', pid)).events as unknown[]

/** Skip batches until one starting with `first` arrives. */
export async function consumedFrom(event: string, pid: Pid, first: unknown): Promise<unknown[]> {
  for (;;) {
    const events = (await next(event, pid)).events as unknown[]
    if (events[0] === first) return events
  }
}

/** `event` from `who` names the subscription `from` (handle_subscribe/4 on either side). */
export async function namesSub(event: string, who: Pid, role: string, other: Pid, from: SubscriptionFrom): Promise<void> {
  const r = (await probe.expect(is(event, who))) as { role: string; sub: { producer?: Pid; consumer?: Pid; tag: SubscriptionFrom['tag'] } }
  assert.equal(r.role, role)
  assert.ok((r.sub.producer ?? r.sub.consumer)?.equals(other) && r.sub.tag.equals(from.tag))
}
