/**
 * `npm run bench`: Skein's messaging shapes beside raw postMessage, measured in the same run,
 * printed as one table and written to bench/results/latest.json.
 *
 * Environment: BENCH_SCALE (default 1; CI uses a tiny scale only to prove the suite runs),
 * BENCH_THREADS (default 2: a sender thread and a receiver thread), BENCH_ITERATIONS (default 5).
 * Throughput rows report the median of tinybench iterations; round trips report p50/p99 of
 * individually timed samples.
 */
import { writeFileSync, mkdirSync } from 'node:fs'
import { availableParallelism, cpus } from 'node:os'
import { Bench } from 'tinybench'
import { Node, type Pid } from '../src/index.ts'
import { Busy, Counter, Pinger, Ponger, RttProbe, Sender } from './actors.ts'
import { PostMessagePair } from './baselines/post-message.ts'

const scale = Number(process.env.BENCH_SCALE ?? 1)
const iterations = Number(process.env.BENCH_ITERATIONS ?? 5)
const threads = Number(process.env.BENCH_THREADS ?? 2)
const n = (x: number): number => Math.max(10, Math.round(x * scale))

const SMALL = { to: 1, tag: 'x', n: 42 }
/** About 1 KB once encoded (cbor and structured clone alike). */
const KB = {
  to: 1, tag: 'blob',
  items: Array.from({ length: 20 }, (_, i) => ({ id: i, name: `item-${i}`, value: i * 1.5, flags: [true, false], note: 'abcdefghij' })),
}

export interface Row {
  shape: string
  unit: string
  skein: number
  baseline: number | null
  baselineName: string
  /** skein ÷ baseline (for latency rows, lower is better). */
  ratio: number | null
  target: string
  /** Whether the target is met in this run (null: no target). */
  met: boolean | null
}

const rows: Row[] = []

/** A target: its label, and the check on (skein figure, ratio to the baseline). */
type Target = [label: string, check: (skein: number, ratio: number | null) => boolean] | null

function row(shape: string, unit: string, skein: number, baseline: number | null, baselineName: string, target: Target): void {
  const ratio = baseline === null ? null : skein / baseline
  rows.push({ shape, unit, skein, baseline, baselineName, ratio, target: target?.[0] ?? '', met: target === null ? null : target[1](skein, ratio) })
}

/** Run `fn` (which handles `count` messages) under tinybench; messages per second at the median. */
async function throughput(name: string, count: number, fn: () => Promise<unknown>): Promise<number> {
  const bench = new Bench({ name, iterations, warmupIterations: 2, time: 0, warmupTime: 0 })
  bench.add(name, fn)
  await bench.run()
  const result = bench.tasks[0]?.result as { latency?: { p50: number } } | undefined
  const ms = result?.latency?.p50
  if (ms === undefined) throw new Error(`benchmark ${name} produced no result`)
  return count / (ms / 1000)
}

const pct = (s: number[], q: number): number => s[Math.min(s.length - 1, Math.floor(s.length * q))] as number

