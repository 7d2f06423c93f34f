/**
 * `npm start` (or `skein demo`): a word count over a generated corpus on every core, with
 * injected crashes, that proves nothing was lost and shows how busy each thread was.
 *
 * Tokenizers (two per worker thread, under a partition supervisor) count seeded documents into
 * their own tables, batch after batch; every few batches the coordinator Server asks one for a
 * checkpoint, and its reply, the counts since the last one split by word, goes to word counters
 * partitioned by word. About 1 % of work items (batches of documents) crash the tokenizer that
 * first takes them, halfway through: its supervisor restarts it, and the coordinator re-sends
 * that batch and the ones the tokenizer counted since its last acknowledged checkpoint (their
 * counts died with it). The result must equal a single-threaded reference computed in the same
 * run, or the demo fails loudly (exit code 1). The summary shows each thread's CPU time over
 * the wall time (its busy share) and the speed-up over the reference.
 *
 * Options: --threads N (default: all cores), --items N documents (default 200000),
 * --crash-rate R (default 0.01), --batch N documents per work item (default 200),
 * --checkpoint N work items a tokenizer counts between checkpoints (default 5), --seed N.
 */
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { Node, Server, type NodeStats, type Pid } from '../src/index.ts'
import { Coordinator, DemoSupervisor, schedTimes, type DemoConfig, type Progress, type RunResult, type SchedTimes, type ThreadCpu, type TokenizerCall } from './demo-actors.ts'
import { reference } from './word-count.ts'

const USAGE = `usage: skein demo [--threads N] [--items N] [--crash-rate R] [--batch N] [--checkpoint N] [--seed N]`

interface DemoOptions {
  threads: number
  items: number
  crashRate: number
  batch: number
  checkpoint: number
  seed: number
}

function options(argv: string[]): DemoOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      threads: { type: 'string', default: String(availableParallelism()) },
      items: { type: 'string', default: '200000' },
      'crash-rate': { type: 'string', default: '0.01' },
      batch: { type: 'string', default: '200' },
      checkpoint: { type: 'string', default: '5' },
      seed: { type: 'string', default: '2026' },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    console.log(USAGE)
    process.exit(0)
  }
  const o = {
    threads: Number(values.threads), items: Number(values.items), crashRate: Number(values['crash-rate']),
    batch: Number(values.batch), checkpoint: Number(values.checkpoint), seed: Number(values.seed),
  }
  const bad = (what: string): never => {
    console.error(`skein demo: ${what}\n${USAGE}`)
    process.exit(2)
  }
  if (!Number.isInteger(o.threads) || o.threads < 0) bad('--threads must be an integer >= 0')
  if (!Number.isInteger(o.items) || o.items < 1) bad('--items must be an integer >= 1')
  if (!(o.crashRate >= 0 && o.crashRate < 1)) bad('--crash-rate must be at least 0 and below 1')
  if (!Number.isInteger(o.batch) || o.batch < 1) bad('--batch must be an integer >= 1')
  if (!Number.isInteger(o.checkpoint) || o.checkpoint < 1) bad('--checkpoint must be an integer >= 1')
  if (!Number.isInteger(o.seed)) bad('--seed must be an integer')
  return o
}

const rate = (n: number, ms: number): string => {
  const r = n / (ms / 1000)
  return r >= 1e6 ? `${(r / 1e6).toFixed(2)} M/s` : r >= 1e3 ? `${(r / 1e3).toFixed(1)} k/s` : `${r.toFixed(0)}/s`
}

/** "t1 51% t2 49%": each worker thread's share of the documents tokenized so far. */
function load(p: Progress): string {
  const total = p.perThread.reduce((a, b) => a + (b ?? 0), 0) || 1
  return p.perThread.map((n, t) => (n === undefined ? '' : `t${t} ${Math.round((100 * n) / total)}%`)).filter(Boolean).join(' ')
}

function progressLine(p: Progress, items: number, ms: number): string {
  return `  ${p.done}/${items} documents  ${rate(p.done, ms)}  ${p.restarts} restarts  ${p.resent} re-sent  load: ${load(p)}`
}

/** Print the coordinator's progress every 200 ms: one rewritten line on a terminal, a line a second otherwise. */
function showProgress(node: Node, coordinator: Pid, items: number, started: number): () => void {
  const tty = process.stdout.isTTY === true
  let last = started
  const ticker = setInterval(() => {
    void (node.call(coordinator, 'progress') as Promise<Progress>).then((p) => {
      const now = performance.now()
      if (tty) {
        process.stdout.write(`\r${progressLine(p, items, now - started)}   `)
      } else if (now - last >= 1000) {
        console.log(progressLine(p, items, now - started))
        last = now
      }
    }, () => {})
  }, 200)
  return () => {
    clearInterval(ticker)
    if (tty) process.stdout.write('\r\x1b[K') // the final line replaces the live one
  }
}

/** Scheduler times per thread (index = thread; the main thread is 0), each read on its own thread; null where unknown. */
async function timesByThread(node: Node, tokenizers: number): Promise<(SchedTimes | null)[]> {
  // Tokenizer k runs on thread 1 + k mod N, so asking each one reaches every worker thread.
  const read = await Promise.all(Array.from({ length: tokenizers }, (_, k) =>
    node.call(`tokenizer:${k}`, { type: 'cpu' } satisfies TokenizerCall) as Promise<ThreadCpu>))
  const times: (SchedTimes | null)[] = [schedTimes()]
  for (const r of read) times[r.thread] = r.times
  return times
}

interface Measured {
  result: RunResult
  ms: number
  stats: NodeStats
  /** Scheduler times per thread over the run, in ns (index = thread); null where the system does not say. */
  times: (SchedTimes | null)[]
  /** CPU time of the whole process (every thread) over the run, in ms. */
  processCpuMs: number
}

