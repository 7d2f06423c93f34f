/**
 * Raw worker_threads baselines: the same shapes as the Skein benchmarks, with one
 * `postMessage` per message over a MessageChannel between two workers. The worker code is plain
 * JavaScript evaluated in the worker, so nothing of Skein is on this path.
 */
import { MessageChannel, Worker } from 'node:worker_threads'

const WORKER = `
const { parentPort } = require('node:worker_threads')
let port
parentPort.on('message', async (m) => {
  switch (m.op) {
    case 'port': port = m.port; parentPort.postMessage('ok'); break
    case 'count': {
      let count = 0
      port.removeAllListeners('message')
      port.on('message', () => { if (++count === m.n) parentPort.postMessage('done') })
      parentPort.postMessage('ok'); break
    }
    case 'send':
      for (let i = 0; i < m.n; i++) {
        port.postMessage(m.message)
        if ((i & 1023) === 1023) await new Promise((r) => setImmediate(r))
      }
      break
    case 'echo':
      port.removeAllListeners('message')
      port.on('message', (x) => port.postMessage(x))
      parentPort.postMessage('ok'); break
    case 'busy': {
      // Keep this thread's event loop busy with small slices of work, as a busy scheduler is.
      let on = true
      parentPort.once('message', () => { on = false })
      const tick = () => { let x = 0; for (let i = 0; i < 1300; i++) x += i; if (on && x >= 0) setImmediate(tick) }
      tick(); parentPort.postMessage('ok'); break
    }
    case 'rtt': {
      port.removeAllListeners('message')
      const samples = []
      for (let i = 0; i < m.rounds; i++) {
        const t = performance.now()
        await new Promise((r) => { port.once('message', r); port.postMessage({ t }) })
        samples.push((performance.now() - t) * 1000)
        if (m.gapMs > 0) { const until = performance.now() + m.gapMs; while (performance.now() < until) {} }
      }
      parentPort.postMessage(samples.sort((a, b) => a - b)); break
    }
  }
})`

export class PostMessagePair {
  readonly a = new Worker(WORKER, { eval: true })
  readonly b = new Worker(WORKER, { eval: true })

  static async start(): Promise<PostMessagePair> {
    const pair = new PostMessagePair()
    const { port1, port2 } = new MessageChannel()
    await pair.#ask(pair.a, { op: 'port', port: port1 }, [port1])
    await pair.#ask(pair.b, { op: 'port', port: port2 }, [port2])
    return pair
  }

  /** Milliseconds for `a` to post `n` copies of `message` to `b`, one per postMessage. */
  async oneWay(n: number, message: unknown): Promise<number> {
    await this.#ask(this.b, { op: 'count', n })
    const done = this.#next(this.b)
    const t0 = performance.now()
    this.a.postMessage({ op: 'send', n, message })
    await done
    return performance.now() - t0
  }

  /** Sorted round-trip samples (µs) from `a` to `b` and back; `busy` keeps `b` working. */
  async roundTrips(rounds: number, gapMs: number, busy: boolean): Promise<number[]> {
    await this.#ask(this.b, { op: 'echo' })
    if (busy) await this.#ask(this.b, { op: 'busy' })
    const samples = (await this.#ask(this.a, { op: 'rtt', rounds, gapMs })) as number[]
    if (busy) this.b.postMessage({ op: 'stop-busy' })
    return samples
  }

  async close(): Promise<void> {
    await Promise.all([this.a.terminate(), this.b.terminate()])
  }

  #next(w: Worker): Promise<unknown> {
    return new Promise((resolve) => w.once('message', resolve))
  }

  #ask(w: Worker, m: unknown, transfer?: readonly import('node:worker_threads').Transferable[]): Promise<unknown> {
    const reply = this.#next(w)
    w.postMessage(m, transfer)
    return reply
  }
}