async function main(): Promise<void> {
  console.log(`Skein bench: node ${process.version}, ${cpus().length} CPUs (${availableParallelism()} available), ` +
    `${threads} worker threads, scale ${scale}, ${iterations} iterations`)
  const node = await Node.start({ threads, modules: [new URL('./actors.ts', import.meta.url)], ...(process.env.BENCH_LIGHT === undefined ? {} : { lightSleepMs: Number(process.env.BENCH_LIGHT) }) })
  const pair = await PostMessagePair.start()
  const a = 1
  const b = threads >= 2 ? 2 : 1

  const oneWay = async (from: number, to: number, count: number, message: unknown): Promise<() => Promise<unknown>> => {
    const counter = await node.spawn(Counter, undefined, { thread: to })
    const sender = await node.spawn(Sender, undefined, { thread: from })
    return async () => {
      const done = node.call(counter, { expect: count }, { timeout: 600_000 })
      node.send(sender, { type: 'go', target: counter, n: count, message })
      await done
    }
  }

  // Local one-way: sender and receiver on one thread.
  const localN = n(2_000_000)
  const local = await throughput('local one-way', localN, await oneWay(a, a, localN, SMALL))
  row('local one-way', 'msgs/s', local, null, '', ['>= 10 M/s (Erlang: 12.5 M/s)', (s) => s >= 10e6])

  // Local ping-pong.
  const rounds = n(500_000)
  const p1 = await node.spawn(Pinger, undefined, { thread: a })
  const p2 = await node.spawn(Pinger, undefined, { thread: a })
  const pingpong = await throughput('local ping-pong', rounds, () => node.call(p1, { peer: p2, rounds }, { timeout: 600_000 }))
  row('local ping-pong', 'msgs/s', pingpong, null, '', null)

  // Cross-thread one-way, small and 1 KB, beside postMessage.
  for (const [label, message, count, times] of [
    ['small {to,tag,n}', SMALL, n(1_000_000), 3],
    ['1 KB object', KB, n(100_000), 1.5],
  ] as const) {
    const skein = await throughput(`cross ${label}`, count, await oneWay(a, b, count, message))
    const raw = await throughput(`postMessage ${label}`, count, () => pair.oneWay(count, message))
    row(`cross-thread one-way, ${label}`, 'msgs/s', skein, raw, 'postMessage',
      [`>= ${times}x postMessage`, (_s, r) => r !== null && r >= times])
  }

  // Round trips, one at a time: receiver busy, then receiver asleep between pings.
  for (const busy of [true, false]) {
    const samples = busy ? n(20_000) : n(400)
    const gapMs = busy ? 0 : 2
    const probe = await node.spawn(RttProbe, undefined, { thread: a })
    const pong = await node.spawn(Ponger, undefined, { thread: b })
    let busyPid: Pid | null = null
    if (busy) busyPid = await node.spawn(Busy, undefined, { thread: b })
    const s = await node.call<number[]>(probe, { peer: pong, rounds: samples, gapMs }, { timeout: 600_000 })
    if (busyPid !== null) node.exit(busyPid, 'kill')
    const r = await pair.roundTrips(samples, gapMs, busy)
    const label = busy ? 'receiver busy' : 'receiver asleep'
    row(`cross-thread round trip p50, ${label}`, 'µs', pct(s, 0.5), pct(r, 0.5), 'postMessage',
      busy ? ['<= 5 µs', (v) => v <= 5] : ['<= 0.7x postMessage', (_v, ratio) => ratio !== null && ratio <= 0.7])
    row(`cross-thread round trip p99, ${label}`, 'µs', pct(s, 0.99), pct(r, 0.99), 'postMessage', null)
  }

  const stats = await node.stats()
  await pair.close()
  await node.stop()
  print(rows)
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true })
  writeFileSync(new URL('./results/latest.json', import.meta.url), JSON.stringify({
    date: new Date().toISOString(), node: process.version, cpus: cpus().length, threads, scale, iterations, rows,
    skeinStats: { sentLocal: stats.sentLocal, sentRemote: stats.sentRemote, deadLetters: stats.deadLetters },
  }, null, 2))
  console.log('written: bench/results/latest.json')
}

function fmt(v: number | null, unit: string): string {
  if (v === null) return '-'
  if (unit === 'msgs/s') return v >= 1e6 ? `${(v / 1e6).toFixed(2)} M/s` : `${(v / 1e3).toFixed(1)} k/s`
  return `${v.toFixed(1)} ${unit}`
}

function print(all: Row[]): void {
  const table = all.map((r) => ({
    shape: r.shape,
    skein: fmt(r.skein, r.unit),
    baseline: r.baseline === null ? '-' : `${fmt(r.baseline, r.unit)} (${r.baselineName})`,
    'skein ÷ baseline': r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`,
    target: r.target,
    met: r.met === null ? '' : r.met ? 'yes' : 'NO',
  }))
  console.table(table)
}

await main()
