/**
 * ConsumerSupervisor: one child process per event, at most maxDemand of them at a time. Ten
 * jobs from a producer, each run by its own short-lived Server, never more than three at once.
 * Run: node --import tsx docs/examples/consumer-supervisor.ts
 */
import assert from 'node:assert/strict'
import { isMainThread } from 'node:worker_threads'
import {
  Actor, ConsumerSupervisor, Node, Server, Stage, Supervisor, stop,
  type CallMessage, type ConsumerSupervisorSpec, type From, type Pid, type StageSpec,
} from '../../src/index.ts'

interface Job {
  readonly n: number
  readonly ms: number
}

/** A producer of `count` jobs, made as they are asked for. */
export class JobSource extends Stage<{ count: number }, Job> {
  next = 0
  count = 0

  init(args: { count: number }): StageSpec<Job> {
    this.count = args.count
    return { type: 'producer' }
  }

  override handleDemand(demand: number): Job[] {
    const n = Math.min(demand, this.count - this.next)
    return Array.from({ length: n }, () => ({ n: this.next++, ms: 5 + (this.next % 3) * 5 }))
  }
}

/** One job: started with { tracker, event }, reports, works `ms`, reports its result, ends normal. */
export class JobRunner extends Server<{ tracker: string; event: Job }> {
  args!: { tracker: string; event: Job }

  override init(args: { tracker: string; event: Job }) {
    this.args = args
    this.send(args.tracker, { started: args.event.n })
    this.sendAfter(this.self, 'work done', args.event.ms)
  }

  override handleInfo() {
    this.send(this.args.tracker, { done: this.args.event.n, result: this.args.event.n * 10 })
    return stop('normal')                               // a clean end: not restarted
  }
}

/** Takes events from `from`, three at most at a time; children are transient (restarted only after a crash). */
export class Jobs extends ConsumerSupervisor<{ from: Pid }> {
  init(args: { from: Pid }): ConsumerSupervisorSpec {
    return {
      child: { id: 'job', start: [JobRunner, { tracker: 'tracker' }], restart: 'transient' },
      subscribeTo: [{ to: args.from, maxDemand: 3, minDemand: 1 }],
    }
  }
}

type TrackerMessage = { started: number } | { done: number; result: number } | CallMessage<number>

/** Counts jobs running at once; the call `n` is answered once n jobs are done. */
export class Tracker extends Actor<void, TrackerMessage> {
  running = 0
  mostAtOnce = 0
  results: number[] = []
  waiting: { from: From; n: number }[] = []

  receive(m: TrackerMessage): void {
    if ('started' in m) {
      this.running++
      this.mostAtOnce = Math.max(this.mostAtOnce, this.running)
    } else if ('done' in m) {
      this.running--
      this.results.push(m.result)
    } else {
      this.waiting.push({ from: m.from, n: m.request })
    }
    this.waiting = this.waiting.filter((w) => {
      if (this.results.length < w.n) return true
      this.reply(w.from, { mostAtOnce: this.mostAtOnce, results: [...this.results].sort((x, y) => x - y) })
      return false
    })
  }
}

async function main(): Promise<void> {
  const node = await Node.start({ threads: 1, modules: [new URL(import.meta.url)] })
  try {
    await node.spawn(Tracker, undefined, { name: 'tracker' })
    const source = await node.spawn(JobSource, { count: 10 })
    // The supervisor and its children on thread 1: each job's 'started' and 'done' reach the
    // tracker in the order they happened there.
    const jobs = await node.spawn(Jobs, { from: source }, { thread: 1 })

    const report = await node.call<{ mostAtOnce: number; results: number[] }>('tracker', 10)
    assert.deepEqual(report.results, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90])
    assert.ok(report.mostAtOnce <= 3)
    console.log(`10 jobs done, never more than 3 at once: ${report.results.join(' ')}`)

    // The Supervisor client functions work on it; every job has ended, so no child is left.
    assert.equal((await Supervisor.countChildren(node, jobs)).active, 0)
    console.log('children left: 0')
  } finally {
    await node.stop()
  }
}

// Every thread imports this file (it is in `modules`); only the main thread runs the program.
if (isMainThread) main().catch((error: unknown) => { console.error(error); process.exit(1) })
