/**
 * The public types refuse wrong code, on every TypeScript version the README names (5.9 and 7):
 * test/types/*.ts hold deliberately wrong lines, each under a `// @ts-expect-error: text`, beside
 * lines that must compile. Each version's tsc checks, in one program:
 *
 *   test/types/*.ts as they are ─▶ no error at all: each marked line is an error (else TS2578,
 *                                   an unused directive) and no other line is
 *   a copy without the directives ─▶ an error on exactly the marked lines, whose message
 *                                   contains the directive's text (the type it should have been)
 *
 * test/types is inside the root tsconfig (so `npm test`'s own tsc checks it too): its marked
 * lines are errors only where a directive expects them, so it compiles cleanly there. By hand:
 * `npx tsc -p test/types` (5.9), `node node_modules/typescript-7/bin/tsc -p test/types` (7).
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const TYPES = join(ROOT, 'test/types')

/** The TypeScript versions the README names, and the compiler of each (package.json's devDependencies). */
const VERSIONS = [
  { version: '5.9', tsc: join(ROOT, 'node_modules/typescript/bin/tsc') },
  { version: '7', tsc: join(ROOT, 'node_modules/typescript-7/bin/tsc') },
] as const

const DIRECTIVE = /^(\s*)\/\/ @ts-expect-error(?::\s*(.*))?$/

interface Expected {
  readonly file: string
  /** 1-based line of the code the directive is about. */
  readonly line: number
  readonly text: string
}

interface Diagnostic {
  readonly file: string
  readonly line: number
  /** The message with its elaboration lines. */
  readonly message: string
}

interface Checked {
  readonly version: string
  readonly output: string
  readonly diagnostics: readonly Diagnostic[]
}

const sources = readdirSync(TYPES).filter((f) => f.endsWith('.ts')).sort()

/** Every directive of test/types/*.ts, with the line it is about. */
function expectations(): Expected[] {
  const found: Expected[] = []
  for (const file of sources) {
    readFileSync(join(TYPES, file), 'utf8').split('\n').forEach((text, k) => {
      const m = DIRECTIVE.exec(text)
      if (m !== null) found.push({ file, line: k + 2, text: m[2] ?? '' })
    })
  }
  return found
}

/**
 * Write into `dir` a copy of test/types/*.ts without the directives (each becomes a plain comment,
 * so lines keep their numbers; imports point at the repository's files), and a tsconfig that
 * checks the originals and the copies together with the root's compiler options.
 */
function prepare(dir: string): void {
  for (const file of sources) {
    const text = readFileSync(join(TYPES, file), 'utf8')
      .split('\n').map((l) => l.replace(DIRECTIVE, '$1// (expected error) $2')).join('\n')
      .replaceAll("from '../../", `from '${ROOT}`)
    writeFileSync(join(dir, file), text)
  }
  const root = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> }
  const { outDir: _o, rootDir: _r, declaration: _d, sourceMap: _s, ...options } = root.compilerOptions
  const config = {
    // The copies import the repository's files by absolute path, which only emit would rewrite.
    compilerOptions: {
      ...options, noEmit: true, rewriteRelativeImportExtensions: false, types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')],
    },
    files: [...sources.map((f) => join(TYPES, f)), ...sources, join(ROOT, 'src/types/comlink-node-adapter.d.ts')],
  }
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config, null, 2))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
}

/** Run one tsc over `dir`'s tsconfig; it exits non-zero (the copies have errors), so the output is what counts. */
function check(version: string, tsc: string, dir: string): Promise<Checked> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], { cwd: dir, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') return reject(error)
        resolve({ version, output: stdout + stderr, diagnostics: parse(stdout) })
      })
  })
}

/** tsc's `--pretty false` lines: `file(line,col): error TSn: message`, then indented elaborations. */
function parse(out: string): Diagnostic[] {
  const found: { file: string; line: number; message: string }[] = []
  for (const text of out.split('\n')) {
    const m = /^(.+?)\((\d+),\d+\): error (TS\d+: .*)$/.exec(text)
    if (m !== null) found.push({ file: m[1] as string, line: Number(m[2]), message: m[3] as string })
    else if (text.startsWith(' ') && found.length > 0) (found.at(-1) as { message: string }).message += `\n${text.trim()}`
  }
  return found
}

