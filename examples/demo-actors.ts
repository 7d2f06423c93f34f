/**
 * The demo's processes (every thread loads this module): a word count over a generated corpus.
 *
 *   DemoSupervisor (main thread, rest_for_one)
 *     ├─ PartitionSupervisor 'counter'   counter:k on thread 1 + k mod N   owns the words hash(word) % P = k
 *     └─ PartitionSupervisor 'tokenizer' tokenizer:k on thread 1 + k mod N
 *   Coordinator (main thread, a Server)
 *     ── call {batch} ─▶ tokenizer:k ── cast {add words} ─▶ counter:j (each partition the batch touched)
 *        ◀─ reply {words, parts} ─┘                          └─ ack {batch} ─▶ Coordinator
 *     tokenizer:k throws on an injected fault: the call fails at once (ERR_CALL_EXIT), the
 *     partition supervisor restarts tokenizer:k, the coordinator re-sends the batch
 *
 * Exactly once: a tokenizer casts to the counters only after its whole batch is counted (a
 * crash sends nothing), and a counter ignores a batch id it has applied already. A batch is done
 * when its tokenizer replied and every counter it touched acked; the totals are asked for after
 * that, so no count can still be on its way.
 */
import { PartitionSupervisor, Server, Supervisor, hasCode, noreply, type From, type Pid, type SupervisorSpec } from '../src/index.ts'
import { PartitionedCount, crashes, generateDocument, totalsOf, type Totals } from './word-count.ts'

export interface DemoConfig {
  readonly seed: number
  readonly crashRate: number
  /** Counter partitions and tokenizer partitions. */
  readonly counters: number
  readonly tokenizers: number
}

/** One batch's counts for one counter: the words joined by spaces (one string crosses threads far cheaper than thousands). */
interface AddWords {
  readonly batch: number
  readonly words: string
  readonly counts: Uint32Array
  readonly ack: Pid
}

/** Counts the words it owns. Applies each batch once: a batch re-sent after a crash may come twice. */
export class WordCounter extends Server<{ partition: number }, 'totals', AddWords, Totals> {
  readonly counts = new Map<string, number>()
  readonly applied = new Set<number>()

  override handleCall(): Totals {
    return totalsOf(this.counts)
  }

  override handleCast(add: AddWords): void {
    if (!this.applied.has(add.batch)) {
      this.applied.add(add.batch)
      const words = add.words.split(' ')
      for (let i = 0; i < words.length; i++) {
        const word = words[i]!
        this.counts.set(word, (this.counts.get(word) ?? 0) + add.counts[i]!)
      }
    }
    this.send(add.ack, { type: 'ack', batch: add.batch } satisfies Ack)
  }
}

interface Ack {
  readonly type: 'ack'
  readonly batch: number
}

export interface Batch {
  readonly id: number
  readonly first: number
  readonly count: number
  /** Re-sent after a crash: the injected fault does not fire again. */
  readonly retry: boolean
}

export interface BatchDone {
  readonly words: number
  readonly thread: number
  /** Counter partitions the batch's words went to: each acks once. */
  readonly parts: number
}

/** The fault the demo injects: an Error whose `reason` names the work item it struck (it crosses threads as data). */
function injectedCrash(batch: number, document: number): Error {
  return Object.assign(new Error(`injected crash in work item ${batch} at document ${document}`), { reason: { injectedIn: batch } })
}

/** Tokenizes a batch of documents and hands each word's count to the counter partition that owns it. */
export class Tokenizer extends Server<DemoConfig & { partition: number }, Batch & { ack: Pid }, never, BatchDone> {
  config!: DemoConfig
  /** The counter partitions' names, and the batch's counts split by partition. */
  owners: string[] = []
  tally!: PartitionedCount

  override init(config: DemoConfig): void {
    this.config = config
    this.owners = Array.from({ length: config.counters }, (_, k) => `counter:${k}`)
    const owner = new Map(this.owners.map((name, k) => [name, k]))
    this.tally = new PartitionedCount(config.counters, (word) => owner.get(PartitionSupervisor.partition('counter', word, config.counters))!)
  }

