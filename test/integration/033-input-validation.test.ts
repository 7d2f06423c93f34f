/**
 * Smaller defects at the API's edges, each pinned by the symptom it had: a Stage's handleCall
 * returning a server action, options with misspelled keys or of the wrong type, messages that
 * cannot be read (a throwing getter), nest deeply or hold lone surrogates, a stopped node's
 * registered()/demonitor(), and crash reports on stderr without their stack.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import {
  DemandDispatcher, Node, PartitionSupervisor, Pool, Server, Supervisor, hasCode, type ErrorCode, type Pid,
} from '../../src/index.ts'
import { probe as makeProbe, type Probe } from '../../src/testing/index.ts'
import {
  ActionStage, Checker, DEEP_LIMIT, LONE_SURROGATES, Receiver, SpecStage, linkedList, listDepth, throwingGetter, type ActionRequest,
} from '../fixtures/input-validation.ts'
import { Idle, Sup } from '../fixtures/supervision.ts'
import { Simple } from '../fixtures/consumer-supervision.ts'
import { Puppet } from '../fixtures/actors.ts'

const MODULES = [new URL('../fixtures/input-validation.ts', import.meta.url), new URL('../fixtures/actors.ts', import.meta.url)]

interface Checked { event: 'checked'; check: string; sync: boolean; code: unknown }
const checked = (check: string) => (m: unknown): boolean => (m as Checked).event === 'checked' && (m as Checked).check === check

/** The error is `code`, and its message suggests `near` ("did you mean ..."). */
const unknownOption = (near: string) => (e: unknown): boolean =>
  hasCode(e, 'ERR_UNKNOWN_OPTION') && (e as Error).message.includes(`did you mean ${JSON.stringify(near)}?`)
/** The start failed ERR_INIT_FAILED because of `inner` (its `reason`). */
const initFailed = (inner: (e: unknown) => boolean) => (e: unknown): boolean =>
  hasCode(e, 'ERR_INIT_FAILED') && inner((e as { reason?: unknown }).reason)

