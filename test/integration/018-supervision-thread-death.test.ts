/**
 * Supervision across a thread's death: a worker thread that dies takes its processes with it;
 * their supervisor on another thread hears 'noconnection' and restarts them on the
 * replacement thread once it is up.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { Node, Pid, Server, Supervisor } from '../../src/index.ts'
import { probe as makeProbe } from '../../src/testing/index.ts'
import { ThreadKiller } from '../fixtures/actors.ts'
import { Child, Sup, started, type ChildEvent } from '../fixtures/supervision.ts'

const MODULES = [new URL('../fixtures/actors.ts', import.meta.url), new URL('../fixtures/supervision.ts', import.meta.url)]

describe('Supervision across a thread death', function () {
  this.timeout(20000)

  it('restarts a child whose thread died, on the replacement thread; siblings elsewhere keep their pids', async () => {
    const node = await Node.start({ threads: 2, modules: MODULES })
    const downs: number[] = []
    node.on('threadDown', (k: number) => downs.push(k))
    try {
      const probe = await makeProbe(node)
      const spec = (id: string, thread: number) => ({ id, start: [Child, { id, report: probe.pid }, { thread }] as const })
      const sup = await node.spawn(Sup, { intensity: 5, children: [spec('far', 2), spec('near', 1)] }, { thread: 1 })
      const far = ((await probe.expect(started('far'))) as ChildEvent).pid
      const near = ((await probe.expect(started('near'))) as ChildEvent).pid
      const down = node.monitor(far).down
      const up = once(node, 'threadUp')
      node.send(await node.spawn(ThreadKiller, { how: 'exit' }, { thread: 2 }), { how: 'exit' })
      assert.equal((await down).reason, 'noconnection')
      await up
      assert.deepEqual(downs, [2])
      const again = ((await probe.expect(started('far'))) as ChildEvent).pid
      assert.equal(again.thread, 2)
      assert.ok(!again.equals(far))
      const rows = await Supervisor.whichChildren(node, sup)
      const nearNow = rows.find((r) => r.id === 'near')?.pid
      assert.ok(nearNow instanceof Pid && nearNow.equals(near))
      assert.equal(await node.call(again, 'ping'), 'pong')
      await Server.stop(node, sup)
    } finally {
      await node.stop()
    }
  })
})
