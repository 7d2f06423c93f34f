/**
 * The CPU-bound job of the thread-scaling row: a fixed amount of integer mixing (no memory
 * traffic, no allocation), so a job costs the same on every thread and the row measures how
 * the runtime spreads jobs, not cache or GC effects. Skein's Cruncher (scaling-actors.ts) and
 * piscina's worker (baselines/piscina-crunch.ts) both run exactly this function.
 */

/** Mixing rounds per job: about 2 ms on a 2020s x86 core. */
export const CRUNCH_ROUNDS = 1 << 20

/** One job: `CRUNCH_ROUNDS` rounds of a 32-bit mix from `seed`; returns the final state. */
export function crunch(seed: number): number {
  let h = seed | 0
  for (let i = 0; i < CRUNCH_ROUNDS; i++) {
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d)
    h = (h + i) | 0
  }
  return h >>> 0
}
