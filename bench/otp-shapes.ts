/**
 * OTP shapes: Server call and cast, spawn + DOWN, skynet, idle memory and Supervisor restarts
 * beside Erlang/OTP (bench/erlang/skein_bench.erl, with the same sizes); Stage pipelines (no
 * baseline); Pool calls beside piscina. Each Skein shape runs on one thread (`env.a`) except
 * the Stage and Pool shapes, which say where theirs run. The processes are in
 * bench/otp-actors.ts, bench/skynet-actors.ts and bench/stage-actors.ts.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Pool, Server } from '../src/index.ts'
import {
  Caller, Caster, type CallJob, Echo, PoolDriver, type PoolJob, RestartDriver, RestartSup, SpawnLoop, type RestartJob, type RestartResult,
} from './otp-actors.ts'
import { SkynetDriver, skynetProcesses, type SkynetResult } from './skynet-actors.ts'
import { AddOne, NumberSource, Sink } from './stage-actors.ts'
import { ECHO_TASK, PiscinaLoad } from './baselines/piscina.ts'
import { formatMs, timesBaseline, type Row, type Target } from './row.ts'
import type { NodeEnv, Session } from './session.ts'

const LONG = { timeout: 600_000 }

export async function call(s: Session, { node, a }: NodeEnv): Promise<void> {
  const echo = await node.spawn(Echo, undefined, { thread: a })
  const caller = await node.spawn(Caller, undefined, { thread: a })
  const job: CallJob = { server: echo, n: s.n(200_000), maxMs: Math.max(250, 2000 * s.scale) }
  let capped = false
  const rate = await s.medianWithCpu('Server call', async () => {
    const r = await node.call<{ done: number; ms: number }>(caller, job, LONG)
    if (r.done < job.n) capped = true
    return { units: r.done, figure: r.done / (r.ms / 1000) }
  })
  if (capped) s.notes.push(`Server call: Skein stopped early (after ${job.maxMs} ms) short of ${job.n} calls; the rate is over the calls made`)
  s.erlangSizes.call = job.n
  s.row({ shape: 'Server call, sequential, one thread', unit: 'calls/s', skein: rate, erlang: 'call', target: timesBaseline(4, 'Erlang'), cpu: s.cpuPerUnit('Server call') })
}

export async function cast(s: Session, { node, a }: NodeEnv): Promise<void> {
  const count = s.n(1_000_000)
  const echo = await node.spawn(Echo, undefined, { thread: a })
  const caster = await node.spawn(Caster, undefined, { thread: a })
  const rate = await s.throughput('Server cast', count, () => node.call(caster, { server: echo, n: count }, LONG))
  s.erlangSizes.cast = count
  s.row({ shape: 'Server cast x N, then a call', unit: 'casts/s', skein: rate, erlang: 'cast', target: timesBaseline(2, 'Erlang'), cpu: s.cpuPerUnit('Server cast') })
}

export async function spawn(s: Session, { node, a }: NodeEnv): Promise<void> {
  const count = s.n(100_000)
  const spawner = await node.spawn(SpawnLoop, undefined, { thread: a })
  const rate = await s.throughput('spawn + DOWN', count, () => node.call(spawner, count, LONG))
  s.erlangSizes.spawn = count
  s.row({ shape: 'spawn + exit + monitor DOWN', unit: 'spawns/s', skein: rate, erlang: 'spawn', target: timesBaseline(1.3, 'Erlang'), cpu: s.cpuPerUnit('spawn + DOWN') })
}

/** Leaves of the skynet tree: 1 M at scale 1, scaled to the nearest power of 10 (at least 10). */
const skynetLeaves = (scale: number): number => 10 ** Math.max(1, Math.round(Math.log10(1e6 * scale)))

export async function skynet(s: Session, { node, a }: NodeEnv): Promise<void> {
  const leaves = skynetLeaves(s.scale)
  const processes = skynetProcesses(leaves)
  const driver = await node.spawn(SkynetDriver, undefined, { thread: a })
  const rate = await s.medianWithCpu('skynet', async () => {
    const r = await node.call<SkynetResult>(driver, leaves, LONG)
    if (r.sum !== (leaves * (leaves - 1)) / 2) throw new Error(`skynet summed ${r.sum} over ${leaves} leaves`)
    return { units: processes, figure: processes / (r.ms / 1000) }
  })
  s.erlangSizes.skynet = leaves
  const wall = (perSecond: number | null): string => (perSecond === null ? 'n/a' : formatMs((processes / perSecond) * 1000))
  s.row({
    shape: `skynet, ${leaves.toLocaleString('en')} leaves (${processes.toLocaleString('en')} processes)`, unit: 'procs/s',
    skein: rate, erlang: 'skynet', cpu: s.cpuPerUnit('skynet'),
    detail: (r: Row) => `wall ${wall(r.skein)}` + (r.baselineName === '' ? '' : `, ${r.baselineName.split(' ')[0] ?? ''} ${wall(r.baseline)}`),
  })
}

