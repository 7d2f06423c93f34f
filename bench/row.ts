/**
 * A row of the bench table: one figure of Skein beside one baseline measured in the same run,
 * their ratio, and the target for it where there is one.
 *
 * The idea: shapes add rows as they measure; baselines that are measured later (Erlang runs
 * after the Skein node has stopped, so the two never share the cores) are filled in before
 * `finishRow` works out the ratio, whether the target is met, and the target as a ratio (where
 * the chart marks it). Targets are data, not code, so the same description serves the table,
 * the JSON and the chart.
 */

/** Whether a bigger figure is better (rates) or a smaller one (latency, memory). */
export type Better = 'higher' | 'lower'

/**
 * A target on the Skein figure itself (`on: 'figure'`, e.g. <= 5 µs) or on its ratio to the
 * baseline (`on: 'ratio'`, e.g. >= 3x postMessage). `label` is what the table prints.
 */
export interface Target {
  readonly label: string
  readonly on: 'figure' | 'ratio'
  readonly op: '>=' | '<='
  readonly value: number
}

/** The target `>= times x` the baseline. */
export const timesBaseline = (times: number, baseline: string): Target =>
  ({ label: `>= ${times}x ${baseline}`, on: 'ratio', op: '>=', value: times })

export interface Row {
  /** The short shape name (`--shape`) this row belongs to. */
  group: string
  shape: string
  unit: string
  /** null: not measured in this run (see the printed notes). */
  skein: number | null
  /** null: no baseline for this row (baselineName ''), or it could not be measured ('n/a'). */
  baseline: number | null
  baselineName: string
  /** skein ÷ baseline (for latency and memory rows, lower is better: see `better`). */
  ratio: number | null
  target: string
  /** Whether the target is met in this run (null: no target, or not measurable). */
  met: boolean | null
  better: Better
  /** The target expressed as a skein ÷ baseline ratio (null: no target, or no baseline). */
  targetRatio: number | null
  /** What the figure alone does not say (skynet's wall times, thread scaling's speed-ups). */
  detail: string
  /** Skein's CPU µs per unit over every thread of the process (steadier than wall time on a shared machine); null where not measured. */
  cpu: number | null
}

/** A row as a shape adds it; `finishRow` completes it once every baseline is known. */
export interface PendingRow {
  group: string
  shape: string
  unit: string
  skein: number | null
  baseline: number | null
  baselineName: string
  target: Target | null
  /** Called at finish, when the baseline is known. */
  detail: ((row: Row) => string) | null
  /** Skein's CPU µs per unit over every thread of the process; null where not measured. */
  cpu: number | null
}

const compare = (x: number, op: Target['op'], y: number): boolean => (op === '>=' ? x >= y : x <= y)

/** The finished row: ratio, met, the target as a ratio, and the detail. */
export function finishRow(p: PendingRow): Row {
  const ratio = p.skein === null || p.baseline === null ? null : p.skein / p.baseline
  const t = p.target
  let met: boolean | null = null
  let targetRatio: number | null = null
  if (t !== null) {
    const x = t.on === 'ratio' ? ratio : p.skein
    met = x === null ? null : compare(x, t.op, t.value)
    targetRatio = t.on === 'ratio' ? t.value : p.baseline === null ? null : t.value / p.baseline
  }
  const row: Row = {
    group: p.group, shape: p.shape, unit: p.unit, skein: p.skein, baseline: p.baseline, baselineName: p.baselineName,
    ratio, target: t?.label ?? '', met, better: p.unit.endsWith('/s') ? 'higher' : 'lower', targetRatio, detail: '', cpu: p.cpu,
  }
  row.detail = p.detail?.(row) ?? ''
  return row
}

/** A figure with its unit, short: '14.59 M/s', '875.1 k/s', '3.5 µs', '502 B'. */
export function formatFigure(v: number | null, unit: string): string {
  if (v === null) return '-'
  if (unit.endsWith('/s')) {
    if (v >= 1e6) return `${(v / 1e6).toFixed(2)} M/s`
    if (v >= 1e3) return `${(v / 1e3).toFixed(1)} k/s`
    return `${v.toFixed(v >= 100 ? 0 : 1)} ${unit}`
  }
  if (unit === 'B') return `${v.toFixed(0)} B`
  return `${v.toFixed(1)} ${unit}`
}

/** A ratio as the table and the chart print it: '5.27x', '0.14x', '0.031x'. */
export function formatRatio(r: number): string {
  return `${r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}x`
}

/** A duration in ms, short: '950 ms', '1.23 s'. */
export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms >= 10 ? 0 : 1)} ms`
}
