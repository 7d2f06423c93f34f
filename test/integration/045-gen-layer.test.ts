/**
 * The gen layer (src/behaviours/gen.ts): what every behaviour does with Server.stop's request,
 * its parent's EXIT and a call it does not know, decided in one place. A matrix over the
 * behaviours: Server.stop stops each (SRV-R10); a trapped EXIT from the parent stops each with
 * the parent's reason (SRV-R9), except an Actor (its receive gets it) and a WorkerSupervisor on
 * 'normal' (SW-R10); a call none of its client functions makes is refused ERR_UNSUPPORTED_REQUEST
 * by every behaviour that does not hand calls to a callback (a Server, a Stage and an Actor do;
 * a Pool hands them to a worker).
 */
import assert from 'node:assert/strict'
import {
  Actor, ConsumerSupervisor, Node, Pool, Server, Stage, Supervisor, WorkerSupervisor, hasCode, isCallMessage,
  type BehaviourClass, type ConsumerSupervisorSpec, type Pid, type StageSpec, type SupervisorSpec,
} from '../../src/index.ts'
import { probe as makeProbe, type Probe } from '../../src/testing/index.ts'

class Plain extends Actor<{ report: Pid } | undefined, unknown> {
  #report: Pid | undefined
  override init(args: { report: Pid } | undefined): void {
    this.#report = args?.report
  }

  receive(m: unknown): void {
    if (isCallMessage(m)) this.reply(m.from, 'actor')
    else if (this.#report !== undefined) this.send(this.#report, { got: m, at: this.self })
  }
}

class Echo extends Server<void, unknown, unknown, unknown> {
  override handleCall(request: unknown): unknown {
    return request
  }
}

class Empty extends Supervisor<void> {
  init(): SupervisorSpec {
    return { strategy: 'one_for_one', children: [] }
  }
}

class Numbers extends Stage<void, number> {
  init(): StageSpec<number> {
    return { type: 'producer' }
  }

  override handleDemand(): number[] {
    return []
  }

