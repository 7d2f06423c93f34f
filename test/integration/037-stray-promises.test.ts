/**
 * Containment (issue 10, item 1): a promise a process starts and does not return, rejected with
 * nobody to handle it, ends that process only (its monitors hear the error); one no process
 * made, and a throw from a timer, are reported and the thread goes on. On the main thread the
 * program's own handling of its rejections is what it would be without Skein.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Node, type Pid, type StrayReport } from '../../src/index.ts'
import { Probe, ProbeActor } from '../../src/testing/index.ts'
import { Leaky, type StrayHow } from '../fixtures/stray.ts'
import { FIXTURES } from '../helpers.ts'

const STRAY = new URL('../fixtures/stray.ts', import.meta.url)

describe('stray promises', () => {
  let node: Node
  let reports: Probe
  const downs: number[] = []
  before(async () => {
    node = await Node.start({ threads: 2, modules: [FIXTURES, STRAY], env: { 'skein.reports': 'reports' } })
    const r = await node.spawn(ProbeActor, undefined, { thread: 0, name: 'reports' })
    reports = new Probe(r, node.localInstance(r) as ProbeActor)
    node.on('threadDown', (k: number) => downs.push(k))
  })
  after(() => node.stop())

  for (const thread of [0, 1]) {
    for (const [how, message] of [
      ['reject', 'stray rejection'],
      ['async-throw', 'async throw after the handler returned'],
      ['after-await', 'stray after an await'],
    ] as const) {
      it(`ends only the process whose ${how} promise was left unhandled (thread ${thread})`, async () => {
        const leaky = await node.spawn(Leaky, undefined, { thread })
        const bystander = await node.spawn(Leaky, undefined, { thread })
        const m = node.monitor(leaky)
        node.send(leaky, how)
        const down = await m.down
        assert.ok(down.reason instanceof Error, `reason: ${String(down.reason)}`)
        assert.equal(down.reason.message, message)
        assert.equal(await node.call(bystander, 'still there?'), 'alive')
        assert.deepEqual(downs, [], 'no thread died')
      })
    }
  }

  it('leaves a process alone whose rejected promise is handled within the tick', async () => {
    const leaky = await node.spawn(Leaky, undefined, { thread: 1 })
    node.send(leaky, 'handled')
    assert.equal(await node.call(leaky, 'still there?'), 'alive')
  })

  for (const [how, what, message] of [
    ['timer-throw', 'uncaught exception', 'thrown by a timer'],
    ['timer-reject', 'unhandled rejection', 'rejected in a timer'],
  ] as const) {
    it(`reports an error no process owns (${what} from a timer) and the worker thread goes on`, async () => {
      const leaky = await node.spawn(Leaky, undefined, { thread: 2 })
      node.send(leaky, how satisfies StrayHow)
      const r = await reports.expect((x) => (x as Partial<StrayReport>).kind === 'stray', 5000) as StrayReport
      assert.equal(r.thread, 2)
      assert.equal(r.what, what)
      assert.equal((r.reason as Error).message, message)
      assert.equal(await node.call(leaky as Pid, 'still there?'), 'alive', 'the process that set the timer lives on')
      assert.deepEqual(downs, [], 'no thread died')
    })
  }
})

describe('stray promises on the main thread (child process)', () => {
  const run = (what: string): Promise<{ out: string; err: string; code: number }> => new Promise((resolve) => {
    const script = fileURLToPath(new URL('../fixtures/stray-script.ts', import.meta.url))
    execFile(process.execPath, ['--import', 'tsx', script, what], { timeout: 30_000, env: { ...process.env, SKEIN_REPORTS: 'off' } },
      (error, out, err) => resolve({ out, err, code: error === null ? 0 : Number((error as { code?: number }).code ?? -1) }))
  })

  it('ends a main-thread process that leaks a rejection, and the OS process goes on', async function () {
    this.timeout(40_000)
    const r = await run('process')
    assert.equal(r.code, 0, r.err)
    assert.match(r.out, /down: stray rejection\nstopped/)
  })

  it('leaves the program\'s own rejections to its own listener', async function () {
    this.timeout(40_000)
    const r = await run('own-listener')
    assert.equal(r.code, 0, r.err)
    assert.match(r.out, /mine: the program's own\nstopped/)
  })

  it('ends the program on its own unhandled rejection when it has no listener, as Node does', async function () {
    this.timeout(40_000)
    const r = await run('no-listener')
    assert.equal(r.code, 1)
    assert.match(r.err, /the program's own/)
    assert.doesNotMatch(r.out, /stopped/)
  })
})
