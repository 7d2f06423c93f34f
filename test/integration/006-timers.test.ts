import assert from 'node:assert/strict'
import type { Node, Pid } from '../../src/index.ts'
import type { Probe } from '../../src/testing/index.ts'
import { Puppet, type Report } from '../fixtures/actors.ts'
import { ev, got, startNode, until, kill } from '../helpers.ts'

describe('sendAfter', () => {
  let node: Node
  let probe: Probe
  let ids = 0
  before(async () => ({ node, probe } = await startNode()))
  after(() => node.stop())

  const arm = async (owner: Pid, to: Pid | string, msg: unknown, ms: number): Promise<number> => {
    const id = ++ids
    node.send(owner, { cmd: 'sendAfter', to, msg, ms, id })
    await probe.expect(ev('armed', owner))
    return id
  }

  it('delivers once, no earlier than asked, within and across threads (PROC-T19)', async () => {
    for (const thread of [1, 2]) {
      const owner = await node.spawn(Puppet, { report: probe.pid }, { thread: 1 })
      const target = await node.spawn(Puppet, { report: probe.pid }, { thread })
      const t0 = performance.now()
      await arm(owner, target, { tick: thread }, 50)
      // A later timer of the same owner to the same target: it fires after the tick would have
      // fired again (once more, or one period later), and arrives after it.
      await arm(owner, target, { after: thread }, 101)
      await probe.expect(got(target, (v) => v.tick === thread))
      assert.ok(performance.now() - t0 >= 45, 'not early')
      await probe.expectNoneBefore(got(target, (v) => v.tick === thread), got(target, (v) => v.after === thread))
    }
  })

  it('cancel before firing returns true and nothing arrives; after firing returns false (PROC-T20)', async () => {
    const owner = await node.spawn(Puppet, { report: probe.pid }, { thread: 1 })
    const target = await node.spawn(Puppet, { report: probe.pid }, { thread: 2 })
    // Armed and cancelled in one callback, so the cancel always comes before the deadline.
    const id = ++ids
    node.send(owner, { cmd: 'batch', commands: [{ cmd: 'sendAfter', to: target, msg: { never: 1 }, ms: 5, id }, { cmd: 'cancel', id }] })
    await probe.expect(ev('armed', owner))
    assert.equal((await probe.expect<Report>(ev('cancelled', owner))).value, true)
    // Armed later with a later deadline, the same owner's next timer fires after the cancelled
    // one would have, and its message to the same target arrives after it.
    const id2 = await arm(owner, target, { soon: 1 }, 10)
    await probe.expectNoneBefore(got(target, (v) => v.never === 1), got(target, (v) => v.soon === 1))
    node.send(owner, { cmd: 'cancel', id: id2 })
    assert.equal((await probe.expect<Report>(ev('cancelled', owner))).value, false)
  })

  it('drops the message when the sender or the destination is dead at fire time (PROC-T21, D11)', async () => {
    const owner = await node.spawn(Puppet, { report: probe.pid }, { thread: 1 })
    const target = await node.spawn(Puppet, { report: probe.pid }, { thread: 2 })
    const clock = await node.spawn(Puppet, { report: probe.pid }, { thread: 1 })
    await arm(owner, target, { fromDead: 1 }, 60)
    await kill(node, owner)
    // A timer armed later on the owner's thread with the same delay falls due later: a thread
    // fires its timers in deadline order and sends to another thread through one ring, in order.
    await arm(clock, target, { later: 1 }, 60)
    await probe.expectNoneBefore(got(target, (v) => v.fromDead === 1), got(target, (v) => v.later === 1))

    const owner2 = await node.spawn(Puppet, { report: probe.pid }, { thread: 1 })
    const victim = await node.spawn(Puppet, { report: probe.pid }, { thread: 2 })
    await arm(owner2, victim, { toDead: 1 }, 40)
    await kill(node, victim)
    const before = (await node.stats()).deadLetters
    await until(async () => (await node.stats()).deadLetters > before) // the late message was dropped
    node.send(owner2, { cmd: 'links' })
    await probe.expect(ev('links', owner2)) // the owner survived the drop
  })

  it('resolves a name at fire time: a new owner of the name receives it (PROC-T22)', async () => {
    const owner = await node.spawn(Puppet, { report: probe.pid }, { thread: 1 })
    const first = await node.spawn(Puppet, { report: probe.pid }, { thread: 2, name: 'moving' })
    await arm(owner, 'moving', { late: 1 }, 80)
    await kill(node, first)
    const second = await node.spawn(Puppet, { report: probe.pid }, { thread: 1, name: 'moving' })
    await probe.expect(got(second, (v) => v.late === 1))
  })

  it('rejects a negative delay and an unserializable message for another thread at the call site', () => {
    assert.throws(() => node.sendAfter(node.pid, 'x', -1), { code: 'ERR_INVALID_ARG_VALUE' })
    assert.throws(() => node.sendAfter('some-name', { f: () => 1 }, 5), { code: 'ERR_NOT_SERIALIZABLE' })
  })
})
