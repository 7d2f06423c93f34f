/**
 * The guides' examples cannot rot: every docs/examples/*.ts runs as a program of its own
 * (`node --import tsx`), must exit 0 and print exactly the output its guide shows, and its guide
 * must embed its code verbatim. docs/tsconfig.json type-checks them (the root tsconfig does not
 * include docs/). The guides' relative links must point at files that exist.
 *
 * A guide embeds an example and its output as two fenced blocks, each after a marker line:
 *   <!-- example: examples/server.ts -->   then a ```ts block holding the whole file
 *   <!-- output: examples/server.ts -->    then a ```text block holding its stdout
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const DOCS = join(ROOT, 'docs')

interface Embedding {
  readonly guide: string
  readonly kind: 'example' | 'output'
  readonly text: string
}

/** Every marked block in every guide (docs/*.md), by example path (relative to docs/). */
function embeddings(): Map<string, Embedding[]> {
  const found = new Map<string, Embedding[]>()
  const marker = /<!-- (example|output): (examples\/[\w.-]+\.ts) -->\n```[\w-]*\n([\s\S]*?)```/g
  for (const guide of readdirSync(DOCS).filter((f) => f.endsWith('.md'))) {
    const text = readFileSync(join(DOCS, guide), 'utf8')
    for (const m of text.matchAll(marker)) {
      const list = found.get(m[2] as string) ?? []
      list.push({ guide, kind: m[1] as 'example' | 'output', text: m[3] as string })
      found.set(m[2] as string, list)
    }
  }
  return found
}

/** Run `jobs` with at most `limit` at a time; each result settles on its own. */
function limited<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T>[] {
  let next = 0
  const results = jobs.map(() => {
    let settle!: { resolve: (v: T) => void; reject: (e: unknown) => void }
    const p = new Promise<T>((resolve, reject) => { settle = { resolve, reject } })
    return { p, settle }
  })
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const k = next++
      const r = results[k] as (typeof results)[number]
      await (jobs[k] as () => Promise<T>)().then(r.settle.resolve, r.settle.reject)
    }
  }
  for (let i = 0; i < Math.min(limit, jobs.length); i++) void worker()
  return results.map((r) => r.p)
}

interface Ran {
  readonly stdout: string
  readonly stderr: string
}

describe('docs examples', function () {
  this.timeout(120_000)
  const examples = readdirSync(join(DOCS, 'examples')).filter((f) => f.endsWith('.ts')).sort()
  const found = embeddings()
  let runs = new Map<string, Promise<Ran>>()
  let typecheck: Promise<unknown>

  before(() => {
    const env = { ...process.env, SKEIN_REPORTS: 'off', NODE_OPTIONS: '' }
    // The programs and the type-check run side by side; each `it` awaits its own.
    const jobs = examples.map((file) => () =>
      run(process.execPath, ['--import', 'tsx', join('docs', 'examples', file)], { cwd: ROOT, env, timeout: 60_000 }))
    const tsc = (): Promise<unknown> =>
      run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(DOCS, 'tsconfig.json')], { cwd: ROOT, env })
    // Once the root tsconfig includes docs/, `npm test`'s own tsc covers the examples.
    const root = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { include?: string[] }
    const covered = (root.include ?? []).some((p) => p === 'docs' || p === 'docs/examples')
    const all = limited<unknown>([covered ? () => Promise.resolve() : tsc, ...jobs], Math.max(2, availableParallelism()))
    typecheck = all[0] as Promise<unknown>
    runs = new Map(examples.map((file, k) => [file, all[k + 1] as Promise<Ran>]))
    // Each is awaited by its test; keep an early failure from being reported as unhandled.
    for (const p of all) p.catch(() => {})
  })

  it('has examples, and every one is embedded verbatim, once, in a guide, with its output', () => {
    assert.ok(examples.length >= 10, `expected the ten guides' examples, found ${examples.length}`)
    for (const file of examples) {
      const blocks = found.get(`examples/${file}`) ?? []
      const code = blocks.filter((b) => b.kind === 'example')
      const output = blocks.filter((b) => b.kind === 'output')
      assert.equal(code.length, 1, `${file}: expected one <!-- example: examples/${file} --> block in docs/*.md`)
      assert.equal(output.length, 1, `${file}: expected one <!-- output: examples/${file} --> block in docs/*.md`)
      const source = readFileSync(join(DOCS, 'examples', file), 'utf8')
      assert.equal(code[0]?.text, source, `${code[0]?.guide} embeds a different version of examples/${file}: run node --import tsx docs/sync-examples.ts`)
    }
    for (const path of found.keys()) assert.ok(existsSync(join(DOCS, path)), `a guide embeds ${path}, which does not exist`)
  })

  for (const file of readdirSync(join(DOCS, 'examples')).filter((f) => f.endsWith('.ts')).sort()) {
    it(`examples/${file} exits 0 and prints what its guide shows`, async () => {
      let ran: Ran
      try {
        ran = await (runs.get(file) as Promise<Ran>)
      } catch (error) {
        const e = error as { code?: unknown; stdout?: string; stderr?: string }
        assert.fail(`examples/${file} failed (exit ${String(e.code)}):\n${e.stdout ?? ''}\n${e.stderr ?? ''}`)
      }
      const expected = (found.get(`examples/${file}`) ?? []).find((b) => b.kind === 'output')
      assert.ok(expected !== undefined, `no <!-- output: examples/${file} --> block in docs/*.md`)
      assert.equal(ran.stdout, expected.text, `examples/${file} printed something else than ${expected.guide} shows (after a deliberate change: node --import tsx docs/sync-examples.ts)`)
    })
  }

  it('type-checks the examples (docs/tsconfig.json)', async () => {
    try {
      await typecheck
    } catch (error) {
      assert.fail(`tsc -p docs/tsconfig.json:\n${(error as { stdout?: string }).stdout ?? String(error)}`)
    }
  })

  it("the guides' relative links point at files that exist", () => {
    for (const guide of readdirSync(DOCS).filter((f) => f.endsWith('.md'))) {
      const text = readFileSync(join(DOCS, guide), 'utf8')
      for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        const target = m[1] as string
        if (/^[a-z]+:/i.test(target) || target.startsWith('api/')) continue // a URL, or TypeDoc's output (npm run docs)
        assert.ok(existsSync(join(dirname(join(DOCS, guide)), target)), `${guide} links to ${target}, which does not exist`)
      }
    }
  })
})
