/**
 * The demo's processes (every thread loads this module): a word count over a generated corpus,
 * counted where it is read and handed on only at acknowledged checkpoints.
 *
 *   DemoSupervisor (main thread, rest_for_one)
 *     ├─ PartitionSupervisor 'counter'   counter:k on thread 1 + k mod N   owns the words hash(word) % P = k
 *     └─ PartitionSupervisor 'tokenizer' tokenizer:k on thread 1 + k mod N
 *   Coordinator (main thread, a Server), one lane per tokenizer, one call in flight per lane
 *     ── call {batch} ─────▶ tokenizer:k   counts into its own table; replies {words, by}
 *     ── call {checkpoint} ▶ tokenizer:k   replies its counts since the last checkpoint, split by
 *        ◀─ {parts, by} ──┘                counter partition, and forgets them
 *     ── cast part ────────▶ counter:j     adds the part to its totals
 *     tokenizer:k throws on an injected fault: the call fails at once (ERR_CALL_EXIT), the
 *     partition supervisor restarts tokenizer:k, and the coordinator queues again every batch
 *     of that tokenizer's window (those since its last checkpoint) and the one that crashed
 *
 * Exactly once: a batch's counts exist in one place at a time. Until its checkpoint is
 * acknowledged (the reply reached the coordinator) they live only in the tokenizer's table, and
 * a crash loses the table together with the window the coordinator re-sends; after the reply they
 * live only in the casts to the counters, which never crash. Calls have no timeout: a late but
 * living tokenizer still holds its counts, so re-sending its window would count them twice.
 * The totals are asked for after the last casts, and one sender's messages arrive in order.
 */
import { readFileSync } from 'node:fs'
import { PartitionSupervisor, Server, Supervisor, hasCode, noreply, type From, type Pid, type SupervisorSpec } from '../src/index.ts'
import { PartitionedCount, crashes, generateDocument, totalsOf, type Totals } from './word-count.ts'

export interface DemoConfig {
  readonly seed: number
  readonly crashRate: number
  /** Counter partitions and tokenizer partitions. */
  readonly counters: number
  readonly tokenizers: number
}

/** One counter partition's share of a checkpoint: the words joined by spaces (one string crosses threads far cheaper than thousands), and their counts. */
export interface Part {
  readonly words: string
  readonly counts: Uint32Array
}

/** Counts the words it owns: the sum of the checkpoint parts it was sent. */
export class WordCounter extends Server<{ partition: number }, 'totals', Part, Totals> {
  readonly counts = new Map<string, number>()

  override handleCall(): Totals {
    return totalsOf(this.counts)
  }

  override handleCast(part: Part): void {
    const words = part.words.split(' ')
    for (let i = 0; i < words.length; i++) {
      const word = words[i]!
      this.counts.set(word, (this.counts.get(word) ?? 0) + part.counts[i]!)
    }
  }
}

export interface Batch {
  readonly id: number
  readonly first: number
  readonly count: number
  /** Re-sent after it crashed its tokenizer: the injected fault does not fire again. */
  readonly retry: boolean
}

export type TokenizerCall =
  | { readonly type: 'batch'; readonly batch: Batch }
  | { readonly type: 'checkpoint' }
  | { readonly type: 'cpu' }

export interface BatchDone {
  readonly words: number
  /** The tokenizer that holds the counts: a reply from another incarnation means the window was lost. */
  readonly by: Pid
}

export interface CheckpointTaken {
  /** Indexed by counter partition; null where the window had none of its words. */
  readonly parts: (Part | null)[]
  readonly by: Pid
}

/** A thread's scheduler times so far, in ns. */
export interface SchedTimes {
  /** On a CPU. */
  readonly run: number
  /** Ready to run, waiting for a CPU (another thread or process had it). */
  readonly wait: number
}

export interface ThreadCpu {
  readonly thread: number
  /** Null where the system does not say. */
  readonly times: SchedTimes | null
}

/** This thread's scheduler times, from Linux's /proc/thread-self/schedstat (so read on the thread itself); null elsewhere. */
export function schedTimes(): SchedTimes | null {
  try {
    const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number)
    return Number.isFinite(run) && Number.isFinite(wait) ? { run: run!, wait: wait! } : null
  } catch {
    return null
  }
}

/** The fault the demo injects: an Error whose `reason` names the work item it struck (it crosses threads as data). */
function injectedCrash(batch: number, document: number): Error {
  return Object.assign(new Error(`injected crash in work item ${batch} at document ${document}`), { reason: { injectedIn: batch } })
}

