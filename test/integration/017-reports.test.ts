/**
 * Reports (SRV-R11 and the supervisor's events): sent to the process named by the
 * 'skein.reports' env key; clean ends make no error report.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Node, Server, type DownMessage, type Pid, type Report } from '../../src/index.ts'
import { Probe, ProbeActor } from '../../src/testing/index.ts'
import { ExitInTerminate, SuiteServer } from '../fixtures/servers.ts'
import { Child, Stubborn, Sup, started, type ChildEvent } from '../fixtures/supervision.ts'
import { kill } from '../helpers.ts'

const MODULES = [new URL('../fixtures/servers.ts', import.meta.url), new URL('../fixtures/supervision.ts', import.meta.url)]

describe('Reports', function () {
  this.timeout(10000)
  let node: Node
  let reports: Probe
  let events: Probe

  before(async () => {
    node = await Node.start({ threads: 1, modules: MODULES, env: { 'skein.reports': 'reports' } })
  })
  after(() => node.stop())
  beforeEach(async () => {
    for (const name of ['reports', 'events']) {
      const old = node.whereis(name)
      if (old !== undefined) await kill(node, old) // its name is freed before its DOWN goes out
    }
    const r = await node.spawn(ProbeActor, undefined, { thread: 0, name: 'reports' })
    reports = new Probe(r, node.localInstance(r) as ProbeActor)
    const e = await node.spawn(ProbeActor, undefined, { thread: 0 })
    events = new Probe(e, node.localInstance(e) as ProbeActor)
  })

  const report = (kind: string, event?: string) => (m: unknown): boolean =>
    (m as Report).type === 'report' && (m as Report).kind === kind && (event === undefined || (m as { event?: string }).event === event)

  for (const thread of [0, 1]) {
    it(`SRV-T35 a server crashing in a call reports its reason, the request and the client (thread ${thread})`, async () => {
      const server = await Server.start(node, SuiteServer, { report: events.pid }, { thread }) as Pid
      await assert.rejects(node.call(server, 'crash'))
      const r = (await reports.expect(report('crash'))) as Extract<Report, { kind: 'crash' }>
      assert.ok(r.process.equals(server))
      assert.ok(r.client?.equals(node.pid))
      assert.deepEqual(r.lastMessage, { call: 'crash' })
      assert.equal((r.reason as Error).message, 'crashed')
    })
  }

  it('makes no crash report when terminate ends the process with exit(self, reason): it is gone at once, as in OTP', async () => {
    const server = await Server.start(node, ExitInTerminate, undefined, { thread: 1 }) as Pid
    // Monitored from the reports probe: a crash report would reach it before the DOWN.
    const ref = reports.monitor(server)
    await assert.rejects(Server.stop(node, server, 'normal'), { code: 'ERR_CALL_EXIT', reason: 'from terminate' })
    assert.equal((await reports.expectNoneBefore<DownMessage>(report('crash'), ref)).reason, 'from terminate')
    // With reports on stderr (their default) too: it printed one, its reason the unwinding object.
    const script = fileURLToPath(new URL('../fixtures/exit-in-terminate-script.ts', import.meta.url))
    const env = { ...process.env }
    delete env.SKEIN_REPORTS // test/setup.cjs silences reports; the child prints them
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], { timeout: 30_000, env })
    assert.equal(stdout, 'down: from terminate\n')
    assert.equal(stderr, '')
  })

  it('SRV-T35 clean ends make no crash report', async () => {
    for (const reason of ['normal', 'shutdown', { shutdown: 1 }]) {
      const server = await Server.start(node, SuiteServer, { report: events.pid }) as Pid
      const ref = reports.monitor(server)
      await Server.stop(node, server, reason)
      await reports.expectNoneBefore(report('crash'), ref)
    }
  })

  it('a supervisor reports starts, a crash and its restart, and its shutdown (progress included)', async () => {
    const sup = await node.spawn(Sup, { children: [{ id: 'w', start: [Child, { id: 'w', report: events.pid }, { thread: 1 }] }] })
    const first = ((await events.expect(started('w'))) as ChildEvent).pid
    assert.equal(((await reports.expect(report('supervisor', 'child_started'))) as { child: { id: string } }).child.id, 'w')
    node.cast(first, 'crash')
    const terminated = (await reports.expect(report('supervisor', 'child_terminated'))) as Extract<Report, { kind: 'supervisor' }>
    assert.equal(terminated.progress, false)
    assert.ok(terminated.child?.pid?.equals(first))
    await reports.expect(report('supervisor', 'restart'))
    await reports.expect(report('supervisor', 'child_started'))
    await Server.stop(node, sup)
    assert.equal(((await reports.expect(report('supervisor', 'shutdown'))) as { reason: unknown }).reason, 'normal')
    const stopped = (await reports.expect(report('supervisor', 'child_terminated'))) as Extract<Report, { kind: 'supervisor' }>
    assert.deepEqual([stopped.reason, stopped.progress], ['shutdown', true])
  })

  it('a child killed at its shutdown timeout is a shutdown_error; intensity exceeded is reported', async () => {
    const sup = await node.spawn(Sup, { intensity: 0, children: [
      { id: 's', start: [Stubborn, { id: 's', report: events.pid }], shutdown: 20 },
      { id: 'w', start: [Child, { id: 'w', report: events.pid }] },
    ] })
    await events.expect(started('s'))
    const w = ((await events.expect(started('w'))) as ChildEvent).pid
    const m = node.monitor(sup)
    node.cast(w, 'crash')
    await reports.expect(report('supervisor', 'reached_max_restart_intensity'))
    const e = (await reports.expect(report('supervisor', 'shutdown_error'))) as Extract<Report, { kind: 'supervisor' }>
    assert.deepEqual([e.child?.id, e.reason], ['s', 'killed'])
    assert.equal((await m.down).reason, 'shutdown')
  })
})
