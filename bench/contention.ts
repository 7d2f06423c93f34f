/**
 * The bench's contended mode (`--contended`): the same shapes again beside two busy background
 * processes, as on a shared machine, and how much of each ratio survives. Issue 11's target:
 * every ratio keeps at least 0.6x of its quiet value (spinning and sleeping must adapt to
 * contention instead of losing to it).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { formatRatio, type Row } from './row.ts'

/** Two processes that burn a core each until stopped. */
export async function withBusyNeighbours<T>(fn: () => Promise<T>): Promise<T> {
  const busy: ChildProcess[] = [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }))
  try {
    return await fn()
  } finally {
    for (const child of busy) child.kill('SIGKILL')
  }
}

export const KEEP_TARGET = 0.6

/** One line per row measured both ways: its ratio quiet and contended, and the share kept. */
export interface ContentionRow {
  shape: string
  quiet: number | null
  contended: number | null
  /** contended ÷ quiet, oriented so that above 1 is better (for lower-is-better rows, quiet ÷ contended). */
  kept: number | null
  met: boolean | null
}

export function compareContention(quiet: readonly Row[], contended: readonly Row[]): ContentionRow[] {
  return contended.map((c) => {
    const q = quiet.find((r) => r.shape === c.shape)
    const qr = q?.ratio ?? null
    const cr = c.ratio
    const kept = qr === null || cr === null || qr === 0 || cr === 0 ? null : c.better === 'lower' ? qr / cr : cr / qr
    return { shape: c.shape, quiet: qr, contended: cr, kept, met: kept === null ? null : kept >= KEEP_TARGET }
  })
}

export function formatContention(rows: readonly ContentionRow[]): string {
  const header = ['shape', 'ratio quiet', 'ratio contended', 'kept', `target >= ${KEEP_TARGET}x`]
  const lines = [header, ...rows.map((r) => [
    r.shape,
    r.quiet === null ? 'n/a' : formatRatio(r.quiet),
    r.contended === null ? 'n/a' : formatRatio(r.contended),
    r.kept === null ? 'n/a' : formatRatio(r.kept),
    r.met === null ? '' : r.met ? 'yes' : 'NO',
  ])]
  const widths = header.map((_, c) => Math.max(...lines.map((l) => (l[c] ?? '').length)))
  const line = (l: readonly string[]): string => l.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(' │ ').trimEnd()
  return [line(header), widths.map((w) => '─'.repeat(w)).join('─┼─'), ...lines.slice(1).map(line)].join('\n')
}
