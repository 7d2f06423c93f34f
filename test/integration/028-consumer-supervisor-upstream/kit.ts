/**
 * The shared set-up of the 028-consumer-supervisor-upstream-*.test.ts specs, which port GenStage's
 * `test/consumer_supervisor_test.exs` (SEMANTICS §7.5) under the upstream test names: the node and
 * probe (live bindings set by the hooks each spec runs), and the helpers the cases are written with.
 *
 * Placement: every supervisor runs on thread 1 and its children on its thread, so what its start
 * functions report reaches the probe in order; producers run on thread 2. A child's exit reaches
 * its supervisor (an EXIT on the same thread) before the test's monitor hears of it (a DOWN that
 * crosses threads), so a call made after the DOWN sees the supervisor's reaction.
 */
import assert from 'node:assert/strict'
import { Node, Supervisor, type ChildCounts, type ExitReason, type Pid } from '../../../src/index.ts'
import { probe as makeProbe, type Probe } from '../../../src/testing/index.ts'
import { Upstream, type UpstreamArgs } from '../../fixtures/consumer-supervision.ts'

const FIXTURES = new URL('../../fixtures/consumer-supervision.ts', import.meta.url)

/** An intensity never reached: a failing restart loops until the test ends it. */
export const FOREVER = 100_000

export let node: Node
export let probe: Probe
/** Processes started by the case, killed after it. */
const started: Pid[] = []

export async function startSuiteNode(): Promise<void> {
  node = await Node.start({ threads: 2, modules: [FIXTURES] })
}

export const stopNode = (): Promise<void> => node.stop()

export async function newProbe(): Promise<void> {
  probe = await makeProbe(node)
}

export function killStarted(): void {
  for (const pid of started.splice(0)) node.exit(pid, 'kill')
}

/** Spawn and remember for clean-up; supervisors on thread 1, producers on thread 2 by default. */
export async function spawn(...args: Parameters<Node['spawn']>): Promise<Pid> {
  const pid = await node.spawn(...args)
  started.push(pid)
  return pid
}

/** The upstream `Consumer.start_link(opts)`: a supervisor whose children do what they are told. */
export const startUpstream = (args: Partial<UpstreamArgs> = {}): Promise<Pid> =>
  spawn(Upstream, { report: probe.pid, ...args }, { thread: 1 })

/** The upstream `assert_kill`: send `reason` as an exit signal and wait until `pid` is gone. */
export async function assertKill(pid: Pid, reason: ExitReason): Promise<void> {
  const down = node.monitor(pid).down
  node.exit(pid, reason)
  await down
}

const is = (event: string) => (m: unknown): boolean => (m as { event?: string }).event === event

/** Wait for a report of the start functions (`child_started`, `child_start_error`, ...). */
export const report = (event: string): Promise<Record<string, unknown>> => probe.expect<Record<string, unknown>>(is(event))

/** The next `child_started` report's pid. */
export const childStarted = async (): Promise<Pid> => (await report('child_started')).pid as Pid

/**
 * No report of any of `events` (the upstream refute_received / refute_receive), with no time
 * window: `sup` runs a `{ sync: producer }` start order twice. The first one's call reaches the
 * producer behind the supervisor's asks, and is answered behind the events those drew; the second
 * runs after the supervisor has handled those, and its 'synced' report follows everything the
 * supervisor (whose start functions report as it) reported before. A RawProducer reports the
 * first call ('raw-synced') behind the stage messages it reported before.
 */
export async function refute(sup: Pid, producer: Pid | null, ...events: string[]): Promise<void> {
  const unwanted = (m: unknown): boolean => events.some((event) => is(event)(m))
  await Supervisor.startChild(node, sup, { sync: producer })
  await report('synced')
  if (events.includes('raw')) await probe.expectNoneBefore(unwanted, is('raw-synced'))
  await Supervisor.startChild(node, sup, { sync: producer })
  await probe.expectNoneBefore(unwanted, is('synced'))
}

export async function counts(sup: Pid, expected: Partial<ChildCounts>): Promise<void> {
  const got = await Supervisor.countChildren(node, sup)
  assert.deepEqual(Object.fromEntries(Object.keys(expected).map((k) => [k, got[k as keyof ChildCounts]])), expected)
}

/** whichChildren's pids ('restarting' for a child being restarted), in the order it lists them. */
export const children = async (sup: Pid): Promise<(Pid | 'restarting' | undefined)[]> =>
  (await Supervisor.whichChildren(node, sup)).map((r) => r.pid)
