/**
 * `npm run bench`: Skein beside its baselines, each measured in the same run, printed as one
 * table, written to bench/results/latest.json with an SVG chart of the ratios beside it
 * (latest.svg). `runBench(argv)` is the whole command, for `skein bench` as for this script.
 *
 *   baseline      rows
 *   Erlang/OTP    local one-way, ping-pong, Server call and cast, spawn + DOWN, skynet, idle
 *                 memory, Supervisor restarts (bench/erlang/skein_bench.erl, same sizes)
 *   postMessage   cross-thread one-way (small, 1 KB), round trips p50/p99 (busy, asleep)
 *   piscina       Pool call round trips, thread scaling 1..N
 *   (none)        Stage pipelines
 *   the same figure without the load: timer lateness, async calls, a slow consumer (fairness-shapes.ts)
 *   compiled JS   Node.start + stop under tsx, in fresh child processes (startup-shape.ts)
 *
 * The flow: the shapes that need a Skein node run on one node (max(2, --threads) worker
 * threads), with their postMessage and piscina baselines interleaved; the node stops; then the
 * idle-memory and startup shapes run in child processes, and Erlang runs every Erlang shape in
 * one `erl` so it never shares the cores with Skein. Without `erl` on the PATH the Erlang baselines
 * print as n/a with a note, and nothing fails. Options and environment: bench/options.ts
 * (`--help`). Throughput rows report the median of tinybench iterations; round trips report
 * p50/p99 of individually timed samples.
 */
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs'
import { arch, availableParallelism, cpus, platform, totalmem } from 'node:os'
import { dirname, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Node } from '../src/index.ts'
import { runErlang } from './baselines/erlang.ts'
import { PostMessagePair } from './baselines/post-message.ts'
import { renderChart } from './chart.ts'
import { cross, local, pingpong, rtt } from './messaging-shapes.ts'
import { parseBenchArgs, shapeList, SHAPE_NAMES, usage, type BenchOptions, type ShapeName } from './options.ts'
import { call, cast, idle, pool, restart, skynet, spawn, stage } from './otp-shapes.ts'
import type { Row } from './row.ts'
import { scaling } from './scaling-shape.ts'
import { asyncCall, lateness, slowConsumer } from './fairness-shapes.ts'
import { startup } from './startup-shape.ts'
import { Session, type NodeEnv, type Shape } from './session.ts'
import { formatTable } from './table.ts'
import { compareContention, formatContention, withBusyNeighbours, type ContentionRow } from './contention.ts'

export type { Row } from './row.ts'
export { SHAPES, type ShapeName } from './options.ts'

const RUNS = {
  local: { node: local }, pingpong: { node: pingpong }, call: { node: call }, cast: { node: cast }, spawn: { node: spawn },
  skynet: { node: skynet }, idle: { alone: idle }, restart: { node: restart }, cross: { node: cross }, rtt: { node: rtt },
  stage: { node: stage }, pool: { node: pool }, scaling: { node: scaling },
  lateness: { node: lateness }, asynccall: { node: asyncCall }, slowconsumer: { node: slowConsumer },
  startup: { alone: startup },
} as const satisfies Record<ShapeName, Shape>

/** What bench/results/latest.json holds (older files lack the fields marked "since issue 4"). */
export interface BenchReport {
  date: string
  node: string
  cpus: number
  /** --threads: thread scaling runs 1..threads; the node had max(2, threads) worker threads. */
  threads: number
  scale: number
  iterations: number
  rows: Row[]
  notes: string[]
  skeinStats: { sentLocal: number; sentRemote: number; deadLetters: number } | null
  /** Since issue 4: the shapes run, the machine, the Erlang release (null: none ran). */
  shapes: ShapeName[]
  machine: { cpuModel: string; availableParallelism: number; platform: string; arch: string; memoryBytes: number }
  erlang: string | null
  /** With --contended: these rows were measured beside two busy processes; the quiet run's rows and the comparison. */
  contention?: { quiet: Row[]; compared: ContentionRow[] }
}

/** Where runBench is called from, for its usage text. */
export interface RunBenchOptions {
  /** How the usage text names the command (default 'npm run bench --'). */
  program?: string
}

/**
 * The bench command: parse `argv` (the arguments after the command name), run the selected
 * shapes, print the table and notes, write the JSON and the SVG chart. Resolves with the exit
 * status: 0, or 2 for a usage error (printed to stderr). A shape that fails rejects.
 * @example
 * process.exitCode = await runBench(process.argv.slice(3), { program: 'skein bench' })
 */
