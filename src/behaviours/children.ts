/**
 * Starting and stopping children, as every supervising behaviour (Supervisor, Application,
 * Pool, ConsumerSupervisor) does it.
 *
 * startLinked: a child spec's `start` run linked to the supervising process: a tuple
 * `[Class, args, options]` is spawned and awaited through init; a function gets a context whose
 * startLink does the same, plus the `extra` arguments (simple_one_for_one, ConsumerSupervisor).
 *
 * shutDown (SUP-R6/R7): watch each one
 * (an unlinked child cannot hang us), unlink it (so no EXIT comes back), then
 *   'brutal_kill'  kill
 *   ms             exit 'shutdown', wait that long, then kill whoever is left
 *   'infinity'     exit 'shutdown' and wait
 * All of `pids` at once, with one shared timer; resolves with their exit reasons, in order.
 */
import type { ExitReason } from '../core/exit.ts'
import type { Pid } from '../core/pid.ts'
import type { ProcessBase } from './process-base.ts'
import type { ChildStart, ChildStarted, ChildStartContext, Shutdown } from './supervisor-spec.ts'

/** Run `start` linked to `self`; `tupleArgs` maps a tuple's own args to the ones to use. */
export async function startLinked(self: ProcessBase, start: ChildStart, tupleArgs: (args: unknown) => unknown = (a) => a,
  extra?: unknown): Promise<ChildStarted> {
  if (typeof start === 'function') {
    const ctx: ChildStartContext = {
      supervisor: self.self,
      startLink: (behaviour, args, options) => self.startProcess(behaviour, args, { ...options, link: true }),
    }
    return start(ctx, extra)
  }
  const [behaviour, args, options] = start
  return self.startProcess(behaviour, tupleArgs(args) as never, { ...options, link: true })
}

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
