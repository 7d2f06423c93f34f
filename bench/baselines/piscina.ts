/**
 * piscina baselines (a pool of worker threads; a task is a round trip to one of them): the
 * Pool row runs a trivial task (piscina-echo.mjs), the thread-scaling row a CPU-bound one
 * (piscina-crunch.ts, the same job as Skein's Cruncher). Requests go in `window` lanes, each
 * sending its next request when its last is answered, as Skein's PoolDriver does.
 */
import { Piscina } from 'piscina'

// .ts under tsx, the compiled .js otherwise (piscina's threads load whichever this module is).
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
export const ECHO_TASK = new URL(`./piscina-echo${ext}`, import.meta.url)
export const CRUNCH_TASK = new URL(`./piscina-crunch${ext}`, import.meta.url)

export class PiscinaLoad {
  readonly #pool: Piscina

  /** A pool of exactly `threads` threads running `task`'s default export. */
  constructor(threads: number, task: URL) {
    this.#pool = new Piscina({ filename: task.href, minThreads: threads, maxThreads: threads, idleTimeout: 60_000 })
  }

  /** `total` tasks on `request`, `window` in flight at a time; resolves when all are answered. */
  async run(total: number, window: number, request: unknown): Promise<void> {
    let sent = 0
    const lane = async (): Promise<void> => {
      while (sent < total) {
        sent++
        await this.#pool.run(request)
      }
    }
    await Promise.all(Array.from({ length: Math.min(window, total) }, lane))
  }

  close(): Promise<void> {
    return this.#pool.destroy()
  }
}
