/**
 * The memory a node's threads share, and what each thread is handed to start its scheduler.
 *
 *   control   per-thread control words (mailbox/layout.ts)
 *   names     the node-wide name table
 *   rings     rings[from][to]: one ring per ordered pair of threads, none from a thread to itself
 *
 * Node.start allocates it once, for the main thread plus `threads` workers, and it lives as long as
 * the node: a worker that replaces a dead one is handed the same memory under a new generation.
 */
import { LOCAL_NODE } from '../core/pid.ts'
import { controlBytes, ringSab } from '../mailbox/layout.ts'
import { nameTableBytes } from '../process/name-table.ts'
import type { WorkerInit } from '../workers/protocol.ts'
import type { ResolvedOptions } from './options.ts'

export type SharedMemory = {
  control: SharedArrayBuffer
  names: SharedArrayBuffer
  /** rings[from][to] */
  rings: (SharedArrayBuffer | null)[][]
}

/** The shared memory of `total` threads (the main thread included). */
export function allocateSharedMemory(total: number, opts: ResolvedOptions): SharedMemory {
  let capacity = 16
  while (capacity * 0.75 < opts.maxNames) capacity *= 2
  const rings: (SharedArrayBuffer | null)[][] = []
  for (let from = 0; from < total; from++) {
    rings.push(Array.from({ length: total }, (_, to) => (from === to ? null : ringSab(opts.ringBytes))))
  }
  return { control: new SharedArrayBuffer(controlBytes(total)), names: new SharedArrayBuffer(nameTableBytes(capacity)), rings }
}

/** What thread `index` (0: the main thread) of `total` starts its scheduler with. */
export function schedulerInit(index: number, total: number, creation: number, generation: number, mem: SharedMemory,
  opts: ResolvedOptions): WorkerInit {
  return {
    index,
    totalThreads: total,
    node: LOCAL_NODE,
    creation,
    generation,
    control: mem.control,
    names: mem.names,
    outRings: (mem.rings[index] ?? []).slice(),
    inRings: mem.rings.map((row) => row[index] ?? null),
    modules: opts.modules,
    batch: opts.batch,
    turnBudget: opts.turnBudget,
    turnSliceMs: opts.turnSliceMs,
    spinMicros: opts.spinMicros,
    // The main thread is the user's: it never blocks in a light sleep.
    lightSleepMs: index === 0 ? 0 : opts.lightSleepMs,
    checkSends: opts.checkSends,
    env: opts.env,
  }
}
