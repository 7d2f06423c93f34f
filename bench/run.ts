/**
 * `npm run bench`: Skein's messaging shapes beside raw postMessage, and its OTP shapes (Server
 * call and cast, spawn/DOWN, idle memory, Supervisor restarts) beside Erlang/OTP, each measured
 * in the same run, printed as one table and written to bench/results/latest.json.
 *
 * Environment: BENCH_SCALE (default 1; CI uses a tiny scale only to prove the suite runs),
 * BENCH_THREADS (default 2: a sender thread and a receiver thread), BENCH_ITERATIONS (default 5),
 * BENCH_ERL_FLAGS (extra `erl` flags). Throughput rows report the median of tinybench
 * iterations; round trips report p50/p99 of individually timed samples. The Erlang figures come
 * from bench/erlang/skein_bench.erl, run after the Skein node has stopped so the two never share
 * the cores; without `erl` on the PATH that column is skipped with a note.
 */
import { execFile } from 'node:child_process'
import { writeFileSync, mkdirSync } from 'node:fs'
import { availableParallelism, cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Bench } from 'tinybench'
import { Node, Pool, Server, type Pid } from '../src/index.ts'
import { Busy, Counter, Pinger, Ponger, RttProbe, Sender } from './actors.ts'
import {
  Caller, Caster, type CallJob, Echo, PoolDriver, type PoolJob, RestartDriver, RestartSup, SpawnLoop, type RestartJob, type RestartResult,
} from './otp-actors.ts'
import { PostMessagePair } from './baselines/post-message.ts'
import { runErlang, type ErlangSizes } from './baselines/erlang.ts'
import { piscinaRate } from './baselines/piscina.ts'
import { AddOne, NumberSource, Sink } from './stage-actors.ts'

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
  /** null: not measured in this run (see the printed notes). */
  skein: number | null
  baseline: number | null
  baselineName: string
  /** skein ÷ baseline (for latency and memory rows, lower is better). */
  ratio: number | null
  target: string
  /** Whether the target is met in this run (null: no target, or not measurable). */
  met: boolean | null
}

const rows: Row[] = []
/** Printed under the table: shapes or columns skipped, and why. */
const notes: string[] = []

/** A target: its label, and the check on (skein figure, ratio to the baseline); null: can't tell. */
type Target = [label: string, check: (skein: number, ratio: number | null) => boolean | null] | null

function row(shape: string, unit: string, skein: number | null, baseline: number | null, baselineName: string, target: Target): void {
  const ratio = baseline === null || skein === null ? null : skein / baseline
  const met = target === null || skein === null ? null : target[1](skein, ratio)
  rows.push({ shape, unit, skein, baseline, baselineName, ratio, target: target?.[0] ?? '', met })
}

/** A target on the ratio to Erlang: at least `times`; unknown without an Erlang figure. */
const timesErlang = (times: number): Target =>
  [`>= ${times}x Erlang`, (_s, r) => (r === null ? null : r >= times)]

/** Run `fn` (which handles `count` messages) under tinybench; messages per second at the median. */
async function throughput(name: string, count: number, fn: () => Promise<unknown>): Promise<number> {
  const bench = new Bench({ name, iterations, warmupIterations: 2, time: 0, warmupTime: 0, throws: true })
  // `async: true`: without it tinybench calls a plain function once, un-awaited, to see whether it
  // returns a Promise, and that stray run overlaps the first warm-up.
  bench.add(name, fn, { async: true })
  await bench.run()
  const result = bench.tasks[0]?.result as { latency?: { p50: number } } | undefined
  const ms = result?.latency?.p50
  if (ms === undefined) throw new Error(`benchmark ${name} produced no result`)
  return count / (ms / 1000)
}

const pct = (s: number[], q: number): number => s[Math.min(s.length - 1, Math.floor(s.length * q))] as number

/** Median of `iterations` runs of `fn` after two warm-up runs (for figures a process reports itself). */
async function medianOf(fn: () => Promise<number>): Promise<number> {
  for (let i = 0; i < 2; i++) await fn()
  const xs: number[] = []
  for (let i = 0; i < iterations; i++) xs.push(await fn())
  return pct(xs.sort((x, y) => x - y), 0.5)
}