/** Tokenizes batches of documents into its own table; hands the counts on, split by counter partition, at each checkpoint. */
export class Tokenizer extends Server<DemoConfig & { partition: number }, TokenizerCall, never, BatchDone | CheckpointTaken | ThreadCpu> {
  config!: DemoConfig
  tally!: PartitionedCount

  override init(config: DemoConfig): void {
    this.config = config
    const owner = new Map(Array.from({ length: config.counters }, (_, k) => [`counter:${k}`, k]))
    this.tally = new PartitionedCount(config.counters, (word) => owner.get(PartitionSupervisor.partition('counter', word, config.counters))!)
  }

  override handleCall(req: TokenizerCall): BatchDone | CheckpointTaken | ThreadCpu {
    switch (req.type) {
      case 'batch': return this.#count(req.batch)
      case 'checkpoint': {
        const parts = Array.from({ length: this.config.counters }, (_, k) => this.tally.take(k))
        return { parts, by: this.self }
      }
      case 'cpu': return { thread: this.self.thread, times: schedTimes() }
    }
  }

  #count(batch: Batch): BatchDone {
    const { seed, crashRate } = this.config
    // The injected fault strikes halfway through the batch: the work done so far is lost with the process.
    const crashAt = !batch.retry && crashes(batch.first, seed, crashRate) ? batch.first + (batch.count >> 1) : -1
    let words = 0
    for (let id = batch.first; id < batch.first + batch.count; id++) {
      if (id === crashAt) throw injectedCrash(batch.id, id)
      words += this.tally.add(generateDocument(id, seed))
    }
    return { words, by: this.self }
  }
}

/** The supervision tree: counters first, so a restart of the counters restarts the tokenizers (rest_for_one). */
export class DemoSupervisor extends Supervisor<DemoConfig> {
  init(config: DemoConfig): SupervisorSpec {
    // Injected faults come fast (about one per hundred work items); the intensity is sized for them.
    const intensity = 100_000
    return {
      strategy: 'rest_for_one',
      intensity: 10,
      period: 5,
      children: [
        { id: 'counters', type: 'supervisor', start: [PartitionSupervisor, { name: 'counter', partitions: config.counters, intensity, period: 10, child: { id: 'counter', start: [WordCounter] } }] },
        { id: 'tokenizers', type: 'supervisor', start: [PartitionSupervisor, { name: 'tokenizer', partitions: config.tokenizers, intensity, period: 10, child: { id: 'tokenizer', start: [Tokenizer, config] } }] },
      ],
    }
  }
}

export interface RunRequest {
  readonly type: 'run'
  readonly items: number
  readonly batch: number
  /** Batches a tokenizer counts between two checkpoints. */
  readonly checkpoint: number
}

export interface Progress {
  /** Documents in acknowledged checkpoints: counted, exactly once. */
  readonly done: number
  readonly words: number
  readonly restarts: number
  /** Batches counted again because their counts were lost: each crashed one, and those of its tokenizer's window. */
  readonly resent: number
  readonly checkpoints: number
  /** Documents tokenized per thread (index = thread), re-sent ones included. */
  readonly perThread: number[]
}

export interface RunResult extends Progress {
  readonly totals: Totals
}

/** What the coordinator knows of one tokenizer: the batches it counted since its last acknowledged checkpoint. */
interface Lane {
  readonly name: string
  readonly window: Batch[]
  words: number
  /** The incarnation that counted the window. */
  holder: Pid | null
}

/** Hands batches to the tokenizers, takes their checkpoints, re-sends what a crash lost, and answers `run` with the totals. */
export class Coordinator extends Server<DemoConfig, RunRequest | 'progress', never, RunResult | Progress> {
  config!: DemoConfig
  /** Batches to send again, before new ones. */
  readonly queue: Batch[] = []
  nextId = 0
  next = 0
  items = 0
  done = 0
  words = 0
  restarts = 0
  resent = 0
  checkpoints = 0
  readonly perThread: number[] = []
  /** Lanes with counts not yet acknowledged or a call in flight: while any has, a crash may still queue work. */
  holding = 0
  /** Lanes with nothing to do, waiting for re-sent work or the end. */
  waiters: (() => void)[] = []

  override init(config: DemoConfig): void {
    this.config = config
  }

