/**
 * Fairness shapes: what one thread's scheduler owes the rest of its thread (issue 10, items 2,
 * 4 and 5). Each row's baseline is the same figure without the load, measured in the same run.
 *
 *   lateness       a TimerProbe arms timers 20 ms apart on thread `b` while a Hog keeps that
 *                  thread busy with 1 ms messages; p50 and p99 lateness beside the same probe on
 *                  an idle thread (target: p99 <= 20 ms)
 *   asynccall      1,000 calls in flight from the main thread to a Server on thread `a` whose
 *                  handleCall awaits once, beside the same calls to a synchronous handler
 *                  (target: >= 0.5x, i.e. within twice the time)
 *   slowconsumer   a Producer on thread `a` floods a Consumer on thread `b` whose messages cost
 *                  ~20 µs of CPU; the consumer's rate beside its handler's rate alone (its CPU
 *                  time per message, measured on its thread; target >= 0.8x). The detail column
 *                  has the share of the consumer thread's CPU time spent in the handler, which
 *                  other load on the machine does not move.
 */
import { AsyncEcho, Consumer, Hog, Producer, SyncEcho, TimerProbe, type ConsumerReading, type TimerJob } from './fairness-actors.ts'
import { formatMs, timesBaseline } from './row.ts'
import { percentile, type NodeEnv, type Session } from './session.ts'

const LONG = { timeout: 600_000 }

export async function lateness(s: Session, { node, a, b }: NodeEnv): Promise<void> {
  const job: TimerJob = { count: Math.max(20, s.n(250)), every: 20 }
  const idle = await node.spawn(TimerProbe, undefined, { thread: a })
  const idleLate = (await node.call<number[]>(idle, job, LONG)).sort((x, y) => x - y)
  const hog = await node.spawn(Hog, undefined, { thread: b })
  const probe = await node.spawn(TimerProbe, undefined, { thread: b })
  node.send(hog, { type: 'go', ms: 1 })
  let busyLate: number[]
  try {
    busyLate = (await node.call<number[]>(probe, job, LONG)).sort((x, y) => x - y)
  } finally {
    node.send(hog, { type: 'stop' })
  }
  const hogHandled = await node.call<number>(hog, 'handled', LONG)
  for (const pid of [idle, hog, probe]) node.exit(pid, 'kill')
  const target = { label: '<= 20 ms', on: 'figure', op: '<=', value: 20 } as const
  const detail = (): string => `${job.count} timers ${job.every} ms apart; the hog handled ${hogHandled} 1 ms messages meanwhile`
  s.row({ shape: 'timer lateness p50, thread saturated by 1 ms messages', unit: 'ms', skein: percentile(busyLate, 0.5),
    baseline: percentile(idleLate, 0.5), baselineName: 'idle thread', detail })
  s.row({ shape: 'timer lateness p99, thread saturated by 1 ms messages', unit: 'ms', skein: percentile(busyLate, 0.99),
    baseline: percentile(idleLate, 0.99), baselineName: 'idle thread', target, detail })
}

export async function asyncCall(s: Session, { node, a }: NodeEnv): Promise<void> {
  const calls = Math.max(50, s.n(1000))
  const rate = async (pid: Awaited<ReturnType<typeof node.spawn>>, name: string): Promise<number> =>
    s.throughput(name, calls, () => Promise.all(Array.from({ length: calls }, (_, i) => node.call(pid, i, LONG))))
  const sync = await node.spawn(SyncEcho, undefined, { thread: a })
  const async = await node.spawn(AsyncEcho, undefined, { thread: a })
  const syncRate = await rate(sync, 'sync calls')
  const asyncRate = await rate(async, 'async calls')
  for (const pid of [sync, async]) node.exit(pid, 'kill')
  s.row({
    shape: `async handleCall across threads, ${calls} in flight`, unit: 'calls/s', skein: asyncRate, baseline: syncRate,
    baselineName: 'sync handleCall', target: timesBaseline(0.5, 'sync'), cpu: s.cpuPerUnit('async calls'),
    detail: (r) => r.skein === null ? '' : `${formatMs((calls / r.skein) * 1000)} for ${calls} calls`,
  })
}

export async function slowConsumer(s: Session, { node, a, b }: NodeEnv): Promise<void> {
  const consumer = await node.spawn(Consumer, { units: 200 }, { thread: b })
  // The handler's own rate: its CPU time per message on its thread, with nothing else to do.
  const perMessageMs = await s.medianOf(() => node.direct<number>(consumer, { calibrate: 2000 }, LONG))
  const producer = await node.spawn(Producer, undefined, { thread: a })
  const ms = Math.max(600, 3000 * Math.min(1, s.scale * 4))
  node.send(producer, { to: consumer, ms, burst: 200 })
  // Measure the middle of the flood: the mailbox is long by then, and the flood still runs.
  await new Promise((resolve) => setTimeout(resolve, ms / 4))
  const t0 = performance.now()
  const r0 = await node.direct<ConsumerReading>(consumer, 'read', LONG)
  await new Promise((resolve) => setTimeout(resolve, ms / 2))
  const r1 = await node.direct<ConsumerReading>(consumer, 'read', LONG)
  const wallMs = performance.now() - t0
  const statsStart = performance.now()
  await node.stats()
  const statsMs = performance.now() - statsStart
  for (const pid of [producer, consumer]) node.exit(pid, 'kill')
  const handled = r1.handled - r0.handled
  const inHandler = (handled * perMessageMs) / Math.max(1e-9, r1.cpuMs - r0.cpuMs)
  s.row({
    shape: `slow consumer (~${(perMessageMs * 1000).toFixed(0)} µs/msg) under a fast producer`, unit: 'msgs/s',
    skein: handled / (wallMs / 1000), baseline: 1000 / perMessageMs, baselineName: 'its handler alone',
    target: timesBaseline(0.8, 'handler'),
    detail: () => `${(inHandler * 100).toFixed(0)}% of its thread's CPU in the handler; mailbox ${r1.mailbox}; stats() ${formatMs(statsMs)}`,
  })
}
