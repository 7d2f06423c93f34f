/**
 * Server without threads: each test drives one Server through the runtime's protocol
 * (kInit, kDispatch, kTerminate) against a FakeContext, and asserts what it asked of its
 * process: replies to which `from`, timers, sends, stop. Rule ids are SEMANTICS.md §2.
 */
import assert from 'node:assert/strict'
import { isStopRequest, type From } from '../../../src/core/envelope.ts'
import { hasCode } from '../../../src/core/errors.ts'
import { Server, ignore, noreply, replyWith, stop } from '../../../src/behaviours/server.ts'
import { CALLER, PARENT, exitMessage, pid } from './fake-context.ts'
import { drive, type Driven } from './drive.ts'

/** Where the test servers report what their callbacks saw. */
const OBSERVER = pid(50)

/** A counter: calls add and read, casts log, infos log; every callback notes itself in `log`. */
class Counter extends Server<{ continue?: string; idleMs?: number } | void, { add: number } | 'get' | 'wait' | 'idle', string, number> {
  n = 0
  log: string[] = []
  waiting: From[] = []

  override init(args: { continue?: string } | void) {
    if (args?.continue !== undefined) {
      this.send(this.self, 'queued before the continue')
      return noreply({ continue: args.continue })
    }
  }

  override handleCall(request: { add: number } | 'get' | 'wait' | 'idle', from: From) {
    this.log.push(`call ${JSON.stringify(request)}`)
    if (request === 'get') return this.n
    if (request === 'idle') return replyWith(this.n, { timeout: 50 })
    if (request === 'wait') {
      this.waiting.push(from)
      return noreply()
    }
    this.n += request.add
    return this.n
  }

  override handleCast(request: string) {
    this.log.push(`cast ${request}`)
    if (request === 'release') {
      const first = this.waiting.shift()
      if (first !== undefined) this.reply(first, `released ${this.n}`)
    }
  }

  infos: unknown[] = []

  override handleInfo(message: unknown) {
    this.infos.push(message)
    this.log.push(`info ${typeof message === 'string' ? message : String((message as { type?: unknown }).type)}`)
  }

  override handleContinue(value: unknown) {
    this.log.push(`continue ${String(value)}`)
  }

  override terminate(reason: unknown) {
    this.log.push(`terminate ${reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : JSON.stringify(reason)}`)
    this.send(OBSERVER, { terminated: reason })
  }
}

const codeOf = (e: unknown): unknown => (e as { code?: unknown }).code