/** The job on a Skein node: the supervision tree, the coordinator, the run, the node's counters. */
async function runParallel(o: DemoOptions, config: DemoConfig): Promise<Measured> {
  // The actors' module, as .ts under tsx or as the compiled .js beside this file.
  const actors = new URL(import.meta.url.endsWith('.ts') ? './demo-actors.ts' : './demo-actors.js', import.meta.url)
  const node = await Node.start({ threads: o.threads, modules: [actors], env: { 'skein.reports': false } })
  try {
    // Both on the main thread (a spawn from the node would go to a worker): the workers keep
    // their cores for the tokenizers and counters.
    const sup = await node.spawn(DemoSupervisor, config, { thread: 0 })
    const coordinator = await node.spawn(Coordinator, config, { thread: 0 })
    const times0 = await timesByThread(node, config.tokenizers)
    const process0 = process.cpuUsage()
    const started = performance.now()
    const stopProgress = showProgress(node, coordinator, o.items, started)
    let result: RunResult
    try {
      result = await node.call(coordinator, { type: 'run', items: o.items, batch: o.batch, checkpoint: o.checkpoint }, { timeout: Infinity }) as RunResult
    } finally {
      stopProgress()
    }
    const ms = performance.now() - started
    const processCpu = process.cpuUsage(process0)
    const times1 = await timesByThread(node, config.tokenizers)
    console.log(progressLine(result, o.items, ms))
    await Server.stop(node, sup)
    const times = times1.map((b, t) => {
      const a = times0[t]
      return a == null || b == null ? null : { run: b.run - a.run, wait: b.wait - a.wait }
    })
    return { result, ms, stats: await node.stats(), times, processCpuMs: (processCpu.user + processCpu.system) / 1000 }
  } finally {
    await node.stop()
  }
}

/** "main 3%  t1 97%  t2 96%": each thread's share of the wall time spent running (or waiting for a core). */
function shares(m: Measured, of: keyof SchedTimes): string {
  return m.times.map((t, i) => `${i === 0 ? 'main' : `t${i}`} ${Math.round((t?.[of] ?? 0) / 1e4 / m.ms)}%`).join('  ')
}

/** The busy-share rows, or why there are none: /proc/thread-self/schedstat is Linux's. */
function cpuRows(m: Measured): [string, string][] {
  const all = `all threads of the process: ${(m.processCpuMs / m.ms).toFixed(2)} cores`
  if (m.times.some((t) => t === null)) return [['busy share (CPU / wall)', `per thread n/a here (no /proc/thread-self/schedstat); ${all}`]]
  return [
    ['busy share (CPU / wall)', `${shares(m, 'run')}  (${all})`],
    ['waiting for a core', `${shares(m, 'wait')}  (ready to run while others had the CPUs)`],
  ]
}

function summary(o: DemoOptions, m: Measured, singleMs: number): [string, string][] {
  const { result, ms, stats } = m
  return [
    ['threads', `${o.threads} workers + main`],
    ['documents', `${o.items} (${result.words} words, ${result.totals.distinct} distinct) in ${Math.ceil(o.items / o.batch)} work items`],
    ['wall time', `${Math.round(ms)} ms`],
    ['throughput', `${rate(o.items, ms)} documents, ${rate(result.words, ms)} words`],
    ...cpuRows(m),
    ['checkpoints acknowledged', `${result.checkpoints} (every ${o.checkpoint} work items per tokenizer)`],
    ['messages within threads', String(stats.sentLocal)],
    ['messages across threads', String(stats.sentRemote)],
    ['crashes injected (restarted)', String(result.restarts)],
    ['work items re-sent', `${result.resent} (each crashed one, and those since its tokenizer's last checkpoint)`],
    ['same job on 1 thread (no actors)', `${Math.round(singleMs)} ms`],
    ['speed-up vs 1 thread', `${(singleMs / ms).toFixed(2)}x`],
  ]
}

/** Run the demo; resolves with the process exit code (0: identical to the reference). */
export async function runDemo(argv: string[] = process.argv.slice(2)): Promise<number> {
  const o = options(argv)
  const workers = Math.max(1, o.threads)
  const config: DemoConfig = { seed: o.seed, crashRate: o.crashRate, counters: workers, tokenizers: workers * 2 }
  console.log(`Skein demo: counting the words of ${o.items} generated documents on ${o.threads} worker threads` +
    ` (+ main); ${(o.crashRate * 100).toFixed(1)} % of work items (${o.batch} documents each) crash their tokenizer once`)

  const t0 = performance.now()
  const expected = reference(o.items, o.seed)
  const singleMs = performance.now() - t0
  console.log(`  single-threaded reference: ${Math.round(singleMs)} ms`)

  const measured = await runParallel(o, config)
  const { result } = measured
  const rows = summary(o, measured, singleMs)
  const width = Math.max(...rows.map(([k]) => k.length))
  console.log('')
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`)
  console.log('')
  console.log(`  checksum  skein ${result.totals.checksum}  reference ${expected.checksum}`)
  const same = result.totals.checksum === expected.checksum && result.totals.words === expected.words &&
    result.totals.distinct === expected.distinct && result.done === o.items && result.words === expected.words
  if (!same) {
    console.error(`MISMATCH: the parallel result differs from the single-threaded reference ` +
      `(words ${result.totals.words} vs ${expected.words}, distinct ${result.totals.distinct} vs ${expected.distinct})`)
    return 1
  }
  console.log('  OK: identical to the single-threaded reference; no work was lost to the crashes')
  return 0
}

if (import.meta.url === (await import('node:url')).pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await runDemo()
}
