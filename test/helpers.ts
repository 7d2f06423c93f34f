/** Shared set-up for integration tests: a node with the fixture actors, and report matchers. */
import { Node, type NodeOptions, type Pid } from '../src/index.ts'
import { probe, type Probe } from '../src/testing/index.ts'
import { Puppet, type Report } from './fixtures/actors.ts'

export const FIXTURES = new URL('./fixtures/actors.ts', import.meta.url)

export async function startNode(options: NodeOptions = {}): Promise<{ node: Node; probe: Probe }> {
  const node = await Node.start({ threads: 2, modules: [FIXTURES], ...options })
  return { node, probe: await probe(node) }
}

/** Matches a puppet report by event (and optionally its sender). */
export const ev = (event: string, from?: Pid) => (m: unknown): boolean => {
  const r = m as Partial<Report>
  return r.event === event && (from === undefined || (r.from !== undefined && r.from.equals(from)))
}

/** Matches a puppet's report of a received message with `pred`. */
export const got = (from: Pid, pred: (msg: Record<string, unknown>) => boolean) => (m: unknown): boolean => {
  const r = m as Partial<Report>
  return r.event === 'got' && r.from !== undefined && r.from.equals(from) && typeof r.value === 'object' &&
    r.value !== null && pred(r.value as Record<string, unknown>)
}

/** Wait until `cond` holds, polling (for counters that have no event of their own). */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** Kill `pid` and wait until it is gone. */
export async function kill(node: Node, pid: Pid): Promise<void> {
  const m = node.monitor(pid)
  node.exit(pid, 'kill')
  await m.down
}

/** Spawn a Puppet reporting to `probe` on `thread` (optionally registered as `name`). */
export function puppet(node: Node, probe: Probe, thread: number, name?: string): Promise<Pid> {
  return node.spawn(Puppet, { report: probe.pid }, name === undefined ? { thread } : { thread, name })
}
