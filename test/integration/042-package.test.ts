/**
 * The package as a newcomer gets it (issue 13 items 1, 5 and 9): `npm pack` once (its prepack
 * builds dist/), `npm install` the tarball into a fresh app outside this repository, with tsx,
 * typescript and @types/node beside it, as the README's Install section says. Then, from the
 * installed package only:
 *
 *   the README's quick start, copied from the README ─▶ under tsx, and compiled by tsc under plain node:
 *     both print what the README says
 *   a module that fails to load (main thread, worker thread) ─▶ ERR_MODULE_LOAD_FAILED naming the
 *     entry and the thread, Node's ERR_MODULE_NOT_FOUND its cause
 *   skein bench --list, a tiny skein bench, a tiny skein demo, the shipped demo's sources under tsx
 *   a stack trace under tsx ─▶ names shipped files (the source maps point at the shipped src/)
 *   the tarball's contents ─▶ dist, src, examples, docs guides; no tests, no bench results
 *
 * The install needs the npm registry (the cache serves what `npm ci` fetched): unreachable, the
 * suite fails under CI=true and is skipped otherwise, with the reason.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const exec = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'

/** The version of `name` this repository has installed (so the app's install hits the npm cache). */
function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
}

/** The README's quick start: the first two ```ts blocks of its "Quick start" section, app.ts then main.ts. */
function quickStart(): { app: string; main: string } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const section = /^## Quick start\n([^]*?)^## /m.exec(readme)?.[1] ?? ''
  const blocks = [...section.matchAll(/^```ts\n([^]*?)^```/gm)].map((m) => m[1] as string)
  const [app, main] = blocks
  assert.ok(app?.startsWith('// app.ts') === true && main?.startsWith('// main.ts') === true, 'the README\'s quick start has app.ts then main.ts')
  return { app, main }
}

interface Ran {
  readonly stdout: string
  readonly stderr: string
}

