import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as skein from '../../src/index.ts'

const SRC = fileURLToPath(new URL('../../src/', import.meta.url))

/** Which top-level folders of src/ each folder may import from (HOUSE-STYLE dependency rule). */
const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  mailbox: ['core'],
  codec: ['core'],
  process: ['core', 'mailbox'],
  scheduler: ['core', 'mailbox', 'codec', 'process'],
  workers: ['core', 'mailbox', 'codec', 'process', 'scheduler'],
  node: ['core', 'mailbox', 'codec', 'process', 'scheduler', 'workers', 'behaviours'],
  behaviours: ['core'],
  testing: ['core', 'behaviours', 'scheduler'],
  types: [],
}

/** Files that may import at run time (`import(...)`), and why: each loads code named by the user. */
const DYNAMIC_IMPORTS: Record<string, string> = {
  'process/behaviour-registry.ts': 'the node\'s `modules`',
  'behaviours/workers/worker-processes.ts': 'a worker module named by its spec',
  'workers/offload-task.ts': 'an offload job\'s module, piscina, tsx',
  'node/thread-host.ts': 'the worker bootstrap it writes as code (tsx, the skein entry)',
  'node/offload.ts': 'piscina, on the first offload only (scheduler threads import this file too)',
  'workers/tsx-register.ts': 'tsx\'s register API, on a worker under tsx where Node has module.registerHooks',
}

/** Every relative module `file` imports or re-exports (type-only ones too), as paths under src/. */
function importsOf(file: string, source: string): string[] {
  const out: string[] = []
  for (const m of source.matchAll(/^(?:import|export)\b[^'";]*?from\s+'(\.[^']+)'/gms)) {
    out.push(relative(SRC, resolve(dirname(file), m[1] as string)))
  }
  return out
}

/** The import cycles among src/'s files: strongly connected components of more than one file. */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (v: string): void => {
    index.set(v, next)
    low.set(v, next++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number))
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number))
      }
    }
    if (low.get(v) !== index.get(v)) return
    const component: string[] = []
    let w: string
    do {
      w = stack.pop() as string
      onStack.delete(w)
      component.push(w)
    } while (w !== v)
    if (component.length > 1) found.push(component.sort())
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  return found
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : []
  })
}

describe('architecture', () => {
  it('keeps the dependency direction core ← mailbox, codec, process ← scheduler ← workers ← node', () => {
    const violations: string[] = []
    for (const file of files(SRC)) {
      const rel = relative(SRC, file)
      const folder = rel.includes('/') ? rel.split('/')[0] as string : ''
      if (folder === '') continue // index.ts may import anything
      const allowed = ALLOWED[folder]
      assert.ok(allowed !== undefined, `unknown folder src/${folder}: add it to the rule`)
      const source = readFileSync(file, 'utf8')
      for (const m of source.matchAll(/from '(\.[^']+)'/g)) {
        const target = relative(SRC, resolve(dirname(file), m[1] as string))
        const to = target.split('/')[0] as string
        if (to !== folder && !allowed.includes(to)) violations.push(`${rel} imports ${target}`)
      }
    }
    assert.deepEqual(violations, [])
  })

  it('has no import cycle among src/\'s files, type-only imports included', () => {
    const graph = new Map<string, string[]>()
    for (const file of files(SRC)) graph.set(relative(SRC, file), importsOf(file, readFileSync(file, 'utf8')))
    assert.deepEqual(cycles(graph), [])
  })

  it('finds a cycle when there is one (the check itself)', () => {
    const graph = new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']], ['d.ts', ['a.ts']]])
    assert.deepEqual(cycles(graph), [['a.ts', 'b.ts', 'c.ts']])
  })

  it('imports nothing for its side effects, and at run time only where user code is loaded', () => {
    const found: string[] = []
    for (const file of files(SRC)) {
      const rel = relative(SRC, file)
      const source = readFileSync(file, 'utf8')
      for (const m of source.matchAll(/^import\s+'([^']+)'/gm)) found.push(`${rel}: side-effect import of ${m[1]}`)
      if (DYNAMIC_IMPORTS[rel] === undefined && /\bimport\s*\(/.test(source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''))) {
        found.push(`${rel}: import() at run time`)
      }
    }
    assert.deepEqual(found, [])
  })

  it('pins the public surface of src/index.ts', () => {
    assert.deepEqual(Object.keys(skein).sort(), [
      'Actor', 'BroadcastDispatcher', 'ConsumerSupervisor', 'DemandDispatcher', 'Node', 'PartitionDispatcher', 'PartitionSupervisor', 'Pid', 'Pool', 'Ref', 'Server', 'Stage', 'Supervisor', 'WorkerSupervisor', 'childSpec', 'hasCode', 'ignore', 'isCallMessage', 'isCleanReason', 'isDownMessage', 'isExitMessage',
      'noreply', 'replyWith', 'stop',
    ])
  })
})