export async function runBench(argv: readonly string[], opts: RunBenchOptions = {}): Promise<number> {
  const parsed = parseBenchArgs(argv)
  switch (parsed.kind) {
    case 'help':
      console.log(usage(opts.program))
      return 0
    case 'list':
      console.log(shapeList())
      return 0
    case 'error':
      console.error(`bench: ${parsed.message} (see ${opts.program ?? 'npm run bench --'} --help)`)
      return 2
    case 'run':
      break
  }
  let report: BenchReport
  if (parsed.options.contended) {
    const quiet = await measure(parsed.options)
    console.log(`quiet:\n${formatTable(quiet.rows)}`)
    console.log('again, beside two busy background processes:')
    report = await withBusyNeighbours(() => measure(parsed.options))
    const compared = compareContention(quiet.rows, report.rows)
    report.contention = { quiet: quiet.rows, compared }
    console.log(`contended:\n${formatTable(report.rows)}\n\n${formatContention(compared)}`)
  } else {
    report = await measure(parsed.options)
    console.log(formatTable(report.rows))
  }
  for (const note of report.notes) console.log(`note: ${note}`)
  const json = parsed.options.json
  const svg = json.replace(/\.json$/i, '') + '.svg'
  mkdirSync(dirname(json), { recursive: true })
  writeFileSync(json, JSON.stringify(report, null, 2) + '\n')
  writeFileSync(svg, renderChart({ title: 'Skein ÷ baseline, measured in the same run', subtitle: subtitle(report), rows: report.rows }))
  console.log(`written: ${relative(process.cwd(), json)}, ${relative(process.cwd(), svg)}`)
  return 0
}

/** Run the shapes; the report, not yet printed. */
async function measure(options: BenchOptions): Promise<BenchReport> {
  const s = new Session(options)
  const nodeThreads = Math.max(2, options.threads)
  console.log(`Skein bench: node ${process.version}, ${cpus().length} CPUs (${availableParallelism()} available), ` +
    `${nodeThreads} worker threads, thread scaling 1..${options.threads}, scale ${options.scale}, ${options.iterations} iterations, ` +
    `shapes: ${options.shapes.join(',')}`)
  const onNode = options.shapes.filter((name) => 'node' in RUNS[name])
  const skeinStats = onNode.length === 0 ? null : await runOnNode(s, onNode, nodeThreads)
  for (const name of options.shapes) {
    const run = RUNS[name]
    if (!('alone' in run)) continue
    s.group = name
    await run.alone(s)
  }
  if (Object.keys(s.erlangSizes).length > 0) s.fillErlang(await runErlang({ ...s.erlangSizes, iterations: options.iterations }))
  const c = cpus()
  return {
    date: new Date().toISOString(), node: process.version, cpus: c.length, threads: options.threads, scale: options.scale,
    iterations: options.iterations, rows: s.finish(SHAPE_NAMES), notes: s.notes, skeinStats, shapes: [...options.shapes],
    machine: { cpuModel: c[0]?.model.trim() ?? 'unknown', availableParallelism: availableParallelism(), platform: platform(), arch: arch(), memoryBytes: totalmem() },
    erlang: s.erlangRelease,
  }
}

/** The node shapes, in order, on one node; then the node's message counts. */
async function runOnNode(s: Session, names: readonly ShapeName[], threads: number): Promise<BenchReport['skeinStats']> {
  // .ts under tsx; the compiled .js when the bench runs from dist/ (an installed package's `skein bench`).
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
  const modules = ['actors', 'otp-actors', 'stage-actors', 'skynet-actors', 'fairness-actors'].map((m) => new URL(`./${m}${ext}`, import.meta.url))
  const light = process.env.BENCH_LIGHT
  const node = await Node.start({ threads, modules, ...(light === undefined ? {} : { lightSleepMs: Number(light) }) })
  const started: { pair?: Promise<PostMessagePair> } = {}
  const env: NodeEnv = { node, a: 1, b: 2, pair: () => (started.pair ??= PostMessagePair.start()) }
  try {
    for (const name of names) {
      const run = RUNS[name]
      if (!('node' in run)) continue
      s.group = name
      await run.node(s, env)
    }
    const stats = await node.stats()
    return { sentLocal: stats.sentLocal, sentRemote: stats.sentRemote, deadLetters: stats.deadLetters }
  } finally {
    if (started.pair !== undefined) await (await started.pair).close()
    await node.stop()
  }
}

function subtitle(r: BenchReport): string {
  const erlang = r.erlang === null ? 'no Erlang' : `Erlang/OTP ${r.erlang}`
  return `${r.date.slice(0, 16).replace('T', ' ')} UTC · ${r.cpus} cores (${r.machine.cpuModel}) · Node ${r.node} · ` +
    `${erlang} · ${r.machine.platform}/${r.machine.arch} · scale ${r.scale}, ${r.iterations} iteration${r.iterations === 1 ? '' : 's'}, threads 1..${r.threads}`
}

/** Whether this module is the process's entry (not imported, e.g. by `skein bench`). */
function isEntry(): boolean {
  const script = process.argv[1]
  if (script === undefined) return false
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href
  } catch {
    return false
  }
}

// bin/skein.mjs runs this file for `skein bench` and says so, for the usage lines.
const program = process.env.SKEIN_PROGRAM
if (isEntry()) process.exitCode = await runBench(process.argv.slice(2), program === undefined ? {} : { program })
