/**
 * Applications (SEMANTICS §4): load/unload, start order and env, start types and their effect
 * on the node, stopApplication, dependencies, start failures, lifespan (virtual clock), errors.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { Node, hasCode, type ApplicationSpec, type ChildSpec, type Pid } from '../../src/index.ts'
import { VirtualClock, probe as makeProbe, type Probe } from '../../src/testing/index.ts'
import { AppWorker } from '../fixtures/apps.ts'

const FIXTURES = new URL('../fixtures/apps.ts', import.meta.url)

interface Event { event: string; id: string; pid: Pid; value?: unknown }
const is = (event: string, id?: string) => (m: unknown): boolean =>
  (m as Event).event === event && (id === undefined || (m as Event).id === id)

describe('Application', function () {
  this.timeout(10000)
  let node: Node
  let probe: Probe

  beforeEach(async () => {
    node = await Node.start({ threads: 1, modules: [FIXTURES] })
    probe = await makeProbe(node)
  })
  afterEach(() => node.stop())

  const worker = (id: string, thread = 0, env?: Record<string, unknown>): ChildSpec =>
    ({ id, start: [AppWorker, { id, report: probe.pid }, env === undefined ? { thread } : { thread, env }] })
  const app = (name: string, more: Partial<ApplicationSpec> = {}): ApplicationSpec =>
    ({ name, version: '1.0.0', children: [worker(`${name}.a`), worker(`${name}.b`, 1)], ...more })
  const pidOf = async (id: string): Promise<Pid> => ((await probe.expect(is('started', id))) as Event).pid

  it('APP-T1 load and unload: loaded but not running; unloading a running one fails', async () => {
    node.loadApplication(app('one'))
    assert.deepEqual(node.loadedApplications().map((a) => a.name), ['one'])
    assert.deepEqual(node.whichApplications(), [])
    await node.startApplication('one')
    assert.throws(() => node.unloadApplication('one'), (e) => hasCode(e, 'ERR_APP_ALREADY_STARTED'))
    await node.stopApplication('one')
    node.unloadApplication('one')
    assert.deepEqual(node.loadedApplications(), [])
  })

  it('APP-T2 starts children in order, then the start hook; env set on the master reaches the children', async () => {
    const hook: unknown[] = []
    node.loadApplication(app('env', { env: { K: 123 }, start: (ctx) => void hook.push(ctx.children.length) }))
    const pid = await node.startApplication('env')
    assert.deepEqual([(await probe.expect(is('started'))) as Event, (await probe.expect(is('started'))) as Event].map((e) => e.id), ['env.a', 'env.b'])
    assert.deepEqual(hook, [2])
    assert.ok(node.applicationInfo('env').pid?.equals(pid))
    assert.equal(node.applicationInfo('env').version, '1.0.0')
  })

  it('APP-T10 env precedence: a child\'s own value wins; an unknown key is undefined', async () => {
    node.loadApplication({ name: 'prec', env: { K: 123 }, children: [worker('p1'), worker('p2', 1, { K: 456 })] })
    await node.startApplication('prec')
    const [p1, p2] = [await pidOf('p1'), await pidOf('p2')]
    assert.equal(await node.call(p1, { env: 'K' }), 123)
    assert.equal(await node.call(p2, { env: 'K' }), 456)
    assert.equal(await node.call(p1, { env: 'nope' }), null)
  })

  it('APP-T3 permanent: a child exiting abnormally stops every other application and the node', async () => {
    node.loadApplication(app('perm', { startType: 'permanent' }))
    node.loadApplication(app('other'))
    await node.startApplication('other')
    await node.startApplication('perm')
    const b = await pidOf('perm.b')
    const stopping = once(node, 'nodeStopping')
    const exited = once(node, 'applicationExit')
    await node.call(b, { exit: 'boom' })
    assert.deepEqual((await exited).slice(0, 2), ['perm', 'boom'])
    assert.deepEqual(await stopping, [{ application: 'perm', reason: 'boom' }])
    await node.stop()
    assert.ok(hasCode((() => { try { node.send(probe.pid, 1) } catch (e) { return e } })(), 'ERR_NODE_STOPPED'))
  })

  it('APP-T4 transient: a child ending normal is only reported; an abnormal end stops the node', async () => {
    node.loadApplication(app('tr', { startType: 'transient' }))
    await node.startApplication('tr')
    await node.call(await pidOf('tr.a'), { exit: 'normal' })
    assert.equal((await probe.expect(is('terminated', 'tr.a'))) as unknown !== undefined, true)
    assert.deepEqual(node.whichApplications().map((a) => a.name), ['tr'])
    const stopping = once(node, 'nodeStopping')
    await node.call(await pidOf('tr.b'), { exit: 'bad' })
    assert.deepEqual(await stopping, [{ application: 'tr', reason: 'bad' }])
  })

  it('APP-T5 temporary: an abnormal end is reported; the node and other applications live on', async () => {
    node.loadApplication(app('tmp'))
    node.loadApplication(app('keep', { startType: 'permanent' }))
    await node.startApplication('keep')
    await node.startApplication('tmp')
    const exited = once(node, 'applicationExit')
    await node.call(await pidOf('tmp.a'), { exit: 'bad' })
    assert.deepEqual((await exited).slice(0, 3), ['tmp', 'bad', 'temporary'])
    assert.equal(((await probe.expect(is('terminated', 'tmp.b'))) as Event).value, 'shutdown')
    assert.deepEqual(node.whichApplications().map((a) => a.name), ['keep'])
  })

  it('APP-T6 stopApplication: children stop in reverse order, it can start again, permanent neighbours are untouched', async () => {
    node.loadApplication(app('s', { startType: 'permanent' }))
    node.loadApplication(app('n', { startType: 'permanent' }))
    await node.startApplication('n')
    await node.startApplication('s')
    await node.stopApplication('s')
    const ends = [(await probe.expect(is('terminated', 's.b'))) as Event, (await probe.expect(is('terminated', 's.a'))) as Event]
    assert.deepEqual(ends.map((e) => e.value), ['shutdown', 'shutdown'])
    assert.deepEqual(node.whichApplications().map((a) => a.name), ['n'])
    await node.startApplication('s')
    assert.deepEqual(node.whichApplications().map((a) => a.name).sort(), ['n', 's'])
  })

  it('APP-T7 dependencies start first; a running one is fine; a failing one fails the start', async () => {
    node.loadApplication(app('base'))
    node.loadApplication(app('top', { applications: ['base'] }))
    await node.startApplication('top')
    const order = [(await probe.expect(is('started'))) as Event, (await probe.expect(is('started'))) as Event, (await probe.expect(is('started'))) as Event]
    assert.deepEqual(order.map((e) => e.id), ['base.a', 'base.b', 'top.a'])
    await node.stopApplication('top')
    await node.startApplication('top')
    node.loadApplication(app('broken', { children: [worker('x')] }))
    node.loadApplication(app('needs', { applications: ['broken'] }))
    const blocker = await node.spawn(AppWorker, { id: 'blocker', report: probe.pid }, { name: 'fail:x' })
    await assert.rejects(node.startApplication('needs'), (e) => hasCode(e, 'ERR_APP_START_FAILED'))
    assert.equal(node.applicationInfo('needs').pid, undefined)
    node.exit(blocker, 'kill')
  })

  it('APP-T8 a child failing to start fails the application start and leaves no child running', async () => {
    const blocker = await node.spawn(AppWorker, { id: 'blocker', report: probe.pid }, { name: 'fail:f.b' })
    node.loadApplication(app('f'))
    await assert.rejects(node.startApplication('f'), (e: { reason?: { failed_to_start_child?: string } }) =>
      hasCode(e, 'ERR_APP_START_FAILED') && e.reason?.failed_to_start_child === 'f.b')
    assert.equal(((await probe.expect(is('terminated', 'f.a'))) as Event).value, 'shutdown')
    assert.deepEqual(node.whichApplications(), [])
    node.exit(blocker, 'kill')
  })

  it('APP-T11 errors: start twice, stop when not running, unknown names', async () => {
    node.loadApplication(app('e'))
    assert.throws(() => node.loadApplication(app('e')), (e) => hasCode(e, 'ERR_APP_ALREADY_LOADED'))
    await assert.rejects(node.stopApplication('e'), (e) => hasCode(e, 'ERR_APP_NOT_RUNNING'))
    await node.startApplication('e')
    await assert.rejects(node.startApplication('e'), (e) => hasCode(e, 'ERR_APP_ALREADY_STARTED'))
    await assert.rejects(node.startApplication('nope'), (e) => hasCode(e, 'ERR_APP_UNKNOWN'))
    assert.throws(() => node.applicationInfo('nope'), (e) => hasCode(e, 'ERR_APP_UNKNOWN'))
  })
})

describe('Application lifespan', () => {
  it('APP-T9 an application with lifespan 150 ms stops itself with normal at exactly 150 ms (virtual)', async () => {
    const clock = new VirtualClock()
    const node = await Node.start({ threads: 0, clock, modules: [FIXTURES] })
    try {
      const probe = await makeProbe(node)
      node.loadApplication({ name: 'short', lifespan: 150, children: [{ id: 'w', start: [AppWorker, { id: 'w', report: probe.pid }] }] })
      await node.startApplication('short')
      await clock.advance(149)
      assert.deepEqual(node.whichApplications().map((a) => a.name), ['short'])
      await clock.advance(1)
      assert.equal(((await probe.expect(is('terminated', 'w'))) as Event).value, 'shutdown')
      await clock.settle()
      assert.deepEqual(node.whichApplications(), [])
    } finally {
      await node.stop()
    }
  })
})
