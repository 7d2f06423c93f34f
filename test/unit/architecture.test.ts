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

  it('pins the public surface of src/index.ts', () => {
    assert.deepEqual(Object.keys(skein).sort(), [
      'Actor', 'BroadcastDispatcher', 'ConsumerSupervisor', 'DemandDispatcher', 'Node', 'PartitionDispatcher', 'PartitionSupervisor', 'Pid', 'Pool', 'Ref', 'Server', 'Stage', 'Supervisor', 'WorkerSupervisor', 'childSpec', 'hasCode', 'ignore', 'isCallMessage', 'isCleanReason', 'isDownMessage', 'isExitMessage',
      'noreply', 'replyWith', 'stop',
    ])
  })
})
