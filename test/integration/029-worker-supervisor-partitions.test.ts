/**
 * WorkerSupervisor partitions (SEMANTICS §10.1, SW-R10): the groups, chains and standalone workers
 * live in the partition their id hashes to; partitions run on the worker threads when the node
 * loads the partition module there, else on the supervisor's thread. Ids stay unique across
 * partitions, requests reach the right partition, a partition that dies comes back with what it
 * hosted, and stopping or crashing the supervisor takes every partition's workers down.
 *
 * Workers on other threads are given as `[moduleUrl, exportName, args]` (fixtures/worker-functions.ts).
 */
import assert from 'node:assert/strict'
import { Actor, Node, Server, WorkerSupervisor, hasCode, isCallMessage, type Pid, type WorkerContext } from '../../src/index.ts'
import { hashKey } from '../../src/core/hash.ts'
import { ProbeActor, Probe, probe as makeProbe } from '../../src/testing/index.ts'

const FUNCTIONS = new URL('../fixtures/worker-functions.ts', import.meta.url).href
const ref = (name: string, ...args: unknown[]): [string, string, unknown[]] => [FUNCTIONS, name, args]
const partitionOf = (id: string, n: number): number => hashKey(id) % n
/** Ids 'w0', 'w1', ... until every partition of `n` hosts at least one. */
const idsCovering = (n: number): string[] => {
  const ids: string[] = []
  for (let i = 0; new Set(ids.map((id) => partitionOf(id, n))).size < n; i++) ids.push(`w${i}`)
  return ids
}
const downOf = (node: Node, pid: Pid): Promise<unknown> => node.monitor(pid).down.then((d) => d.reason)

/** Starts a WorkerSupervisor linked to itself (SuperWorker's start with link), then ends with `end` when told. */
class Starter extends Actor<{ end: string }, unknown> {
  #end = 'normal'

  override init(args: { end: string }): void {
    this.#end = args.end
  }

