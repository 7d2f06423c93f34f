/**
 * SIGTERM and SIGINT end a program that runs nodes the way OTP ends a node on SIGTERM: every
 * node stops gracefully (each process's terminate runs, bounded by its `shutdownTimeout`, and
 * every promise the node handed out settles), then the OS process exits with the conventional
 * code, 128 + the signal's number (143 for SIGTERM, 130 for SIGINT).
 *
 *   Node.start (handleSignals) ─▶ watchSignals: the first watched node installs one listener per signal
 *   SIGTERM / SIGINT ─▶ the program listens for it too? step aside: its own listener decides
 *                    ─▶ otherwise every watched node: stop() ─▶ all settled ─▶ process.exit(128 + n), once
 *   the same or the other signal again meanwhile ─▶ process.exit(128 + n) at once
 *   node.stop() ─▶ unwatchSignals: the last watched node removes the listeners
 *
 * Why step aside for a program's own listener: Node's rule is that a listener for a signal
 * replaces the default action (ending the process), and Skein only makes that default graceful.
 * A program that listens has taken the signal over (to reload, to drain first, to stop its
 * nodes itself and exit with its own code); Skein neither stops its nodes nor exits under it.
 * The listeners are checked when the signal comes, so one added after Node.start counts.
 *
 * One module-level set serves every node of the process: one signal stops them all and exits once.
 */
import { constants } from 'node:os'

const SIGNALS = ['SIGTERM', 'SIGINT'] as const

/** What a watched node offers: a stop() that settles once it is stopped. */
interface Stoppable {
  stop(): Promise<void>
}

const watched = new Set<Stoppable>()
/** The exit code once a signal began stopping the nodes; the listeners stay until the exit. */
let exiting: number | null = null

function onSignal(signal: NodeJS.Signals): void {
  const code = 128 + constants.signals[signal]
  if (exiting !== null) process.exit(code)
  if (process.listeners(signal).some((l) => l !== onSignal)) return
  exiting = code
  void Promise.allSettled([...watched].map((node) => node.stop())).then(() => process.exit(code))
}

/** Stop `node` on SIGTERM and SIGINT, then exit (see the banner). */
export function watchSignals(node: Stoppable): void {
  if (watched.size === 0 && exiting === null) for (const s of SIGNALS) process.on(s, onSignal)
  watched.add(node)
}

/** `node` has stopped: the last one removes the listeners, unless a signal is ending the process. */
export function unwatchSignals(node: Stoppable): void {
  if (!watched.delete(node) || watched.size > 0 || exiting !== null) return
  for (const s of SIGNALS) process.off(s, onSignal)
}
