/**
 * The demo (`npm start`, `skein demo`) at a small size: the parallel word count with injected
 * crashes must equal the single-threaded reference computed in the same run.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const SKEIN = fileURLToPath(new URL('../../bin/skein.mjs', import.meta.url))

describe('demo', function () {
  this.timeout(60_000)

  it('matches the single-threaded reference checksum despite crashed and restarted tokenizers', async () => {
    const { stdout } = await run(process.execPath, [SKEIN, 'demo', '--threads', '2', '--items', '6000', '--batch', '50', '--crash-rate', '0.1'], { cwd: ROOT })
    const sums = /checksum {2}skein (\d+) {2}reference (\d+)/.exec(stdout)
    assert.ok(sums !== null, stdout)
    assert.equal(sums[1], sums[2])
    assert.match(stdout, /OK: identical to the single-threaded reference/)
    const restarts = Number(/crashes injected \(restarted, retried\) +(\d+)/.exec(stdout)?.[1])
    assert.ok(restarts > 0, `no crash was injected:\n${stdout}`)
    assert.match(stdout, /messages across threads +[1-9]/)
  })

  it('runs on the main thread alone (--threads 0)', async () => {
    const { stdout } = await run(process.execPath, [SKEIN, 'demo', '--threads', '0', '--items', '1000', '--batch', '50', '--crash-rate', '0.2'], { cwd: ROOT })
    assert.match(stdout, /OK: identical/)
  })

  it('refuses bad options with a usage line and exit code 2', async () => {
    await assert.rejects(run(process.execPath, [SKEIN, 'demo', '--items', 'many'], { cwd: ROOT }),
      (e: { code?: number; stderr?: string }) => e.code === 2 && /--items must be an integer/.test(e.stderr ?? ''))
    await assert.rejects(run(process.execPath, [SKEIN, 'frobnicate'], { cwd: ROOT }),
      (e: { code?: number; stderr?: string }) => e.code === 2 && /unknown command "frobnicate"/.test(e.stderr ?? ''))
  })
})
