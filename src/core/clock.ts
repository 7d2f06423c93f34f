/**
 * Time as the runtime sees it: a clock to read and one-shot timers to set. The real one is
 * performance.now() and setTimeout; the test kit's VirtualClock moves only when a test says so.
 */

export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms)
    // The node's threads keep the process alive while it runs; a pending timer must not.
    t.unref()
    return t
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
}
