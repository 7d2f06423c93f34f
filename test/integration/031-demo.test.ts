/**
 * The demo (`npm start`, `skein demo`) at a small size: the parallel word count with injected
 * crashes, handed on at acknowledged checkpoints, must equal the single-threaded reference
 * computed in the same run; a crash re-sends the batches its tokenizer had not yet handed on.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const SKEIN = fileURLToPath(new URL('../../bin/skein.mjs', import.meta.url))

/** The number in the summary row that starts with `label`. */
function row(stdout: string, label: string): number {
  const m = new RegExp(`^ +${label.replace(/[()]/g, '\\$&')} +(\\d+)`, 'm').exec(stdout)
  assert.ok(m !== null, `no "${label}" row:\n${stdout}`)
  return Number(m[1])
}

describe('demo', function () {
  this.timeout(60_000)

  it('matches the single-threaded reference checksum despite crashes that lose unacknowledged checkpoints', async () => {
    const { stdout } = await run(process.execPath, [SKEIN, 'demo', '--threads', '2', '--items', '6000', '--batch', '50', '--checkpoint', '4', '--crash-rate', '0.1'], { cwd: ROOT })
    const sums = /checksum {2}skein (\d+) {2}reference (\d+)/.exec(stdout)
    assert.ok(sums !== null, stdout)
    assert.equal(sums[1], sums[2])
    assert.match(stdout, /OK: identical to the single-threaded reference/)
    const restarts = row(stdout, 'crashes injected (restarted)')
    assert.ok(restarts > 0, `no crash was injected:\n${stdout}`)
    // Each crash re-sends its own batch; with 4 batches per checkpoint, some crash after others were counted.
    assert.ok(row(stdout, 'work items re-sent') > restarts, `no batch was re-sent from a lost checkpoint window:\n${stdout}`)
    assert.ok(row(stdout, 'checkpoints acknowledged') >= 6000 / 50 / 4, stdout)
    assert.match(stdout, /messages across threads +[1-9]/)
  })

  it('prints each thread\'s busy share (CPU time over wall time) and the speed-up', async () => {
    const { stdout } = await run(process.execPath, [SKEIN, 'demo', '--threads', '2', '--items', '2000', '--batch', '50'], { cwd: ROOT })
    if (existsSync('/proc/thread-self/schedstat')) {
      assert.match(stdout, /busy share \(CPU \/ wall\) +main \d+% {2}t1 \d+% {2}t2 \d+% {2}\(all threads of the process: \d+\.\d\d cores\)/)
      assert.match(stdout, /waiting for a core +main \d+% {2}t1 \d+% {2}t2 \d+%/)
    } else {
      assert.match(stdout, /busy share \(CPU \/ wall\) +per thread n\/a here/)
    }
    assert.match(stdout, /speed-up vs 1 thread +\d+\.\d\dx/)
  })

  it('runs on the main thread alone (--threads 0)', async () => {
    const { stdout } = await run(process.execPath, [SKEIN, 'demo', '--threads', '0', '--items', '1000', '--batch', '50', '--crash-rate', '0.2'], { cwd: ROOT })
    assert.match(stdout, /OK: identical/)
    assert.match(stdout, /busy share \(CPU \/ wall\) +(main \d+% {2}\(|per thread n\/a)/)
  })

  it('refuses bad options with a usage line and exit code 2', async () => {
    await assert.rejects(run(process.execPath, [SKEIN, 'demo', '--items', 'many'], { cwd: ROOT }),
      (e: { code?: number; stderr?: string }) => e.code === 2 && /--items must be an integer/.test(e.stderr ?? ''))
    await assert.rejects(run(process.execPath, [SKEIN, 'demo', '--checkpoint', '0'], { cwd: ROOT }),
      (e: { code?: number; stderr?: string }) => e.code === 2 && /--checkpoint must be an integer >= 1/.test(e.stderr ?? ''))
    await assert.rejects(run(process.execPath, [SKEIN, 'frobnicate'], { cwd: ROOT }),
      (e: { code?: number; stderr?: string }) => e.code === 2 && /unknown command "frobnicate"/.test(e.stderr ?? ''))
  })
})