  async receive(m: unknown): Promise<void> {
    if (isCallMessage(m)) this.reply(m.from, await WorkerSupervisor.start(this, { id: 'linked-sw', link: true, numberOfPartitions: 2 }))
    else this.stop(this.#end)
  }
}

describe('WorkerSupervisor partitions', function () {
  this.timeout(15000)

  describe('on the worker threads (the node loads the partition module)', () => {
    let node: Node
    let probe: Probe

    before(async () => {
      node = await Node.start({ threads: 2, modules: [WorkerSupervisor.partitionModule] })
    })
    after(() => node.stop())
    beforeEach(async () => {
      probe = await makeProbe(node)
    })

    const echoed = async (id?: string): Promise<{ id: string; message: unknown; self: Pid }> =>
      probe.expect((m) => (m as { event?: string }).event === 'echo' && (id === undefined || (m as { id?: string }).id === id))

    it('places partition k on worker thread 1 + k mod threads, and each worker in the partition its id hashes to', async () => {
      const sup = await node.spawn(WorkerSupervisor, { numberOfPartitions: 2 })
      const partitions = await WorkerSupervisor.partitions(node, sup) as Pid[]
      assert.deepEqual(partitions.map((p) => p.thread), [1, 2])
      const ids = idsCovering(2)
      const threads = new Set<number>()
      for (const id of ids) {
        const pid = await WorkerSupervisor.addStandaloneWorker(node, sup, ref('echo', probe.pid), { id })
        assert.equal(pid.thread, partitions[partitionOf(id, 2)]?.thread, `worker ${id}`)
        threads.add(pid.thread)
      }
      assert.deepEqual([...threads].sort(), [1, 2], 'workers of different ids run on different threads')
      await Server.stop(node, sup)
    })

    it('refuses a function value for a partition on another thread with ERR_NOT_SERIALIZABLE; a module reference goes anywhere', async () => {
      const sup = await node.spawn(WorkerSupervisor, { numberOfPartitions: 2 })
      await assert.rejects(WorkerSupervisor.addStandaloneWorker(node, sup, () => undefined, { id: 'closure' }), (e) => hasCode(e, 'ERR_NOT_SERIALIZABLE'))
      const pid = await WorkerSupervisor.addStandaloneWorker(node, sup, ref('echo', probe.pid), { id: 'closure' })
      node.send(pid, 'hello')
      assert.equal((await echoed('closure')).message, 'hello', 'the id was not taken by the refused add')
      await assert.rejects(WorkerSupervisor.addStandaloneWorker(node, sup, [FUNCTIONS, 'nothing'], { id: 'bad' }), (e) => hasCode(e, 'ERR_INVALID_ARG_VALUE'))
      await Server.stop(node, sup)
    })

    it('SW-T2/SW-T7 groups and chains in partitions on worker threads: broadcast, send by id, a pipeline into finished', async () => {
      const sup = await node.spawn(WorkerSupervisor, { numberOfPartitions: 2 })
      for (const g of ['g0', 'g1', 'g2', 'g3']) {
        await WorkerSupervisor.addGroup(node, sup, { id: g })
        for (const w of ['a', 'b']) await WorkerSupervisor.addGroupWorker(node, sup, g, ref('echo', probe.pid), { id: `${g}.${w}` })
      }
      await WorkerSupervisor.broadcastToGroup(node, sup, 'g2', 'all')
      assert.deepEqual([(await echoed()).id, (await echoed()).id].sort(), ['g2.a', 'g2.b'])
      await WorkerSupervisor.sendToGroup(node, sup, 'g3', 'g3.b', 'one')
      assert.equal((await echoed()).id, 'g3.b')
      await WorkerSupervisor.addChain(node, sup, { id: 'c', finished: ref('deliver', probe.pid) })
      await WorkerSupervisor.addChainWorker(node, sup, 'c', ref('add', 1), { id: 'c.inc' })
      await WorkerSupervisor.addChainWorker(node, sup, 'c', ref('times', 2), { id: 'c.dbl' })
      const finished = (m: unknown): boolean => (m as { event?: string }).event === 'finished'
      for (const x of [1, 2, 3]) await WorkerSupervisor.sendToChain(node, sup, 'c', x)
      const got = [await probe.expect(finished), await probe.expect(finished), await probe.expect(finished)] as { data: number; thread: number }[]
      assert.deepEqual(got.map((m) => m.data), [4, 6, 8])
      assert.equal(got[0]?.thread, 1 + partitionOf('c', 2), 'the chain ran in its partition')
      await WorkerSupervisor.sendToWorker(node, sup, 'c.dbl', 10)
      assert.equal(((await probe.expect(finished)) as { data: number }).data, 20)
      await Server.stop(node, sup)
    })

    it('restarts a partition that dies, and adds back what it hosted', async () => {
      const sup = await node.spawn(WorkerSupervisor, { numberOfPartitions: 2 })
      const [id] = idsCovering(2).filter((i) => partitionOf(i, 2) === 1)
      const k = partitionOf('g', 2)
      await WorkerSupervisor.addGroup(node, sup, { id: 'g' })
      const member = await WorkerSupervisor.addGroupWorker(node, sup, 'g', ref('echo', probe.pid), { id: 'member' })
      const solo = await WorkerSupervisor.addStandaloneWorker(node, sup, ref('echo', probe.pid), { id: id as string })
      const before = await WorkerSupervisor.partitions(node, sup) as Pid[]
      const victim = before[1] as Pid
      const lost = [downOf(node, victim), ...(k === 1 ? [downOf(node, member)] : []), downOf(node, solo)]
      node.exit(victim, 'kill')
      assert.deepEqual(await Promise.all(lost), lost.map(() => 'killed'), 'its workers died with it')
      const after = await WorkerSupervisor.partitions(node, sup) as Pid[]
      assert.ok(after[1] !== undefined && !after[1].equals(victim) && after[1].thread === victim.thread, 'restarted on its thread')
      assert.ok((after[0] as Pid).equals(before[0] as Pid), 'the other partition is untouched')
      const again = await WorkerSupervisor.getStandalone(node, sup, id as string) as Pid
      assert.ok(!again.equals(solo))
      node.send(again, 'back')
      assert.equal((await echoed(id)).message, 'back')
      await WorkerSupervisor.sendToGroup(node, sup, 'g', 'member', 'still here')
      assert.equal((await echoed('member')).message, 'still here')
      await Server.stop(node, sup)
    })

    it('SW-T18 stop kills the workers of every partition; isRunning is then false and the id free again', async () => {
      const sup = await WorkerSupervisor.start(node, { id: 'sw-stop', numberOfPartitions: 2 })
      await assert.rejects(WorkerSupervisor.start(node, { id: 'sw-stop' }), (e: { reason?: unknown }) => hasCode(e, 'ERR_NAME_TAKEN') && e.reason === 'already_running')
      const workers: Pid[] = []
      for (const id of idsCovering(2)) workers.push(await WorkerSupervisor.addStandaloneWorker(node, sup, ref('echo', probe.pid), { id, restartStrategy: 'permanent' }))
      const partitions = await WorkerSupervisor.partitions(node, sup) as Pid[]
      const downs = [...workers, ...partitions].map((p) => downOf(node, p))
      assert.equal(await WorkerSupervisor.isRunning(node, 'sw-stop'), true)
      await WorkerSupervisor.stop(node, 'sw-stop')
      assert.ok((await Promise.all(downs)).every((r) => r === 'killed'))
      assert.equal(await WorkerSupervisor.isRunning(node, 'sw-stop'), false)
      const reborn = await WorkerSupervisor.start(node, { id: 'sw-stop' })
      assert.ok(!reborn.equals(sup))
      await WorkerSupervisor.stop(node, reborn)
    })

    it('SW-T17 a linked starter that crashes takes the supervisor and the workers of every partition down; one that ends normally does not', async () => {
      for (const [end, survives] of [['normal', true], ['boom', false]] as const) {
        const starter = await node.spawn(Starter, { end })
        const sup = await node.call<Pid>(starter, 'start')
        const workers: Pid[] = []
        for (const id of idsCovering(2)) workers.push(await WorkerSupervisor.addStandaloneWorker(node, sup, ref('echo', probe.pid), { id }))
        const downs = [sup, ...workers].map((p) => downOf(node, p))
        const starterDown = downOf(node, starter)
        node.send(starter, 'end')
        await starterDown
        if (survives) {
          assert.equal(await WorkerSupervisor.isRunning(node, sup), true)
          await WorkerSupervisor.stop(node, sup)
          await Promise.all(downs)
        } else {
          assert.deepEqual(await Promise.all(downs), ['boom', ...workers.map(() => 'killed')])
        }
      }
    })

    it('SW-R10 a supervisor that is killed takes its partitions and their workers with it', async () => {
      const sup = await node.spawn(WorkerSupervisor, { numberOfPartitions: 2 })
      const workers: Pid[] = []
      for (const id of idsCovering(2)) workers.push(await WorkerSupervisor.addStandaloneWorker(node, sup, ref('echo', probe.pid), { id, restartStrategy: 'permanent' }))
      const downs = [...workers, ...await WorkerSupervisor.partitions(node, sup) as Pid[]].map((p) => downOf(node, p))
      node.exit(sup, 'kill')
      assert.ok((await Promise.all(downs)).every((r) => r === 'killed'))
    })

    it('reportTo receives the reports of every partition (a worker crash, its restart)', async () => {
      const logger = await node.spawn(ProbeActor, undefined, { thread: 0, name: 'sw-reports' })
      const reports = new Probe(logger, node.localInstance(logger) as ProbeActor)
      const sup = await node.spawn(WorkerSupervisor, { numberOfPartitions: 2, reportTo: 'sw-reports' })
      const [id] = idsCovering(2).filter((i) => partitionOf(i, 2) === 1)
      const pid = await WorkerSupervisor.addStandaloneWorker(node, sup, ref('echo', probe.pid), { id: id as string })
      node.send(pid, 'crash')
      const crash = (await reports.expect((m) => (m as { event?: string }).event === 'child_terminated' &&
        (m as { child?: { id?: string } }).child?.id === id)) as { supervisor: Pid; reason: unknown }
      assert.equal(crash.supervisor.thread, 2, 'reported by the partition hosting it')
      await reports.expect((m) => (m as { event?: string }).event === 'restart')
      await Server.stop(node, sup)
      node.exit(logger, 'kill')
    })
  })

  describe('without the partition module on the worker threads', () => {
    it('keeps every partition on the supervisor\'s thread, where function values work', async () => {
      const node = await Node.start({ threads: 2 })
      try {
        const sup = await node.spawn(WorkerSupervisor, { numberOfPartitions: 3 })
        assert.deepEqual((await WorkerSupervisor.partitions(node, sup) as Pid[]).map((p) => p.thread), [0, 0, 0])
        const seen: string[] = []
        for (const id of idsCovering(3)) await WorkerSupervisor.addStandaloneWorker(node, sup, (m: unknown, ctx: WorkerContext) => void seen.push(`${ctx.id}:${String(m)}`), { id })
        for (const id of idsCovering(3)) node.send(await WorkerSupervisor.getStandalone(node, sup, id) as Pid, 'x')
        while (seen.length < idsCovering(3).length) await new Promise((r) => setImmediate(r))
        assert.deepEqual(seen.sort(), idsCovering(3).map((id) => `${id}:x`).sort())
      } finally {
        await node.stop()
      }
    })
  })

  describe('several partitions on one thread', () => {
    let node: Node

    beforeEach(async () => {
      node = await Node.start({ threads: 0 })
    })
    afterEach(() => node.stop())

    it('SW-T1 keeps worker ids unique across partitions, and a removed id is free again', async () => {
      const sup = await node.spawn(WorkerSupervisor, { numberOfPartitions: 4 })
      // Groups in different partitions: their workers' ids still clash.
      const [g1, g2] = ['ga', 'gb', 'gc', 'gd', 'ge', 'gf'].reduce<string[]>((acc, g) =>
        acc.some((x) => partitionOf(x, 4) === partitionOf(g, 4)) ? acc : [...acc, g], [])
      for (const g of [g1, g2] as string[]) await WorkerSupervisor.addGroup(node, sup, { id: g })
      await WorkerSupervisor.addGroupWorker(node, sup, g1 as string, () => undefined, { id: 'x' })
      await assert.rejects(WorkerSupervisor.addGroupWorker(node, sup, g2 as string, () => undefined, { id: 'x' }), (e) => hasCode(e, 'ERR_ALREADY_EXISTS'))
      await assert.rejects(WorkerSupervisor.addStandaloneWorker(node, sup, () => undefined, { id: 'x' }), (e) => hasCode(e, 'ERR_ALREADY_EXISTS'))
      await WorkerSupervisor.addChain(node, sup, { id: 'c' })
      await assert.rejects(WorkerSupervisor.addChainWorker(node, sup, 'c', (v) => v, { id: 'x' }), (e) => hasCode(e, 'ERR_ALREADY_EXISTS'))
      await assert.rejects(WorkerSupervisor.addGroupWorker(node, sup, 'nope', () => undefined, { id: 'y' }), (e) => hasCode(e, 'ERR_CHILD_NOT_FOUND'))
      await WorkerSupervisor.addStandaloneWorker(node, sup, () => undefined, { id: 'y' })
      await WorkerSupervisor.removeGroupWorker(node, sup, g1 as string, 'x')
      await WorkerSupervisor.addStandaloneWorker(node, sup, () => undefined, { id: 'x' })
      await Server.stop(node, sup)
    })

    it('rejects bad options: numberOfPartitions below 1, unknown keys', async () => {
      await assert.rejects(node.spawn(WorkerSupervisor, { numberOfPartitions: 0 }), (e: { reason?: unknown }) => hasCode(e.reason, 'ERR_INVALID_ARG_VALUE'))
      await assert.rejects(node.spawn(WorkerSupervisor, { partitions: 2 } as never), (e: { reason?: unknown }) => hasCode(e.reason, 'ERR_UNKNOWN_OPTION'))
    })
  })
})
