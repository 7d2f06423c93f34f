/**
 * Baseline for the pool row: piscina (a pool of worker threads, a task is a round trip to one)
 * running a trivial task, with the same number of requests in flight as the Skein pool driver.
 */
import { Piscina } from 'piscina'

export async function piscinaRate(threads: number, total: number, window: number): Promise<{ rate: number; close: () => Promise<void> }> {
  const pool = new Piscina({ filename: new URL('./piscina-echo.mjs', import.meta.url).href, minThreads: threads, maxThreads: threads })
  const run = async (): Promise<number> => {
    const t0 = performance.now()
    let sent = 0
    const lane = async (): Promise<void> => {
      while (sent < total) {
        sent++
        await pool.run('ping')
      }
    }
    await Promise.all(Array.from({ length: Math.min(window, total) }, lane))
    return total / ((performance.now() - t0) / 1000)
  }
  await run() // warm-up: threads started, code compiled
  return { rate: await run(), close: () => pool.destroy() }
}
