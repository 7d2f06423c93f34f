/**
 * The gen layer (src/behaviours/gen.ts) without threads: each behaviour runs against a fake
 * ProcessContext that records what the behaviour asks of it (behaviours import only core, so
 * this is all they need). Checks the system messages (Server.stop's request, the parent's EXIT,
 * an unknown call) for every behaviour, and the one reading of callback results.
 */
import assert from 'node:assert/strict'
import { Pid, Ref } from '../../../src/core/pid.ts'
import { IGNORE, kContext, kDispatch, kInit, kTerminate, type ProcessContext } from '../../../src/core/process-context.ts'
import type { From } from '../../../src/core/envelope.ts'
import { Actor } from '../../../src/behaviours/actor.ts'
import { Server, ignore, noreply, replyWith, stop } from '../../../src/behaviours/server.ts'
import { Supervisor } from '../../../src/behaviours/supervisor.ts'
import { ApplicationMaster } from '../../../src/behaviours/application.ts'
import { Pool } from '../../../src/behaviours/pool.ts'
import { Stage } from '../../../src/behaviours/stage/stage.ts'
import { ConsumerSupervisor } from '../../../src/behaviours/stage/consumer-supervisor.ts'
import { WorkerSupervisor } from '../../../src/behaviours/workers/worker-supervisor.ts'
import { WorkerPartition } from '../../../src/behaviours/workers/worker-partition.ts'

const SELF = new Pid('nonode@nohost', 1, 0, 0)
const PARENT = new Pid('nonode@nohost', 2, 0, 0)
const OTHER = new Pid('nonode@nohost', 3, 0, 0)
let refs = 0
const from = (): From => ({ pid: OTHER, ref: new Ref('nonode@nohost', ++refs, 0) })

type Event = [string, ...unknown[]]

/** What a behaviour asked of its process: stop, reply, replyError, send, ... in order. */
function attach<T extends object>(instance: T, parent: Pid | undefined = PARENT): Event[] {
  const events: Event[] = []
  const record = (name: string) => (...args: unknown[]): void => { events.push([name, ...args]) }
  const known: Partial<ProcessContext> = {
    self: SELF,
    parent,
    stop: record('stop'),
    reply: record('reply'),
    replyError: record('replyError'),
    send: record('send'),
    trySend: (...args: unknown[]) => { events.push(['trySend', ...args]); return true },
    sendAfter: (...args: unknown[]) => { events.push(['sendAfter', ...args]); return { cancel: () => true } },
    env: () => false,
    now: () => 0,
    trapExit: () => false,
  }
  // Anything else a behaviour asks for is a surprise in these tests.
  ;(instance as Record<symbol, unknown>)[kContext] = new Proxy(known, {
    get: (target, key) => {
      if (key in target) return target[key as keyof ProcessContext]
      throw new Error(`unexpected use of the context: ${String(key)}`)
    },
  })
  return events
}

const dispatch = (instance: object, message: unknown): unknown => (instance as { [kDispatch](m: unknown): unknown })[kDispatch](message)
const callMessage = (request: unknown, f: From = from()) => ({ type: '$call', from: f, request })
const codeOf = (e: unknown): unknown => (e as { code?: unknown }).code

class Plain extends Actor<void, unknown> {
  got: unknown[] = []
  receive(m: unknown): void {
    this.got.push(m)
  }
}

class Echo extends Server<void, unknown, unknown, unknown> {
  override handleCall(request: unknown): unknown {
    return request
  }
}

class Empty extends Supervisor<void> {
  init() {
    return { strategy: 'one_for_one' as const, children: [] }
  }
}

class Producer extends Stage<void, number> {
  init() {
    return { type: 'producer' as const }
  }
}

class Jobs extends ConsumerSupervisor<void> {
  init() {
    return { child: { id: 'job', start: [Echo, undefined] as const } }
  }
}

/** Every behaviour, as a fresh instance (before init: these hooks need none). */
const every = (): [string, object][] => [
  ['Actor', new Plain()], ['Server', new Echo()], ['Supervisor', new Empty()], ['ApplicationMaster', new ApplicationMaster()],
  ['Pool', new Pool()], ['Stage', new Producer()], ['ConsumerSupervisor', new Jobs()],
  ['WorkerSupervisor', new WorkerSupervisor()], ['WorkerPartition', new WorkerPartition()],
]

