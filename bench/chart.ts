/**
 * The bench's chart: an SVG of every row's skein ÷ baseline ratio, written beside the JSON
 * (bench/results/latest.svg), drawn by hand (no dependency).
 *
 * The idea: a horizontal bar per row that has a baseline, on a log scale, starting at the 1x
 * line (Skein = baseline) and running right (Skein's figure is bigger) or left (smaller). For
 * rates right is better; for latency and memory (marked "lower is better") left is. The bar's
 * colour says whether the row's target is met, missed, or absent; the target itself is a
 * black tick with a triangle at its ratio. A row whose baseline could not be measured (no
 * `erl`) shows "n/a". Rows without a baseline (the Stage rows) are not drawn.
 *
 *   ┌ title, date, machine ──────────────────────────────────────────────┐
 *   │ legend                                                             │
 *   │ shape label        │        ▕ 1x                                   │
 *   │ vs baseline        │   ■■■■■▕■■■■■■■■ 2.31x      ▼ target          │
 *   │ ...                │ 0.1x  0.5x  1x  2x  5x  10x (log)             │
 *   └ how to read it ────────────────────────────────────────────────────┘
 */
import { formatRatio, type Row } from './row.ts'

export interface ChartInput {
  readonly title: string
  /** One line under the title: date, machine, Node version, run settings. */
  readonly subtitle: string
  readonly rows: readonly Row[]
}

const WIDTH = 1040
const LABEL_X = 20
const PLOT_LEFT = 430
const PLOT_RIGHT = WIDTH - 100
const TOP = 118
const ROW_H = 40
const BAR_H = 16
const FONT = `system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif`
const COLOUR = { met: '#2e9e5b', missed: '#d9534f', none: '#4a7fc1', grid: '#e3e6ea', text: '#1f2328', dim: '#656d76' }

/** Escape text for XML content and attribute values. */
const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

const num = (v: number): string => (Math.round(v * 10) / 10).toString()

/** The log10 domain: every ratio, every target and 1x, with some room each side for labels. */
function domain(rows: readonly Row[]): [number, number] {
  const xs = [1]
  for (const r of rows) {
    if (r.ratio !== null && r.ratio > 0) xs.push(r.ratio)
    if (r.targetRatio !== null && r.targetRatio > 0) xs.push(r.targetRatio)
  }
  const lo = Math.log10(Math.min(...xs)) - 0.35
  const hi = Math.log10(Math.max(...xs)) + 0.35
  return [Math.min(lo, -0.5), Math.max(hi, 0.5)]
}

/** Tick values: 1, 2, 5 times powers of ten inside the domain (only powers of ten when it is wide). */
function ticks([lo, hi]: [number, number]): number[] {
  const steps = hi - lo > 3.5 ? [1] : [1, 2, 5]
  const out: number[] = []
  for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) {
    for (const m of steps) {
      const v = m * 10 ** e
      const l = Math.log10(v)
      if (l >= lo && l <= hi) out.push(v)
    }
  }
  return out
}

const tickLabel = (v: number): string => `${v >= 1 ? v.toFixed(0) : Number(v.toPrecision(1)).toString()}x`

/** The SVG document. */
export function renderChart(input: ChartInput): string {
  const rows = input.rows.filter((r) => r.baselineName !== '')
  const [lo, hi] = domain(rows)
  const x = (v: number): number => PLOT_LEFT + ((Math.log10(v) - lo) / (hi - lo)) * (PLOT_RIGHT - PLOT_LEFT)
  const plotBottom = TOP + Math.max(1, rows.length) * ROW_H
  const height = plotBottom + 100
  const parts: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ` +
      `font-family="${esc(FONT)}" font-size="13" fill="${COLOUR.text}">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${LABEL_X}" y="34" font-size="20" font-weight="600">${esc(input.title)}</text>`,
    `<text x="${LABEL_X}" y="58" fill="${COLOUR.dim}">${esc(input.subtitle)}</text>`,
    legend(84),
  ]
  rows.forEach((r, i) => parts.push(stripe(i)))
  parts.push(grid(lo, hi, x, plotBottom))
  rows.forEach((r, i) => parts.push(rowMarks(r, TOP + i * ROW_H, x)))
  if (rows.length === 0) parts.push(`<text x="${PLOT_LEFT}" y="${TOP + 24}" fill="${COLOUR.dim}">no row with a baseline in this run</text>`)
  parts.push(
    `<text x="${LABEL_X}" y="${plotBottom + 56}" fill="${COLOUR.dim}" font-size="12">Each bar: Skein's figure ÷ the baseline's, ` +
      `both measured in this run, on a log scale from the 1x line. For rates, right of 1x means Skein is faster;</text>`,
    `<text x="${LABEL_X}" y="${plotBottom + 74}" fill="${COLOUR.dim}" font-size="12">for rows marked "lower is better" ` +
      `(latency, memory), left of 1x means Skein is better. n/a: the baseline could not be measured (e.g. no erl on the PATH).</text>`,
    `</svg>`,
  )
  return parts.join('\n') + '\n'
}

