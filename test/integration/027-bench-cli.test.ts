/**
 * The bench's command line (bench/run.ts `runBench`, what `skein bench` calls): its options,
 * a tiny run of a few shapes that writes the JSON and the SVG chart where `--json` says, and
 * Erlang rows that show n/a (with a note) when `erl` is not on the PATH; the startup rows (issue
 * 13: Node.start under tsx against compiled, in child processes) with both figures, their ratio
 * and the target. No timing is asserted.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runBench, type BenchReport } from '../../bench/run.ts'
import { parseBenchArgs, SHAPE_NAMES } from '../../bench/options.ts'
import { renderChart } from '../../bench/chart.ts'
import { finishRow, type Row } from '../../bench/row.ts'
import { compareContention } from '../../bench/contention.ts'

/** Run `fn` with console.log and console.error captured; resolves with its result and the text. */
async function quietly<T>(fn: () => Promise<T>): Promise<{ value: T; out: string }> {
  const { log, error } = console
  let out = ''
  console.log = console.error = (...xs: unknown[]) => { out += xs.join(' ') + '\n' }
  try {
    return { value: await fn(), out }
  } finally {
    console.log = log
    console.error = error
  }
}

describe('bench command line', function () {
  this.timeout(120_000)

  it('takes its defaults from the environment and lets options win', () => {
    const env = { BENCH_SCALE: '0.5', BENCH_ITERATIONS: '2', BENCH_THREADS: '3' }
    const a = parseBenchArgs([], env)
    assert.equal(a.kind, 'run')
    if (a.kind !== 'run') return
    assert.deepEqual([a.options.scale, a.options.iterations, a.options.threads], [0.5, 2, 3])
    assert.deepEqual(a.options.shapes, SHAPE_NAMES)
    const b = parseBenchArgs(['--threads', '4', '--scale', '0.1', '--shape', 'skynet,local', '--shape', 'pingpong'], env)
    assert.equal(b.kind, 'run')
    if (b.kind !== 'run') return
    assert.deepEqual([b.options.scale, b.options.threads], [0.1, 4])
    assert.deepEqual(b.options.shapes, ['local', 'pingpong', 'skynet'], 'selected shapes run in table order')
  })

  it('takes --contended (or BENCH_CONTENDED=1), off by default', () => {
    const off = parseBenchArgs([], {})
    const flag = parseBenchArgs(['--contended'], {})
    const env = parseBenchArgs([], { BENCH_CONTENDED: '1' })
    assert.deepEqual([off, flag, env].map((p) => p.kind === 'run' && p.options.contended), [false, true, true])
  })

  it('compares each ratio quiet and contended, oriented so that keeping it is >= 1 for lower-is-better rows too', () => {
    const row = (shape: string, unit: string, skein: number, baseline: number): Row => finishRow({
      group: 'x', shape, unit, skein, baseline, baselineName: 'b', target: null, detail: null, cpu: null,
    })
    const quiet = [row('throughput', 'msgs/s', 30, 10), row('latency', 'µs', 5, 10)]
    const busy = [row('throughput', 'msgs/s', 15, 10), row('latency', 'µs', 20, 10)]
    const [t, l] = compareContention(quiet, busy)
    assert.deepEqual([t?.kept, t?.met], [0.5, false])
    assert.deepEqual([l?.kept, l?.met], [0.25, false])
    assert.deepEqual(compareContention(quiet, quiet).map((r) => [r.kept, r.met]), [[1, true], [1, true]])
  })

  it('rejects an unknown shape, a bad number and an unknown option', () => {
    for (const argv of [['--shape', 'nope'], ['--threads', '0'], ['--iterations', '1.5'], ['--frobnicate']]) {
      assert.equal(parseBenchArgs(argv, {}).kind, 'error', argv.join(' '))
    }
  })

  it('lists the shapes with --list and answers 2 to a usage error', async () => {
    const list = await quietly(() => runBench(['--list']))
    assert.equal(list.value, 0)
    for (const name of SHAPE_NAMES) assert.match(list.out, new RegExp(`^  ${name} `, 'm'))
    const bad = await quietly(() => runBench(['--shape', 'nope']))
    assert.equal(bad.value, 2)
    assert.match(bad.out, /unknown shape nope/)
  })

  it('writes the JSON and the chart where --json says; Erlang rows are n/a without erl', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skein-bench-cli-'))
    const path = process.env.PATH
    process.env.PATH = dir // no erl here
    try {
      const json = join(dir, 'out.json')
      const run = await quietly(() =>
        runBench(['--shape', 'local,pingpong,skynet', '--scale', '0.0005', '--iterations', '1', '--threads', '2', '--json', json]))
      assert.equal(run.value, 0)
      const report = JSON.parse(readFileSync(json, 'utf8')) as BenchReport
      assert.deepEqual(report.rows.map((r) => r.group), ['local', 'pingpong', 'skynet'])
      for (const r of report.rows) {
        assert.ok(r.skein !== null && r.skein > 0, `${r.shape} has a Skein figure`)
        assert.deepEqual([r.baselineName, r.baseline, r.ratio], ['Erlang', null, null])
      }
      assert.ok(report.notes.some((n) => /erl is not on the PATH/.test(n)))
      assert.match(run.out, /n\/a \(Erlang\)/)
      const svg = readFileSync(join(dir, 'out.svg'), 'utf8')
      assert.match(svg, /^<\?xml[^]*<svg [^]*<\/svg>\n$/)
      assert.match(svg, /n\/a/)
    } finally {
      process.env.PATH = path
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('times Node.start + stop under tsx and compiled in child processes, with the ratio and the 2x target', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skein-bench-startup-'))
    try {
      const json = join(dir, 'out.json')
      const run = await quietly(() => runBench(['--shape', 'startup', '--iterations', '1', '--json', json]))
      assert.equal(run.value, 0, run.out)
      const report = JSON.parse(readFileSync(json, 'utf8')) as BenchReport
      assert.deepEqual(report.rows.map((r) => [r.group, r.baselineName, r.target]), [
        ['startup', 'compiled', '<= 2x compiled'],
        ['startup', 'compiled', '<= 2x compiled'],
      ])
      assert.match(report.rows[0]?.shape ?? '', /tsx: Skein installed \(compiled\) \+ a \.ts module/)
      assert.match(report.rows[1]?.shape ?? '', /tsx on Skein's \.ts sources/)
      for (const r of report.rows) {
        assert.ok(r.skein !== null && r.skein > 0 && r.baseline !== null && r.baseline > 0, `${r.shape} has both figures`)
        assert.equal(r.ratio, r.skein / r.baseline)
        assert.equal(typeof r.met, 'boolean')
        assert.match(r.detail, /^start .* \+ stop .*; compiled: start .* \+ stop /)
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('draws a bar per row with a ratio, the target, and escapes its text', () => {
    const row = finishRow({
      group: 'cross', shape: 'a <b> & c', unit: 'msgs/s', skein: 30, baseline: 10, baselineName: 'postMessage',
      target: { label: '>= 3x postMessage', on: 'ratio', op: '>=', value: 3 }, detail: null, cpu: null,
    })
    assert.deepEqual([row.ratio, row.met, row.targetRatio], [3, true, 3])
    const svg = renderChart({ title: 't', subtitle: 's', rows: [row] })
    assert.match(svg, /a &lt;b&gt; &amp; c/)
    assert.match(svg, /&gt;= 3x postMessage/)
    assert.match(svg, />3\.00x</)
  })
})
