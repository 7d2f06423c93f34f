/** Actors the benchmarks spawn on every thread (this module is in the node's `modules`). */
import { Actor, type CallMessage, type Pid } from '../src/index.ts'

type CounterMsg = CallMessage<{ expect: number }> | { type?: undefined }

/** Counts messages; answers an `expect` call once that many have arrived. */
export class Counter extends Actor<void, CounterMsg> {
  count = 0
  goal = -1
  from: CallMessage['from'] | null = null

  receive(m: CounterMsg): void {
    if (m.type === '$call') {
      this.count = 0
      this.goal = m.request.expect
      this.from = m.from
      return
    }
    if (++this.count === this.goal && this.from !== null) {
      this.reply(this.from, this.count)
      this.from = null
    }
  }
}

interface Go {
  type: 'go'
  target: Pid
  n: number
  message: unknown
}

/** Sends `n` copies of `message` to `target`, in slices so other processes get the thread. */
export class Sender extends Actor<void, Go | { type: 'more'; left: number; job: Go }> {
  receive(m: Go | { type: 'more'; left: number; job: Go }): void {
    const job = m.type === 'go' ? m : m.job
    let left = m.type === 'go' ? m.n : m.left
    const slice = Math.min(left, 8192)
    const { target, message } = job
    for (let i = 0; i < slice; i++) this.send(target, message)
    left -= slice
    if (left > 0) this.send(this.self, { type: 'more', left, job })
  }
}

type PingMsg = { type: 'ping'; from: Pid; left: number } | CallMessage<{ peer: Pid; rounds: number }>

/** Ping-pong: bounces a ball with its peer until `rounds` run out, then answers the call. */
export class Pinger extends Actor<void, PingMsg> {
  from: CallMessage['from'] | null = null

  receive(m: PingMsg): void {
    if (m.type === '$call') {
      this.from = m.from
      this.send(m.request.peer, { type: 'ping', from: this.self, left: m.request.rounds })
      return
    }
    if (m.left === 0) {
      if (this.from !== null) this.reply(this.from, 'done')
      else this.send(m.from, { type: 'ping', from: this.self, left: 0 })
      return
    }
    this.send(m.from, { type: 'ping', from: this.self, left: m.left - 1 })
  }
}

type RttMsg = { type: 'ping'; from: Pid; t: number } | CallMessage<{ peer: Pid; rounds: number; gapMs: number }>

/** Measures round trips one at a time; answers with the sorted samples in microseconds. */
export class RttProbe extends Actor<void, RttMsg> {
  samples: number[] = []
  left = 0
  gapMs = 0
  peer: Pid | null = null
  from: CallMessage['from'] | null = null

  receive(m: RttMsg): void {
    if (m.type === '$call') {
      this.samples = []
      this.left = m.request.rounds
      this.gapMs = m.request.gapMs
      this.peer = m.request.peer
      this.from = m.from
      this.#ping()
      return
    }
    this.samples.push((performance.now() - m.t) * 1000)
    if (--this.left > 0) {
      // The gap is a busy wait: only the receiver goes to sleep, the prober stays hot.
      if (this.gapMs > 0) {
        const until = performance.now() + this.gapMs
        while (performance.now() < until) {
          // busy
        }
      }
      this.#ping()
    } else if (this.from !== null) {
      this.reply(this.from, this.samples.sort((a, b) => a - b))
    }
  }

  #ping(): void {
    this.send(this.peer as Pid, { type: 'ping', from: this.self, t: performance.now() })
  }
}

/** Echoes pings back to their sender. */
export class Ponger extends Actor<void, { from: Pid }> {
  receive(m: { from: Pid }): void {
    this.send(m.from, m)
  }
}

/** Keeps its thread busy: handles a stream of self-sent ticks for ever (until stopped). */
export class Busy extends Actor<void, { type: 'tick' }> {
  override init(): void {
    for (let i = 0; i < 64; i++) this.send(this.self, { type: 'tick' })
  }

  receive(): void {
    let x = 0
    for (let i = 0; i < 20; i++) x += i
    if (x >= 0) this.send(this.self, { type: 'tick' })
  }
}
