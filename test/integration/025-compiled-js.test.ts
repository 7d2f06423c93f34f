/**
 * User modules (issue 4 item 5): a user's .ts actor module loads in every worker thread when
 * the app runs under the tsx command; compiled with tsc, the .js runs under plain `node` (no
 * tsx anywhere): a worker thread loads the compiled .js module of a Server and serves calls,
 * and the offload pool runs a function from a compiled module.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
mkdirSync(join(ROOT, 'dist'), { recursive: true })

describe('user modules in TypeScript under tsx', function () {
  this.timeout(60_000)

  it('loads a .ts actor module in every worker thread when the app runs under the tsx command', async () => {
    const dir = mkdtempSync(join(ROOT, 'dist', 'tsx-app-'))
    try {
      // A user's app outside Skein's sources: its own .ts module with a Server, type annotations included.
      writeFileSync(join(dir, 'greeter.ts'), [
        `import { Server } from ${JSON.stringify(pathToFileURL(join(ROOT, 'src/index.ts')).href)}`,
        'export class Greeter extends Server<{ greeting: string }, string, never, string> {',
        "  greeting: string = ''",
        '  override init(args: { greeting: string }): void { this.greeting = args.greeting }',
        '  override handleCall(name: string): string { return `${this.greeting}, ${name}, from thread ${this.self.thread}` }',
        '}',
      ].join('\n'))
      writeFileSync(join(dir, 'app.ts'), [
        `import { Node } from ${JSON.stringify(pathToFileURL(join(ROOT, 'src/index.ts')).href)}`,
        "import { Greeter } from './greeter.ts'",
        "const node = await Node.start({ threads: 3, modules: [new URL('./greeter.ts', import.meta.url)] })",
        'const replies: string[] = []',
        'for (const thread of [1, 2, 3]) {',
        "  const pid = await node.spawn(Greeter, { greeting: 'hello' }, { thread })",
        "  replies.push(await node.call(pid, 'ada'))",
        '}',
        'console.log(JSON.stringify(replies))',
        'await node.stop()',
      ].join('\n'))
      const tsx = join(ROOT, 'node_modules/.bin/tsx')
      const { stdout } = await run(tsx, [join(dir, 'app.ts')], { cwd: dir, env: { ...process.env, NODE_OPTIONS: '' } })
      assert.deepEqual(JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]'),
        [1, 2, 3].map((t) => `hello, ada, from thread ${t}`))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('compiled JavaScript', function () {
  this.timeout(120_000)
  let out: string

  before(async () => {
    // Inside the project (dist/ is ignored by git) so the compiled files find node_modules.
    mkdirSync(join(ROOT, 'dist'), { recursive: true })
    out = mkdtempSync(join(ROOT, 'dist', 'compiled-test-'))
    await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.json'), '--outDir', out], { cwd: ROOT })
  })
  after(() => rmSync(out, { recursive: true, force: true }))

  it('runs under plain node: a worker thread loads the compiled module and answers', async () => {
    const index = pathToFileURL(join(out, 'src/index.js')).href
    const fixtures = pathToFileURL(join(out, 'test/fixtures/servers.js')).href
    const jobs = pathToFileURL(join(out, 'test/fixtures/offload-jobs.js')).href
    const script = join(out, 'main.mjs')
    writeFileSync(script, [
      `import { Node } from ${JSON.stringify(index)}`,
      `import { CounterServer } from ${JSON.stringify(fixtures)}`,
      `const node = await Node.start({ threads: 1, modules: [${JSON.stringify(fixtures)}] })`,
      'const pid = await node.spawn(CounterServer, { start: 41 }, { thread: 1 })',
      "node.cast(pid, 'inc')",
      `const sum = await node.offload(${JSON.stringify(jobs)}, 'add', [2, 3])`,
      "console.log(JSON.stringify({ thread: pid.thread, count: await node.call(pid, 'get'), sum }))",
      'await node.stop()',
    ].join('\n'))
    // No tsx anywhere: no --import, and the compiled files are plain .js.
    const { stdout } = await run(process.execPath, [script], { cwd: out, env: { ...process.env, NODE_OPTIONS: '' } })
    assert.deepEqual(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}'), { thread: 1, count: 42, sum: 5 })
  })

  it('runs the compiled demo and bench under plain node (what an installed package\'s skein command runs)', async () => {
    const env = { ...process.env, NODE_OPTIONS: '' }
    const demo = await run(process.execPath, [join(out, 'examples/demo.js'), '--threads', '1', '--items', '600', '--batch', '20', '--crash-rate', '0.2'], { cwd: out, env })
    assert.match(demo.stdout, /OK: identical to the single-threaded reference/)
    const json = join(out, 'bench.json')
    await run(process.execPath, [join(out, 'bench/run.js'), '--shape', 'local,pool,scaling', '--threads', '1', '--scale', '0.001', '--iterations', '1', '--json', json],
      { cwd: out, env })
    const rows = (JSON.parse(readFileSync(json, 'utf8')) as { rows: { skein: unknown }[] }).rows
    assert.ok(rows.length >= 3 && rows.every((r) => typeof r.skein === 'number' && r.skein > 0), JSON.stringify(rows))
  })
})
