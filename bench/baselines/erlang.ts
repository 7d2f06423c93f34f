/**
 * Erlang/OTP baselines (local one-way, ping-pong, skynet and the OTP-shaped rows): compile
 * bench/erlang/skein_bench.erl with `erlc` into a temporary folder, run it once with
 * `erl -noshell` for the selected shapes, and parse its `RESULT <shape> <value>` lines. Nothing
 * of Skein is on this path. A shape that printed no result has no figure (its row shows n/a).
 *
 * When `erl` (or `erlc`) is not on the PATH the figures are skipped with a reason, and the
 * bench prints its Erlang column as n/a. BENCH_ERL_FLAGS adds emulator flags (e.g. '+S 1' for
 * one scheduler); by default erl runs as installed, one scheduler per core, with a process
 * limit raised for skynet.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
// Beside this file in a checkout; from dist/bench/baselines (an installed package) it is the
// package's bench/erlang.
const SOURCE = [new URL('../erlang/skein_bench.erl', import.meta.url), new URL('../../../bench/erlang/skein_bench.erl', import.meta.url)]
  .map((u) => fileURLToPath(u)).find((f) => existsSync(f)) ?? fileURLToPath(new URL('../erlang/skein_bench.erl', import.meta.url))

/** The Erlang shapes, each a figure skein_bench.erl prints (see its banner). */
export type ErlangShape = 'oneway' | 'pingpong' | 'skynet' | 'call' | 'cast' | 'spawn' | 'idle_bytes' | 'restart'

/** How many of each shape (the same sizes the Skein side uses); a shape left out is not run. */
export interface ErlangSizes {
  oneway?: number
  pingpong?: number
  /** Leaves of the skynet tree, a power of 10. */
  skynet?: number
  call?: number
  cast?: number
  spawn?: number
  idle?: number
  restartRounds?: number
  iterations: number
}

export interface ErlangFigures {
  /** The OTP release, e.g. '25'. */
  release: string
  /** msgs/s, processes/s, calls/s, casts/s, spawn+DOWN/s, bytes per idle gen_server, restarts/s (medians). */
  figures: Partial<Record<ErlangShape, number>>
}

export type ErlangOutcome = { ok: ErlangFigures } | { skipped: string }

/**
 * Emulator flags before BENCH_ERL_FLAGS (which may override them): room for skynet's processes
 * (1.1 M at once at BENCH_SCALE=1, over the default limit of 262144).
 */
const DEFAULT_FLAGS = ['+P', String(1 << 22)]

/** Run the shapes `sizes` names on Erlang/OTP, or say why not. */
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
    const { iterations, restartRounds, ...counts } = sizes
    const opts = [...Object.entries(counts), ['restart_rounds', restartRounds], ['iterations', iterations]]
      .filter(([, v]) => v !== undefined).map(([k, v]) => `{${String(k)},${String(v)}}`).join(',')
    const flags = [...DEFAULT_FLAGS, ...(process.env.BENCH_ERL_FLAGS ?? '').split(/\s+/).filter((f) => f !== '')]
    const { stdout } = await run('erl', [...flags, '-noshell', '-pa', dir, '-eval', `skein_bench:main([${opts}]), halt().`],
      { timeout: 1_200_000, maxBuffer: 16 << 20 })
    const figures: Partial<Record<ErlangShape, number>> = {}
    for (const line of stdout.split('\n')) {
      const m = /^RESULT (\w+) ([\d.eE+-]+)$/.exec(line.trim())
      if (m !== null) figures[m[1] as ErlangShape] = Number(m[2])
    }
    return { ok: { release, figures } }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function isMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOENT'
}
