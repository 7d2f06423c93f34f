/**
 * Server (gen_server): a bank account on worker thread 1. Typed calls and casts, a reply given
 * later (noreply), an idle timeout, stop with a reply, init's ignore and stop, a crash in
 * handleCall, and Server.stop.
 * Run: node --import tsx docs/examples/server.ts
 */
import assert from 'node:assert/strict'
import { isDeepStrictEqual } from 'node:util'
import { isMainThread } from 'node:worker_threads'
import { Node, Server, hasCode, ignore, noreply, replyWith, stop, type From, type ServerAction } from '../../src/index.ts'

interface AccountArgs {
  readonly balance: number
  /** A frozen account does not start: its starter gets 'ignore'. */
  readonly frozen?: boolean
  /** Stop 'normal' after this many ms without a call. */
  readonly idleMs?: number
}
type AccountCall = 'balance' | 'nextDeposit' | 'close' | { deposit: number } | { withdraw: number }
type AccountCast = { interest: number }

export class Account extends Server<AccountArgs, AccountCall, AccountCast, number> {
  balance = 0
  idleMs = Infinity
  /** Callers of 'nextDeposit', answered by the next deposit. */
  waiting: From[] = []

  override init(args: AccountArgs) {
    if (args.frozen === true) return ignore()
    if (args.balance < 0) return stop({ negative_balance: args.balance })
    this.balance = args.balance
    this.idleMs = args.idleMs ?? Infinity
  }

  override handleCall(request: AccountCall, from: From): ServerAction<number> {
    if (request === 'balance') return this.answer(this.balance)
    if (request === 'nextDeposit') {
      this.waiting.push(from)
      return noreply()                          // answered later, with this.reply(from, v)
    }
    if (request === 'close') return stop('normal', this.balance)   // terminate runs, then the reply
    if ('deposit' in request) {
      this.balance += request.deposit
      for (const caller of this.waiting.splice(0)) this.reply(caller, request.deposit)
      return this.answer(this.balance)
    }
    if (request.withdraw > this.balance) throw new Error(`cannot withdraw ${request.withdraw}`)
    this.balance -= request.withdraw
    return this.answer(this.balance)
  }

  override handleCast(request: AccountCast) {
    this.balance = Math.round(this.balance * (100 + request.interest) / 100)
  }

  override handleInfo(message: unknown) {
    if (message === 'timeout') return stop('normal')   // no call within idleMs
  }

  /** Reply, then arm the idle timeout (Infinity arms none). */
  answer(value: number) {
    return replyWith(value, { timeout: this.idleMs })
  }
}

async function main(): Promise<void> {
  const node = await Node.start({ threads: 1, modules: [new URL(import.meta.url)] })
  try {
    // node.spawn of a Server class gives a typed pid: Server.call checks requests and replies.
    const account = await node.spawn(Account, { balance: 100 }, { thread: 1 })
    assert.equal(await Server.call(node, account, { deposit: 50 }), 150)
    Server.cast(node, account, { interest: 10 })
    assert.equal(await Server.call(node, account, 'balance'), 165)
    console.log('deposit 50, then 10% interest: 165')

    // A reply given later: the first call waits until the deposit arrives.
    const next = Server.call(node, account, 'nextDeposit')
    assert.equal(await Server.call(node, account, { deposit: 5 }), 170)
    assert.equal(await next, 5)
    console.log('nextDeposit answered by the deposit: 5')

    // A call that does not wait: collect its reply later.
    const request = Server.sendRequest(node, account, 'balance')
    assert.deepEqual(await Server.waitResponse(request, 1000), { reply: 170 })
    console.log('sendRequest, then waitResponse: { reply: 170 }')

    // A throw in handleCall ends the server; the caller fails with ERR_CALL_EXIT and the reason.
    await assert.rejects(Server.call(node, account, { withdraw: 1000 }), (e: Error & { reason?: unknown }) =>
      hasCode(e, 'ERR_CALL_EXIT') && e.reason instanceof Error && e.reason.message === 'cannot withdraw 1000')
    console.log('withdraw 1000: ERR_CALL_EXIT (the server crashed: cannot withdraw 1000)')

    // init's ignore() and stop(reason).
    assert.equal(await Server.start(node, Account, { balance: 1, frozen: true }), 'ignore')
    await assert.rejects(node.spawn(Account, { balance: 1, frozen: true }), (e) => hasCode(e, 'ERR_INIT_IGNORED'))
    await assert.rejects(Server.start(node, Account, { balance: -5 }), (e: Error & { reason?: unknown }) =>
      hasCode(e, 'ERR_INIT_FAILED') && isDeepStrictEqual(e.reason, { negative_balance: -5 }))
    console.log("frozen: 'ignore'; negative: ERR_INIT_FAILED { negative_balance: -5 }")

    // stop(reason, reply) from handleCall: the caller gets the reply, the server is gone.
    const closing = await node.spawn(Account, { balance: 7 })
    const closed = node.monitor(closing)
    assert.equal(await Server.call(node, closing, 'close'), 7)
    assert.equal((await closed.down).reason, 'normal')
    console.log('close replied 7, then the server ended normal')

    // The idle timeout: no call within 20 ms, handleInfo('timeout') stops it.
    const idle = await node.spawn(Account, { balance: 1, idleMs: 20 }, { thread: 1 })
    const idled = node.monitor(idle)
    await Server.call(node, idle, 'balance')
    assert.equal((await idled.down).reason, 'normal')
    console.log('idle for 20 ms: stopped normal')

    // Server.stop resolves once terminate has run; a second stop finds no process.
    const last = await node.spawn(Account, { balance: 0 }, { thread: 1 })
    await Server.stop(node, last)
    await assert.rejects(Server.stop(node, last), (e) => hasCode(e, 'ERR_NOPROC'))
    console.log('Server.stop, then again: ERR_NOPROC')
  } finally {
    await node.stop()
  }
}

// Every thread imports this file (it is in `modules`); only the main thread runs the program.
if (isMainThread) main().catch((error: unknown) => { console.error(error); process.exit(1) })
