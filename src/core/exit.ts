/**
 * Exit reasons are data. Clean reasons (OTP's "normal-ish" set) are exactly
 * `'normal' | 'shutdown' | { shutdown: _ }`; anything else, an Error included, is abnormal.
 * The exit *signal* `'kill'` cannot be trapped, and the process it ends ends with `'killed'`; a
 * process that ends with reason `'kill'` by itself (`stop('kill')`) passes `'kill'` on as any
 * other reason, as in OTP.
 */

export type ExitReason = unknown

export const NORMAL = 'normal'
export const SHUTDOWN = 'shutdown'
export const NOPROC = 'noproc'
export const NOCONNECTION = 'noconnection'

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

/**
 * What `exit(self, reason)` throws when it ends the caller: in Erlang the process is gone at
 * once, so nothing after the call may run. It unwinds the callback; the exit is already recorded
 * (`pendingExit`, or the process is DEAD), so the runner applies that, never a crash with this
 * object, and a user `catch` that swallows it changes nothing (see isHalted in process/proc.ts).
 */
export class ProcessExit {
  /** The reason the process ends with. */
  readonly reason: ExitReason

  constructor(reason: ExitReason) {
    this.reason = reason
  }
}