  override handleCall(batch: Batch & { ack: Pid }): BatchDone {
    const { seed, crashRate } = this.config
    // The injected fault strikes halfway through the batch: the work done so far is lost with the process.
    const crashAt = !batch.retry && crashes(batch.first, seed, crashRate) ? batch.first + (batch.count >> 1) : -1
    let words = 0
    for (let id = batch.first; id < batch.first + batch.count; id++) {
      if (id === crashAt) throw injectedCrash(batch.id, id)
      words += this.tally.add(generateDocument(id, seed))
    }
    let parts = 0
    for (let k = 0; k < this.owners.length; k++) {
      const part = this.tally.take(k)
      if (part === null) continue
      this.cast(this.owners[k]!, { batch: batch.id, ...part, ack: batch.ack } satisfies AddWords)
      parts++
    }
    return { words, thread: this.self.thread, parts }
  }
}

/** The supervision tree: counters first, so a restart of the counters restarts the tokenizers (rest_for_one). */
export class DemoSupervisor extends Supervisor<DemoConfig> {
  init(config: DemoConfig): SupervisorSpec {
    // Injected faults come fast (about one per hundred documents); the intensity is sized for them.
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
  /** Batches each tokenizer has in hand at once. */
  readonly depth: number
}

export interface Progress {
  readonly done: number
  readonly words: number
  readonly restarts: number
  /** Documents tokenized per thread (index = thread). */
  readonly perThread: number[]
}

export interface RunResult extends Progress {
  readonly totals: Totals
}

/** Hands batches to the tokenizers, re-sends what a crash lost, and answers `run` with the totals. */
export class Coordinator extends Server<DemoConfig, RunRequest | 'progress', never, RunResult | Progress> {
  config!: DemoConfig
  readonly queue: Batch[] = []
  nextId = 0
  next = 0
  items = 0
  done = 0
  words = 0
  restarts = 0
  readonly perThread: number[] = []
  /** Lanes still handing out batches. */
  lanes = 0
  /** Acks the counters still owe (a reply can arrive after its acks: this may dip below 0). */
  acksOwed = 0
  client: From | null = null

  override init(config: DemoConfig): void {
    this.config = config
  }

  override handleCall(req: RunRequest | 'progress', from: From): Progress | ReturnType<typeof noreply> {
    if (req === 'progress') return this.#progress()
    this.items = req.items
    this.client = from
    for (let t = 0; t < this.config.tokenizers; t++) {
      for (let d = 0; d < req.depth; d++, this.lanes++) {
        void this.#lane(`tokenizer:${t}`, req.batch).then(() => {
          this.lanes--
          this.#finishWhenSettled()
        })
      }
    }
    return noreply()
  }

  override handleInfo(message: unknown): void {
    if ((message as Partial<Ack>).type !== 'ack') return
    this.acksOwed--
    this.#finishWhenSettled()
  }

  /** Every batch answered and every count acked: gather the totals and answer `run`. */
  #finishWhenSettled(): void {
    const client = this.client
    if (this.lanes > 0 || this.acksOwed !== 0 || client === null) return
    this.client = null
    this.#totals().then((totals) => this.reply(client, { ...this.#progress(), totals }), (e: unknown) => this.replyError(client, e))
  }

  #progress(): Progress {
    return { done: this.done, words: this.words, restarts: this.restarts, perThread: [...this.perThread] }
  }

  /** Keep one batch at a time in flight to `tokenizer` until every document is counted. */
  async #lane(tokenizer: string, size: number): Promise<void> {
    for (let batch = this.#take(size); batch !== undefined; batch = this.#take(size)) {
      try {
        const r = await this.call(tokenizer, { ...batch, ack: this.self }, { timeout: 60_000 }) as BatchDone
        this.acksOwed += r.parts
        this.done += batch.count
        this.words += r.words
        this.perThread[r.thread] = (this.perThread[r.thread] ?? 0) + batch.count
      } catch (error) {
        this.queue.push(this.#afterFailure(batch, error))
        // The tokenizer is being restarted under its name: give its supervisor a moment.
        if (!hasCode(error, 'ERR_CALL_EXIT')) await this.delay(1)
      }
    }
  }

  /** What to re-send: a batch that crashed its tokenizer is retried without the fault; one queued behind it as it was. */
  #afterFailure(batch: Batch, error: unknown): Batch {
    // The call failed with the tokenizer's exit reason: the injected crash names its work item.
    const exit = (error as { reason?: { reason?: { injectedIn?: unknown } } }).reason
    if (exit?.reason?.injectedIn !== batch.id) return batch
    this.restarts++
    return { ...batch, retry: true }
  }

  #take(size: number): Batch | undefined {
    const retry = this.queue.shift()
    if (retry !== undefined) return retry
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
