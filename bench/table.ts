/**
 * The bench's printed table: one line per row, columns aligned, Skein's figure and its CPU time
 * per unit (every thread of the process), the baseline's
 * (with its name), their ratio, the target and whether it is met, and the row's detail.
 * A baseline that could not be measured in this run prints as n/a; a row with no baseline, '-'.
 */
import { formatFigure, formatRatio, type Row } from './row.ts'

const HEADER = ['shape', 'skein', 'CPU/unit', 'baseline', 'skein ÷ baseline', 'target', 'met', 'detail'] as const

function cells(r: Row): string[] {
  const none = r.baselineName === ''
  return [
    r.shape,
    formatFigure(r.skein, r.unit),
    r.cpu === null ? '' : formatCpu(r.cpu),
    none ? '-' : r.baseline === null ? `n/a (${r.baselineName})` : `${formatFigure(r.baseline, r.unit)} (${r.baselineName})`,
    r.ratio !== null ? formatRatio(r.ratio) + (r.better === 'lower' ? ' (lower is better)' : '') : none ? '-' : 'n/a',
    r.target,
    r.met === null ? '' : r.met ? 'yes' : 'NO',
    r.detail,
  ]
}

/** CPU µs per unit, with the precision its size needs. */
function formatCpu(us: number): string {
  if (us >= 1000) return `${(us / 1000).toFixed(2)} ms`
  return `${us.toFixed(us >= 10 ? 1 : 2)} µs`
}

/** The table as text (no trailing newline). */
export function formatTable(rows: readonly Row[]): string {
  const lines = [[...HEADER], ...rows.map(cells)]
  const widths = HEADER.map((_, c) => Math.max(...lines.map((l) => (l[c] ?? '').length)))
  const line = (l: readonly string[]): string => l.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(' │ ').trimEnd()
  const rule = widths.map((w) => '─'.repeat(w)).join('─┼─')
  return [line(lines[0] ?? []), rule, ...lines.slice(1).map(line)].join('\n')
}
