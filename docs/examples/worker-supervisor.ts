/**
 * WorkerSupervisor: function workers added at run time. A chain (parse → enrich, with two
 * enrich workers), a group restarted as a unit when one member crashes, and a standalone
 * transient worker.
 * Run: node --import tsx docs/examples/worker-supervisor.ts
 */
import assert from 'node:assert/strict'
import { Node, WorkerSupervisor, type Pid, type WorkerContext } from '../../src/index.ts'

/** Collects values until `n` have come; `done` resolves with them. */
class Collector<T> {
  readonly items: T[] = []
  readonly n: number
  readonly done: Promise<T[]>
  #resolve!: (items: T[]) => void

  constructor(n: number) {
    this.n = n
    this.done = new Promise((resolve) => { this.#resolve = resolve })
  }

  push(item: T): void {
    this.items.push(item)
    if (this.items.length === this.n) this.#resolve(this.items)
  }
}

// With no worker threads the supervisor's one partition runs on the main thread, and so do the
// workers: they may be plain functions that close over the program's own values, such as these
// collectors. Nothing has to reach another thread, so this program lists no `modules` and may
// use top-level await.
const node = await Node.start({ threads: 0, env: { 'skein.reports': false } })
try {
  const sup = await node.spawn(WorkerSupervisor, undefined, { name: 'work' })

  // A chain: each stage's result goes to the next; `finished` gets the last stage's results.
  const stored = new Collector<string>(3)
  await WorkerSupervisor.addChain(node, sup, { id: 'ingest', finished: (doc) => stored.push(doc as string), sendType: 'round_robin' })
  await WorkerSupervisor.addChainWorker(node, sup, 'ingest', (raw) => {
    const [key, value] = (raw as string).split('=')
    const n = Number(value)
    return n < 0 ? { drop: 'negative' } : { key, n }      // { drop } ends the item here
  }, { id: 'parse' })
  await WorkerSupervisor.addChainWorker(node, sup, 'ingest', (doc) => {
    const { key, n } = doc as { key: string; n: number }
    return `${key}=${n * 2}`
  }, { id: 'enrich', numWorkers: 2 })
  for (const raw of ['a=1', 'b=-5', 'c=3', 'd=4']) await WorkerSupervisor.sendToChain(node, sup, 'ingest', raw)
  const docs = (await stored.done).sort()                  // two enrich workers: any order
  assert.deepEqual(docs, ['a=2', 'c=6', 'd=8'])
  const stages = (await WorkerSupervisor.getChain(node, sup, 'ingest')).map((s) => Object.keys(s).join('+'))
  console.log(`chain ${stages.join(' -> ')}: ${docs.join(' ')} (b=-5 dropped)`)

  // A group: broadcast reaches every member; one_for_all restarts them all when one crashes.
  const flushed = new Collector<string>(3)
  await WorkerSupervisor.addGroup(node, sup, { id: 'caches' })
  const cache = (message: unknown, ctx: WorkerContext): void => {
    if (message === 'crash') throw new Error(`${ctx.id} crashed`)
    if (message === 'flush') flushed.push(ctx.id)
  }
  for (const id of ['c1', 'c2', 'c3']) await WorkerSupervisor.addGroupWorker(node, sup, 'caches', cache, { id })
  await WorkerSupervisor.broadcastToGroup(node, sup, 'caches', 'flush')
  assert.deepEqual((await flushed.done).sort(), ['c1', 'c2', 'c3'])
  console.log('broadcast flush reached c1, c2, c3')

  const before = await WorkerSupervisor.getGroup(node, sup, 'caches')
  const c2 = node.monitor(before.c2 as Pid)
  await WorkerSupervisor.sendToGroup(node, sup, 'caches', 'c2', 'crash')
  await c2.down
  // Everything here runs on the main thread: the partition hosting the group had c2's EXIT
  // before the node had the DOWN, and restarts the group before it answers the next request.
  const after = await WorkerSupervisor.getGroup(node, sup, 'caches')
  const renewed = ['c1', 'c2', 'c3'].filter((id) => !(after[id]?.equals(before[id]) ?? false))
  assert.deepEqual(renewed, ['c1', 'c2', 'c3'])
  console.log('c2 crashed: the whole group was restarted (one_for_all)')

  // A standalone worker: transient, so a crash restarts it and a clean end does not.
  const solo = await WorkerSupervisor.addStandaloneWorker(node, sup, (message, ctx) => {
    if (message === 'crash') throw new Error('solo crashed')
    if (message === 'quit') ctx.stop('normal')
  }, { id: 'solo', restartStrategy: 'transient' })
  const crashed = node.monitor(solo)
  node.send(solo, 'crash')
  await crashed.down
  const again = await WorkerSupervisor.getStandalone(node, sup, 'solo')
  assert.ok(again !== undefined && !again.equals(solo))
  const quit = node.monitor(again)
  node.send(again, 'quit')
  assert.equal((await quit.down).reason, 'normal')
  assert.equal(await WorkerSupervisor.getStandalone(node, sup, 'solo'), undefined)
  console.log('solo: restarted after a crash, left alone after a clean stop')
} finally {
  await node.stop()
}