describe('Input validation', function () {
  this.timeout(20_000)
  let node: Node
  let probe: Probe

  before(async () => {
    node = await Node.start({ threads: 2, modules: MODULES })
  })
  after(() => node.stop())
  beforeEach(async () => {
    probe = await makeProbe(node)
  })

  describe('Stage handleCall returning a server action', () => {
    const callExit = (code: ErrorCode) => (e: unknown): boolean =>
      hasCode(e, 'ERR_CALL_EXIT') && hasCode((e as { reason?: unknown }).reason, code)

    it('replies with the value, not the action object, when handleCall returns replyWith(v)', async () => {
      const stage = await node.spawn(ActionStage, { report: probe.pid }, { thread: 1 })
      assert.deepEqual(await node.call(stage, { replyWith: { n: 42 } } satisfies ActionRequest), { n: 42 })
      assert.equal(await node.call(stage, { replyWith: 7 } satisfies ActionRequest), 7, 'the stage is still running')
    })

    it('stops with the reason and replies after terminate when handleCall returns stop(reason, reply)', async () => {
      const stage = await node.spawn(ActionStage, { report: probe.pid }, { thread: 1 })
      const down = node.monitor(stage).down
      // The reply is the stage's log; terminate appends to it: sent after terminate, it carries that.
      assert.deepEqual(await node.call(stage, { stop: { shutdown: 'done' }, reply: true } satisfies ActionRequest), ['handleCall', 'terminated'])
      assert.deepEqual((await down).reason, { shutdown: 'done' })
      assert.deepEqual(((await probe.expect((m: { event?: string }) => m.event === 'stage-terminated')) as { reason: unknown }).reason, { shutdown: 'done' })
    })

    it('stops with the reason and the caller gets ERR_CALL_EXIT when handleCall returns stop(reason) without a reply', async () => {
      const stage = await node.spawn(ActionStage, { report: probe.pid }, { thread: 2 })
      const down = node.monitor(stage).down
      await assert.rejects(node.call(stage, { stop: 'normal' } satisfies ActionRequest),
        (e: unknown) => hasCode(e, 'ERR_CALL_EXIT') && (e as { reason?: unknown }).reason === 'normal')
      assert.equal((await down).reason, 'normal')
    })

    it('crashes with ERR_BAD_RETURN_VALUE when handleCall asks for a continue, a timeout or ignore (a Stage has none)', async () => {
      for (const request of [{ replyWithContinue: 1 }, 'noreplyTimeout', 'ignore'] satisfies ActionRequest[]) {
        const stage = await node.spawn(ActionStage, { report: probe.pid }, { thread: 1 })
        await assert.rejects(node.call(stage, request), callExit('ERR_BAD_RETURN_VALUE'), JSON.stringify(request))
      }
    })
  })

  describe('options of the wrong type or with misspelled keys', () => {
    /** Run `check` in a Checker on `thread` (against `target`) and return what it reported. */
    const inProcess = async (check: string, thread: number, target?: Pid): Promise<Checked> => {
      const checker = await node.spawn(Checker, { report: probe.pid }, { thread })
      node.send(checker, { check, target: target ?? checker })
      return await probe.expect(checked(check)) as Checked
    }

    it('spawn with options that are not an object fails ERR_INVALID_ARG_TYPE (node.spawn, this.spawn, this.startProcess)', async () => {
      await assert.rejects(node.spawn(Puppet, { report: probe.pid }, 'str' as never), { code: 'ERR_INVALID_ARG_TYPE' })
      await assert.rejects(node.spawn(Puppet, { report: probe.pid }, 42 as never), { code: 'ERR_INVALID_ARG_TYPE' })
      assert.deepEqual(await inProcess('spawnStringOptions', 1), { event: 'checked', check: 'spawnStringOptions', sync: true, code: 'ERR_INVALID_ARG_TYPE' })
      assert.deepEqual(await inProcess('startStringOptions', 2), { event: 'checked', check: 'startStringOptions', sync: false, code: 'ERR_INVALID_ARG_TYPE' })
    })

    it('spawn with a misspelled option fails ERR_UNKNOWN_OPTION naming the near key', async () => {
      await assert.rejects(node.spawn(Puppet, { report: probe.pid }, { thred: 1 } as never), unknownOption('thread'))
      await assert.rejects(node.spawn(Puppet, { report: probe.pid }, { timout: 10 } as never), unknownOption('timeout'))
    })

    it('call with a misspelled option or options that are not an object rejects (never throws) ERR_UNKNOWN_OPTION / ERR_INVALID_ARG_TYPE', async () => {
      const target = await node.spawn(Puppet, { report: probe.pid }, { thread: 1 })
      let misspelled: Promise<unknown> | undefined
      let notObject: Promise<unknown> | undefined
      assert.doesNotThrow(() => {
        misspelled = node.call(target, 'ping', { timeot: 10 } as never)
        notObject = node.call(target, 'ping', 'str' as never)
      })
      await assert.rejects(misspelled as Promise<unknown>, unknownOption('timeout'))
      await assert.rejects(notObject as Promise<unknown>, { code: 'ERR_INVALID_ARG_TYPE' })
      await assert.rejects(node.direct(target, 'ping', { timeuot: 10 } as never), unknownOption('timeout'))
      assert.deepEqual(await inProcess('callMisspelledOption', 2, target), { event: 'checked', check: 'callMisspelledOption', sync: false, code: 'ERR_UNKNOWN_OPTION' })
      assert.deepEqual(await inProcess('callStringOptions', 2, target), { event: 'checked', check: 'callStringOptions', sync: false, code: 'ERR_INVALID_ARG_TYPE' })
    })

    it('a Supervisor spec with a misspelled flag fails ERR_UNKNOWN_OPTION naming the near key', async () => {
      await assert.rejects(node.spawn(Sup, { strategy: 'one_for_one', intensty: 3, children: [] } as never), initFailed(unknownOption('intensity')))
      await assert.rejects(node.spawn(Sup, { stratgy: 'one_for_all', children: [] } as never), initFailed(unknownOption('strategy')))
    })

    it('a child spec with a misspelled key fails ERR_UNKNOWN_OPTION (in init and in startChild)', async () => {
      await assert.rejects(node.spawn(Sup, { children: [{ id: 'a', start: [Idle], restrat: 'temporary' }] } as never),
        initFailed(unknownOption('restart')))
      const sup = await node.spawn(Sup, { children: [] })
      await assert.rejects(Supervisor.startChild(node, sup, { id: 'b', start: [Idle], shutdwn: 10 } as never), unknownOption('shutdown'))
      assert.deepEqual(await Supervisor.whichChildren(node, sup), [], 'nothing was started')
      await Server.stop(node, sup)
    })

    it('a StageSpec with a misspelled key fails the start with ERR_UNKNOWN_OPTION', async () => {
      await assert.rejects(node.spawn(SpecStage, { type: 'producer', bufferSise: 10 } as never, { thread: 1 }),
        initFailed(unknownOption('bufferSize')))
    })

    it('ConsumerSupervisor, PartitionSupervisor and Pool specs with a misspelled key fail ERR_UNKNOWN_OPTION', async () => {
      await assert.rejects(node.spawn(Simple, { child: { start: [Idle], restart: 'temporary' }, maxRestart: 3 }),
        initFailed(unknownOption('maxRestarts')))
      await assert.rejects(node.spawn(Simple, { child: { start: [Idle], restart: 'temporary', shutdow: 5 } }),
        initFailed(unknownOption('shutdown')))
      await assert.rejects(node.spawn(PartitionSupervisor, { name: 'typo', child: { id: 'c', start: [Idle] }, partition: 2 } as never),
        initFailed(unknownOption('partitions')))
      await assert.rejects(node.spawn(Pool, { worker: Idle, sise: 2 } as never), initFailed(unknownOption('size')))
    })

    it('Node.start and dispatcher options name the near key too', async () => {
      await assert.rejects(Node.start({ thread: 1 } as never), unknownOption('threads'))
      assert.throws(() => new DemandDispatcher({ maxDemnd: 2 } as never), unknownOption('maxDemand'))
    })
  })

  describe('messages that cannot be read, nest deeply, or hold lone surrogates', () => {
    const notSerializable = (why: RegExp) => (e: unknown): boolean =>
      hasCode(e, 'ERR_NOT_SERIALIZABLE') && why.test((e as Error).message)
    interface Deep { event: 'received-deep'; depth: number; back: unknown }
    const deepReport = (m: unknown): boolean => (m as Deep).event === 'received-deep'
    const inProcess = async (check: string, thread: number, target: Pid): Promise<unknown> => {
      const checker = await node.spawn(Checker, { report: probe.pid }, { thread })
      node.send(checker, { check, target })
      return ((await probe.expect(checked(check))) as Checked).code
    }
    /** The receiver still works: a plain message comes back. */
    const alive = async (receiver: Pid): Promise<void> => {
      node.send(receiver, 'still there?')
      await probe.expect((m: { event?: string; value?: unknown }) => m.event === 'received' && m.value === 'still there?')
    }

    it('a throwing getter fails ERR_NOT_SERIALIZABLE naming it (send, sendAfter, call, spawn args; from the main thread and from a worker)', async () => {
      const receiver = await node.spawn(Receiver, { report: probe.pid }, { thread: 1 })
      const getter = /reading it threw \(getter exploded\) at message\.bad/
      assert.throws(() => node.send(receiver, throwingGetter()), notSerializable(getter))
      assert.throws(() => node.sendAfter(receiver, throwingGetter(), 10_000), notSerializable(getter))
      await assert.rejects(node.call(receiver, throwingGetter()), notSerializable(/getter exploded/))
      await assert.rejects(node.spawn(Receiver, throwingGetter() as never, { thread: 2 }), notSerializable(/getter exploded.*spawn args\.bad/))
      for (const check of ['sendThrowingGetter', 'sendAfterThrowingGetter', 'spawnArgsThrowingGetter']) {
        assert.equal(await inProcess(check, 2, receiver), 'ERR_NOT_SERIALIZABLE', check)
      }
      await alive(receiver)
    })

    it('a 1000-deep linked list crosses threads both ways, from the main thread and between workers', async () => {
      const receiver = await node.spawn(Receiver, { report: probe.pid }, { thread: 1 })
      node.send(receiver, { deep: linkedList(1000) })
      const back = (await probe.expect(deepReport)) as Deep
      assert.equal(back.depth, 1000)
      assert.equal(listDepth(back.back), 1000, 'and back to the main thread')
      assert.equal(await inProcess('sendDeepList', 2, receiver), 'ok')
      assert.equal(((await probe.expect(deepReport)) as Deep).depth, 1000)
    })

    it(`nesting up to ${DEEP_LIMIT} levels crosses; one more fails ERR_NOT_SERIALIZABLE at the sender, and no thread dies of it`, async () => {
      const receiver = await node.spawn(Receiver, { report: probe.pid }, { thread: 1 })
      node.send(receiver, { deep: linkedList(DEEP_LIMIT - 1) })
      const back = (await probe.expect(deepReport)) as Deep
      assert.equal(back.depth, DEEP_LIMIT - 1)
      assert.equal(listDepth(back.back), DEEP_LIMIT - 1)
      const tooDeep = new RegExp(`nesting deeper than ${DEEP_LIMIT} levels`)
      assert.throws(() => node.send(receiver, { deep: linkedList(DEEP_LIMIT) }), notSerializable(tooDeep))
      assert.equal(await inProcess('sendListAtLimit', 2, receiver), 'ok')
      assert.equal(((await probe.expect(deepReport)) as Deep).depth, DEEP_LIMIT - 1)
      assert.equal(await inProcess('sendTooDeepList', 2, receiver), 'ERR_NOT_SERIALIZABLE')
      await alive(receiver)
      assert.equal((await node.stats()).threadRestarts, 0, 'no worker thread died')
    })

    it('strings with lone surrogates arrive intact (values, keys, Map and Set members, an Error), main to worker and worker to worker', async () => {
      const receiver = await node.spawn(Receiver, { report: probe.pid }, { thread: 1 })
      const intact = (m: unknown): void => {
        const value = (m as { value: typeof LONE_SURROGATES }).value
        assert.deepStrictEqual({ ...value, error: undefined }, { ...LONE_SURROGATES, error: undefined })
        assert.equal(value.error.message, LONE_SURROGATES.error.message)
        assert.equal((value.error as { code?: unknown }).code, LONE_SURROGATES.error.code)
      }
      const received = (m: { event?: string; value?: { high?: unknown } }): boolean => m.event === 'received' && m.value?.high !== undefined
      node.send(receiver, LONE_SURROGATES)
      intact(await probe.expect(received))
      assert.equal(await inProcess('sendLoneSurrogates', 2, receiver), 'ok')
      intact(await probe.expect(received))
    })
  })

  describe('a stopped node', () => {
    it('registered() and demonitor() throw ERR_NODE_STOPPED after stop(), like the other methods', async () => {
      const stopped = await Node.start({ threads: 1, modules: MODULES })
      const watched = await stopped.spawn(Receiver, { report: stopped.pid }, { name: 'watched' })
      const { ref } = stopped.monitor(watched)
      assert.deepEqual(stopped.registered(), ['watched'])
      await stopped.stop()
      assert.throws(() => stopped.registered(), { code: 'ERR_NODE_STOPPED' })
      assert.throws(() => stopped.demonitor(ref), { code: 'ERR_NODE_STOPPED' })
    })
  })

  describe('crash reports on stderr', () => {
    it('print the stack of an Error reason (a report printed without it hid where the crash came from)', async () => {
      const script = fileURLToPath(new URL('../fixtures/crash-report-script.ts', import.meta.url))
      const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' }
      delete env.SKEIN_REPORTS // test/setup.cjs silences reports; the child prints them
      const { stdout, stderr, failed } = await new Promise<{ stdout: string; stderr: string; failed: unknown }>((resolve) => {
        execFile(process.execPath, ['--import', 'tsx', script], { env, timeout: 20_000 }, (error, out, err) =>
          resolve({ stdout: out, stderr: err, failed: error }))
      })
      assert.equal(failed, null, stderr)
      assert.match(stdout, /done/)
      assert.match(stderr, /skein: Crasher <[\d.]+> terminating\n {2}reason: {2}Error: crashed on purpose\n/)
      assert.match(stderr, /\n {2}stack:\n {4}at explodeForTheStackTrace \(.*input-validation\.ts:\d+:\d+\)\n {4}at Crasher\.handleCall /)
    })
  })
})