describe('043 types (test/types on each TypeScript version the README names)', function () {
  this.timeout(60_000)
  const expected = expectations()
  const dir = mkdtempSync(join(tmpdir(), 'skein-types-'))
  let runs: Map<string, Promise<Checked>>

  before(() => {
    prepare(dir)
    runs = new Map(VERSIONS.map(({ version, tsc }) => [version, check(version, tsc, dir)]))
    // Each run is awaited by its own tests; none is left unhandled meanwhile.
    for (const run of runs.values()) run.catch(() => {})
  })

  after(() => rmSync(dir, { recursive: true, force: true }))

  it('the README names the versions these tests run, and each compiler is that version', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    const named = /checked with TypeScript ([\d.]+) and ([\d.]+)/.exec(readme)
    assert.ok(named !== null, 'the README says "checked with TypeScript X and Y"')
    assert.deepEqual([named[1], named[2]], VERSIONS.map((v) => v.version))
    for (const { version, tsc } of VERSIONS) {
      const out = await new Promise<string>((resolve, reject) => {
        execFile(process.execPath, [tsc, '--version'], (error, stdout) => (error === null ? resolve(stdout) : reject(error)))
      })
      assert.ok(out.startsWith(`Version ${version}.`), `${tsc} is TypeScript ${version}: ${out}`)
    }
  })

  it('has wrong lines to check, in every file', () => {
    assert.ok(expected.length >= 30, `only ${expected.length} @ts-expect-error lines`)
    for (const file of sources) assert.ok(expected.some((e) => e.file === file), `${file} has no @ts-expect-error line`)
    for (const e of expected) assert.notEqual(e.text, '', `${e.file}:${e.line - 1}: say which error is expected (// @ts-expect-error: text)`)
  })

  for (const { version } of VERSIONS) {
    it(`TypeScript ${version}: test/types compiles, so every @ts-expect-error line is an error and no other line is`, async () => {
      const { output, diagnostics } = await (runs.get(version) as Promise<Checked>)
      // The copies (named as in test/types, in the temporary folder) are the only files that may fail.
      assert.deepEqual(diagnostics.filter((d) => !sources.includes(d.file)), [], output)
    })

    it(`TypeScript ${version}: each wrong line fails with the error its directive names, and only those lines`, async () => {
      const { output, diagnostics } = await (runs.get(version) as Promise<Checked>)
      const wrong: string[] = []
      for (const e of expected) {
        const here = diagnostics.filter((d) => d.file === e.file && d.line === e.line)
        if (here.length === 0) wrong.push(`${e.file}:${e.line} compiles, but must not`)
        else if (!here.some((d) => d.message.includes(e.text))) {
          wrong.push(`${e.file}:${e.line}: expected an error containing\n  ${e.text}\ngot\n  ${here.map((d) => d.message).join('\n  ')}`)
        }
      }
      assert.deepEqual(wrong, [], `on TypeScript ${version}:\n${wrong.join('\n')}`)
      const unexpected = diagnostics.filter((d) => sources.includes(d.file) && !expected.some((e) => e.file === d.file && e.line === d.line))
      assert.deepEqual(unexpected, [], output)
    })

    it(`TypeScript ${version}: a wrong call or send names the type the message should have been`, async () => {
      const { diagnostics } = await (runs.get(version) as Promise<Checked>)
      // The first line of each message: what an editor shows first.
      const first = diagnostics.map((d) => d.message.split('\n')[0])
      // Not the untyped overload's complaint about the pid (`Type 'Counter' is not assignable to type 'never'`).
      assert.ok(first.includes(`TS2345: Argument of type '"nope"' is not assignable to parameter of type '"get" | { add: number; }'.`), first.join('\n'))
      assert.ok(first.includes(`TS2345: Argument of type '{ kind: string; n: number; }' is not assignable to parameter of type 'Msg'.`), first.join('\n'))
      assert.ok(first.includes(`TS2322: Type '"sub"' is not assignable to type '"add" | "reset"'.`), first.join('\n'))
      assert.ok(!diagnostics.some((d) => d.message.includes('No overload matches this call')), first.join('\n'))
    })
  }
})