function legend(y: number): string {
  const item = (lx: number, colour: string, label: string): string =>
    `<rect x="${lx}" y="${y - 10}" width="12" height="12" rx="2" fill="${colour}"/>` +
    `<text x="${lx + 18}" y="${y}" font-size="12">${esc(label)}</text>`
  return [
    item(LABEL_X, COLOUR.met, 'target met'),
    item(LABEL_X + 110, COLOUR.missed, 'target missed'),
    item(LABEL_X + 232, COLOUR.none, 'no target'),
    targetMark(LABEL_X + 344, y - 12, 14),
    `<text x="${LABEL_X + 356}" y="${y}" font-size="12">target (as a ratio to the baseline)</text>`,
  ].join('')
}

function stripe(i: number): string {
  const y = TOP + i * ROW_H
  return i % 2 === 0 ? `<rect x="0" y="${y}" width="${WIDTH}" height="${ROW_H}" fill="#f6f8fa"/>` : ''
}

function grid(lo: number, hi: number, x: (v: number) => number, bottom: number): string {
  const out: string[] = []
  for (const v of ticks([lo, hi])) {
    const tx = num(x(v))
    const one = v === 1
    out.push(
      `<line x1="${tx}" y1="${TOP - 6}" x2="${tx}" y2="${bottom}" stroke="${one ? '#57606a' : COLOUR.grid}" stroke-width="${one ? 2 : 1}"/>`,
      `<text x="${tx}" y="${bottom + 18}" text-anchor="middle" font-size="12" fill="${COLOUR.dim}">${tickLabel(v)}</text>`,
    )
  }
  out.push(`<text x="${num(x(1))}" y="${TOP - 12}" text-anchor="middle" font-size="12" font-weight="600">1x = baseline</text>`)
  out.push(`<text x="${num((PLOT_LEFT + PLOT_RIGHT) / 2)}" y="${bottom + 36}" text-anchor="middle" font-size="12" fill="${COLOUR.dim}">` +
    `skein ÷ baseline (log scale)</text>`)
  return out.join('\n')
}

/** A target: a vertical tick `h` high with a triangle on top, at x = `tx`, from y = `top`. */
function targetMark(tx: number, top: number, h: number): string {
  return `<path d="M${num(tx - 5)},${num(top)} L${num(tx + 5)},${num(top)} L${num(tx)},${num(top + 6)} Z" fill="#111"/>` +
    `<line x1="${num(tx)}" y1="${num(top)}" x2="${num(tx)}" y2="${num(top + h)}" stroke="#111" stroke-width="2"/>`
}

/** One row: its two-line label, its bar (or n/a), its ratio and its target. */
function rowMarks(r: Row, y: number, x: (v: number) => number): string {
  const mid = y + ROW_H / 2
  const sub = [`vs ${r.baselineName}`, r.better === 'lower' ? 'lower is better' : '', r.target === '' ? '' : `target ${r.target}`, r.detail]
    .filter((t) => t !== '').join(' · ')
  const out = [
    `<text x="${LABEL_X}" y="${mid - 3}" font-weight="500">${esc(r.shape)}</text>`,
    `<text x="${LABEL_X}" y="${mid + 13}" font-size="11" fill="${COLOUR.dim}">${esc(sub)}</text>`,
  ]
  const one = x(1)
  if (r.ratio === null || !(r.ratio > 0)) {
    out.push(`<text x="${num(one + 8)}" y="${mid + 4}" font-style="italic" fill="${COLOUR.dim}">n/a</text>`)
  } else {
    const end = x(r.ratio)
    const colour = r.met === null ? COLOUR.none : r.met ? COLOUR.met : COLOUR.missed
    const left = Math.min(one, end)
    out.push(`<rect x="${num(left)}" y="${num(mid - BAR_H / 2)}" width="${num(Math.max(1.5, Math.abs(end - one)))}" height="${BAR_H}" ` +
      `rx="2" fill="${colour}"><title>${esc(`${r.shape}: ${formatRatio(r.ratio)} ${r.baselineName}`)}</title></rect>`)
    const right = end >= one
    // The label goes past the target's tick when the tick sits where the label would be.
    const tx = r.targetRatio !== null && r.targetRatio > 0 ? x(r.targetRatio) : null
    const lx = right
      ? (tx !== null && tx > end - 8 && tx < end + 48 ? tx + 8 : end + 6)
      : (tx !== null && tx < end + 8 && tx > end - 48 ? tx - 8 : end - 6)
    out.push(`<text x="${num(lx)}" y="${mid + 4}" text-anchor="${right ? 'start' : 'end'}" ` +
      `font-size="12" font-weight="600">${formatRatio(r.ratio)}</text>`)
  }
  if (r.targetRatio !== null && r.targetRatio > 0) out.push(targetMark(x(r.targetRatio), mid - 14, 28))
  return out.join('\n')
}
