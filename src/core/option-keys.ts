/**
 * Unknown option keys: every options object Skein takes (Node.start, spawn, call, supervisor
 * flags and child specs, stage specs, pools, dispatchers) rejects a key it does not know, so a
 * misspelling fails loudly instead of being ignored. The error names the closest known key when
 * one is near (edit distance), as in "did you mean maxRestarts?".
 */
import { makeError } from './errors.ts'

/**
 * Reject an options object holding a key outside `known`; `undefined` passes (no options).
 * `where` names the call or spec in the message (`'spawn'`, `'a Supervisor spec'`, ...); a
 * behaviour that reports OTP-style reasons passes `reasonOf` to set the error's `reason`.
 *
 * @throws ERR_INVALID_ARG_TYPE when `options` is neither undefined nor an object
 * @throws ERR_UNKNOWN_OPTION for the first unknown key, naming the closest known one if any is near
 */
export function checkOptionKeys(where: string, options: unknown, known: readonly string[], reasonOf?: (key: string) => unknown): void {
  if (options === undefined) return
  if (typeof options !== 'object' || options === null) throw makeError('ERR_INVALID_ARG_TYPE', `${where} options`, 'an object', options)
  // for-in, not Object.keys: no array per check (call options are checked on every call).
  for (const key in options) {
    if (!Object.hasOwn(options, key) || known.includes(key)) continue
    const error = makeError('ERR_UNKNOWN_OPTION', where, key, known, closestKey(key, known))
    if (reasonOf !== undefined) error.reason = reasonOf(key)
    throw error
  }
}

/**
 * The known key nearest to `key`, if one is within a third of its length in edits (at least
 * one): insertions, deletions, substitutions and swaps of neighbours, ignoring case. Ties go to
 * the first in `known`.
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const budget = Math.max(1, Math.floor(key.length / 3))
  let best: string | undefined
  let bestDistance = budget + 1
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best
}

/** Optimal string alignment distance (Levenshtein plus swaps of adjacent characters). */
function editDistance(a: string, b: string): number {
  // Three rows: the one before last (for swaps), the last, and the one being filled.
  let before = new Array<number>(b.length + 1).fill(0)
  let last = Array.from({ length: b.length + 1 }, (_, j) => j)
  let row = new Array<number>(b.length + 1).fill(0)
  for (let i = 1; i <= a.length; i++) {
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min((last[j] as number) + 1, (row[j - 1] as number) + 1, (last[j - 1] as number) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (before[j - 2] as number) + 1)
      row[j] = d
    }
    ;[before, last, row] = [last, row, before]
  }
  return last[b.length] as number
}
