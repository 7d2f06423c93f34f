/**
 * Startup: `Node.start({ threads: 4 })` + `node.stop()` with one user module every thread loads,
 * timed in child processes (bench/startup.ts), under tsx beside compiled JavaScript under plain
 * node. Issue 13's target: under tsx, at most 2x the compiled start.
 *
 *   row                               child process                                   its module
 *   tsx, Skein installed (compiled)   node --import tsx <compiled>/bench/startup.js   a .ts file importing compiled Skein
 *   tsx on Skein's .ts sources        node --import tsx bench/startup.ts              a .ts file importing src/index.ts
 *   baseline: compiled                node <compiled>/bench/startup.js                the same module as .mjs
 *
 * The first row is a program that installed the package and runs its own .ts under tsx (the
 * package's dist/ holds the compiled Skein); the second is a checkout of Skein. The compiled
 * copy is the package's own dist/ when the bench runs from it (`skein bench` when installed);
 * from the sources it is an esbuild copy of src/ (and bench/startup.ts) in a temporary folder
 * under dist/, made in under a second, where `npm run build` (tsc) would take 10-20 s. The
 * modules are written to a temporary folder, with a package.json of type module as a
 * program's folder has. Each round starts one child per variant, in turn (so load from
 * elsewhere on the machine falls on all three alike), and each child starts and stops a node
 * twice: the first start (which also pays the process's first loads and tsx's compile of a new
 * file) is a warm-up. The figure is the median of `iterations` rounds. Without tsx (an installed
 * package whose program has none) the tsx rows are n/a, with a note.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { formatMs, type Target } from './row.ts'
import { percentile, type Session } from './session.ts'

/** The threads every sample starts: the issue's `Node.start({ threads: 4 })`. */
const THREADS = 4
/** Starts per child process: a warm-up, then one timed. */
const STARTS = 2
const TARGET: Target = { label: '<= 2x compiled', on: 'ratio', op: '<=', value: 2 }
const fromSources = import.meta.url.endsWith('.ts')
/** Where src/ and bench/ are: the checkout, or the installed package (which ships both). */
const root = new URL(fromSources ? '../' : '../../', import.meta.url)

interface Sample { readonly startMs: number; readonly stopMs: number }
interface Variant { readonly args: readonly string[]; readonly samples: Sample[] }

export async function startup(s: Session): Promise<void> {
  const tsx = resolveTsx()
  const work = mkdtempSync(join(tmpdir(), 'skein-startup-'))
  // As in a program's folder: its .ts files are ES modules (tsx would compile them to CommonJS).
  writeFileSync(join(work, 'package.json'), '{ "type": "module" }\n')
  let copy: { dir: URL; remove: () => void } | null = null
  try {
    copy = fromSources ? await compiledCopy(tsx) : { dir: new URL('../', import.meta.url), remove: () => {} }
    const sources = { index: new URL('src/index.ts', root), script: new URL('bench/startup.ts', root) }
    const compiledIndex = new URL('src/index.js', copy.dir).href
    const script = fileURLToPath(new URL('bench/startup.js', copy.dir))
    const mod = (name: string, index: string, ts: boolean): string => {
      const file = join(work, name)
      writeFileSync(file, counterModule(index, ts))
      return pathToFileURL(file).href
    }
    const counts = [String(THREADS), String(STARTS)]
    const compiled: Variant = { args: [script, mod('counter.mjs', compiledIndex, false), ...counts], samples: [] }
    const installed: Variant | null = tsx === null ? null
      : { args: ['--import', tsx, script, mod('counter.ts', compiledIndex, true), ...counts], samples: [] }
    const checkout: Variant | null = tsx === null || !existsSync(sources.script) ? null
      : { args: ['--import', tsx, fileURLToPath(sources.script), mod('counter-src.ts', sources.index.href, true), ...counts], samples: [] }
    const variants = [compiled, installed, checkout].filter((v): v is Variant => v !== null)
    for (let round = 0; round < s.iterations; round++) {
      for (const v of variants) v.samples.push(...(await runChild(v.args)).slice(1))
    }
    if (tsx === null) s.notes.push('startup: tsx is not installed here, so its rows are n/a (npm install --save-dev tsx)')
    const base = total(compiled)
    const detail = (v: Variant | null) => () => v === null ? '' : `${split(v)}; compiled: ${split(compiled)}`
    s.row({
      shape: `Node.start + stop, ${THREADS} threads, tsx: Skein installed (compiled) + a .ts module`, unit: 'ms',
      skein: installed === null ? null : total(installed), baseline: base, baselineName: 'compiled', target: TARGET, detail: detail(installed),
    })
    s.row({
      shape: `Node.start + stop, ${THREADS} threads, tsx on Skein's .ts sources (a checkout)`, unit: 'ms',
      skein: checkout === null ? null : total(checkout), baseline: base, baselineName: 'compiled', target: TARGET, detail: detail(checkout),
    })
  } finally {
    copy?.remove()
    rmSync(work, { recursive: true, force: true })
  }
}

