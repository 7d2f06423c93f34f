/**
 * Copies each docs/examples/*.ts, and what it prints, into the guide blocks that embed it
 * (`<!-- example: examples/x.ts -->` and `<!-- output: examples/x.ts -->`, each followed by a
 * fenced block). test/integration/026-docs-examples.test.ts checks that they agree.
 * Run: node --import tsx docs/sync-examples.ts
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const DOCS = fileURLToPath(new URL('.', import.meta.url))
const ROOT = join(DOCS, '..')
const outputs = new Map<string, string>()

function outputOf(path: string): string {
  let out = outputs.get(path)
  if (out === undefined) {
    out = execFileSync(process.execPath, ['--import', 'tsx', join(DOCS, path)], {
      cwd: ROOT, encoding: 'utf8', env: { ...process.env, SKEIN_REPORTS: 'off', NODE_OPTIONS: '' },
    })
    outputs.set(path, out)
  }
  return out
}

for (const guide of readdirSync(DOCS).filter((f) => f.endsWith('.md'))) {
  const file = join(DOCS, guide)
  const before = readFileSync(file, 'utf8')
  const after = before.replace(/(<!-- (example|output): (examples\/[\w.-]+\.ts) -->\n```[\w-]*\n)[\s\S]*?```/g,
    (_all, head: string, kind: string, path: string) =>
      `${head}${kind === 'example' ? readFileSync(join(DOCS, path), 'utf8') : outputOf(path)}\`\`\``)
  if (after !== before) {
    writeFileSync(file, after)
    console.log(`updated ${guide}`)
  }
}
