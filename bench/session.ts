/**
 * One bench run's state: its options, the rows the shapes add, the notes printed under the
 * table, and the timing helpers every shape uses.
 *
 * Throughput figures are the median of `iterations` tinybench runs after two warm-up runs;
 * figures a process times itself (call, restart, skynet) are the median of as many runs
 * through `medianOf`. Rows that wait for an Erlang figure name it (`erlang`); `fillErlang`
 * puts it in once Erlang has run, and `finish` completes every row.
 *
 * CPU per operation: every measured run also reads this process's CPU time (every thread's,
 * process.cpuUsage), and a row shows Skein's median CPU µs per unit beside its throughput. On a
 * shared machine it moves far less than wall time: a thread waiting for a core costs no CPU.
 */
import { Bench } from 'tinybench'
import type { Node } from '../src/index.ts'
import type { ErlangOutcome, ErlangShape, ErlangSizes } from './baselines/erlang.ts'
import type { PostMessagePair } from './baselines/post-message.ts'
import type { BenchOptions, ShapeName } from './options.ts'
import { finishRow, type PendingRow, type Row, type Target } from './row.ts'

/** What a shape says about one row. */
export interface RowInput {
  shape: string
  unit: string
  skein: number | null
  /** Omit both for a row without a baseline; use `erlang` for an Erlang baseline. */
  baseline?: number | null
  baselineName?: string
  /** The Erlang figure that is this row's baseline (filled in by `fillErlang`). */
  erlang?: ErlangShape
  target?: Target | null
  detail?: (row: Row) => string
  /** Skein's CPU µs per unit, over every thread of the process (from `cpuPerUnit`). */
  cpu?: number | null
}

/** What a shape that runs on the Skein node gets. */
export interface NodeEnv {
  readonly node: Node
  /** The worker threads the messaging shapes use: `a` for local shapes, `a` → `b` across threads. */
  readonly a: number
  readonly b: number
  /** The postMessage baseline's two workers, started on first use. */
  pair(): Promise<PostMessagePair>
}

/** A shape: measures on the node (`node`), or after it has stopped, on its own (`alone`). */
export type Shape =
  | { readonly node: (s: Session, env: NodeEnv) => Promise<void> }
  | { readonly alone: (s: Session) => Promise<void> }

export class Session {
  readonly options: BenchOptions
  /** Printed under the table: shapes or columns skipped, and why. */
  readonly #cpu = new Map<string, number>()
  readonly notes: string[] = []
  readonly #rows: PendingRow[] = []
  readonly #erlang = new Map<PendingRow, ErlangShape>()
  /** The Erlang shapes to run and their sizes (the same as Skein's), set by the shapes. */
  readonly erlangSizes: Omit<ErlangSizes, 'iterations'> = {}
  /** The Erlang/OTP release that gave the Erlang figures (null: none ran). */
  erlangRelease: string | null = null
  /** The shape now running: rows it adds belong to it. */
  group: ShapeName | null = null

  constructor(options: BenchOptions) {
    this.options = options
  }

  get scale(): number {
    return this.options.scale
  }

  get iterations(): number {
    return this.options.iterations
  }

  /** `x` scaled, at least 10. */
  n(x: number): number {
    return Math.max(10, Math.round(x * this.options.scale))
  }

  row(input: RowInput): void {
    if (this.group === null) throw new Error('a row added outside a shape')
    const p: PendingRow = {
      group: this.group, shape: input.shape, unit: input.unit, skein: input.skein,
      baseline: input.baseline ?? null, baselineName: input.baselineName ?? (input.erlang === undefined ? '' : 'Erlang'),
      target: input.target ?? null, detail: input.detail ?? null, cpu: input.cpu ?? null,
    }
    this.#rows.push(p)
    if (input.erlang !== undefined) this.#erlang.set(p, input.erlang)
  }

  /** Put the Erlang figures in; without them the rows keep 'n/a' and a note says why. */
  fillErlang(outcome: ErlangOutcome): void {
    if ('skipped' in outcome) {
      this.notes.push(`Erlang column n/a: ${outcome.skipped}`)
      return
    }
    this.erlangRelease = outcome.ok.release
    const missing = new Set<ErlangShape>()
    for (const [p, shape] of this.#erlang) {
      p.baselineName = `Erlang/OTP ${outcome.ok.release}`
      p.baseline = outcome.ok.figures[shape] ?? null
      if (p.baseline === null) missing.add(shape)
    }
    if (missing.size > 0) this.notes.push(`Erlang printed no result for ${[...missing].join(', ')}`)
  }

  /** The finished rows, in table order (`order`: the shape names in order). */
  finish(order: readonly string[]): Row[] {
    const rank = (g: string): number => order.indexOf(g)
    return this.#rows.map(finishRow).sort((x, y) => rank(x.group) - rank(y.group))
  }

  /** Run `fn` (which handles `count` units) under tinybench; units per second at the median. */
  async throughput(name: string, count: number, fn: () => Promise<unknown>): Promise<number> {
    const bench = new Bench({ name, iterations: this.iterations, warmupIterations: 2, time: 0, warmupTime: 0, throws: true })
    const cpu: number[] = []
    const measured = async (): Promise<void> => {
      const before = process.cpuUsage()
      await fn()
      const used = process.cpuUsage(before)
      cpu.push((used.user + used.system) / count)
    }
    // `async: true`: without it tinybench calls a plain function once, un-awaited, to see whether it
    // returns a Promise, and that stray run overlaps the first warm-up.
    bench.add(name, measured, { async: true })
    await bench.run()
    const result = bench.tasks[0]?.result as { latency?: { p50: number } } | undefined
    const ms = result?.latency?.p50
    if (ms === undefined) throw new Error(`benchmark ${name} produced no result`)
    // The warm-up runs are the first two.
    this.#cpu.set(name, percentile(cpu.slice(2).sort((x, y) => x - y), 0.5))
    return count / (ms / 1000)
  }

  /** The median CPU µs per unit (every thread of this process) of the throughput run `name`. */
  cpuPerUnit(name: string): number | null {
    return this.#cpu.get(name) ?? null
  }

  /**
   * Like medianOf, for a figure the run reports itself, with CPU µs per unit beside it: `fn`
   * returns the units it handled and the figure.
   */
  async medianWithCpu(name: string, fn: () => Promise<{ units: number; figure: number }>): Promise<number> {
    const cpu: number[] = []
    const figure = await this.medianOf(async () => {
      const before = process.cpuUsage()
      const r = await fn()
      const used = process.cpuUsage(before)
      cpu.push((used.user + used.system) / r.units)
      return r.figure
    })
    this.#cpu.set(name, percentile(cpu.slice(2).sort((x, y) => x - y), 0.5))
    return figure
  }

  /** Median of `iterations` runs of `fn` after two warm-up runs (for figures a process reports itself). */
  async medianOf(fn: () => Promise<number>): Promise<number> {
    for (let i = 0; i < 2; i++) await fn()
    const xs: number[] = []
    for (let i = 0; i < this.iterations; i++) xs.push(await fn())
    return percentile(xs.sort((x, y) => x - y), 0.5)
  }
}

/** The `q` quantile of sorted samples (nearest rank). */
export const percentile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] as number
