/**
 * Shared-memory layouts, one place for every offset. Fields written by different threads sit on
 * separate 64-byte lines (as Pony groups scheduler_t), so a writer never invalidates a line a
 * different writer owns.
 *
 * Ring SAB (one per ordered pair of threads, writer W → reader R):
 *   line 0  HEAD            written by R only: bytes consumed (mod 2^32)
 *   line 1  TAIL            written by W only: bytes published (mod 2^32)
 *   line 2  WRITER_WAITING  set to 1 by W when it holds overflow; cleared by R when it frees space
 *   data    RING_DATA_OFFSET.. capacity bytes, capacity a power of two
 *
 * Control SAB (one per node), a 64-byte line per thread slot t:
 *   DOORBELL  AWAKE | SLEEPING, written by the owner (going to sleep) and by anyone waking it
 *   LOAD      live process count: the owner stores it, a spawner placing a process there adds 1 (a hint)
 * followed by one BigInt64 spawn counter per thread slot (Atomics.add by any spawner).
 */

export const LINE_I32 = 16 // 64 bytes
export const HEAD = 0
export const TAIL = LINE_I32
export const WRITER_WAITING = 2 * LINE_I32
export const RING_DATA_OFFSET = 3 * 64

export const FRAME_HEADER_BYTES = 16

export const DOORBELL = 0
export const LOAD = 2

export const AWAKE = 0
export const SLEEPING = 1

export const MAX_THREADS = 256

export function controlBytes(threads: number): number {
  return threads * 64 + threads * 8
}

/** Views over the node's control SAB. */
export interface ControlViews {
  readonly i32: Int32Array
  readonly counters: BigInt64Array
}

export function controlViews(sab: SharedArrayBuffer, threads: number): ControlViews {
  return {
    i32: new Int32Array(sab, 0, threads * LINE_I32),
    counters: new BigInt64Array(sab, threads * 64, threads),
  }
}

/** Index of field `field` of thread `t` in the control Int32Array. */
export function slot(t: number, field: number): number {
  return t * LINE_I32 + field
}

export function ringSab(capacity: number): SharedArrayBuffer {
  return new SharedArrayBuffer(RING_DATA_OFFSET + capacity)
}
