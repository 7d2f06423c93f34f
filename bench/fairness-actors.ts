/**
 * Processes for the fairness shapes (bench/fairness-shapes.ts) and their regression tests
 * (test/integration/035-fairness.test.ts): a thread saturated by slow messages, timers fired
 * beside it, async callbacks fed from another thread, and a slow consumer under a fast producer.
 *
 *   Hog          every message costs `ms` of CPU and queues the next: its thread never runs dry
 *   TimerProbe   arms `count` timers one after another, `every` ms apart; answers their lateness
 *   AsyncEcho    a Server whose handleCall awaits once, then answers (SyncEcho: answers at once)
 *   Consumer     every message costs `micros` of CPU; handleDirect reads its count and its
 *                thread's CPU time (a direct request is served ahead of the mailbox)
 *   Producer     sends `burst` messages to a consumer per message, then queues the next burst
 *                for itself, until `ms` have passed
 */
import { readFileSync } from 'node:fs'
import { Actor, Server, type CallMessage, type Pid } from '../src/index.ts'

/** This thread's CPU time in ms (Linux: /proc/thread-self/schedstat; elsewhere wall time). */
export function threadCpuMs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6
  } catch {
    return performance.now()
  }
}

/** Burn about `ms` of wall time on this thread (a handler that costs that much). */
export function burn(ms: number): void {
  const end = performance.now() + ms
  while (performance.now() < end) { /* busy */ }
}

/** A fixed amount of CPU work: `units` rounds of integer mixing (a deterministic handler cost). */
export function work(units: number): number {
  let x = units | 1
  for (let i = 0; i < units * 64; i++) x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + i
  return x
}

export type HogMessage = { type: 'go'; ms: number } | { type: 'stop' } | 'next'

/** Keeps its thread busy: each message burns `ms`, then queues another, until told to stop. */
export class Hog extends Actor<void, HogMessage | CallMessage> {
  ms = 1
  running = false
  handled = 0
  receive(m: HogMessage | CallMessage): void {
    if (m === 'next') {
      if (!this.running) return
      burn(this.ms)
      this.handled++
      this.send(this.self, 'next')
    } else if (m.type === 'go') {
      this.ms = m.ms
      this.running = true
      this.send(this.self, 'next')
    } else if (m.type === 'stop') {
      this.running = false
    } else {
      this.reply(m.from, this.handled)
    }
  }
}

export interface TimerJob { count: number; every: number }

/** Arms `count` timers in sequence; replies with each one's lateness in ms (fired - due). */
export class TimerProbe extends Actor<void, CallMessage<TimerJob> | { type: 'tick'; due: number }> {
  job: TimerJob = { count: 0, every: 0 }
  late: number[] = []
  from: CallMessage['from'] | null = null
  receive(m: CallMessage<TimerJob> | { type: 'tick'; due: number }): void {
    if (m.type === '$call') {
      this.job = m.request
      this.late = []
      this.from = m.from
      this.#arm()
      return
    }
    this.late.push(this.now() - m.due)
    if (this.late.length < this.job.count) this.#arm()
    else if (this.from !== null) this.reply(this.from, this.late)
  }

  #arm(): void {
    this.sendAfter(this.self, { type: 'tick', due: this.now() + this.job.every }, this.job.every)
  }
}

/** Answers each call after one await: its reply is sent from a continuation, outside a turn. */
export class AsyncEcho extends Server<void, unknown, never, unknown> {
  override async handleCall(request: unknown): Promise<unknown> {
    await null
    return request
  }
}

/** Answers each call at once. */
export class SyncEcho extends Server<void, unknown, never, unknown> {
  override handleCall(request: unknown): unknown {
    return request
  }
}

/** What a Consumer's handleDirect answers. */
export interface ConsumerReading { handled: number; cpuMs: number; mailbox: number }

/** Every message costs `units` of work(); counts them. */
export class Consumer extends Actor<{ units: number }, unknown> {
  units = 1
  handled = 0
  override init(args: { units: number }): void {
    this.units = args.units
  }

  receive(): void {
    work(this.units)
    this.handled++
  }

  /** 'read': the count and this thread's CPU time; { calibrate: n }: CPU ms per message alone. */
  override handleDirect(request: 'read' | { calibrate: number }): ConsumerReading | number {
    if (request === 'read') return { handled: this.handled, cpuMs: threadCpuMs(), mailbox: this.messageQueueLength() }
    const t0 = threadCpuMs()
    for (let i = 0; i < request.calibrate; i++) work(this.units)
    return (threadCpuMs() - t0) / request.calibrate
  }
}

export interface ProducerJob { to: Pid; ms: number; burst: number }

/** Floods `to` for `ms`: a burst per message, then the next burst queued behind anything else. */
export class Producer extends Actor<void, ProducerJob | 'more'> {
  job: ProducerJob | null = null
  until = 0
  sent = 0
  receive(m: ProducerJob | 'more'): void {
    if (m !== 'more') {
      this.job = m
      this.until = performance.now() + m.ms
    }
    const job = this.job
    if (job === null || performance.now() > this.until) return
    for (let i = 0; i < job.burst; i++) this.send(job.to, this.sent++)
    this.send(this.self, 'more')
  }
}