export async function restart(s: Session, { node, a }: NodeEnv): Promise<void> {
  const rounds = s.n(200)
  let rate: number | null = null
  if (RestartSup === undefined) {
    s.notes.push('Supervisor restarts: Skein skipped (Supervisor is not exported from src/index.ts yet)')
  } else {
    const driver = await node.spawn(RestartDriver, undefined, { thread: a })
    try {
      rate = await s.medianWithCpu('restarts', async () => {
        const job: RestartJob = { rounds, maxMs: Math.max(250, 2000 * s.scale) }
        const r = await node.call<RestartResult>(driver, job, LONG)
        if ('error' in r) throw new Error(r.error)
        return { units: r.restarts, figure: r.restarts / (r.ms / 1000) }
      })
    } catch (error) {
      s.notes.push(`Supervisor restarts: Skein failed: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  s.erlangSizes.restartRounds = rounds
  s.row({
    shape: 'Supervisor restarts, one_for_one, intensity 100', unit: 'restarts/s', skein: rate, erlang: 'restart',
    target: timesBaseline(2, 'Erlang'), cpu: s.cpuPerUnit('restarts'),
  })
}

/** Bytes per idle Server, from bench/idle-memory.ts in a child process with --expose-gc (no node running). */
export async function idle(s: Session): Promise<void> {
  const count = s.n(100_000)
  const compiled = !import.meta.url.endsWith('.ts')
  const script = fileURLToPath(new URL(compiled ? './idle-memory.js' : './idle-memory.ts', import.meta.url))
  const loader = compiled ? [] : ['--import', import.meta.resolve('tsx')]
  const { stdout } = await promisify(execFile)(process.execPath,
    ['--expose-gc', ...loader, script, String(count), String(Math.min(s.iterations, 3))], { timeout: 600_000 })
  const bytes = (JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { bytesPerProcess: number }).bytesPerProcess
  s.erlangSizes.idle = count
  s.row({
    shape: 'idle Server memory per process', unit: 'B', skein: bytes, erlang: 'idle_bytes',
    target: { label: '<= 1 KB (Erlang ~2.7 KB)', on: 'figure', op: '<=', value: 1024 },
  })
}

/**
 * Stages: producer → consumer at maxDemand 1000 (batches of 500), on one thread and across
 * threads; and producer → producer_consumer → consumer across threads.
 */
export async function stage(s: Session, { node, a, b }: NodeEnv): Promise<void> {
  const events = s.n(2_000_000)
  const sub = { maxDemand: 1000 }
  const cases: readonly [string, readonly number[], Target | null][] = [
    ['one thread', [a, a], null],
    ['across threads', [a, b], { label: '>= 1 M events/s', on: 'figure', op: '>=', value: 1e6 }],
    ['3 stages across threads', [a, b, 0], null],
  ]
  for (const [label, threadsOf, target] of cases) {
    const source = await node.spawn(NumberSource, undefined, { thread: threadsOf[0] as number })
    const mid = threadsOf.length === 3 ? await node.spawn(AddOne, { subscribeTo: [{ to: source, ...sub }] }, { thread: threadsOf[1] as number }) : null
    const sink = await node.spawn(Sink, { subscribeTo: [{ to: mid ?? source, ...sub }] }, { thread: threadsOf.at(-1) as number })
    const rate = await s.throughput(`stage ${label}`, events, () => node.call(sink, { expect: events }, LONG))
    s.row({ shape: `Stage producer → consumer, ${label}`, unit: 'events/s', skein: rate, target, cpu: s.cpuPerUnit(`stage ${label}`) })
    for (const p of [sink, mid, source]) if (p !== null) await Server.stop(node, p)
  }
}

/**
 * Pool: calls through a Pool of one Echo per worker thread (the pool and its caller on the main
 * thread), beside piscina running a trivial task on as many threads; 64 in flight.
 */
export async function pool(s: Session, { node }: NodeEnv): Promise<void> {
  const calls = s.n(200_000)
  const window = 64
  const threads = s.options.threads
  const pid = await node.spawn(Pool, { worker: Echo, size: threads }, { thread: 0 })
  const driver = await node.spawn(PoolDriver, undefined, { thread: 0 })
  const rate = await s.throughput('pool calls', calls, () => node.call(driver, { pool: pid, total: calls, window } satisfies PoolJob, LONG))
  await Server.stop(node, pid)
  const load = new PiscinaLoad(threads, ECHO_TASK)
  const piscinaCalls = s.n(50_000)
  let piscina: number
  try {
    piscina = await s.throughput('piscina calls', piscinaCalls, () => load.run(piscinaCalls, window, 'ping'))
  } finally {
    await load.close()
  }
  s.row({
    shape: `Pool call round trip, ${window} in flight`, unit: 'calls/s', skein: rate, baseline: piscina, baselineName: 'piscina',
    target: timesBaseline(20, 'piscina'), cpu: s.cpuPerUnit('pool calls'),
  })
}
