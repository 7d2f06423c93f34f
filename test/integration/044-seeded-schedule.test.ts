/**
 * The deterministic tier: a node with `threads: 0` and a `seed` runs its ready processes in an
 * order the seed draws, one message per run (Pony's systematic testing). A run depends on the
 * seed alone, so these properties are checked over many interleavings, and a failing seed (it is
 * in the assertion message) replays exactly:
 *   - the same seed gives the same interleaving, and different seeds give different ones
 *   - one sender's messages arrive in the order sent, whatever else interleaves (PROC-R2)
 *   - an exit signal and a DOWN come after every message their process sent before it ended
 *   - each call is answered once, and one caller's sequential calls see the server's order
 */
import assert from 'node:assert/strict'
import { Actor, Node, Server, isCallMessage, type CallMessage, type Pid } from '../../src/index.ts'

const SEEDS = Array.from({ length: 40 }, (_, i) => 1000 + i * 7919)

/**
 * Records what it receives; a call `{ wait: n }` is answered with the log once it holds n
 * entries; `{ type: 'monitor', target }` makes it monitor `target`, then tell it to go.
 */
class Recorder extends Actor<{ trap?: boolean }, unknown> {
  readonly log: string[] = []
  waiting: { from: CallMessage['from']; n: number } | null = null

  override init(args: { trap?: boolean }): void {
    if (args.trap === true) this.trapExit(true)
  }

  receive(m: unknown): void {
    const command = m as { type?: unknown; target?: Pid }
    if (command.type === 'monitor') {
      this.monitor(command.target as Pid)
      this.send(command.target as Pid, { type: 'go' })
      return
    }
    if (isCallMessage(m)) {
      this.waiting = { from: m.from, n: (m.request as { wait: number }).wait }
    } else {
      const e = m as { type?: string; from?: Pid | string; pid?: Pid; seq?: number }
      if (e.type === 'EXIT') this.log.push(`${(e.from as Pid).toString()}:EXIT`)
      else if (e.type === 'DOWN') this.log.push(`${(e.pid as Pid).toString()}:DOWN`)
      else this.log.push(`${String(e.from)}:${e.seq}`)
    }
    if (this.waiting !== null && this.log.length >= this.waiting.n) {
      this.reply(this.waiting.from, this.log)
      this.waiting = null
    }
  }
}

/** On 'go', sends `count` numbered messages to `to`, one per message it handles, then optionally ends. */
class Sender extends Actor<{ to: Pid; name: string; count: number; end?: string; link?: boolean }, { type: 'go' | 'next' }> {
  args!: { to: Pid; name: string; count: number; end?: string; link?: boolean }
  sent = 0

  override init(args: Sender['args']): void {
    this.args = args
    if (args.link === true) this.link(args.to)
  }

  receive(): void {
    const { to, name, count, end } = this.args
    if (this.sent < count) {
      this.send(to, { from: name, seq: this.sent++ })
      this.send(this.self, { type: 'next' })
    } else if (end !== undefined) {
      this.stop(end)
    }
  }
}

/** Counts calls: each reply is the count so far. */
class Counter extends Server<void, 'inc', never, number> {
  n = 0
  override handleCall(): number {
    return ++this.n
  }
}

/** On 'go', makes `count` sequential calls to `server` and answers a `{ wait }` call with the replies. */
class Caller extends Actor<{ server: Pid; count: number }, unknown> {
  args!: { server: Pid; count: number }
  replies: number[] = []
  waiting: CallMessage['from'] | null = null

  override init(args: Caller['args']): void {
    this.args = args
  }

  async receive(m: unknown): Promise<void> {
    if (isCallMessage(m)) {
      this.waiting = m.from
    } else {
      for (let i = 0; i < this.args.count; i++) this.replies.push(await this.call<number>(this.args.server, 'inc'))
    }
    if (this.waiting !== null && this.replies.length === this.args.count) this.reply(this.waiting, this.replies)
  }
}

/** Four senders of five messages each to one recorder: the recorder's log. */
async function interleaving(seed: number): Promise<string[]> {
  const node = await Node.start({ threads: 0, seed, handleSignals: false })
  try {
    const recorder = await node.spawn(Recorder, {})
    const senders: Pid[] = []
    for (const name of ['a', 'b', 'c', 'd']) senders.push(await node.spawn(Sender, { to: recorder, name, count: 5 }))
    for (const s of senders) node.send(s, { type: 'go' })
    return await node.call<string[]>(recorder, { wait: 20 })
  } finally {
    await node.stop()
  }
}

