/**
 * Processes and messages: plain Actors on two worker threads. Names, placement, calls, a
 * monitor, a link with trapExit, a timer, and the coded errors of a send or call gone wrong.
 * Run: node --import tsx docs/examples/processes.ts
 */
import assert from 'node:assert/strict'
import { isMainThread } from 'node:worker_threads'
import { Actor, Node, hasCode, type CallMessage, type ExitMessage, type From, type Pid } from '../../src/index.ts'

type CounterMessage = CallMessage<'get'> | { type: 'add'; n: number }

/** Adds what it is sent; answers a call with the total. */
export class Counter extends Actor<{ start: number }, CounterMessage> {
  total = 0

  override init(args: { start: number }): void {
    this.total = args.start
  }

  receive(m: CounterMessage): void {
    if (m.type === '$call') this.reply(m.from, this.total)
    else this.total += m.n
  }
}

/** Throws on 'boom': the thrown Error becomes its exit reason. */
export class Fragile extends Actor<void, string> {
  receive(m: string): void {
    if (m === 'boom') throw new Error('boom')
  }
}

type WatcherMessage = CallMessage<'spawn' | 'nextExit'> | ExitMessage

/**
 * Traps exits, so a linked process's end reaches it as a message instead of ending it too.
 * 'spawn' starts a linked Fragile on thread 1; 'nextExit' answers with the next exit reason
 * (at once if one is already there: the reply waits, the caller is answered later).
 */
export class Watcher extends Actor<void, WatcherMessage> {
  exits: string[] = []
  waiting: From[] = []

  override init(): void {
    this.trapExit(true)
  }

  receive(m: WatcherMessage): void {
    if (m.type === 'EXIT') {
      this.exits.push(m.reason instanceof Error ? `Error: ${m.reason.message}` : String(m.reason))
    } else if (m.request === 'spawn') {
      this.reply(m.from, this.spawnLink(Fragile, undefined, { thread: 1 }))
    } else {
      this.waiting.push(m.from)
    }
    while (this.exits.length > 0 && this.waiting.length > 0) {
      this.reply(this.waiting.shift() as From, this.exits.shift())
    }
  }
}

/** Answers a call `ms` later: the reply is held while a timer runs (sendAfter to itself). */
export class Alarm extends Actor<void, CallMessage<number> | { type: 'ring'; from: From }> {
  receive(m: CallMessage<number> | { type: 'ring'; from: From }): void {
    if (m.type === '$call') this.sendAfter(this.self, { type: 'ring', from: m.from }, m.request)
    else this.reply(m.from, 'ring')
  }
}

async function main(): Promise<void> {
  const node = await Node.start({ threads: 2, modules: [new URL(import.meta.url)] })
  try {
    // Spawn on worker thread 1, registered under a name: send and call by pid or by name.
    const counter = await node.spawn(Counter, { start: 40 }, { thread: 1, name: 'counter' })
    node.send(counter, { type: 'add', n: 1 })
    node.send('counter', { type: 'add', n: 1 })
    const total = await node.call<number>('counter', 'get')
    assert.equal(total, 42)
    console.log(`counter on thread ${counter.thread}: ${total}`)

    // Placement by key: the same key always lands on the same thread.
    const a = await node.spawn(Counter, { start: 0 }, { key: 'user:7' })
    const b = await node.spawn(Counter, { start: 0 }, { key: 'user:7' })
    assert.equal(a.thread, b.thread)
    console.log(`same key, same thread: ${a.thread === b.thread}`)

    // Sending to a name nobody holds throws; trySend says false instead.
    assert.throws(() => node.send('nobody', 'hello'), (e) => hasCode(e, 'ERR_UNKNOWN_NAME'))
    console.log(`trySend to an unknown name: ${node.trySend('nobody', 'hello')}`)

    // A monitor fires once with the reason; 'kill' cannot be trapped and ends with 'killed'.
    const m = node.monitor(counter)
    node.exit(counter, 'kill')
    const down = await m.down
    assert.equal(down.reason, 'killed')
    assert.equal(node.whereis('counter'), undefined)
    console.log(`DOWN reason: ${String(down.reason)}; name freed: ${node.whereis('counter') === undefined}`)

    // A call to a process that is gone fails at once.
    await assert.rejects(node.call(counter, 'get'), (e) => hasCode(e, 'ERR_NOPROC'))
    console.log('call to a dead pid: ERR_NOPROC')

    // A link across threads: the Fragile on thread 1 crashes, the trapping Watcher on thread 2 hears of it.
    const watcher = await node.spawn(Watcher, undefined, { thread: 2 })
    const fragile = await node.call<Pid>(watcher, 'spawn')
    node.send(fragile, 'boom')
    const reason = await node.call<string>(watcher, 'nextExit')
    assert.equal(reason, 'Error: boom')
    console.log(`watcher got EXIT from thread ${fragile.thread}: ${reason}`)

    // Timers: the reply comes after the alarm's sendAfter; a shorter call timeout fails the call.
    const alarm = await node.spawn(Alarm, undefined, { thread: 'any' })
    const t0 = performance.now()
    assert.equal(await node.call(alarm, 30), 'ring')
    assert.ok(performance.now() - t0 >= 25)
    console.log('alarm rang after about 30 ms')
    await assert.rejects(node.call(alarm, 1000, { timeout: 20 }), (e) => hasCode(e, 'ERR_CALL_TIMEOUT'))
    console.log('a call that outlives its timeout: ERR_CALL_TIMEOUT')
  } finally {
    await node.stop()
  }
}

// Every thread imports this file (it is in `modules`) to find the classes above; only the main
// thread runs the program. No top-level await here: the main thread's own import of this
// module (Node.start loads `modules` there too) would wait for it (ERR_MODULE_AWAITS_NODE_START).
if (isMainThread) main().catch((error: unknown) => { console.error(error); process.exit(1) })
