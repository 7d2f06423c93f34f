/**
 * Exit reasons are data. Clean reasons (OTP's "normal-ish" set) are exactly
 * `'normal' | 'shutdown' | { shutdown: _ }`; anything else, an Error included, is abnormal.
 * `'kill'` is only ever a signal; the reason a killed process ends with is `'killed'`.
 */

export type ExitReason = unknown

export const NORMAL = 'normal'
export const SHUTDOWN = 'shutdown'
export const KILL = 'kill'
export const KILLED = 'killed'
export const NOPROC = 'noproc'
export const NOCONNECTION = 'noconnection'
export const TIMEOUT = 'timeout'

/** True for `'normal'`, `'shutdown'` and `{ shutdown: _ }` (OTP's clean exits, D6). */
export function isCleanReason(reason: ExitReason): boolean {
  if (reason === NORMAL || reason === SHUTDOWN) return true
  return typeof reason === 'object' && reason !== null && !Array.isArray(reason) &&
    Object.keys(reason).length === 1 && 'shutdown' in reason
}

/** A short printable form of a reason, for error messages and logs. */
export function formatReason(reason: ExitReason): string {
  if (reason instanceof Error) return `${reason.name}: ${reason.message}`
  if (typeof reason === 'string') return reason
  try {
    // Functions (a class in a spec, a callback) would vanish from JSON: name them instead.
    const named = (_k: string, v: unknown): unknown => (typeof v === 'function' ? `[function ${v.name || 'anonymous'}]` : v)
    return JSON.stringify(reason, named) ?? String(reason)
  } catch {
    return String(reason)
  }
}
