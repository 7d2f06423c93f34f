/**
 * Thread scaling: one CPU-bound job (a fixed number of crunch() tasks, bench/crunch.ts) split
 * over 1, 2, ..., N worker threads; one row per thread count with its throughput in tasks per
 * second, and in the detail column the speed-up over 1 thread.
 *
 *   Skein     PoolDriver (main thread) ──call──▶ Pool (main thread, least_busy)
 *                                                  ──call──▶ Cruncher on threads 1..k
 *   piscina   `window` lanes (main thread) ──run──▶ a piscina pool of exactly k threads
 *
 * Both keep 2k tasks in flight, so every thread always has its next task waiting and neither
 * side is limited by the round trip.
 *
 * The baseline is piscina at the same thread count, not Skein on 1 thread: piscina is what a
 * Node program uses today to spread CPU work over threads (a shared queue; an idle thread takes
 * the next task), so the ratio answers "does spreading work with Skein processes cost anything
 * at k threads?". How Skein scales with threads (its own 1-thread figure as the reference) is
 * the speed-up in the detail column, next to piscina's own speed-up. On a machine whose cores
 * are busy with other work neither scales, and the two speed-ups show it alike.
 */
import { Pool, Server } from '../src/index.ts'
import { Cruncher, PoolDriver, type PoolJob } from './otp-actors.ts'
import { CRUNCH_TASK, PiscinaLoad } from './baselines/piscina.ts'
import { formatRatio } from './row.ts'
import type { NodeEnv, Session } from './session.ts'

/** The seed every task crunches (the cost does not depend on it). */
const SEED = 7

export async function scaling(s: Session, { node }: NodeEnv): Promise<void> {
  const max = s.options.threads
  // Enough tasks that every thread count gets several per thread at the smallest scale.
  const tasks = Math.max(4 * max, s.n(256))
  let one: { skein: number; piscina: number } | null = null
  for (let k = 1; k <= max; k++) {
    const skein = await skeinRate(s, node, k, tasks)
    const piscina = await piscinaRate(s, k, tasks)
    one ??= { skein, piscina }
    const ref = one
    s.row({
      shape: `thread scaling, ${k} thread${k === 1 ? '' : 's'}`, unit: 'tasks/s', skein, baseline: piscina, baselineName: `piscina`,
      detail: () => `speed-up ${formatRatio(skein / ref.skein)} (piscina ${formatRatio(piscina / ref.piscina)})`,
      cpu: s.cpuPerUnit(`scaling skein ${k}`),
    })
  }
}

/** Tasks per second through a Pool of `k` Crunchers (workers k on threads 1..k). */
async function skeinRate(s: Session, node: NodeEnv['node'], k: number, tasks: number): Promise<number> {
  const pool = await node.spawn(Pool, { worker: Cruncher, size: k, strategy: 'least_busy' }, { thread: 0 })
  const driver = await node.spawn(PoolDriver, undefined, { thread: 0 })
  const job: PoolJob = { pool, total: tasks, window: 2 * k, request: SEED }
  try {
    return await s.throughput(`scaling skein ${k}`, tasks, () => node.call(driver, job, { timeout: 600_000 }))
  } finally {
    await Server.stop(node, pool)
    node.exit(driver, 'kill')
  }
}

/** Tasks per second through a piscina pool of `k` threads. */
async function piscinaRate(s: Session, k: number, tasks: number): Promise<number> {
  const load = new PiscinaLoad(k, CRUNCH_TASK)
  try {
    return await s.throughput(`scaling piscina ${k}`, tasks, () => load.run(tasks, 2 * k, SEED))
  } finally {
    await load.close()
  }
}