  override handleCall(req: RunRequest | 'progress', from: From): Progress | ReturnType<typeof noreply> {
    if (req === 'progress') return this.#progress()
    this.items = req.items
    const lanes = Array.from({ length: this.config.tokenizers }, (_, t) =>
      this.#run({ name: `tokenizer:${t}`, window: [], words: 0, holder: null }, req.batch, req.checkpoint))
    Promise.all(lanes).then(() => this.#totals()).then(
      (totals) => this.reply(from, { ...this.#progress(), totals }),
      (e: unknown) => this.replyError(from, e))
    return noreply()
  }

  #progress(): Progress {
    const { done, words, restarts, resent, checkpoints } = this
    return { done, words, restarts, resent, checkpoints, perThread: [...this.perThread] }
  }

  /** Feed one tokenizer until every document is counted: batches until its window is full, then a checkpoint. */
  async #run(lane: Lane, size: number, every: number): Promise<void> {
    for (;;) {
      const batch = lane.window.length < every ? this.#take(size) : undefined
      if (batch === undefined && lane.window.length === 0) {
        if (await this.#idle()) continue
        return
      }
      if (lane.window.length === 0) this.holding++
      try {
        if (batch !== undefined) {
          const r = await this.call(lane.name, { type: 'batch', batch } satisfies TokenizerCall, { timeout: Infinity }) as BatchDone
          this.#heldBy(lane, r.by)
          lane.window.push(batch)
          lane.words += r.words
          this.perThread[r.by.thread] = (this.perThread[r.by.thread] ?? 0) + batch.count
          continue
        }
        const taken = await this.call(lane.name, { type: 'checkpoint' } satisfies TokenizerCall, { timeout: Infinity }) as CheckpointTaken
        this.#heldBy(lane, taken.by)
        this.#commit(lane, taken)
      } catch (error) {
        // Only a tokenizer that is gone may lose counts; anything else is a bug to report, not to retry.
        if (!hasCode(error, 'ERR_CALL_EXIT') && !hasCode(error, 'ERR_NOPROC')) throw error
        this.#lost(lane, batch, error)
        // No process under the name (it is being restarted): give its supervisor a moment.
        if (!hasCode(error, 'ERR_CALL_EXIT')) await this.delay(1)
      }
      lane.window.length = 0
      lane.words = 0
      lane.holder = null
      this.holding--
      this.#wake()
    }
  }

  /** Note who answered: if another incarnation than the window's holder, the window died with its holder. */
  #heldBy(lane: Lane, by: Pid): void {
    if (lane.holder !== null && !lane.holder.equals(by)) this.#lost(lane, undefined, null)
    lane.holder = by
  }

  /** The checkpoint is acknowledged: its counts leave the tokenizer for the counters, and its documents are done. */
  #commit(lane: Lane, taken: CheckpointTaken): void {
    taken.parts.forEach((part, k) => {
      if (part !== null) this.cast(`counter:${k}`, part)
    })
    this.done += lane.window.reduce((n, b) => n + b.count, 0)
    this.words += lane.words
    this.checkpoints++
  }

  /** The lane's tokenizer died: its window's counts are gone. Queue those batches again, and `failed` (the call that found out). */
  #lost(lane: Lane, failed: Batch | undefined, error: unknown): void {
    this.queue.push(...lane.window)
    this.resent += lane.window.length
    lane.window.length = 0
    lane.words = 0
    if (failed === undefined) return
    // The call failed with the tokenizer's exit reason: the injected crash names its work item.
    // Any other failure (no process under the name while it restarts) never reached a tokenizer.
    const exit = (error as { reason?: { reason?: { injectedIn?: unknown } } } | null)?.reason
    if (exit?.reason?.injectedIn !== failed.id) this.queue.push(failed)
    else {
      this.restarts++
      this.resent++
      this.queue.push({ ...failed, retry: true })
    }
  }

  /** Nothing to take: wait while another lane may still lose work (true: look again); false once none can. */
  async #idle(): Promise<boolean> {
    if (this.holding === 0) {
      this.#wake()
      return false
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve))
    return true
  }

  #wake(): void {
    for (const resolve of this.waiters.splice(0)) resolve()
  }

  #take(size: number): Batch | undefined {
    const again = this.queue.shift()
    if (again !== undefined) return again
    if (this.next >= this.items) return undefined
    const count = Math.min(size, this.items - this.next)
    const batch = { id: this.nextId++, first: this.next, count, retry: false }
    this.next += count
    return batch
  }

  /** Fold every counter partition's totals into the node's (the checksum is a sum, so order does not matter). */
  async #totals(): Promise<Totals> {
    const parts = await Promise.all(Array.from({ length: this.config.counters }, (_, k) =>
      this.call(`counter:${k}`, 'totals') as Promise<Totals>))
    return parts.reduce((a, b) => ({ checksum: (a.checksum + b.checksum) >>> 0, distinct: a.distinct + b.distinct, words: a.words + b.words }))
  }
}