describe('the packed package, installed in a fresh app', function () {
  this.timeout(60_000)
  let work = ''
  let app = ''
  let packed: { path: string }[] = []
  // No tsx, no test settings: what a newcomer's shell has.
  const env = { ...process.env, NODE_OPTIONS: '', SKEIN_REPORTS: 'off' }

  /** Run `file` with `args` in the app, bounded by `timeout` ms. */
  const inApp = (file: string, args: string[], timeout = 45_000): Promise<Ran> =>
    exec(file, args, { cwd: app, env, timeout, maxBuffer: 16 * 1024 * 1024 })
  const bin = (name: string): string => join(app, 'node_modules', '.bin', name)

  before(async function () {
    this.timeout(240_000)
    try {
      await exec(NPM, ['ping'], { cwd: ROOT, env, timeout: 20_000 })
    } catch (error) {
      const why = `the npm registry is unreachable (npm ping: ${(error as Error).message.split('\n')[0]})`
      if (process.env.CI === 'true') throw new Error(`${why}: the package test installs the tarball and its dependencies from it`)
      console.log(`      skipped: ${why}`)
      this.skip()
    }
    work = mkdtempSync(join(tmpdir(), 'skein-package-'))
    // --json prints the tarball's contents; the prepack build's own output goes to stderr.
    const pack = await exec(NPM, ['pack', '--json', '--pack-destination', work], { cwd: ROOT, env, timeout: 150_000, maxBuffer: 16 * 1024 * 1024 })
    const [info] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[]
    assert.ok(info !== undefined, pack.stdout)
    packed = info.files
    app = join(work, 'app')
    mkdirSync(app)
    await exec(NPM, ['init', '-y'], { cwd: app, env, timeout: 20_000 })
    await exec(NPM, ['pkg', 'set', 'type=module'], { cwd: app, env, timeout: 20_000 })
    await exec(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, info.filename),
      `tsx@${installedVersion('tsx')}`, `typescript@${installedVersion('typescript')}`, `@types/node@${installedVersion('@types/node')}`],
    { cwd: app, env, timeout: 120_000 })
    const { app: appTs, main } = quickStart()
    writeFileSync(join(app, 'app.ts'), appTs)
    writeFileSync(join(app, 'main.ts'), main)
    // The tsconfig the README's quick start names.
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', outDir: 'dist' } }))
  })

  after(() => {
    if (work !== '') rmSync(work, { recursive: true, force: true })
  })

  it('runs the README\'s quick start under tsx and prints what the README says', async () => {
    const { stdout } = await inApp(bin('tsx'), ['main.ts'])
    assert.equal(stdout, '1\nkilled\n')
  })

  it('compiles the README\'s quick start with tsc and runs it under plain node, printing the same', async () => {
    await inApp(bin('tsc'), ['-p', '.'])
    const { stdout } = await inApp(process.execPath, [join('dist', 'main.js')])
    assert.equal(stdout, '1\nkilled\n')
  })

  it('fails a module that cannot load with ERR_MODULE_LOAD_FAILED naming the entry and the thread, Node\'s error its cause', async () => {
    // The quick start as the README had it: a .ts URL, which stays .ts once compiled.
    writeFileSync(join(app, 'fails-main.mjs'), [
      "import { Node } from 'skein'",
      "const entry = new URL('./dist/app.ts', import.meta.url)",
      'await Node.start({ threads: 1, modules: [entry] }).then(() => console.log("started"), (e) =>',
      '  console.log(JSON.stringify({ code: e.code, message: e.message, cause: e.cause?.code, entry: entry.href })))',
    ].join('\n'))
    // Loads on the main thread, fails on the worker thread.
    writeFileSync(join(app, 'fails-on-workers.mjs'), [
      "import { isMainThread } from 'node:worker_threads'",
      "const missing = './no-such-module.mjs'",
      'if (!isMainThread) await import(missing)',
    ].join('\n'))
    writeFileSync(join(app, 'fails-worker.mjs'), [
      "import { Node } from 'skein'",
      "const entry = new URL('./fails-on-workers.mjs', import.meta.url)",
      'await Node.start({ threads: 2, modules: [entry] }).then(() => console.log("started"), (e) =>',
      '  console.log(JSON.stringify({ code: e.code, message: e.message, cause: e.cause?.code, entry: entry.href })))',
    ].join('\n'))
    for (const [script, thread] of [['fails-main.mjs', '0'], ['fails-worker.mjs', '[12]']] as const) {
      const { stdout } = await inApp(process.execPath, [script])
      const got = JSON.parse(stdout) as { code: string; message: string; cause: string; entry: string }
      assert.equal(got.code, 'ERR_MODULE_LOAD_FAILED', stdout)
      assert.equal(got.cause, 'ERR_MODULE_NOT_FOUND', stdout)
      assert.ok(got.message.includes(got.entry), `${script}: the message names the entry: ${got.message}`)
      assert.match(got.message, new RegExp(`^thread ${thread} could not load `), script)
    }
  })

  it('runs skein bench --list and a tiny skein bench from the installed package', async () => {
    const list = await inApp(bin('skein'), ['bench', '--list'])
    assert.match(list.stdout, /^ {2}local /m)
    const json = join(work, 'bench.json')
    await inApp(bin('skein'), ['bench', '--shape', 'local', '--scale', '0.0005', '--iterations', '1', '--threads', '1', '--json', json])
    const rows = (JSON.parse(readFileSync(json, 'utf8')) as { rows: { group: string; skein: unknown }[] }).rows
    assert.ok(rows.length > 0 && rows.every((r) => r.group === 'local' && typeof r.skein === 'number' && r.skein > 0), JSON.stringify(rows))
  })

  it('runs a tiny skein demo from the installed package', async () => {
    const { stdout } = await inApp(bin('skein'), ['demo', '--threads', '1', '--items', '600', '--batch', '20', '--crash-rate', '0.2'])
    assert.match(stdout, /OK: identical to the single-threaded reference/)
  })

  it('runs the shipped demo\'s TypeScript sources under tsx', async () => {
    const demo = join(app, 'node_modules', 'skein', 'examples', 'demo.ts')
    const { stdout } = await inApp(bin('tsx'), [demo, '--threads', '1', '--items', '600', '--batch', '20', '--crash-rate', '0.2'])
    assert.match(stdout, /OK: identical to the single-threaded reference/)
  })

  it('points a stack trace under tsx at shipped source files', async () => {
    writeFileSync(join(app, 'trace.ts'), [
      "import { Node } from 'skein'",
      'await Node.start({ threads: 0, thread: 2 } as never).catch((e: Error) => console.log(e.stack))',
    ].join('\n'))
    const { stdout } = await inApp(bin('tsx'), ['trace.ts'])
    const installed = join(app, 'node_modules', 'skein') + sep
    const files = [...stdout.matchAll(/\(?((?:file:\/\/)?\/[^\s():]+):\d+:\d+\)?$/gm)]
      .map((m) => (m[1] as string).startsWith('file:') ? fileURLToPath(m[1] as string) : m[1] as string)
      .filter((f) => f.startsWith(installed))
    assert.ok(files.some((f) => f.startsWith(join(installed, 'src') + sep) && f.endsWith('.ts')), `a frame in the shipped src/:\n${stdout}`)
    for (const f of files) assert.ok(existsSync(f), `${f} is in the installed package:\n${stdout}`)
  })

  it('ships dist, the sources, the examples and the guides, and no tests or bench results', () => {
    const paths = packed.map((f) => f.path)
    for (const want of ['README.md', 'bin/skein.mjs', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/index.js.map', 'src/index.ts',
      'examples/demo.ts', 'dist/examples/demo.js', 'dist/bench/run.js', 'bench/run.ts', 'docs/README.md', 'docs/processes.md']) {
      assert.ok(paths.includes(want), `${want} is in the tarball`)
    }
    const unwanted = paths.filter((p) => /^(test|dist\/test|bench\/results|docs\/api|node_modules)\//.test(p))
    assert.deepEqual(unwanted, [])
  })
})
