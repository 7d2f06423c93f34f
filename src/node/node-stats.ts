/**
 * What `node.stats()` reports, and how the per-thread counters add up to the node's totals.
 * Kept apart from node.ts so the facade only gathers the counters (main thread, then workers).
 */
import type { ThreadStats } from '../scheduler/scheduler.ts'

/** What `node.stats()` reports: per-thread counters, and totals over the threads. */
export interface NodeStats {
  /** One entry per live thread, the main thread first. */
  readonly threads: ThreadStats[]
  /** Live processes across the threads, not counting the node's own (its shell and the offload service). */
  readonly processes: number
  /** Messages sent to a process on the sender's thread (sends, casts, calls and replies). */
  readonly sentLocal: number
  /** Messages sent to a process on another thread (sends, casts, calls and replies). */
  readonly sentRemote: number
  /** Messages dropped because their target was gone, or its thread was down. */
  readonly deadLetters: number
  /** Worker threads replaced after they died, since the node started. */
  readonly threadRestarts: number
}

/** Processes every node runs on its main thread: the shell (node.call's caller) and the offload service. */
const SYSTEM_PROCESSES = 2

/** The node's totals over `per` (one entry per live thread, the main thread first). */
export function nodeStats(per: ThreadStats[], threadRestarts: number): NodeStats {
  const sum = (k: keyof ThreadStats): number => per.reduce((a, s) => a + s[k], 0)
  return {
    threads: per,
    // The node's own processes (its shell and the offload service) are not the user's.
    processes: sum('processes') - SYSTEM_PROCESSES,
    sentLocal: sum('sentLocal'),
    sentRemote: sum('sentRemote'),
    deadLetters: sum('deadLetters'),
    threadRestarts,
  }
}
