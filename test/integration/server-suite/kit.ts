/**
 * The shared set-up of the 014-server-suite-*.test.ts specs: Server against the rest of SEMANTICS
 * §2.4 (SRV-T2..T32 not covered by 011) and the portable cases of OTP's gen_server_SUITE (§2.3).
 * Servers report what they do to a probe; the helpers here wait on those reports or on monitors,
 * never on sleeps. Each spec file runs the hooks below in its own describe, so every file starts
 * and stops its own node.
 *
 * `node` and `probe` are `export let`: an ES module import is a live binding, so a spec reading
 * `node` sees whatever the hooks last assigned, and only this module can assign it.
 */
import assert from 'node:assert/strict'
import { Server, type Node, type Pid, type StartOptions } from '../../../src/index.ts'
import { probe as makeProbe, type Probe } from '../../../src/testing/index.ts'
import { Starter, SuiteServer, type StarterCommand, type SuiteArgs, type SuiteEvent } from '../../fixtures/servers.ts'
import { FIXTURES, startNode } from '../../helpers.ts'

const SERVERS = new URL('../../fixtures/servers.ts', import.meta.url)
const NAMES = ['srv-t2', 'srv-t3', 'srv-t4', 'srv-t5', 'srv-t23', 'my_test_name', 'to_stop', 'otp_7669']

/** Matches a report (SuiteServer or Starter) by event name(s) and sender. */
export const isEvent = (event: string | string[], from?: Pid) => (m: unknown): boolean => {
  const r = m as Partial<SuiteEvent>
  const events = typeof event === 'string' ? [event] : event
  return typeof r.event === 'string' && events.includes(r.event) &&
    (from === undefined || (r.from !== undefined && r.from.equals(from)))
}

/** The pid of a start that was not ignored. */
export function pidOf<P>(started: P | 'ignore'): P {
  assert.notEqual(started, 'ignore', 'the start was ignored')
  return started as P
}

/** Asserts a rejection with `code` whose `reason` passes `check` (or equals it). */
export function failsWith(code: string, reason?: unknown): (e: unknown) => boolean {
  return (e: unknown) => {
    const err = e as { code?: unknown; reason?: unknown }
    assert.equal(err.code, code, `expected ${code}, got ${String(e)}`)
    if (typeof reason === 'function') assert.ok((reason as (r: unknown) => boolean)(err.reason), `unexpected reason ${String(err.reason)}`)
    else if (reason !== undefined) assert.deepEqual(err.reason, reason)
    return true
  }
}

export const isError = (message: RegExp | string, name = 'Error') => (r: unknown): boolean =>
  r instanceof Error && r.name === name && (typeof message === 'string' ? r.message === message : message.test(r.message))

/** What a call to a missing method throws: a TypeError (Erlang's undef). */
export const undef = isError(/missing is not a function/, 'TypeError')

/** The suite's node and probe, set by the hooks below; a spec reads them through these live bindings. */
export let node: Node
export let probe: Probe

// ── hooks ─────────────────────────────────────────────────────────────────────────────────

/** `before`: one node for the whole describe. */
export async function startSuiteNode(): Promise<void> {
  ({ node } = await startNode({ modules: [FIXTURES, SERVERS] }))
}

/** `after`. */
export function stopNode(): Promise<void> {
  return node.stop()
}

/** `beforeEach`: a fresh probe for the case's reports. */
export async function newProbe(): Promise<void> {
  probe = await makeProbe(node)
}

/** `afterEach`: a failed case must not leave a name taken for the next one. */
export async function freeNames(): Promise<void> {
  for (const name of NAMES) {
    const pid = node.whereis(name)
    if (pid === undefined) continue
    const down = node.monitor(pid).down
    node.exit(pid, 'kill')
    await down
  }
}

// ── helpers (they read the current node and probe) ────────────────────────────────────────

export const args = (more: Partial<SuiteArgs> = {}): SuiteArgs => ({ report: probe.pid, ...more })
export const suite = async (thread: number, more: Partial<SuiteArgs> = {}, options: StartOptions = {}) =>
  pidOf(await Server.start(node, SuiteServer, args(more), { thread, ...options }))
export const reasonOf = async (pid: Pid): Promise<unknown> => (await node.monitor(pid).down).reason
export const event = <T = unknown>(name: string | string[], from?: Pid) =>
  probe.expect<SuiteEvent & { value: T }>(isEvent(name, from))
/** The events `server` reports up to its next 'ack', in order. */
export const untilAck = async (server: Pid): Promise<string[]> => {
  const seen: string[] = []
  for (;;) {
    const e = await event(['continue', 'beforeContinue', 'afterContinue', 'ack'], server)
    if (e.event === 'ack') return seen
    seen.push(e.event)
  }
}
export const starter = (): Promise<Pid> => node.spawn(Starter, { report: probe.pid }, { thread: 0 })
/** Ask a Starter to start a server; resolves with its pid (fails the test if the start failed). */
export const startVia = async (by: Pid, command: StarterCommand): Promise<Pid> => {
  node.send(by, command)
  const r = await event<Pid | { code: string }>(['started', 'start-failed'], by)
  assert.equal(r.event, 'started', `start failed: ${JSON.stringify(r.value)}`)
  return r.value as Pid
}
export const exitOf = async (by: Pid, from: Pid): Promise<unknown> => {
  const e = await probe.expect<SuiteEvent & { value: { from: Pid; reason: unknown } }>(
    (m) => isEvent('exit', by)(m) && (m as { value: { from: Pid } }).value.from.equals(from))
  return e.value.reason
}
