/** The control-plane API of one scheduler thread (exposed over comlink by workers). */
import type { Scheduler, ThreadStats } from '../scheduler/scheduler.ts'
import type { ThreadControl } from './protocol.ts'

export class SchedulerControl implements ThreadControl {
  readonly #s: Scheduler

  constructor(scheduler: Scheduler) {
    this.#s = scheduler
  }

  stats(): ThreadStats {
    return this.#s.stats()
  }

  threadDown(k: number): void {
    this.#s.threadDown(k)
  }

  threadUp(k: number): void {
    this.#s.threadUp(k)
  }

  threadGone(k: number): void {
    this.#s.threadGone(k)
  }

  shutdown(timeoutMs: number): Promise<void> {
    return this.#s.shutdown(timeoutMs)
  }

  close(): void {
    this.#s.close()
  }
}