/** The OTP shapes' sizes; Skein and Erlang run the same. */
const otpSizes: ErlangSizes = {
  call: n(200_000), cast: n(1_000_000), spawn: n(100_000), idle: n(100_000), restartRounds: n(200), iterations,
}

interface OtpFigures {
  call: number
  cast: number
  spawn: number
  /** null: no Supervisor in src/index.ts yet, or a round failed (a note says which). */
  restart: number | null
}

/** Server call/cast, spawn + DOWN and Supervisor restarts, each within `thread`. */
async function otpShapes(node: Node, thread: number): Promise<OtpFigures> {
  const opts = { timeout: 600_000 }
  const echo = await node.spawn(Echo, undefined, { thread })
  const caller = await node.spawn(Caller, undefined, { thread })
  let capped = false
  const callJob: CallJob = { server: echo, n: otpSizes.call, maxMs: Math.max(250, 2000 * scale) }
  const call = await medianOf(async () => {
    const r = await node.call<{ done: number; ms: number }>(caller, callJob, opts)
    if (r.done < callJob.n) capped = true
    return r.done / (r.ms / 1000)
  })
  if (capped) notes.push(`Server call: Skein stopped early (after ${callJob.maxMs} ms) short of ${callJob.n} calls; the rate is over the calls made`)
  const caster = await node.spawn(Caster, undefined, { thread })
  const cast = await throughput('Server cast', otpSizes.cast, () => node.call(caster, { server: echo, n: otpSizes.cast }, opts))
  const spawner = await node.spawn(SpawnLoop, undefined, { thread })
  const spawn = await throughput('spawn + DOWN', otpSizes.spawn, () => node.call(spawner, otpSizes.spawn, opts))
  let restart: number | null = null
  if (RestartSup === undefined) {
    notes.push('Supervisor restarts: Skein skipped (Supervisor is not exported from src/index.ts yet)')
  } else {
    const driver = await node.spawn(RestartDriver, undefined, { thread })
    try {
      restart = await medianOf(async () => {
        const job: RestartJob = { rounds: otpSizes.restartRounds, maxMs: Math.max(250, 2000 * scale) }
        const r = await node.call<RestartResult>(driver, job, opts)
        if ('error' in r) throw new Error(r.error)
        return r.restarts / (r.ms / 1000)
      })
    } catch (error) {
      notes.push(`Supervisor restarts: Skein failed: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  return { call, cast, spawn, restart }
}

/** Bytes per idle Server, from bench/idle-memory.ts in a child process with --expose-gc. */
async function idleBytes(): Promise<number> {
  const script = fileURLToPath(new URL('./idle-memory.ts', import.meta.url))
  const runs = String(Math.min(iterations, 3))
  const tsx = import.meta.resolve('tsx')
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', tsx, script, String(otpSizes.idle), runs],
    { timeout: 600_000 })
  return (JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { bytesPerProcess: number }).bytesPerProcess
}

/** The OTP rows: the Skein figures beside Erlang's, measured now that the node has stopped. */
async function otpRows(skein: OtpFigures): Promise<void> {
  const memory = await idleBytes()
  const erl = await runErlang(otpSizes)
  const e = 'ok' in erl ? erl.ok : null
  if (e === null) notes.push(`Erlang column skipped: ${'skipped' in erl ? erl.skipped : ''}`)
  const name = e === null ? 'Erlang' : `Erlang/OTP ${e.release}`
  row('Server call, sequential, one thread', 'calls/s', skein.call, e?.call ?? null, name, timesErlang(4))
  row('Server cast x N, then a call', 'casts/s', skein.cast, e?.cast ?? null, name, timesErlang(2))
  row('spawn + exit + monitor DOWN', 'spawns/s', skein.spawn, e?.spawn ?? null, name, timesErlang(1.3))
  row('idle Server memory per process', 'B', memory, e?.idleBytes ?? null, name, ['<= 1 KB (Erlang ~2.7 KB)', (s) => s <= 1024])
  row('Supervisor restarts, one_for_one, intensity 100', 'restarts/s', skein.restart, e?.restart ?? null, name, timesErlang(2))
}

async function main(): Promise<void> {
  console.log(`Skein bench: node ${process.version}, ${cpus().length} CPUs (${availableParallelism()} available), ` +
    `${threads} worker threads, scale ${scale}, ${iterations} iterations`)
  const modules = [new URL('./actors.ts', import.meta.url), new URL('./otp-actors.ts', import.meta.url), new URL('./stage-actors.ts', import.meta.url)]
  const node = await Node.start({ threads, modules, ...(process.env.BENCH_LIGHT === undefined ? {} : { lightSleepMs: Number(process.env.BENCH_LIGHT) }) })
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

  const otp = await otpShapes(node, a)

  // Stages: producer → consumer at maxDemand 1000 (batches of 500), on one thread and across
  // threads; and producer → producer_consumer → consumer across threads.
  const events = n(2_000_000)
  const sub = { maxDemand: 1000 }
  for (const [label, threadsOf, target] of [
    ['one thread', [a, a], null],
    ['across threads', [a, b], ['>= 1 M events/s', (s: number) => s >= 1e6]],
    ['3 stages across threads', [a, b, 0], null],
  ] as const) {
    const source = await node.spawn(NumberSource, undefined, { thread: threadsOf[0] })
    const mid = threadsOf.length === 3 ? await node.spawn(AddOne, { subscribeTo: [{ to: source, ...sub }] }, { thread: threadsOf[1] }) : null
    const sink = await node.spawn(Sink, { subscribeTo: [{ to: mid ?? source, ...sub }] }, { thread: threadsOf.at(-1) as number })
    const rate = await throughput(`stage ${label}`, events, () => node.call(sink, { expect: events }, { timeout: 600_000 }))
    row(`Stage producer → consumer, ${label}`, 'events/s', rate, null, '', target as Target)
    for (const p of [sink, mid, source]) if (p !== null) await Server.stop(node, p)
  }

  // Pool: calls through a Pool of one Echo per worker thread (the pool and its caller on the
  // main thread), beside piscina running a trivial task on as many threads; 64 in flight.
  const poolCalls = n(200_000)
  const window = 64
  const pool = await node.spawn(Pool, { worker: Echo, size: threads })
  const driver = await node.spawn(PoolDriver, undefined, { thread: 0 })
  const poolRate = await throughput('pool calls', poolCalls,
    () => node.call(driver, { pool, total: poolCalls, window } satisfies PoolJob, { timeout: 600_000 }))
  await Server.stop(node, pool)
  const piscina = await piscinaRate(threads, n(50_000), window)
  await piscina.close()
  row(`Pool call round trip, ${window} in flight`, 'calls/s', poolRate, piscina.rate, 'piscina',
    ['>= 20x piscina', (_s, r) => r !== null && r >= 20])

  const stats = await node.stats()
  await pair.close()
  await node.stop()
  await otpRows(otp)
  print(rows)
  for (const note of notes) console.log(`note: ${note}`)
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true })
  writeFileSync(new URL('./results/latest.json', import.meta.url), JSON.stringify({
    date: new Date().toISOString(), node: process.version, cpus: cpus().length, threads, scale, iterations, rows, notes,
    skeinStats: { sentLocal: stats.sentLocal, sentRemote: stats.sentRemote, deadLetters: stats.deadLetters },
  }, null, 2))
  console.log('written: bench/results/latest.json')
}

function fmt(v: number | null, unit: string): string {
  if (v === null) return '-'
  if (unit.endsWith('/s')) return v >= 1e6 ? `${(v / 1e6).toFixed(2)} M/s` : `${(v / 1e3).toFixed(1)} k/s`
  if (unit === 'B') return `${v.toFixed(0)} B`
  return `${v.toFixed(1)} ${unit}`
}

function print(all: Row[]): void {
  const table = all.map((r) => ({
    shape: r.shape,
    skein: fmt(r.skein, r.unit),
    baseline: r.baseline === null ? '-' : `${fmt(r.baseline, r.unit)} (${r.baselineName})`,
    'skein ÷ baseline': r.ratio === null ? '-' : `${r.ratio >= 0.1 ? r.ratio.toFixed(2) : r.ratio.toPrecision(2)}x`,
    target: r.target,
    met: r.met === null ? '' : r.met ? 'yes' : 'NO',
  }))
  console.table(table)
}

await main()
