/**
 * Shutting children down (SUP-R6/R7), as every supervising behaviour does it: watch each one
 * (an unlinked child cannot hang us), unlink it (so no EXIT comes back), then
 *   'brutal_kill'  kill
 *   ms             exit 'shutdown', wait that long, then kill whoever is left
 *   'infinity'     exit 'shutdown' and wait
 * All of `pids` at once, with one shared timer; resolves with their exit reasons, in order.
 */
import type { ExitReason } from '../core/exit.ts'
import type { Pid } from '../core/pid.ts'
import type { ProcessBase } from './process-base.ts'
import type { Shutdown } from './supervisor-spec.ts'

export async function shutDown(self: ProcessBase, pids: readonly Pid[], how: Shutdown): Promise<ExitReason[]> {
  if (pids.length === 0) return []
  const gone = Promise.all(pids.map((pid) => self.watch(pid)))
  for (const pid of pids) {
    self.unlink(pid)
    self.exit(pid, how === 'brutal_kill' ? 'kill' : 'shutdown')
  }
  if (typeof how === 'number') {
    const late = await Promise.race([gone.then(() => false), self.delay(how).then(() => true)])
    if (late) for (const pid of pids) self.exit(pid, 'kill')
  }
  return gone
}
