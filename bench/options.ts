/**
 * The bench's command line: `npm run bench -- [options]`, `tsx bench/run.ts [options]`, or
 * `skein bench [options]` (all end in `runBench(argv)` of bench/run.ts).
 *
 * Every option has an environment default, so CI can keep its `BENCH_SCALE=0.002
 * BENCH_ITERATIONS=1 npm run bench`: an option given on the command line wins.
 *
 *   option              env                default                        meaning
 *   --threads N         BENCH_THREADS      os.availableParallelism()      worker threads; thread
 *                                                                          scaling runs 1..N
 *   --shape a,b         -                  every shape                    the shapes to run
 *   --json FILE         -                  bench/results/latest.json      where the results go
 *                                                                          (the SVG chart beside it)
 *   --scale X           BENCH_SCALE        1                              multiplies every size
 *   --iterations K      BENCH_ITERATIONS   5                              timed runs per figure
 *   --contended         BENCH_CONTENDED=1  off                            run the shapes quiet, then
 *                                                                          again beside two busy
 *                                                                          processes, and compare
 *   --list, --help
 */
import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

/** The shapes in table order: short name → what its rows measure. */
export const SHAPES = {
  local: 'local one-way: a sender and a counter on one thread (vs Erlang)',
  pingpong: 'local ping-pong: two processes on one thread bounce a message (vs Erlang)',
  call: 'Server call, sequential, one thread (vs Erlang gen_server)',
  cast: 'Server cast x N, then a call (vs Erlang gen_server)',
  spawn: 'spawn + exit + monitor DOWN (vs Erlang spawn_monitor)',
  skynet: 'skynet: a tree of 10-way spawns down to 1 M leaves, sums sent up (vs Erlang)',
  idle: 'idle Server memory per process (vs Erlang gen_server)',
  restart: 'Supervisor restarts, one_for_one, intensity 100 (vs Erlang supervisor)',
  cross: 'cross-thread one-way, small and 1 KB messages (vs postMessage)',
  rtt: 'cross-thread round trip p50/p99, receiver busy and asleep (vs postMessage)',
  stage: 'Stage producer → consumer: one thread, across threads, 3 stages (no baseline)',
  pool: 'Pool call round trips, 64 in flight (vs piscina)',
  scaling: 'thread scaling: one CPU-bound job split over 1..N threads (vs piscina)',
  lateness: 'timer lateness p50/p99 on a thread saturated by 1 ms messages (vs an idle thread)',
  asynccall: 'async handleCall fed from another thread, 1,000 calls in flight (vs a sync handleCall)',
  slowconsumer: 'a ~20 µs/message consumer under a fast producer on another thread (vs its handler alone)',
  startup: 'Node.start + stop with 4 threads and a user module, fresh processes: under tsx (vs compiled, under node)',
} as const

export type ShapeName = keyof typeof SHAPES

export const SHAPE_NAMES = Object.keys(SHAPES) as ShapeName[]

const isShapeName = (s: string): s is ShapeName => Object.hasOwn(SHAPES, s)

export interface BenchOptions {
  /** Worker threads: the node starts max(2, threads); thread scaling runs 1..threads. */
  readonly threads: number
  /** The selected shapes, in table order. */
  readonly shapes: readonly ShapeName[]
  /** Where the JSON goes; the chart is written beside it, with the extension .svg. */
  readonly json: string
  readonly scale: number
  readonly iterations: number
  /** Run the shapes twice, quiet and beside two busy background processes, and compare the ratios. */
  readonly contended: boolean
}

export type ParsedArgs =
  | { readonly kind: 'run'; readonly options: BenchOptions }
  | { readonly kind: 'help' | 'list' }
  | { readonly kind: 'error'; readonly message: string }

/** The default results file, bench/results/latest.json. */
export const LATEST_JSON = fileURLToPath(new URL('./results/latest.json', import.meta.url))

/** Parse the bench's arguments (without the program name); never throws. */
export function parseBenchArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedArgs {
  let values
  try {
    ;({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        threads: { type: 'string' }, shape: { type: 'string', multiple: true }, json: { type: 'string' },
        scale: { type: 'string' }, iterations: { type: 'string' }, contended: { type: 'boolean' },
        list: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }))
  } catch (error) {
    return { kind: 'error', message: error instanceof Error ? error.message : String(error) }
  }
  if (values.help === true) return { kind: 'help' }
  if (values.list === true) return { kind: 'list' }
  try {
    const threads = number('--threads', values.threads ?? env['BENCH_THREADS'], availableParallelism(), true)
    const scale = number('--scale', values.scale ?? env['BENCH_SCALE'], 1, false)
    const iterations = number('--iterations', values.iterations ?? env['BENCH_ITERATIONS'], 5, true)
    const shapes = selectShapes(values.shape ?? [])
    const json = values.json === undefined ? LATEST_JSON : resolve(values.json)
    const contended = values.contended === true || env['BENCH_CONTENDED'] === '1'
    return { kind: 'run', options: { threads, shapes, json, scale, iterations, contended } }
  } catch (error) {
    return { kind: 'error', message: error instanceof Error ? error.message : String(error) }
  }
}

/** A positive number (an integer where `integer`), or `fallback` when not given. */
function number(name: string, given: string | undefined, fallback: number, integer: boolean): number {
  if (given === undefined || given === '') return fallback
  const v = Number(given)
  if (!(v > 0) || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new RangeError(`expected ${name} to be a positive ${integer ? 'integer' : 'number'}, got: ${given}`)
  }
  return v
}

/** The shapes named in `--shape` values (comma lists, repeatable), in table order; all when none. */
function selectShapes(given: readonly string[]): ShapeName[] {
  const names = given.flatMap((g) => g.split(',')).map((s) => s.trim()).filter((s) => s !== '')
  if (names.length === 0) return [...SHAPE_NAMES]
  const unknown = names.filter((s) => !isShapeName(s))
  if (unknown.length > 0) throw new RangeError(`unknown shape ${unknown.join(', ')}; the shapes are: ${SHAPE_NAMES.join(', ')}`)
  return SHAPE_NAMES.filter((s) => names.includes(s))
}

/** The shapes, one a line, for --list and --help. */
export function shapeList(): string {
  const width = Math.max(...SHAPE_NAMES.map((s) => s.length))
  return SHAPE_NAMES.map((s) => `  ${s.padEnd(width)}  ${SHAPES[s]}`).join('\n')
}

export function usage(program = 'npm run bench --'): string {
  return `Usage: ${program} [options]

Skein beside its baselines (raw postMessage, piscina, Erlang/OTP when erl is on the PATH),
measured in one run and printed as one table; the results go to a JSON file and an SVG chart
of the ratios beside it.

Options:
  --threads N        worker threads; thread scaling runs 1..N (default: BENCH_THREADS, else
                     os.availableParallelism(); the node starts at least 2)
  --shape a,b        run only these shapes (repeatable; default: all)
  --json FILE        write the results to FILE and the chart to FILE with .svg
                     (default: bench/results/latest.json and latest.svg)
  --scale X          multiply every size by X (default: BENCH_SCALE, else 1)
  --iterations K     timed runs per figure, the median is reported (default: BENCH_ITERATIONS, else 5)
  --contended        run the shapes quiet, then again beside two busy background processes (a
                     loaded machine), and print how much of each ratio survives (target >= 0.6x)
                     (default: BENCH_CONTENDED=1, else off)
  --list             list the shapes
  -h, --help         this text

Environment: BENCH_ERL_FLAGS (extra erl flags), BENCH_LIGHT (the node's lightSleepMs).

Shapes:
${shapeList()}
`
}
