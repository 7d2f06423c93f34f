/**
 * A doorbell is one Int32 per thread: AWAKE or SLEEPING. The owner stores SLEEPING, re-checks
 * its rings, then waits with Atomics.waitAsync while the value is SLEEPING. A sender that has
 * just published a tail loads the bell and, if it reads SLEEPING, swaps it to AWAKE and notifies.
 *
 * No wake-up is lost: both sides store then load with sequentially consistent atomics, so in
 * the single total order either the sender's load sees SLEEPING (and wakes the owner), or the
 * owner's re-check sees the new tail (and does not sleep). A notify that lands before the
 * waitAsync is registered is harmless: waitAsync then reads AWAKE and returns 'not-equal'.
 */
import { AWAKE, SLEEPING } from './layout.ts'

/** Wake the owner of bell `index` if it is sleeping. Returns true if this call woke it. */
export function ringDoorbell(bells: Int32Array, index: number): boolean {
  // Any thread: the plain load skips the locked CAS in the common case (owner awake).
  if (Atomics.load(bells, index) !== SLEEPING) return false
  // Any thread: only the sender that wins SLEEPING→AWAKE notifies, so a burst notifies once.
  if (Atomics.compareExchange(bells, index, SLEEPING, AWAKE) !== SLEEPING) return false
  Atomics.notify(bells, index)
  return true
}

/** Owner only: announce the intent to sleep. The caller must re-check its rings afterwards. */
export function announceSleep(bells: Int32Array, index: number): void {
  Atomics.store(bells, index, SLEEPING)
}

/** Owner only: cancel an announced sleep (work was found on the re-check). */
export function cancelSleep(bells: Int32Array, index: number): void {
  Atomics.store(bells, index, AWAKE)
}

/**
 * Owner only: wait until someone rings. Resolves at once if the bell was rung already.
 * The pending promise does not keep a worker alive; the worker's control port does.
 */
export function waitForDoorbell(bells: Int32Array, index: number): Promise<unknown> | undefined {
  const result = Atomics.waitAsync(bells, index, SLEEPING)
  return result.async ? result.value : undefined
}
