/**
 * The demo's processes (every thread loads this module).
 *
 *   Coordinator (main thread, traps exits)
 *     ├─ spawnLink ─▶ Hasher × N, spread over the worker threads (thread: 'any')
 *     ├─ {items} ──▶ Hasher ── crashes on ~1 % of first attempts (a thrown Error)
 *     │               └─ {result} ──▶ Coordinator
 *     └─ EXIT(hasher, Error) ─▶ respawn on the same thread, resend that hasher's in-flight items
 */
import { Actor, isCallMessage, isExitMessage, type CallMessage, type Pid } from '../src/index.ts'

/** CPU work for one item: a few thousand rounds of FNV-1a. Deterministic. */
export function work(item: number, rounds: number): number {
  let h = 0x811c9dc5 ^ item
  for (let i = 0; i < rounds; i++) {
    h ^= (item + i) & 0xff
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** Whether an item crashes its worker on the first attempt (about 1 % of items). */
export const crashes = (item: number, crashRate: number): boolean => work(item, 8) % 10_000 < crashRate * 10_000

/** A batch of consecutive items; `retry` is set when it is re-sent after a crash. */
interface Batch {
  id: number
  first: number
  count: number
  retry: boolean
}

export class Hasher extends Actor<{ coordinator: Pid; rounds: number; crashRate: number }, Batch> {
  coordinator!: Pid
  rounds = 0
  crashRate = 0

  override init(args: { coordinator: Pid; rounds: number; crashRate: number }): void {
    this.coordinator = args.coordinator
    this.rounds = args.rounds
    this.crashRate = args.crashRate
  }

  receive(batch: Batch): void {
    let sum = 0
    for (let item = batch.first; item < batch.first + batch.count; item++) {
      if (!batch.retry && crashes(item, this.crashRate)) throw new Error(`injected crash on item ${item}`)
      sum = (sum + work(item, this.rounds)) >>> 0
    }
    this.send(this.coordinator, { type: 'result', from: this.self, id: batch.id, sum })
  }
}

export interface DemoRequest {
  items: number
  workers: number
  rounds: number
  crashRate: number
  batch: number
}

export interface DemoResult {
  checksum: number
  restarts: number
  done: number
}

type CoordinatorMsg =
  | CallMessage<DemoRequest>
  | { type: 'result'; from: Pid; id: number; sum: number }
  | { type: 'EXIT'; from: Pid; reason: unknown }

/** Hands out batches, restarts crashed hashers, and answers the call when every batch is in. */
export class Coordinator extends Actor<void, CoordinatorMsg> {
  req!: DemoRequest
  from: CallMessage['from'] | null = null
  next = 0
  nextId = 0
  done = 0
  checksum = 0
  restarts = 0
  /** Batches sent and not yet answered, by worker. */
  readonly inFlight = new Map<number, Map<number, Batch>>()
  onProgress: ((done: number, restarts: number) => void) | null = null

  override init(): void {
    this.trapExit(true)
  }

  receive(m: CoordinatorMsg): void {
    if (isCallMessage(m)) return this.#start(m as CallMessage<DemoRequest>)
    if (isExitMessage(m)) return this.#restart(m.from, m.reason)
    if (m.type === 'result') this.#collect(m.from, m.id, m.sum)
  }

  #start(m: CallMessage<DemoRequest>): void {
    this.req = m.request
    this.from = m.from
    for (let i = 0; i < this.req.workers; i++) this.#dispatch(this.#spawnHasher('any'), 3)
  }

  #spawnHasher(thread: number | 'any'): Pid {
    const { rounds, crashRate } = this.req
    const pid = this.spawnLink(Hasher, { coordinator: this.self, rounds, crashRate }, { thread })
    this.inFlight.set(pid.key, new Map())
    return pid
  }

  /** Send `batches` new batches to `worker`. */
  #dispatch(worker: Pid, batches: number): void {
    for (let b = 0; b < batches && this.next < this.req.items; b++) {
      const count = Math.min(this.req.batch, this.req.items - this.next)
      this.#give(worker, { id: this.nextId++, first: this.next, count, retry: false })
      this.next += count
    }
  }

  #give(worker: Pid, batch: Batch): void {
    this.inFlight.get(worker.key)?.set(batch.id, batch)
    this.send(worker, batch)
  }

  #collect(worker: Pid, id: number, sum: number): void {
    const batch = this.inFlight.get(worker.key)?.get(id)
    if (batch === undefined) return
    this.inFlight.get(worker.key)?.delete(id)
    this.checksum = (this.checksum + sum) >>> 0
    this.done += batch.count
    this.onProgress?.(this.done, this.restarts)
    if (this.done === this.req.items) {
      if (this.from !== null) this.reply(this.from, { checksum: this.checksum, restarts: this.restarts, done: this.done })
      this.from = null
      return
    }
    this.#dispatch(worker, 1)
  }

  /** A hasher crashed: start a new one on the same thread and give it the crashed one's batches. */
  #restart(dead: Pid, reason: unknown): void {
    if (!(reason instanceof Error) || this.from === null) return
    this.restarts++
    const lost = [...(this.inFlight.get(dead.key)?.values() ?? [])]
    this.inFlight.delete(dead.key)
    const fresh = this.#spawnHasher(dead.thread)
    for (const batch of lost) this.#give(fresh, { ...batch, retry: true })
    if (lost.length === 0) this.#dispatch(fresh, 3)
  }
}