describe('Server (fake process context)', () => {
  it('replies with what handleCall returns, and keeps the state for the next message (SRV-T6, SRV-R2)', async () => {
    const s = await drive(Counter)
    assert.equal(await s.call({ add: 2 }), 2)
    assert.equal(await s.call({ add: 3 }), 5)
    assert.equal(await s.call('get'), 5)
    assert.equal(s.ctx.ops('reply').length, 3)
  })

  it('replies to the from of the call: pid and ref as the caller sent them', async () => {
    const s = await drive(Counter)
    const from = s.from(pid(77))
    await s.request('get', from)
    const [reply] = s.ctx.ops('reply')
    assert.ok(reply !== undefined && reply.from.pid.equals(pid(77)) && reply.from.ref.equals(from.ref), 'the reply goes to the call\'s pid and ref')
  })

  it('noreply() leaves the caller waiting; a later this.reply from a cast answers that from, and only it (SRV-R4, SRV-T7)', async () => {
    const s = await drive(Counter)
    const first = s.from()
    const second = s.from()
    await s.request('wait', first)
    await s.request('wait', second)
    assert.deepEqual(s.ctx.ops('reply', 'replyError'), [], 'nothing is answered at noreply()')
    await s.call({ add: 7 })
    await s.cast('release')
    assert.equal(s.answer(first), 'released 7')
    assert.deepEqual(s.ctx.answersTo(second), [], 'the second caller still waits')
    await s.cast('release')
    assert.equal(s.answer(second), 'released 7')
  })

  it('an async handleCall replies once its Promise resolves; kDispatch hands the runtime that Promise (SRV-R2)', async () => {
    let release = (): void => {}
    class Slow extends Server<void, 'go', never, string> {
      override async handleCall() {
        await new Promise<void>((resolve) => { release = resolve })
        return 'done'
      }
    }
    const s = await drive(Slow)
    const from = s.from()
    const dispatched = s.request('go', from)
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(s.ctx.answersTo(from), [], 'no reply before the Promise settles')
    release()
    assert.equal((await dispatched).kind, 'resolved')
    assert.equal(s.answer(from), 'done')
  })

  describe('idle timeouts (SRV-R6)', () => {
    /** The Counter after an 'idle' call, and the timer that call armed. */
    async function armed() {
      const s = await drive(Counter)
      await s.call('idle')
      const [after] = s.ctx.ops('sendAfter')
      assert.ok(after !== undefined, 'replyWith(v, { timeout }) arms a timer')
      return { s, timer: after.timer }
    }
    const timeouts = (log: string[]) => log.filter((l) => l === 'info timeout')

    it('replyWith(v, { timeout: 50 }) replies, then arms a 50 ms timer to itself that becomes handleInfo("timeout") (SRV-T17)', async () => {
      const { s, timer } = await armed()
      assert.ok(s.self.equals(timer.to), 'the timer is addressed to the server itself')
      assert.equal(timer.ms, 50)
      const replyAt = s.ctx.effects.findIndex((e) => e.op === 'reply')
      const armedAt = s.ctx.effects.findIndex((e) => e.op === 'sendAfter')
      assert.ok(replyAt < armedAt, 'the reply goes before the timer is armed')
      await s.ctx.advance(49)
      await s.drain()
      assert.deepEqual(timeouts(s.instance.log), [], 'nothing at 49 ms')
      await s.ctx.advance(1)
      await s.drain()
      assert.deepEqual(timeouts(s.instance.log), ['info timeout'])
    })

    it('any message before it fires cancels it (SRV-T18)', async () => {
      const { s, timer } = await armed()
      await s.ctx.advance(30)
      await s.cast('traffic')
      assert.equal(timer.state, 'cancelled')
      await s.ctx.advance(1000)
      await s.drain()
      assert.deepEqual(timeouts(s.instance.log), [])
    })

    it('a timeout that fired while another message was ahead of it is dropped', async () => {
      const { s, timer } = await armed()
      s.ctx.fire(timer)
      assert.equal(s.ctx.mailbox.length, 1, 'the timeout message waits in the mailbox')
      await s.info('ahead of it')
      await s.drain()
      assert.deepEqual(s.instance.log.slice(1), ['info ahead of it'])
    })
  })

  describe('continues (SRV-R7)', () => {
    it("init's continue runs before any message, one already queued included (SRV-T19)", async () => {
      const s = await drive(Counter, { continue: 'c' })
      assert.deepEqual(s.instance.log, [], 'init returns first (OTP: start returns before the continue)')
      await s.drain()
      assert.deepEqual(s.instance.log, ['continue c', 'info queued before the continue'])
    })

    it("init's continue runs before a message given ahead of the mailbox, too", async () => {
      const s = await drive(Counter, { continue: 'c' })
      await s.call('get')
      await s.drain()
      assert.deepEqual(s.instance.log, ['continue c', 'call "get"', 'info queued before the continue'])
    })

    it('replyWith(v, { continue }) replies, then runs handleContinue before the next message (SRV-T20)', async () => {
      class Then extends Server<void, string, never, string> {
        log: string[] = []
        override handleCall(request: string) {
          this.send(this.self, 'next')
          return replyWith(request, { continue: request })
        }

        override handleContinue(value: unknown) {
          this.log.push(`continue ${String(value)}`)
          this.send(OBSERVER, 'continued')
          if (value === 'chain') return noreply({ continue: 'stop' })
          if (value === 'stop') return stop('normal')
        }

        override handleInfo(m: unknown) {
          this.log.push(`info ${String(m)}`)
        }
      }
      const s = await drive(Then)
      assert.equal(await s.call('a'), 'a')
      assert.deepEqual(s.ctx.take().filter((e) => e.op === 'reply' || e.op === 'send').map((e) => e.op), ['send', 'reply', 'send'],
        'the reply goes before the continue runs')
      await s.drain()
      assert.deepEqual(s.instance.log, ['continue a', 'info next'])
      // SRV-T22: a continue may continue, and a continue may stop.
      assert.equal(await s.call('chain'), 'chain')
      assert.deepEqual(s.instance.log.slice(2), ['continue chain', 'continue stop'])
      assert.deepEqual(s.ended, { reason: 'normal', terminated: true })
    })
  })

  describe('stopping', () => {
    it('stop(reason, reply): terminate runs, then the reply is sent, then it ends with reason (SRV-R5, SRV-T14)', async () => {
      class Closing extends Counter {
        override handleCall() {
          return stop('normal', -1)
        }
      }
      const s = await drive(Closing)
      assert.equal(await s.call('get'), -1)
      const order = s.ctx.effects.filter((e) => e.op === 'send' || e.op === 'reply').map((e) => e.op)
      assert.deepEqual(order, ['send', 'reply'], 'terminate (its send to OBSERVER) before the reply')
      assert.deepEqual(s.ended, { reason: 'normal', terminated: true })
    })

    it('stop(reason, reply) still replies when terminate throws; the throw becomes the reason (SRV-R5)', async () => {
      const broken = new Error('terminate failed')
      class Closing extends Counter {
        override handleCall() {
          return stop('normal', -1)
        }

        override terminate(): void {
          throw broken
        }
      }
      const s = await drive(Closing)
      assert.equal(await s.call('get'), -1)
      assert.deepEqual(s.ended, { reason: broken, terminated: true })
    })

    it('stop(reason) from handleCall ends it without a reply: the caller fails with the reason; terminate runs once (SRV-T15)', async () => {
      class Quitting extends Counter {
        override handleCall() {
          return stop({ shutdown: 'asked' })
        }
      }
      const s = await drive(Quitting)
      await assert.rejects(s.call('get'), (e: Error & { reason?: unknown }) =>
        hasCode(e, 'ERR_CALL_EXIT') && JSON.stringify(e.reason) === '{"shutdown":"asked"}')
      assert.deepEqual(s.instance.log.filter((l) => l.startsWith('terminate')), ['terminate {"shutdown":"asked"}'])
      assert.deepEqual(s.ctx.ops('reply', 'replyError'), [])
    })

    it("the runtime's stop request stops it with its reason: terminate runs, handleCall does not, nothing is replied (SRV-R10, SRV-T23)", async () => {
      const request = { $system: 'stop', reason: 'shutdown' }
      assert.ok(isStopRequest(request), 'the stop request the runtime and Server.stop send')
      const s = await drive(Counter)
      const from = s.from()
      await s.request(request, from)
      assert.deepEqual(s.instance.log, ['terminate shutdown'])
      assert.deepEqual(s.ctx.answersTo(from), [], 'the caller learns the end from its monitor')
      assert.deepEqual(s.ended, { reason: 'shutdown', terminated: true })
    })

    it('Server.stop resolves once terminate has run with its reason (SRV-T23)', async () => {
      const s = await drive(Counter)
      await Server.stop(s.caller, s.self, 'shutdown')
      assert.deepEqual(s.instance.log, ['terminate shutdown'])
    })
  })

  describe('crashes', () => {
    it('a throw in handleCall: kDispatch throws that Error, terminate runs with it, no reply; the caller fails with it (SRV-R9, SRV-T11)', async () => {
      const boom = new Error('boom')
      class Crashing extends Counter {
        override handleCall(): never {
          throw boom
        }
      }
      const s = await drive(Crashing)
      await assert.rejects(s.call('get'), (e: Error & { reason?: unknown }) => hasCode(e, 'ERR_CALL_EXIT') && e.reason === boom)
      assert.deepEqual(s.last, { kind: 'threw', error: boom })
      assert.deepEqual(s.instance.log, ['terminate boom'])
      assert.deepEqual(s.ended, { reason: boom, terminated: true })
      assert.deepEqual(s.ctx.ops('reply', 'replyError'), [])
    })

    it('a rejection from an async handleCast: kDispatch rejects with that Error, terminate runs with it (SRV-T29)', async () => {
      const boom = new Error('late boom')
      class Crashing extends Counter {
        override async handleCast(): Promise<void> {
          await null
          throw boom
        }
      }
      const s = await drive(Crashing)
      assert.deepEqual(await s.cast('x'), { kind: 'rejected', error: boom })
      assert.deepEqual(s.ended, { reason: boom, terminated: true })
    })

    it('a return of the wrong form ends it with ERR_BAD_RETURN_VALUE: ignore() from handleCall, a reply from handleCast (SRV-R3e, SRV-T13)', async () => {
      class Wrong extends Counter {
        override handleCall(): never {
          return ignore() as never
        }

        override handleCast(): never {
          return replyWith(1) as never
        }
      }
      for (const act of [(s: Driven<Wrong>) => s.request('get'), (s: Driven<Wrong>) => s.cast('x')]) {
        const s = await drive(Wrong)
        const outcome = await act(s)
        assert.ok(outcome.kind === 'threw' && hasCode(outcome.error, 'ERR_BAD_RETURN_VALUE'), JSON.stringify(outcome))
        assert.equal(codeOf(s.ended?.reason), 'ERR_BAD_RETURN_VALUE')
        assert.equal(s.ended?.terminated, true)
      }
    })

    it('an abnormal end reports the crash (reason, the call, its caller) where the env says; a clean end reports nothing (SRV-R11, SRV-T35)', async () => {
      class Crashing extends Counter {
        override handleCall(): never {
          throw new Error('boom')
        }
      }
      const reports = { 'skein.reports': 'logger' }
      const s = await drive(Crashing, undefined, { env: reports })
      await s.request({ add: 1 })
      const sent = s.ctx.ops('trySend').filter((e) => e.to === 'logger').map((e) => e.message as Record<string, unknown>)
      assert.equal(sent.length, 1)
      assert.deepEqual([sent[0]?.kind, sent[0]?.lastMessage, (sent[0]?.client as typeof CALLER).equals(CALLER)], ['crash', { call: { add: 1 } }, true])
      const clean = await drive(Counter, undefined, { env: reports })
      await clean.terminate('shutdown')
      assert.deepEqual(clean.ctx.ops('trySend'), [])
    })
  })

  describe('exit signals (SRV-R9)', () => {
    it("the parent's EXIT, trapped, stops it with the parent's reason; terminate runs, handleInfo does not (SRV-T25)", async () => {
      const s = await drive(Counter, undefined, { trapExit: true })
      await s.info(exitMessage(PARENT, 'shutdown'))
      assert.deepEqual(s.instance.log, ['terminate shutdown'])
      assert.deepEqual(s.ended, { reason: 'shutdown', terminated: true })
    })

    it('an EXIT from another process goes to handleInfo and the server lives on (SRV-T27)', async () => {
      const s = await drive(Counter, undefined, { trapExit: true })
      const exit = exitMessage(pid(60), 'boom')
      await s.info(exit)
      assert.deepEqual(s.instance.infos, [exit])
      assert.equal(s.ended, undefined)
    })

    it('with no parent (spawned unlinked), every EXIT goes to handleInfo', async () => {
      const s = await drive(Counter, undefined, { trapExit: true, parent: undefined })
      const exit = exitMessage(PARENT, 'shutdown')
      await s.info(exit)
      assert.deepEqual(s.instance.infos, [exit])
      assert.equal(s.ended, undefined)
    })
  })

  describe('init', () => {
    class Starting extends Counter {
      override init(args: unknown) {
        if (args === 'ignore') return ignore()
        if (args === 'stop') return stop({ refused: true })
        if (args === 'throw') throw new Error('init failed')
      }
    }

    it("ignore() declines the start: kInit returns IGNORE; the process ends 'normal' without terminate (SRV-T2)", async () => {
      const s = await drive(Starting, 'ignore')
      assert.deepEqual(s.start, { kind: 'ignored' })
      assert.deepEqual(s.ended, { reason: 'normal', terminated: false })
      assert.deepEqual(s.instance.log, [])
    })

    it('stop(reason) fails the start with reason (kInit throws it), without terminate (SRV-T3)', async () => {
      const s = await drive(Starting, 'stop')
      assert.deepEqual(s.start, { kind: 'failed', reason: { refused: true } })
      assert.equal(s.ended?.terminated, false)
      assert.deepEqual(s.instance.log, [])
    })

    it('a throw in init fails the start with the Error, without terminate (SRV-T3)', async () => {
      const s = await drive(Starting, 'throw')
      assert.ok(s.start.kind === 'failed' && (s.start.reason as Error).message === 'init failed', JSON.stringify(s.start))
      assert.deepEqual(s.instance.log, [])
    })

    it('noreply({ timeout }) from init arms an idle timeout', async () => {
      class Idle extends Counter {
        override init() {
          return noreply({ timeout: 10 })
        }
      }
      const s = await drive(Idle)
      await s.ctx.advance(10)
      await s.drain()
      assert.deepEqual(s.instance.log, ['info timeout'])
    })
  })

  it('without handleInfo a message is dropped with one warning per class and the server lives on (SRV-R12, SRV-T30)', async () => {
    class Quiet extends Server<void, 'get', never, number> {
      override handleCall() {
        return 1
      }
    }
    const warn = console.warn
    const warnings: unknown[] = []
    console.warn = (...args: unknown[]) => { warnings.push(args) }
    try {
      const s = await drive(Quiet)
      await s.info('one')
      await s.info('two')
      assert.equal(warnings.length, 1)
      assert.equal(await s.call('get'), 1)
    } finally {
      console.warn = warn
    }
  })
})
