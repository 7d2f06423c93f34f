/**
 * Erlang/OTP baselines for the OTP-shaped rows: compile bench/erlang/skein_bench.erl with
 * `erlc` into a temporary folder, run it once with `erl -noshell` for every shape, and parse
 * its `RESULT <shape> <value>` lines. Nothing of Skein is on this path.
 *
 * When `erl` (or `erlc`) is not on the PATH the figures are skipped with a reason, and the
 * bench prints its Erlang column as '-'. BENCH_ERL_FLAGS adds emulator flags (e.g. '+S 1' for
 * one scheduler); by default erl runs as installed, one scheduler per core.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const SOURCE = fileURLToPath(new URL('../erlang/skein_bench.erl', import.meta.url))

/** How many of each shape; the same sizes the Skein side uses. */
export interface ErlangSizes {
  call: number
  cast: number
  spawn: number
  idle: number
  restartRounds: number
  iterations: number
}

export interface ErlangFigures {
  /** The OTP release, e.g. '25'. */
  release: string
  /** calls/s, casts/s, spawn+DOWN/s, bytes per idle gen_server, restarts/s (medians). */
  call: number
  cast: number
  spawn: number
  idleBytes: number
  restart: number
}

export type ErlangOutcome = { ok: ErlangFigures } | { skipped: string }

/** Run every shape on Erlang/OTP, or say why not. */
export async function runErlang(sizes: ErlangSizes): Promise<ErlangOutcome> {
  let release: string
  try {
    const { stdout } = await run('erl', ['-noshell', '-eval', 'io:format("~s", [erlang:system_info(otp_release)]), halt().'])
    release = stdout.trim()
  } catch (error) {
    return { skipped: isMissing(error) ? 'erl is not on the PATH' : `erl failed: ${String(error)}` }
  }
  const dir = mkdtempSync(join(tmpdir(), 'skein-bench-erl-'))
  try {
    try {
      await run('erlc', ['-o', dir, SOURCE])
    } catch (error) {
      return { skipped: isMissing(error) ? 'erlc is not on the PATH' : `erlc failed: ${String(error)}` }
    }
    const opts = `[{call,${sizes.call}},{cast,${sizes.cast}},{spawn,${sizes.spawn}},{idle,${sizes.idle}},` +
      `{restart_rounds,${sizes.restartRounds}},{iterations,${sizes.iterations}}]`
    const flags = (process.env.BENCH_ERL_FLAGS ?? '').split(/\s+/).filter((f) => f !== '')
    const { stdout } = await run('erl', [...flags, '-noshell', '-pa', dir, '-eval', `skein_bench:main(${opts}), halt().`],
      { timeout: 1_200_000, maxBuffer: 16 << 20 })
    const found = new Map<string, number>()
    for (const line of stdout.split('\n')) {
      const m = /^RESULT (\w+) ([\d.eE+-]+)$/.exec(line.trim())
      if (m !== null) found.set(m[1] as string, Number(m[2]))
    }
    const get = (shape: string): number => {
      const v = found.get(shape)
      if (v === undefined) throw new Error(`skein_bench printed no result for ${shape}:\n${stdout}`)
      return v
    }
    return {
      ok: { release, call: get('call'), cast: get('cast'), spawn: get('spawn'), idleBytes: get('idle_bytes'), restart: get('restart') },
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function isMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOENT'
}
