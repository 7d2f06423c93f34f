/**
 * WorkerSupervisor (SEMANTICS §10): groups, chains and standalone workers added at run time;
 * group broadcast and restarts, chain pipelines (order, entry by worker, return contract,
 * crash handling, backpressure, multi-worker stages), standalone restart types. Partitions on
 * worker threads, a partition's restart and the lifecycle across partitions: 029.
 */
import assert from 'node:assert/strict'
import { Actor, Node, Server, WorkerSupervisor, hasCode, isCallMessage, type Pid, type WorkerContext } from '../../src/index.ts'
import { probe as makeProbe, type Probe } from '../../src/testing/index.ts'

/** Starts a WorkerSupervisor linked to itself, then ends with `end` when told. */
class Starter extends Actor<{ end: string }, unknown> {
  #end = 'normal'

  override init(args: { end: string }): void {
    this.#end = args.end
  }

  async receive(m: unknown): Promise<void> {
    if (isCallMessage(m)) this.reply(m.from, await this.startProcess(WorkerSupervisor, undefined, { link: true }))
    else this.stop(this.#end)
  }
}

// The whole suite runs with one partition (the default on a node without worker threads) and with
// three on the one thread, where groups, chains and standalone workers spread over partitions.
for (const numberOfPartitions of [undefined, 3]) describe(`WorkerSupervisor${numberOfPartitions === undefined ? '' : ` (${numberOfPartitions} partitions)`}`, function () {
  this.timeout(10000)
  let node: Node
  let probe: Probe
  let sup: Pid

  beforeEach(async () => {
    node = await Node.start({ threads: 0 })
    probe = await makeProbe(node)
    sup = await node.spawn(WorkerSupervisor, numberOfPartitions === undefined ? undefined : { numberOfPartitions }, { name: 'sw' })
  })
  afterEach(() => node.stop())

  /** A group/standalone worker that reports what it gets; 'crash' throws, 'quit' ends it normally. */
  const reporter = (tag: string) => (message: unknown, ctx: WorkerContext): void => {
    if (message === 'crash') throw new Error(`${tag} crashed`)
    if (message === 'quit') return ctx.stop('normal')
    ctx.send(probe.pid, { tag, id: ctx.id, message, self: ctx.self })
  }
  const got = (tag?: string) => (m: unknown): boolean => tag === undefined || (m as { tag?: string }).tag === tag

  it('SW-T1 adds groups, chains and standalone workers at run time; duplicate ids fail already_exists', async () => {
    await WorkerSupervisor.addGroup(node, sup, { id: 'g1' })
    for (const id of ['a', 'b', 'c']) await WorkerSupervisor.addGroupWorker(node, sup, 'g1', reporter('g'), { id })
    assert.deepEqual(Object.keys(await WorkerSupervisor.getGroup(node, sup, 'g1')), ['a', 'b', 'c'])
    await WorkerSupervisor.addChain(node, sup, { id: 'c1' })
    for (const id of ['s1', 's2', 's3']) await WorkerSupervisor.addChainWorker(node, sup, 'c1', (x) => x, { id })
    assert.deepEqual((await WorkerSupervisor.getChain(node, sup, 'c1')).map((s) => Object.keys(s)), [['s1'], ['s2'], ['s3']])
    await WorkerSupervisor.addStandaloneWorker(node, sup, reporter('solo'), { id: 'solo' })
    await assert.rejects(WorkerSupervisor.addGroup(node, sup, { id: 'g1' }), (e) => hasCode(e, 'ERR_ALREADY_EXISTS'))
    await assert.rejects(WorkerSupervisor.addGroupWorker(node, sup, 'g1', reporter('g'), { id: 's2' }), (e) => hasCode(e, 'ERR_ALREADY_EXISTS'))
    await assert.rejects(WorkerSupervisor.addGroupWorker(node, sup, 'nope', reporter('g'), { id: 'z' }), (e) => hasCode(e, 'ERR_CHILD_NOT_FOUND'))
  })

  it('SW-T2/T6 group messaging: broadcast reaches each worker once; send by id; random; unknown or removed ids fail', async () => {
    await WorkerSupervisor.addGroup(node, sup, { id: 'g' })
    for (const id of ['a', 'b', 'c']) await WorkerSupervisor.addGroupWorker(node, sup, 'g', reporter('g'), { id })
    await WorkerSupervisor.broadcastToGroup(node, sup, 'g', 'hi')
    const ids = [await probe.expect(got('g')), await probe.expect(got('g')), await probe.expect(got('g'))].map((m) => (m as { id: string }).id)
    assert.deepEqual(ids.sort(), ['a', 'b', 'c'])
    // A second broadcast reaches each worker along the first one's path, behind any copy of 'hi'.
    await WorkerSupervisor.broadcastToGroup(node, sup, 'g', 'mark')
    const says = (message: string) => (m: unknown): boolean => got('g')(m) && (m as { message?: unknown }).message === message
    for (let i = 0; i < 3; i++) await probe.expectNoneBefore(says('hi'), says('mark'))
    await WorkerSupervisor.sendToGroup(node, sup, 'g', 'b', 'just b')
    assert.equal(((await probe.expect(got('g'))) as { id: string }).id, 'b')
    await WorkerSupervisor.sendToGroupRandom(node, sup, 'g', 'anyone')
    assert.ok(['a', 'b', 'c'].includes(((await probe.expect(got('g'))) as { id: string }).id))
    await assert.rejects(WorkerSupervisor.sendToGroup(node, sup, 'g', 'zz', 1), (e) => hasCode(e, 'ERR_CHILD_NOT_FOUND'))
    await WorkerSupervisor.removeGroupWorker(node, sup, 'g', 'b')
    await assert.rejects(WorkerSupervisor.sendToGroup(node, sup, 'g', 'b', 1), (e) => hasCode(e, 'ERR_CHILD_NOT_FOUND'))
  })

  it('SW-T6 from inside a worker: send to a member of its group by id, to a random one, to all; an unknown id fails there', async () => {
    const member = (message: unknown, ctx: WorkerContext): void => {
      const m = message as { to?: string; anyone?: unknown; everyone?: unknown; data?: unknown }
      if (m.to !== undefined) {
        try {
          ctx.group?.send(m.to, m.data)
        } catch (error) {
          ctx.send(probe.pid, { tag: 'error', id: ctx.id, code: (error as { code?: string }).code })
        }
      } else if (m.anyone !== undefined) ctx.group?.sendRandom(m.anyone)
      else if (m.everyone !== undefined) ctx.group?.broadcast(m.everyone)
      else ctx.send(probe.pid, { tag: 'g', id: ctx.id, message, members: ctx.group?.members() })
    }
    await WorkerSupervisor.addGroup(node, sup, { id: 'g' })
    for (const id of ['a', 'b', 'c']) await WorkerSupervisor.addGroupWorker(node, sup, 'g', member, { id })
    await WorkerSupervisor.sendToGroup(node, sup, 'g', 'a', { to: 'c', data: 'from a' })
    assert.deepEqual(await probe.expect(got('g')), { tag: 'g', id: 'c', message: 'from a', members: ['a', 'b', 'c'] })
    await WorkerSupervisor.sendToGroup(node, sup, 'g', 'a', { anyone: 'any' })
    assert.ok(['a', 'b', 'c'].includes(((await probe.expect(got('g'))) as { id: string }).id))
    await WorkerSupervisor.sendToGroup(node, sup, 'g', 'b', { everyone: 'all' })
    const ids = [await probe.expect(got('g')), await probe.expect(got('g')), await probe.expect(got('g'))].map((m) => (m as { id: string }).id)
    assert.deepEqual(ids.sort(), ['a', 'b', 'c'])
    await WorkerSupervisor.sendToGroup(node, sup, 'g', 'a', { to: 'zz', data: 1 })
    assert.deepEqual(await probe.expect(got('error')), { tag: 'error', id: 'a', code: 'ERR_CHILD_NOT_FOUND' })
  })

  it('SW-T6 a worker sends to its group as itself: once it is gone, what it still sends there is dropped, as with ctx.send', async () => {
    // The worker runs on this thread (threads: 0), so the test can hold it mid-message.
    let release!: () => void
    const gate = new Promise<void>((resolve) => { release = resolve })
    let sent!: () => void
    const done = new Promise<void>((resolve) => { sent = resolve })
    await WorkerSupervisor.addGroup(node, sup, { id: 'g' })
    await WorkerSupervisor.addGroupWorker(node, sup, 'g', reporter('g'), { id: 'b' })
    await WorkerSupervisor.addGroupWorker(node, sup, 'g', async (_message: unknown, ctx: WorkerContext) => {
      ctx.send(probe.pid, { tag: 'a', message: 'waiting' })
      await gate
      ctx.send(probe.pid, { tag: 'g', message: 'ctx.send' })
      ctx.group?.send('b', 'send')
      ctx.group?.sendRandom('sendRandom')
      ctx.group?.broadcast('broadcast')
      sent()
    }, { id: 'a' })
    await WorkerSupervisor.sendToGroup(node, sup, 'g', 'a', 'go')
    await probe.expect(got('a'))
    await WorkerSupervisor.removeGroupWorker(node, sup, 'g', 'a')
    release()
    await done
    await WorkerSupervisor.sendToGroup(node, sup, 'g', 'b', 'marker')
    assert.equal(((await probe.expect(got('g'))) as { message: unknown }).message, 'marker', 'nothing the removed worker sent arrived')
  })

  for (const [strategy, restarted] of [['one_for_all', ['a', 'b', 'c']], ['one_for_one', ['b']]] as const) {
    it(`SW-T3/T4 group ${strategy}: a crash restarts ${restarted.join(', ')}; SW-T5 a clean end restarts nothing`, async () => {
      await WorkerSupervisor.addGroup(node, sup, { id: 'g', restartStrategy: strategy })
      for (const id of ['a', 'b', 'c']) await WorkerSupervisor.addGroupWorker(node, sup, 'g', reporter('g'), { id })
      const before = await WorkerSupervisor.getGroup(node, sup, 'g')
      const down = node.monitor(before.b as Pid).down
      await WorkerSupervisor.sendToGroup(node, sup, 'g', 'b', 'crash')
      await down
      let after = await WorkerSupervisor.getGroup(node, sup, 'g')
      while (Object.values(after).some((p) => p === undefined || p.equals(before.b as Pid))) after = await WorkerSupervisor.getGroup(node, sup, 'g')
      for (const id of ['a', 'b', 'c']) {
        const changed = !(after[id] as Pid).equals(before[id] as Pid)
        assert.equal(changed, (restarted as readonly string[]).includes(id), `worker ${id}`)
      }
      const quit = node.monitor(after.c as Pid).down
      await WorkerSupervisor.sendToGroup(node, sup, 'g', 'c', 'quit')
      assert.equal((await quit).reason, 'normal')
      const last = await WorkerSupervisor.getGroup(node, sup, 'g')
      assert.equal(last.c, undefined, 'not restarted')
      assert.ok((last.a as Pid).equals(after.a as Pid), 'siblings untouched')
    })
  }

  it('SW-T7/T8 a chain pipes each item through its stages in order, into finished', async () => {
    const results: unknown[] = []
    await WorkerSupervisor.addChain(node, sup, { id: 'c', finished: (v) => void results.push(v) })
    await WorkerSupervisor.addChainWorker(node, sup, 'c', (x) => (x as number) + 1, { id: 'inc' })
    await WorkerSupervisor.addChainWorker(node, sup, 'c', (x) => (x as number) * 2, { id: 'dbl' })
    await WorkerSupervisor.addChainWorker(node, sup, 'c', (x) => String(x), { id: 'str' })
    await WorkerSupervisor.sendToChain(node, sup, 'c', 3)
    for (let i = 1; i <= 1000; i++) await WorkerSupervisor.sendToChain(node, sup, 'c', i)
    while (results.length < 1001) await new Promise((r) => setImmediate(r))
    assert.equal(results[0], '8')
    assert.deepEqual(results.slice(1), Array.from({ length: 1000 }, (_, i) => String((i + 2) * 2)))
  })

  it('SW-T9/T10 entry by worker id skips earlier stages; drop ends an item; {next} forwards its value', async () => {
    const results: unknown[] = []
    let firstCalls = 0
    await WorkerSupervisor.addChain(node, sup, { id: 'c', finished: (v) => void results.push(v) })
    await WorkerSupervisor.addChainWorker(node, sup, 'c', (x) => { firstCalls++; return x }, { id: 'one' })
    await WorkerSupervisor.addChainWorker(node, sup, 'c', (x) => (x === 'skip' ? { drop: 'unwanted' } : { next: (x as number) * 2 }), { id: 'two' })
    await WorkerSupervisor.addChainWorker(node, sup, 'c', (x) => String(x), { id: 'three' })
    await WorkerSupervisor.sendToWorker(node, sup, 'two', 5)
    await WorkerSupervisor.sendToChain(node, sup, 'c', 'skip')
    await WorkerSupervisor.sendToChain(node, sup, 'c', 1)
    while (results.length < 2) await new Promise((r) => setImmediate(r))
    assert.deepEqual(results, ['10', '2'])
    assert.equal(firstCalls, 2)
    await assert.rejects(WorkerSupervisor.sendToWorker(node, sup, 'nobody', 1), (e) => hasCode(e, 'ERR_CHILD_NOT_FOUND'))
  })

  it('SW-T11 a crash in a chain restarts the whole chain (one_for_all); the crashed item is lost, later ones flow', async () => {
    const results: unknown[] = []
    await WorkerSupervisor.addChain(node, sup, { id: 'c', finished: (v) => void results.push(v) })
    for (const id of ['x', 'y']) await WorkerSupervisor.addChainWorker(node, sup, 'c', (v) => { if (v === 'boom') throw new Error('bad item'); return v }, { id })
    const before = await WorkerSupervisor.getChain(node, sup, 'c')
    const down = node.monitor(before[0]?.x as Pid).down
    await WorkerSupervisor.sendToChain(node, sup, 'c', 'boom')
    await down
    let after = await WorkerSupervisor.getChain(node, sup, 'c')
    while (after.some((s) => Object.values(s).some((p) => p === undefined)) || (after[0]?.x as Pid).equals(before[0]?.x as Pid)) {
      after = await WorkerSupervisor.getChain(node, sup, 'c')
    }
    assert.ok(!(after[1]?.y as Pid).equals(before[1]?.y as Pid), 'the whole chain restarted')
    await WorkerSupervisor.sendToChain(node, sup, 'c', 'ok')
    while (results.length < 1) await new Promise((r) => setImmediate(r))
    assert.deepEqual(results, ['ok'])
  })

  for (const [strategy, restarted] of [['one_for_one', ['s2']], ['rest_for_one', ['s2', 's3']], ['before_for_one', ['s1', 's2']]] as const) {
    it(`SW-T12/T13 chain ${strategy}: a crash in stage 2 restarts ${restarted.join(', ')}`, async () => {
      await WorkerSupervisor.addChain(node, sup, { id: 'c', restartStrategy: strategy })
      for (const id of ['s1', 's2', 's3']) {
        await WorkerSupervisor.addChainWorker(node, sup, 'c', (v) => { if (v === 'boom' && id === 's2') throw new Error('bad'); return v }, { id })
      }
      const flat = async (): Promise<Record<string, Pid | undefined>> => Object.assign({}, ...await WorkerSupervisor.getChain(node, sup, 'c'))
      const before = await flat()
      const down = node.monitor(before.s2 as Pid).down
      await WorkerSupervisor.sendToChain(node, sup, 'c', 'boom')
      await down
      let after = await flat()
      while (Object.values(after).some((p) => p === undefined) || (after.s2 as Pid).equals(before.s2 as Pid)) after = await flat()
      for (const id of ['s1', 's2', 's3']) {
        assert.equal(!(after[id] as Pid).equals(before[id] as Pid), (restarted as readonly string[]).includes(id), `stage ${id}`)
      }
    })
  }

  it('SW-T14 backpressure: with the last stage blocked, the first stage stops within its window', async () => {
    let release: (() => void) | undefined
    const gate = new Promise<void>((r) => { release = r })
    let firstStage = 0
    const results: unknown[] = []
    await WorkerSupervisor.addChain(node, sup, { id: 'c', queueLength: 2, finished: (v) => void results.push(v) })
    await WorkerSupervisor.addChainWorker(node, sup, 'c', (x) => { firstStage++; return x }, { id: 'a' })
    await WorkerSupervisor.addChainWorker(node, sup, 'c', async (x) => { await gate; return x }, { id: 'b' })
    for (let i = 0; i < 20; i++) await WorkerSupervisor.sendToChain(node, sup, 'c', i)
    await new Promise((r) => setTimeout(r, 50)) // bound: nothing signals that stage a has stopped
    assert.ok(firstStage <= 4, `stage a ran ${firstStage} items ahead of a blocked stage b`)
    release?.()
    while (results.length < 20) await new Promise((r) => setImmediate(r))
    assert.deepEqual(results, Array.from({ length: 20 }, (_, i) => i))
  })

  it('SW-T15 multi-worker stages: round_robin 3/3/3, partition keeps a key on one worker, broadcast reaches all', async () => {
    for (const sendType of ['round_robin', 'partition', 'broadcast'] as const) {
      const seen = new Map<string, unknown[]>()
      await WorkerSupervisor.addChain(node, sup, { id: sendType, sendType })
      await WorkerSupervisor.addChainWorker(node, sup, sendType, (x) => x, { id: `${sendType}-in` })
      await WorkerSupervisor.addChainWorker(node, sup, sendType, (x, ctx) => { (seen.get(ctx.id) ?? seen.set(ctx.id, []).get(ctx.id))?.push(x); return x }, { id: `${sendType}-w`, numWorkers: 3 })
      const items = sendType === 'partition' ? ['k1', 'k2', 'k1', 'k2', 'k1', 'k2'] : Array.from({ length: 9 }, (_, i) => i)
      for (const x of items) await WorkerSupervisor.sendToChain(node, sup, sendType, x)
      const expected = sendType === 'broadcast' ? 27 : items.length
      while ([...seen.values()].reduce((n, l) => n + l.length, 0) < expected) await new Promise((r) => setImmediate(r))
      const counts = [...seen.values()].map((l) => l.length).sort()
      if (sendType === 'round_robin') assert.deepEqual(counts, [3, 3, 3])
      if (sendType === 'broadcast') assert.deepEqual(counts, [9, 9, 9])
      if (sendType === 'partition') {
        for (const key of ['k1', 'k2']) assert.equal([...seen.values()].filter((l) => l.includes(key)).length, 1, `${key} on one worker`)
      }
    }
  })

  it('SW-T16 standalone restart types: permanent always, transient after a crash only, temporary never; groups untouched', async () => {
    await WorkerSupervisor.addGroup(node, sup, { id: 'g' })
    const member = await WorkerSupervisor.addGroupWorker(node, sup, 'g', reporter('g'), { id: 'gm' })
    const end = async (id: string, how: 'crash' | 'quit'): Promise<Pid | undefined> => {
      const pid = await WorkerSupervisor.getStandalone(node, sup, id) as Pid
      const down = node.monitor(pid).down
      node.send(pid, how)
      await down
      // The supervisor has handled the EXIT once a later request is answered (same thread, in order).
      let now = await WorkerSupervisor.getStandalone(node, sup, id)
      for (let i = 0; i < 100 && now?.equals(pid) === true; i++) now = await WorkerSupervisor.getStandalone(node, sup, id)
      return now
    }
    const cases = [['permanent', 'crash', true], ['permanent', 'quit', true], ['transient', 'crash', true], ['transient', 'quit', false],
      ['temporary', 'crash', false]] as const
    for (const [restart, how, again] of cases) {
      const id = `${restart}-${how}`
      const first = await WorkerSupervisor.addStandaloneWorker(node, sup, reporter(id), { id, restartStrategy: restart })
      const now = await end(id, how)
      assert.equal(now !== undefined, again, `${restart} after ${how}`)
      if (now !== undefined) assert.ok(!now.equals(first))
    }
    assert.equal((await WorkerSupervisor.getGroup(node, sup, 'g')).gm?.equals(member), true, 'the group did not notice')
  })

  it('SW-T18 stopping the supervisor takes every worker down', async () => {
    await WorkerSupervisor.addGroup(node, sup, { id: 'g' })
    const a = await WorkerSupervisor.addGroupWorker(node, sup, 'g', reporter('g'), { id: 'a' })
    const s = await WorkerSupervisor.addStandaloneWorker(node, sup, reporter('s'), { id: 's' })
    const downs = [a, s].map((p) => node.monitor(p).down)
    await Server.stop(node, sup)
    assert.deepEqual((await Promise.all(downs)).map((d) => d.reason), ['killed', 'killed'])
    assert.equal(node.whereis('sw'), undefined)
  })

  it('SW-T17 started linked: the starter ending normally leaves it running; the starter crashing takes it and its workers down', async () => {
    for (const [end, survives] of [['normal', true], ['boom', false]] as const) {
      const starter = await node.spawn(Starter, { end })
      const linked = await node.call(starter, 'start') as Pid
      const worker = await WorkerSupervisor.addStandaloneWorker(node, linked, reporter('w'), { id: 'w' })
      const downs = [node.monitor(linked).down, node.monitor(worker).down]
      const starterDown = node.monitor(starter).down
      node.send(starter, 'end')
      await starterDown
      if (survives) {
        assert.equal(await WorkerSupervisor.getStandalone(node, linked, 'w').then((p) => p?.equals(worker)), true)
        await Server.stop(node, linked)
      } else {
        assert.deepEqual((await Promise.all(downs)).map((d) => d.reason), ['boom', 'killed'])
      }
    }
  })

  it('SW-T19 an empty chain with no callback refuses data', async () => {
    await WorkerSupervisor.addChain(node, sup, { id: 'empty' })
    await assert.rejects(WorkerSupervisor.sendToChain(node, sup, 'empty', 1), (e) => hasCode(e, 'ERR_NO_WORKER_OR_CALLBACK'))
  })

  it('rejects bad options of groups, chains and standalone workers with coded errors, and adds nothing', async () => {
    const noop = (): void => {}
    const type = (e: unknown): boolean => hasCode(e, 'ERR_INVALID_ARG_TYPE')
    const value = (e: unknown): boolean => hasCode(e, 'ERR_INVALID_ARG_VALUE')
    const unknown = (e: unknown): boolean => hasCode(e, 'ERR_UNKNOWN_OPTION')
    const solo = (opts: Record<string, unknown>): Promise<unknown> => WorkerSupervisor.addStandaloneWorker(node, sup, noop, { id: 'solo', ...opts })
    for (const [opts, code] of [
      [{ maxRestarts: -1 }, value], [{ maxRestarts: 1.5 }, value], [{ maxRestarts: 'x' }, type], [{ maxRestarts: null }, type],
      [{ maxSeconds: 0 }, value], [{ maxSeconds: -5 }, value], [{ maxSeconds: NaN }, value], [{ maxSeconds: 'x' }, type],
      [{ restartStrategy: 'sometimes' }, value], [{ restartStrategy: 1 }, type], [{ maxRestart: 1 }, unknown],
    ] as const) await assert.rejects(solo(opts), code, JSON.stringify(opts))
    await assert.rejects(WorkerSupervisor.getStandalone(node, sup, 'solo'), (e) => hasCode(e, 'ERR_CHILD_NOT_FOUND'), 'nothing was added')
    for (const [opts, code] of [
      [{ restartStrategy: 'rest_for_one' }, value], [{ restartStrategy: 2 }, type], [{ restart: 'one_for_one' }, unknown],
    ] as const) await assert.rejects(WorkerSupervisor.addGroup(node, sup, { id: 'g', ...opts } as never), code, JSON.stringify(opts))
    await assert.rejects(WorkerSupervisor.getGroup(node, sup, 'g'), (e) => hasCode(e, 'ERR_CHILD_NOT_FOUND'), 'nothing was added')
    for (const [opts, code] of [
      [{ queueLength: 0 }, value], [{ queueLength: 2.5 }, value], [{ queueLength: '5' }, type], [{ sendType: 'all' }, value],
      [{ sendType: 3 }, type], [{ restartStrategy: 'one_for_none' }, value], [{ finished: 'done' }, type],
      [{ finishedCallback: noop }, unknown],
    ] as const) await assert.rejects(WorkerSupervisor.addChain(node, sup, { id: 'c', ...opts } as never), code, JSON.stringify(opts))
    await assert.rejects(WorkerSupervisor.getChain(node, sup, 'c'), (e) => hasCode(e, 'ERR_CHILD_NOT_FOUND'), 'nothing was added')
    await WorkerSupervisor.addChain(node, sup, { id: 'c' })
    for (const [opts, code] of [[{ numWorkers: 0 }, value], [{ numWorkers: '2' }, type], [{ workers: 2 }, unknown]] as const) {
      await assert.rejects(WorkerSupervisor.addChainWorker(node, sup, 'c', noop, { id: 'w', ...opts } as never), code, JSON.stringify(opts))
    }
    await WorkerSupervisor.addGroup(node, sup, { id: 'g' })
    await assert.rejects(WorkerSupervisor.addGroupWorker(node, sup, 'g', noop, { id: 'm', restart: 'x' } as never), unknown)
    assert.deepEqual(await WorkerSupervisor.getChain(node, sup, 'c'), [])
    assert.deepEqual(await WorkerSupervisor.getGroup(node, sup, 'g'), {})
    // Good options still work, the limits included.
    assert.ok(await solo({ restartStrategy: 'permanent', maxRestarts: 0, maxSeconds: 0.5 }))
  })

  it('answers a call it does not know, to it or to a partition, with ERR_UNSUPPORTED_REQUEST (the caller does not wait for its timeout)', async () => {
    const unsupported = (e: unknown): boolean => hasCode(e, 'ERR_UNSUPPORTED_REQUEST')
    // The timeout only bounds a failure: the answer comes at once.
    for (const request of ['what?', { $sw: 'noSuchRequest' }, { $sw: 'noSuchRequest', id: 'x' }]) {
      await assert.rejects(node.call(sup, request, { timeout: 3000 }), unsupported, JSON.stringify(request))
    }
    const [partition] = await WorkerSupervisor.partitions(node, sup)
    await assert.rejects(node.call(partition as Pid, 'what?', { timeout: 3000 }), unsupported)
    assert.equal(await WorkerSupervisor.isRunning(node, sup), true)
  })
})