describe('seeded schedule (threads: 0, seed): properties over many interleavings', function () {
  this.timeout(60_000)

  it('replays the same interleaving for the same seed, and finds different ones for different seeds', async () => {
    const first = await interleaving(SEEDS[0] as number)
    assert.deepEqual(await interleaving(SEEDS[0] as number), first)
    const seen = new Set<string>()
    for (const seed of SEEDS.slice(0, 10)) seen.add((await interleaving(seed)).join(' '))
    assert.ok(seen.size >= 5, `only ${seen.size} distinct interleavings in 10 seeds`)
  })

  it('delivers each sender\'s messages in the order sent, under every seed', async () => {
    for (const seed of SEEDS) {
      const log = await interleaving(seed)
      for (const name of ['a', 'b', 'c', 'd']) {
        const seqs = log.filter((e) => e.startsWith(`${name}:`)).map((e) => Number(e.split(':')[1]))
        assert.deepEqual(seqs, [0, 1, 2, 3, 4], `seed ${seed}: ${name} arrived as ${seqs.join(',')}`)
      }
    }
  })

  it('delivers a process\'s exit signal after every message it sent before it ended, under every seed', async () => {
    for (const seed of SEEDS) {
      const node = await Node.start({ threads: 0, seed, handleSignals: false })
      try {
        const recorder = await node.spawn(Recorder, { trap: true })
        const noise = await node.spawn(Sender, { to: recorder, name: 'noise', count: 6 })
        const linked = await node.spawn(Sender, { to: recorder, name: 'x', count: 4, end: 'boom', link: true })
        node.send(noise, { type: 'go' })
        node.send(linked, { type: 'go' })
        const log = await node.call<string[]>(recorder, { wait: 6 + 4 + 1 })
        const xs = log.filter((e) => e.startsWith('x:') || e.startsWith(`${linked.toString()}:`))
        assert.deepEqual(xs, ['x:0', 'x:1', 'x:2', 'x:3', `${linked.toString()}:EXIT`], `seed ${seed}: ${xs.join(' ')}`)
      } finally {
        await node.stop()
      }
    }
  })

  it('delivers a DOWN after every message the monitored process sent before it ended, under every seed', async () => {
    for (const seed of SEEDS) {
      const node = await Node.start({ threads: 0, seed, handleSignals: false })
      try {
        const recorder = await node.spawn(Recorder, {})
        const noise = await node.spawn(Sender, { to: recorder, name: 'noise', count: 6 })
        const sender = await node.spawn(Sender, { to: recorder, name: 'x', count: 4, end: 'normal' })
        node.send(noise, { type: 'go' })
        node.send(recorder, { type: 'monitor', target: sender })
        const log = await node.call<string[]>(recorder, { wait: 6 + 4 + 1 })
        const xs = log.filter((e) => e.startsWith('x:') || e.startsWith(`${sender.toString()}:`))
        assert.deepEqual(xs, ['x:0', 'x:1', 'x:2', 'x:3', `${sender.toString()}:DOWN`], `seed ${seed}: ${xs.join(' ')}`)
      } finally {
        await node.stop()
      }
    }
  })

  it('answers each call once, and one caller\'s sequential calls in the server\'s order, under every seed', async () => {
    for (const seed of SEEDS) {
      const node = await Node.start({ threads: 0, seed, handleSignals: false })
      try {
        const server = await node.spawn(Counter)
        const callers: Pid[] = []
        for (let i = 0; i < 3; i++) callers.push(await node.spawn(Caller, { server, count: 4 }))
        for (const c of callers) node.send(c, { type: 'go' })
        const replies = await Promise.all(callers.map((c) => node.call<number[]>(c, 'wait')))
        const all = replies.flat().sort((a, b) => a - b)
        assert.deepEqual(all, Array.from({ length: 12 }, (_, i) => i + 1), `seed ${seed}: ${JSON.stringify(replies)}`)
        for (const r of replies) assert.deepEqual(r, [...r].sort((a, b) => a - b), `seed ${seed}: ${r.join(',')}`)
      } finally {
        await node.stop()
      }
    }
  })

  it('takes an integer seed from 0 to 2^32 - 1', async () => {
    await assert.rejects(Node.start({ threads: 0, seed: 1.5 }), { code: 'ERR_INVALID_ARG_TYPE' })
    await assert.rejects(Node.start({ threads: 0, seed: -1 }), { code: 'ERR_INVALID_ARG_VALUE' })
  })
})