/** tsx's loader (what `--import tsx` names), resolved from here; null when not installed. */
function resolveTsx(): string | null {
  try {
    return import.meta.resolve('tsx')
  } catch {
    return null
  }
}

/** One child process: its starts and stops, as bench/startup.ts printed them. */
async function runChild(args: readonly string[]): Promise<Sample[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [...args], { timeout: 120_000 })
  return (JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { samples: Sample[] }).samples
}

const median = (xs: readonly number[]): number => percentile([...xs].sort((x, y) => x - y), 0.5)
const total = (v: Variant): number => median(v.samples.map((x) => x.startMs + x.stopMs))
const split = (v: Variant): string =>
  `start ${formatMs(median(v.samples.map((x) => x.startMs)))} + stop ${formatMs(median(v.samples.map((x) => x.stopMs)))}`

/** The user module every thread loads: a counter, in TypeScript (types and all) or in JavaScript. */
function counterModule(index: string, ts: boolean): string {
  return [
    `import { Actor } from ${JSON.stringify(index)}`,
    ts ? "export class Counter extends Actor<void, { type: 'inc' }> {" : 'export class Counter extends Actor {',
    ts ? '  n: number = 0' : '  n = 0',
    ts ? '  receive(_m: { type: \'inc\' }): void { this.n++ }' : '  receive() { this.n++ }',
    '}',
    '',
  ].join('\n')
}

/** The part of esbuild's API used here (esbuild comes with tsx). */
interface Esbuild {
  build(options: Record<string, unknown>): Promise<{ outputFiles: { path: string; text: string }[] }>
}

/**
 * Skein's src/ and bench/startup.ts compiled to JavaScript under dist/ (so the copy finds the
 * project's node_modules), by esbuild: one file per module as tsc emits them, relative `.ts`
 * imports rewritten to `.js` as tsc's rewriteRelativeImportExtensions does.
 */
async function compiledCopy(tsx: string | null): Promise<{ dir: URL; remove: () => void }> {
  if (tsx === null) throw new Error('startup: the sources run under tsx, yet tsx is not found')
  const esbuild = createRequire(tsx)('esbuild') as Esbuild
  const rootDir = fileURLToPath(root)
  const src = join(rootDir, 'src')
  const entryPoints = [
    ...readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => join(src, f)),
    join(rootDir, 'bench', 'startup.ts'),
  ]
  mkdirSync(join(rootDir, 'dist'), { recursive: true })
  const out = mkdtempSync(join(rootDir, 'dist', 'startup-bench-'))
  const remove = (): void => rmSync(out, { recursive: true, force: true })
  try {
    const { outputFiles } = await esbuild.build({
      entryPoints, outdir: out, outbase: rootDir, format: 'esm', platform: 'node', target: 'node20', write: false, logLevel: 'silent',
      tsconfig: join(rootDir, 'tsconfig.json'),
    })
    for (const f of outputFiles) {
      mkdirSync(dirname(f.path), { recursive: true })
      writeFileSync(f.path, f.text.replace(/(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(\.\.?\/[^"'\n]*?)\.ts\2/g, '$1$2$3.js$2'))
    }
  } catch (error) {
    remove()
    throw error
  }
  return { dir: pathToFileURL(out + '/'), remove }
}
