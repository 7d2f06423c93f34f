/**
 * Server, the rest of SEMANTICS §2.4 (SRV-T2..T32 not covered by 011), part 1: the SRV-T cases,
 * and the typed client calls (Server.call/cast and node.call/cast checked against the server class
 * by tsc).
 *
 * Every case runs with the server on the caller's thread and on another thread. Servers report
 * what they do to a probe; tests wait on those reports or on monitors, never on sleeps. Across
 * threads the timing cases use small real timeouts and assert only lower bounds (the exact
 * instants are checked in 014-server-suite-virtual). The helpers and the hooks (this file starts
 * its own node) are in server-suite/kit.ts.
 */
import assert from 'node:assert/strict'
import { Server, type Pid } from '../../src/index.ts'
import type { Report } from '../fixtures/actors.ts'
import { CounterServer, SuiteServer, type StarterCommand } from '../fixtures/servers.ts'
import { ev, puppet } from '../helpers.ts'
import {
  args, event, exitOf, failsWith, freeNames, isError, newProbe, node, pidOf, probe, reasonOf,
  startSuiteNode, starter, stopNode, suite,
} from './server-suite/kit.ts'

describe('Server suite', function () {
  this.timeout(10_000)
  before(startSuiteNode)
  after(stopNode)
  beforeEach(newProbe)
  afterEach(freeNames)

  for (const { label, thread } of [{ label: 'on the caller thread', thread: 0 }, { label: 'on another thread', thread: 2 }]) {
    describe(label, () => {
      describe('SRV-T cases', () => {
        it('SRV-T2 init ignore: start returns ignore, the process is gone and the name is free (100 times)', async () => {
          for (let i = 0; i < 100; i++) {
            assert.equal(await Server.start(node, SuiteServer, args({ init: 'ignore' }), { thread, name: 'srv-t2' }), 'ignore')
            assert.equal(node.whereis('srv-t2'), undefined)
            const { from } = await event('init')
            assert.equal(await reasonOf(from), 'noproc')
          }
        })

        it('SRV-T3 init stop(R) or a throw fails the start with R; a trapping startLink caller gets EXIT(R); the name is free', async () => {
          await assert.rejects(Server.start(node, SuiteServer, args({ init: 'stop' }), { thread, name: 'srv-t3' }),
            failsWith('ERR_INIT_FAILED', 'stopped'))
          assert.equal(node.whereis('srv-t3'), undefined)
          assert.equal(await reasonOf((await event('init')).from), 'noproc')
          await assert.rejects(Server.start(node, SuiteServer, args({ init: 'throw' }), { thread, name: 'srv-t3' }),
            failsWith('ERR_INIT_FAILED', isError('init failed')))
          assert.equal(node.whereis('srv-t3'), undefined)
          assert.equal(await reasonOf((await event('init')).from), 'noproc')
          const by = await starter()
          for (const [init, reason] of [['stop', (r: unknown) => r === 'stopped'], ['throw', isError('init failed')]] as const) {
            node.send(by, { start: 'suite', link: true, args: args({ init }), options: { thread, name: 'srv-t3' } } satisfies StarterCommand)
            const failed = await event<{ code: string; reason: unknown }>('start-failed', by)
            assert.equal(failed.value.code, 'ERR_INIT_FAILED')
            assert.ok(reason(failed.value.reason))
            const { from: server } = await event('init')
            assert.ok(reason(await exitOf(by, server)))
            assert.equal(node.whereis('srv-t3'), undefined)
          }
        })

        it('SRV-T4 an init that outlasts the start timeout fails ERR_START_TIMEOUT (reason timeout) and the process is killed', async () => {
          const t0 = performance.now()
          const starting = Server.start(node, SuiteServer, args({ init: { sleepMs: 10_000 } }), { thread, timeout: 100, name: 'srv-t4' })
          const { from: server } = await event('init')
          const down = node.monitor(server).down
          await assert.rejects(starting, failsWith('ERR_START_TIMEOUT', 'timeout'))
          // The start fails once the process is gone: its name is already free.
          assert.equal(node.whereis('srv-t4'), undefined)
          assert.ok(performance.now() - t0 >= 90, 'failed before the timeout')
          // 'noproc' only if the kill overtook our monitor (a loaded machine); the virtual-clock
          // case below pins 'killed' at the exact instant.
          assert.ok(['killed', 'noproc'].includes((await down).reason as string))
          assert.equal(node.whereis('srv-t4'), undefined)
        })

        it('SRV-T5 a start under a taken name fails ERR_NAME_TAKEN and leaves the owner alone', async () => {
          const owner = await suite(thread, {}, { name: 'srv-t5' })
          for (const other of [0, 1, 2]) {
            await assert.rejects(Server.start(node, SuiteServer, args(), { thread: other, name: 'srv-t5' }),
              (e: { reason?: { already_started?: Pid } }) => failsWith('ERR_NAME_TAKEN')(e) && e.reason?.already_started?.equals(owner) === true)
            await assert.rejects(Server.startLink(node, SuiteServer, args(), { thread: other, name: 'srv-t5' }), failsWith('ERR_NAME_TAKEN'))
          }
          assert.ok(node.whereis('srv-t5')?.equals(owner))
          assert.equal(await Server.call(node, 'srv-t5', 'started'), 'ok')
          await Server.stop(node, owner)
        })

        it('SRV-T9 a call nobody answers fails ERR_CALL_TIMEOUT after its timeout; the late reply never reaches the caller', async () => {
          const server = await suite(thread)
          const t0 = performance.now()
          await assert.rejects(Server.call(node, server, 'hold', { timeout: 50 }), failsWith('ERR_CALL_TIMEOUT', 'timeout'))
          assert.ok(performance.now() - t0 >= 45, 'timed out early')
          // A process caller: the server answers after the timeout, then sends a marker on the same
          // path (in order), so the first message the caller's mailbox sees must be that marker.
          const caller = await puppet(node, probe, 0)
          node.send(caller, { cmd: 'call', to: server, request: 'hold', timeout: 30 })
          assert.deepEqual((await probe.expect<Report>(ev('call-failed', caller))).value, { code: 'ERR_CALL_TIMEOUT', reason: 'timeout' })
          Server.cast(node, server, { release: true, then: caller })
          assert.deepEqual((await probe.expect<Report>(ev('got', caller))).value, { marker: 'after the late reply' })
          await Server.stop(node, server)
        })

        it('SRV-T10 a call to a dead pid or an unknown name fails ERR_NOPROC at once, not after its timeout', async () => {
          const server = await suite(thread)
          await Server.stop(node, server)
          const t0 = performance.now()
          await assert.rejects(Server.call(node, server, 'started', { timeout: 60_000 }), failsWith('ERR_NOPROC', 'noproc'))
          await assert.rejects(node.call('srv-t10-nobody', 'started', { timeout: 60_000 }), failsWith('ERR_NOPROC', 'noproc'))
          for (const callerThread of [thread, 1]) {
            const caller = await puppet(node, probe, callerThread)
            for (const to of [server, 'srv-t10-nobody']) {
              node.send(caller, { cmd: 'call', to, request: 'started', timeout: 60_000 })
              assert.deepEqual((await probe.expect<Report>(ev('call-failed', caller))).value, { code: 'ERR_NOPROC', reason: 'noproc' })
            }
          }
          assert.ok(performance.now() - t0 < 5000, 'a noproc call waited')
        })

        it('SRV-T16 cast returns at once while the handler is blocked; casts are handled in order', async () => {
          const server = await suite(thread)
          const gate = await suite(1)
          Server.cast(node, server, { block: gate })
          await event('holding', gate) // the server is blocked in handleCast until the gate answers
          for (let n = 1; n <= 100; n++) assert.equal(Server.cast(node, server, { n }), undefined)
          Server.cast(node, gate, 'release')
          assert.deepEqual(await Server.call(node, server, 'log'), ['unblocked', ...Array.from({ length: 100 }, (_, i) => i + 1)])
        })

        it('SRV-T23 stop runs terminate(normal), resolves once the process is gone; a second stop fails ERR_NOPROC', async () => {
          const server = await suite(thread, {}, { name: 'srv-t23' })
          await Server.stop(node, server)
          assert.equal(node.whereis('srv-t23'), undefined)
          assert.equal((await event('terminate', server)).value, 'normal')
          assert.equal(await reasonOf(server), 'noproc')
          await assert.rejects(Server.stop(node, server), failsWith('ERR_NOPROC'))
        })

        it('SRV-T24 stop with an invalid timeout fails ERR_INVALID_ARG_VALUE and leaves the server running', async () => {
          const server = await suite(thread)
          for (const bad of [-1, Number.NaN, 'soon']) {
            await assert.rejects(Server.stop(node, server, 'other', bad as number), failsWith('ERR_INVALID_ARG_VALUE'))
          }
          assert.equal(await Server.call(node, server, 'started'), 'ok')
          await Server.stop(node, server, 'other', 5000)
          assert.equal((await event('terminate', server)).value, 'other')
        })

        it('SRV-T31 sendRequest: no_reply and timeout while pending, then the reply; failures reject', async () => {
          const server = await suite(thread)
          const id = Server.sendRequest(node, server, 'hold')
          assert.equal(Server.checkResponse(id), 'no_reply')
          assert.equal(await Server.waitResponse(id, 0), 'timeout')
          assert.equal(Server.checkResponse(id), 'no_reply')
          Server.cast(node, server, 'release')
          assert.deepEqual(await Server.waitResponse(id), { reply: 'released' })
          assert.deepEqual(Server.checkResponse(id), { reply: 'released' })
          // the server ends while the request is pending
          const dying = Server.sendRequest(node, server, 'hold')
          Server.cast(node, server, 'stop')
          await assert.rejects(Server.waitResponse(dying), failsWith('ERR_CALL_EXIT', 'castStopped'))
          assert.throws(() => Server.checkResponse(dying), failsWith('ERR_CALL_EXIT'))
          // the server is already gone
          const late = Server.sendRequest(node, server, 'started')
          await assert.rejects(Server.waitResponse(late), failsWith('ERR_NOPROC', 'noproc'))
          assert.throws(() => Server.checkResponse(late), failsWith('ERR_NOPROC'))
        })

        it('SRV-T32 messages that arrive while handleCall awaits a nested call are handled after it, in order', async () => {
          const server = await suite(thread)
          const other = await suite(1)
          const outer = Server.call(node, server, { nested: other })
          await event('holding', other) // the server is inside handleCall, awaiting its call to other
          for (let n = 1; n <= 100; n++) {
            if (n % 2 === 0) node.send(server, { n })
            else Server.cast(node, server, { n })
          }
          Server.cast(node, other, 'release')
          assert.equal(await outer, 'nested-done')
          assert.deepEqual(await Server.call(node, server, 'log'),
            ['nested:released', ...Array.from({ length: 100 }, (_, i) => i + 1)])
        })
      })
    })
  }

  describe('typed client calls', () => {
    it('checks requests, casts, replies and start arguments against the server class', async () => {
      const spawned = await node.spawn(CounterServer, { start: 1 }, { thread: 2 })
      const started = pidOf(await Server.start(node, CounterServer, { start: 10 }))
      const n: number = await Server.call(node, spawned, 'get')
      const m: number = await node.call(started, { add: 1 })
      Server.cast(node, started, 'inc')
      node.cast(spawned, 'inc')
      assert.deepEqual([n, m], [1, 11])
      assert.deepEqual([await Server.call(node, spawned, 'get'), await Server.call(node, started, 'get')], [2, 12])
      // Never run: each line must fail to compile (tsc checks test/).
      const wrong = async (): Promise<void> => {
        // @ts-expect-error 'dec' is not a request CounterServer answers
        await Server.call(node, spawned, 'dec')
        // @ts-expect-error { add } takes a number
        await Server.call(node, started, { add: '1' })
        // @ts-expect-error CounterServer's only cast is 'inc'
        Server.cast(node, spawned, 'dec')
        // @ts-expect-error CounterServer replies with a number
        const s: string = await Server.call(node, started, 'get')
        // @ts-expect-error node.call's reply is typed by the pid
        const t: string = await node.call(spawned, 'get')
        // @ts-expect-error the start arguments are init's
        await Server.start(node, CounterServer, { begin: 1 })
        // @ts-expect-error node.call checks the request against a typed pid
        await node.call(spawned, 'dec')
        // @ts-expect-error node.cast checks the cast against a typed pid
        node.cast(started, 'dec')
        void [s, t]
      }
      void wrong
    })
  })
})