  override handleCall(request: unknown): unknown {
    return request
  }
}

class Jobs extends ConsumerSupervisor<void> {
  init(): ConsumerSupervisorSpec {
    return { child: { id: 'job', start: [Echo, undefined], restart: 'temporary' } }
  }
}

/** Starts what it is asked for linked and trapping exits (so it gets this parent's EXIT), then ends with the reason it is given. */
class Parent extends Actor<void, unknown> {
  async receive(m: unknown): Promise<void> {
    if (!isCallMessage(m)) return
    const r = m.request as { start?: [BehaviourClass<unknown>, unknown]; end?: unknown }
    if (r.start !== undefined) this.reply(m.from, await this.startProcess(r.start[0], r.start[1], { link: true, trapExit: true }))
    else this.stop(r.end)
  }
}

describe('gen layer: system messages, the same for every behaviour', function () {
  this.timeout(10000)
  let node: Node
  let probe: Probe

  beforeEach(async () => {
    node = await Node.start({ threads: 0 })
    probe = await makeProbe(node)
  })
  afterEach(() => node.stop())

  /** Each behaviour, as [name, Class, args]. */
  const behaviours = (): [string, BehaviourClass<unknown>, unknown][] => [
    ['Actor', Plain as BehaviourClass<unknown>, { report: probe.pid }],
    ['Server', Echo as BehaviourClass<unknown>, undefined],
    ['Supervisor', Empty as BehaviourClass<unknown>, undefined],
    ['Pool', Pool as BehaviourClass<unknown>, { worker: Echo, size: 2 }],
    ['Stage', Numbers as BehaviourClass<unknown>, undefined],
    ['ConsumerSupervisor', Jobs as BehaviourClass<unknown>, undefined],
    ['WorkerSupervisor', WorkerSupervisor as BehaviourClass<unknown>, undefined],
  ]

  it('Server.stop stops every behaviour with its reason (the partitions of a WorkerSupervisor and an application master too)', async () => {
    for (const [name, cls, args] of behaviours()) {
      const pid = await node.spawn(cls, args)
      const down = node.monitor(pid).down
      await Server.stop(node, pid, 'shutdown')
      assert.equal((await down).reason, 'shutdown', name)
    }
    node.loadApplication({ name: 'app', children: [] })
    const master = await node.startApplication('app', 'temporary')
    const down = node.monitor(master).down
    await Server.stop(node, master, 'shutdown')
    assert.equal((await down).reason, 'shutdown')
  })

  it('Server.stop stops a WorkerSupervisor partition (it was refused ERR_UNSUPPORTED_REQUEST); the supervisor restarts it with what it hosted', async () => {
    const sup = await node.spawn(WorkerSupervisor, undefined)
    await WorkerSupervisor.addGroup(node, sup, { id: 'g' })
    await WorkerSupervisor.addGroupWorker(node, sup, 'g', () => {}, { id: 'w' })
    const [partition] = await WorkerSupervisor.partitions(node, sup) as Pid[]
    const down = node.monitor(partition as Pid).down
    await Server.stop(node, partition as Pid, 'shutdown')
    assert.equal((await down).reason, 'shutdown')
    // The partition's EXIT reached the supervisor before our DOWN reached us, and the supervisor
    // takes no other message until the restart and the replay are done: these calls come after.
    const [again] = await WorkerSupervisor.partitions(node, sup) as Pid[]
    assert.ok(again !== undefined && !again.equals(partition as Pid), 'a new partition')
    const group = await WorkerSupervisor.getGroup(node, sup, 'g')
    assert.ok(group.w !== undefined, 'the restarted partition hosts the group again')
    await Server.stop(node, sup)
  })

  it('a trapped EXIT from the parent stops every behaviour with its reason; an Actor gets it in receive', async () => {
    for (const [name, cls, args] of behaviours()) {
      const parent = await node.spawn(Parent)
      const child = await node.call<Pid>(parent, { start: [cls, args] })
      const down = node.monitor(child).down
      await Server.stop(node, parent, 'boom')
      if (name === 'Actor') {
        const got = (await probe.expect((m) => (m as { at?: Pid }).at?.equals(child) === true)) as { got: { type: string; reason: unknown } }
        assert.deepEqual([got.got.type, got.got.reason], ['EXIT', 'boom'])
        assert.equal(await node.call(child, 'alive?'), 'actor')
        await Server.stop(node, child)
        continue
      }
      assert.equal((await down).reason, 'boom', name)
    }
  })

  it('a parent that ends normal stops every behaviour with normal (a WorkerSupervisor outlives it: SW-R10)', async () => {
    for (const [name, cls, args] of behaviours()) {
      if (name === 'Actor') continue
      const parent = await node.spawn(Parent)
      const child = await node.call<Pid>(parent, { start: [cls, args] })
      const down = node.monitor(child).down
      await Server.stop(node, parent, 'normal')
      if (name === 'WorkerSupervisor') {
        assert.equal(await WorkerSupervisor.isRunning(node, child), true)
        await Server.stop(node, child)
        continue
      }
      assert.equal((await down).reason, 'normal', name)
    }
  })

  it('refuses a call it does not know with ERR_UNSUPPORTED_REQUEST, at once, and keeps running', async () => {
    const unsupported = (e: unknown): boolean => hasCode(e, 'ERR_UNSUPPORTED_REQUEST')
    const sup = await node.spawn(Empty)
    const jobs = await node.spawn(Jobs)
    const sw = await node.spawn(WorkerSupervisor, undefined)
    const [partition] = await WorkerSupervisor.partitions(node, sw) as Pid[]
    node.loadApplication({ name: 'app', children: [] })
    const master = await node.startApplication('app', 'temporary')
    for (const pid of [sup, jobs, sw, partition as Pid, master]) {
      await assert.rejects(node.call(pid, 'what?', { timeout: 3000 }), unsupported, pid.toString())
    }
    assert.equal(await Supervisor.countChildren(node, sup).then((c) => c.specs), 0)
    // Calls handed to a callback (Server, Stage, Actor) or to a worker (Pool) are theirs to answer.
    for (const [name, cls, args] of behaviours()) {
      if (!['Actor', 'Server', 'Stage', 'Pool'].includes(name)) continue
      const pid = await node.spawn(cls, args)
      assert.equal(await node.call(pid, 'what?'), name === 'Actor' ? 'actor' : 'what?', name)
      await Server.stop(node, pid)
    }
  })

  it('refuses a request in a behaviour\'s own namespace that none of its client functions makes (it was answered undefined, or a TypeError)', async () => {
    const unsupported = (e: unknown): boolean => hasCode(e, 'ERR_UNSUPPORTED_REQUEST')
    const sup = await node.spawn(Empty)
    const pool = await node.spawn(Pool, { worker: Echo, size: 2 })
    const stage = await node.spawn(Numbers)
    const jobs = await node.spawn(Jobs)
    await assert.rejects(node.call(sup, { $sup: 'noSuchRequest' }, { timeout: 3000 }), unsupported)
    // Not forwarded to a worker either (an Echo worker would answer it).
    await assert.rejects(node.call(pool, { $pool: 'noSuchRequest' }, { timeout: 3000 }), unsupported)
    await assert.rejects(node.call(stage, { $stageAdmin: 'noSuchRequest' }, { timeout: 3000 }), unsupported)
    await assert.rejects(node.call(jobs, null, { timeout: 3000 }), unsupported)
    // Each still answers its own requests.
    assert.deepEqual(await Supervisor.whichChildren(node, sup), [])
    assert.equal((await Pool.stats(node, pool)).size, 2)
    assert.equal(await Stage.estimateBufferedCount(node, stage), 0)
    assert.deepEqual(await Supervisor.whichChildren(node, jobs), [])
  })
})
