/**
 * ConsumerSupervisor (STG-R20/R21): a child per event, concurrency bounded by maxDemand, asks
 * again as children finish, restart types and maxRestarts, children outliving a temporary
 * subscription, and the supervisor client functions.
 */
import assert from 'node:assert/strict'
import { Node, Server, Supervisor, hasCode, type Pid } from '../../src/index.ts'
import { probe as makeProbe, type Probe } from '../../src/testing/index.ts'
import { JobSup, Pusher, type Job } from '../fixtures/consumer-supervision.ts'

const FIXTURES = new URL('../fixtures/consumer-supervision.ts', import.meta.url)

interface JobEvent { event: 'started' | 'done'; n: number; pid: Pid }
const is = (event: JobEvent['event'], n?: number) => (m: unknown): boolean =>
  (m as JobEvent).event === event && (n === undefined || (m as JobEvent).n === n)

describe('ConsumerSupervisor', function () {
  this.timeout(15000)
  let node: Node
  let probe: Probe

  before(async () => {
    node = await Node.start({ threads: 2, modules: [FIXTURES] })
  })
  after(() => node.stop())
  beforeEach(async () => {
    probe = await makeProbe(node)
  })

  const jobs = (count: number, ms: number, more: Partial<Job> = {}): Job[] => Array.from({ length: count }, (_, n) => ({ n, ms, ...more }))

  it('STG-T27 never runs more than maxDemand children; asks again once minDemand of them finished', async () => {
    const producer = await node.spawn(Pusher, {}, { thread: 2 })
    await node.call(producer, { push: jobs(10, 30) })
    const sup = await node.spawn(JobSup, { report: probe.pid, restart: 'temporary', subscribeTo: [{ to: producer, maxDemand: 4, minDemand: 2 }] }, { thread: 1 })
    // Children run on the supervisor's thread, so their reports reach the probe in order.
    let alive = 0
    let most = 0
    const done = new Set<number>()
    while (done.size < 10) {
      const m = (await probe.expect((x) => is('started')(x) || is('done')(x))) as JobEvent
      if (m.event === 'started') most = Math.max(most, ++alive)
      else {
        alive--
        done.add(m.n)
      }
    }
    assert.equal(most, 4)
    assert.deepEqual(await Supervisor.countChildren(node, sup), { specs: 1, active: 0, supervisors: 0, workers: 0 })
    await Server.stop(node, sup)
    await Server.stop(node, producer)
  })

  it('STG-T28 a transient child that crashes restarts with the same event; past maxRestarts the supervisor exits shutdown', async () => {
    const producer = await node.spawn(Pusher, {}, { thread: 2 })
    const sup = await node.spawn(JobSup, { report: probe.pid, restart: 'transient', maxRestarts: 2, subscribeTo: [{ to: producer, maxDemand: 1, minDemand: 0 }] }, { thread: 1 })
    const m = node.monitor(sup)
    await node.call(producer, { push: [{ n: 7, ms: 10, crash: 'boom' }] })
    for (let i = 0; i < 3; i++) await probe.expect(is('started', 7))
    assert.equal((await m.down).reason, 'shutdown')
    await Server.stop(node, producer)
  })

  it('STG-T28 a temporary child is never restarted; a clean transient one neither', async () => {
    for (const [restart, crash] of [['temporary', 'boom'], ['transient', undefined]] as const) {
      const producer = await node.spawn(Pusher, {}, { thread: 2 })
      const sup = await node.spawn(JobSup, { report: probe.pid, restart, subscribeTo: [{ to: producer, maxDemand: 2, minDemand: 0 }] }, { thread: 1 })
      await node.call(producer, { push: [{ n: 1, ms: 5, ...(crash === undefined ? {} : { crash }) }, { n: 2, ms: 40 }] })
      const one = ((await probe.expect(is('started', 1))) as JobEvent).pid
      await probe.expect(is('done', 1))
      await probe.expect(is('done', 2))
      // Job 1's EXIT reached the supervisor (same thread) before its DOWN reached the probe, so the
      // supervisor has reacted to it before the startChild below; a restart's 'started' report
      // would come from a child on its thread, ahead of the new child's.
      await probe.expectDown(probe.monitor(one))
      await Supervisor.startChild(node, sup, { event: { n: 99, ms: 60_000 } })
      await probe.expectNoneBefore(is('started', 1), is('started', 99))
      probe.clear()
      await Server.stop(node, sup)
      await Server.stop(node, producer)
    }
  })

  it('STG-T29 with a temporary subscription, children outlive the producer; stopping the supervisor stops them', async () => {
    const producer = await node.spawn(Pusher, {}, { thread: 2 })
    const sup = await node.spawn(JobSup, { report: probe.pid, restart: 'temporary', subscribeTo: [{ to: producer, maxDemand: 2, minDemand: 0, cancel: 'temporary' }] }, { thread: 1 })
    await node.call(producer, { push: jobs(2, 60_000) })
    const kids = [(await probe.expect(is('started'))) as JobEvent, (await probe.expect(is('started'))) as JobEvent].map((e) => e.pid)
    node.exit(producer, 'kill')
    assert.equal((await Supervisor.whichChildren(node, sup)).length, 2)
    const downs = kids.map((k) => node.monitor(k).down)
    await Server.stop(node, sup)
    assert.deepEqual((await Promise.all(downs)).map((d) => d.reason), ['shutdown', 'shutdown'])
  })

  it('counts children (consumer_supervisor_test): countChildren and whichChildren follow the running children', async () => {
    const producer = await node.spawn(Pusher, {}, { thread: 2 })
    const sup = await node.spawn(JobSup, { report: probe.pid, restart: 'temporary', subscribeTo: [{ to: producer, maxDemand: 5, minDemand: 0 }] }, { thread: 1 })
    assert.deepEqual(await Supervisor.countChildren(node, sup), { specs: 1, active: 0, supervisors: 0, workers: 0 })
    await node.call(producer, { push: jobs(3, 60_000) })
    const kids = [(await probe.expect(is('started'))) as JobEvent, (await probe.expect(is('started'))) as JobEvent,
      (await probe.expect(is('started'))) as JobEvent].map((e) => e.pid)
    assert.deepEqual(await Supervisor.countChildren(node, sup), { specs: 1, active: 3, supervisors: 0, workers: 3 })
    const rows = await Supervisor.whichChildren(node, sup)
    assert.deepEqual(rows.map((r) => [r.id, r.restart]), [[undefined, 'temporary'], [undefined, 'temporary'], [undefined, 'temporary']])
    assert.deepEqual(rows.map((r) => String(r.pid)).sort(), kids.map(String).sort())
    await Supervisor.terminateChild(node, sup, kids[0] as Pid)
    assert.equal((await Supervisor.countChildren(node, sup)).active, 2)
    await Server.stop(node, sup)
    await Server.stop(node, producer)
  })

  it('terminateChild(pid) frees its unit of demand; startChild runs a child with no event; a permanent template is refused', async () => {
    const producer = await node.spawn(Pusher, {}, { thread: 2 })
    const sup = await node.spawn(JobSup, { report: probe.pid, restart: 'temporary', subscribeTo: [{ to: producer, maxDemand: 1, minDemand: 0 }] }, { thread: 1 })
    await node.call(producer, { push: jobs(2, 60_000) })
    const first = ((await probe.expect(is('started', 0))) as JobEvent).pid
    // No signal: the supervisor's asks go to the producer on another thread, and nothing on that
    // path can be made to answer. A window bounds it.
    await probe.expectNone(is('started', 1), 50)
    await Supervisor.terminateChild(node, sup, first)
    await probe.expect(is('started', 1))
    const { pid } = await Supervisor.startChild(node, sup, { event: { n: 99, ms: 60_000 } })
    assert.ok(((await probe.expect(is('started', 99))) as JobEvent).pid.equals(pid as Pid))
    await Server.stop(node, sup)
    await Server.stop(node, producer)
    await assert.rejects(node.spawn(JobSup, { report: probe.pid, restart: 'permanent' }),
      (e: { reason?: unknown }) => hasCode(e, 'ERR_INIT_FAILED') && hasCode(e.reason, 'ERR_BAD_CHILD_SPEC'))
  })
})