describe('gen layer (fake process context, no threads)', () => {
  it('stops every behaviour on Server.stop\'s request, with its reason, and answers nothing', () => {
    for (const [name, instance] of every()) {
      const events = attach(instance)
      assert.equal(dispatch(instance, callMessage({ $system: 'stop', reason: 'shutdown' })), undefined, name)
      assert.deepEqual(events, [['stop', 'shutdown']], name)
    }
  })

  it('stops every behaviour on its parent\'s EXIT with the parent\'s reason; an Actor receives it, a WorkerSupervisor drops \'normal\'', () => {
    for (const reason of ['normal', 'boom']) {
      for (const [name, instance] of every()) {
        const events = attach(instance)
        const exit = { type: 'EXIT', from: PARENT, reason }
        dispatch(instance, exit)
        if (name === 'Actor') assert.deepEqual([events, (instance as Plain).got], [[], [exit]], name)
        else if (name === 'WorkerSupervisor' && reason === 'normal') assert.deepEqual(events, [], name)
        else assert.deepEqual(events, [['stop', reason]], `${name} ${reason}`)
      }
    }
  })

  it('leaves an EXIT from another process than the parent to the behaviour (dropped by the supervisors, handleInfo\'s for a Server)', () => {
    for (const [name, instance] of every()) {
      if (name === 'Actor' || name === 'Server' || name === 'Pool' || name === 'Stage') continue
      const events = attach(instance)
      dispatch(instance, { type: 'EXIT', from: OTHER, reason: 'boom' })
      assert.deepEqual(events, [], name)
    }
    class Infos extends Server {
      got: unknown[] = []
      override handleInfo(m: unknown): void {
        this.got.push(m)
      }
    }
    const server = new Infos()
    const events = attach(server)
    const exit = { type: 'EXIT', from: OTHER, reason: 'boom' }
    dispatch(server, exit)
    assert.deepEqual([events, server.got], [[], [exit]])
  })

  it('refuses an unknown call with ERR_UNSUPPORTED_REQUEST wherever no callback takes calls', () => {
    for (const [name, instance] of every()) {
      if (name === 'Actor' || name === 'Server' || name === 'Pool' || name === 'Stage') continue
      const events = attach(instance)
      const f = from()
      dispatch(instance, callMessage('what?', f))
      assert.equal(events.length, 1, name)
      const [what, to, error] = events[0] as [string, From, unknown]
      assert.deepEqual([what, to, codeOf(error)], ['replyError', f, 'ERR_UNSUPPORTED_REQUEST'], name)
    }
  })

  it('refuses a request in a behaviour\'s own namespace that none of its client functions makes', () => {
    for (const [instance, request] of [[new Empty(), { $sup: 'noSuchRequest' }], [new Pool(), { $pool: 'noSuchRequest' }],
      [new Producer(), { $stageAdmin: 'noSuchRequest' }], [new Jobs(), null], [new WorkerSupervisor(), { $sw: 'noSuchRequest' }]] as const) {
      const events = attach(instance)
      dispatch(instance, callMessage(request))
      assert.deepEqual(events.map(([what, , error]) => [what, codeOf(error)]), [['replyError', 'ERR_UNSUPPORTED_REQUEST']], JSON.stringify(request))
    }
  })

  describe('reading what a Server callback returns (handle_common_reply)', () => {
    class Returns extends Server<unknown, unknown, unknown, unknown> {
      next: unknown
      log: string[] = []
      override init(r: unknown): void {
        return r as void
      }

      override handleCall(): unknown {
        return this.next
      }

      override handleCast(): never {
        return this.next as never
      }

      override terminate(reason: unknown): void {
        this.log.push(`terminate ${String(reason)}`)
      }
    }
    const returning = (next: unknown): { server: Returns; events: Event[] } => {
      const server = new Returns()
      const events = attach(server)
      server.next = next
      return { server, events }
    }

    it('replies a plain value or replyWith(v); noreply() answers nothing', () => {
      for (const [next, reply] of [[42, [42]], [replyWith('v'), ['v']], [replyWith('h', { hibernate: true }), ['h']], [noreply(), []]] as const) {
        const { server, events } = returning(next)
        const f = from()
        dispatch(server, callMessage('x', f))
        assert.deepEqual(events, reply.map((v) => ['reply', f, v]))
      }
    })

    it('stop(reason, reply): terminate runs, then the reply goes (SRV-R5)', () => {
      const { server, events } = returning(stop('normal', 'bye'))
      const f = from()
      dispatch(server, callMessage('x', f))
      assert.deepEqual(events, [['stop', 'normal']])
      ;(server as unknown as { [kTerminate](r: unknown): unknown })[kTerminate]('normal')
      assert.deepEqual([server.log, events.slice(1)], [['terminate normal'], [['reply', f, 'bye']]])
    })

    it('a return of the wrong form is ERR_BAD_RETURN_VALUE: ignore() from handleCall, a reply from handleCast', () => {
      assert.throws(() => dispatch(returning(ignore()).server, callMessage('x')), { code: 'ERR_BAD_RETURN_VALUE' })
      assert.throws(() => dispatch(returning(replyWith(1)).server, { type: '$cast', request: 'x' }), { code: 'ERR_BAD_RETURN_VALUE' })
      assert.throws(() => dispatch(returning(42).server, { type: '$cast', request: 'x' }), { code: 'ERR_BAD_RETURN_VALUE' })
    })

    it('init: ignore() declines the start, stop(reason) fails it with reason, noreply({ timeout }) arms a timeout', () => {
      const init = (r: unknown): unknown => {
        const { server, events } = returning(undefined)
        const out = (server as unknown as { [kInit](a: unknown): unknown })[kInit](r)
        return [out, events.map(([what]) => what)]
      }
      assert.deepEqual(init(ignore()), [IGNORE, []])
      assert.deepEqual(init(undefined), [undefined, []])
      assert.deepEqual(init(noreply({ timeout: 10 })), [undefined, ['sendAfter']])
      assert.throws(() => init(stop('no')), (e) => e === 'no')
      assert.throws(() => init(replyWith(1)), { code: 'ERR_BAD_RETURN_VALUE' })
    })

    it('a Stage refuses a continue, a timeout or ignore() from handleCall before anything goes out', () => {
      class Calls extends Stage<void, number> {
        next: unknown
        init() {
          return { type: 'consumer' as const }
        }

        override handleCall(): unknown {
          return this.next
        }
      }
      for (const next of [replyWith(1, { continue: 'c' }), noreply({ timeout: 5 }), ignore()]) {
        const stage = new Calls()
        const events = attach(stage)
        stage.next = next
        assert.throws(() => dispatch(stage, callMessage('x')), { code: 'ERR_BAD_RETURN_VALUE' })
        assert.deepEqual(events, [])
      }
    })
  })
})
