/**
 * Processes for the OTP-shaped bench rows (Server call, cast, spawn/DOWN, idle memory,
 * Supervisor restarts). This module is in the node's `modules`, so every thread has them.
 * bench/erlang/skein_bench.erl runs the same shapes on Erlang/OTP.
 *
 *   driver (Actor)   is called by the bench       does, all on its own thread
 *   Caller           { server, n, maxMs }         n sequential this.call(server, 'ping'), time-capped
 *   Caster           { server, n }                n casts (in slices), then a call for the count
 *   SpawnLoop        n                            spawn a Quitter, monitor it, wait for DOWN; n times
 *   Holder           n                            spawn n Idle servers and keep their pids
 *   RestartDriver    { rounds, maxMs }            per round a fresh RestartSup; kill its child 100
 *                                                 times, each time waiting for the new child's 'up'
 *   PoolDriver       { pool, total, window }      total calls to a Pool, window of them in flight
 *
 * Servers: Echo (answers 'ping', counts casts), Idle, RestartChild, and Cruncher (answers a
 * seed with crunch(seed), the thread-scaling row's CPU-bound job).
 *
 * The supervisor shape needs `Supervisor` from src/index.ts. It is looked up at run time, so
 * this module loads (and the rest of the bench runs) in a tree that lacks it: RestartSup is
 * then undefined and the bench prints a note instead of the Skein figure.
 */
import * as skein from '../src/index.ts'
import { Actor, Server, type CallMessage, type DownMessage, type Pid, type Ref } from '../src/index.ts'
import { crunch } from './crunch.ts'

/** Restarts per supervisor: exactly its intensity, so the limit is reached but never passed. */
export const RESTARTS_PER_ROUND = 100

/** Echo and counter: answers 'ping' with 'pong', counts 'inc' casts, answers 'count'. */
export class Echo extends Server<void, 'ping' | 'count', 'inc', string | number> {
  count = 0

  override handleCall(request: 'ping' | 'count'): string | number {
    if (request === 'ping') return 'pong'
    const count = this.count
    this.count = 0
    return count
  }

  override handleCast(): void {
    this.count++
  }
}

/** What Caller is asked: up to `n` calls to `server`, stopping early after `maxMs`. */
export interface CallJob {
  server: Pid
  n: number
  maxMs: number
}

/**
 * Makes sequential calls to `server`, each awaited before the next is sent, and answers with
 * how many it made and the ms they took. It stops after `maxMs` even if `n` are not done, so a
 * slow call path cannot stretch the bench out of all proportion.
 */
export class Caller extends Actor<void, CallMessage<CallJob>> {
  async receive(m: CallMessage<CallJob>): Promise<void> {
    const { server, n, maxMs } = m.request
    const t0 = performance.now()
    let done = 0
    while (done < n) {
      await this.call(server, 'ping')
      // Checking the clock every 64 calls keeps it out of the measured path.
      if ((++done & 63) === 0 && performance.now() - t0 > maxMs) break
    }
    this.reply(m.from, { done, ms: performance.now() - t0 })
  }
}

type CasterMsg = CallMessage<{ server: Pid; n: number }> | { type: 'more'; left: number }

/**
 * Casts `n` 'inc' to `server`, 8192 per message handled so the server runs in between (as an
 * Erlang sender is descheduled after its reductions), then calls 'count': the reply comes
 * after every cast was handled, and answers the bench's call.
 */
export class Caster extends Actor<void, CasterMsg> {
  server: Pid | null = null
  from: CallMessage['from'] | null = null
  total = 0

  receive(m: CasterMsg): void | Promise<void> {
    let left: number
    if (m.type === '$call') {
      this.server = m.request.server
      this.from = m.from
      this.total = left = m.request.n
    } else {
      left = m.left
    }
    const server = this.server as Pid
    const slice = Math.min(left, 8192)
    for (let i = 0; i < slice; i++) this.cast(server, 'inc')
    left -= slice
    if (left > 0) {
      this.send(this.self, { type: 'more', left })
      return
    }
    return this.call<number>(server, 'count').then((count) => {
      if (count !== this.total) throw new Error(`server counted ${count} casts of ${this.total}`)
      this.reply(this.from as CallMessage['from'], count)
    })
  }
}

/**
 * Exits on its first message, which it sends itself in init. Skein runs a local spawn's init
 * at once, inside spawn; the message makes the exit happen later, on a scheduled run, as an
 * Erlang process spawned with spawn_monitor runs (and exits) after the spawner moves on.
 */
export class Quitter extends Actor<void, 'quit'> {
  override init(): void {
    this.send(this.self, 'quit')
  }

  receive(): void {
    this.stop()
  }
}

/** Spawns a Quitter, monitors it, waits for its DOWN; `n` times, then answers. */
export class SpawnLoop extends Actor<void, CallMessage<number> | DownMessage> {
  left = 0
  from: CallMessage['from'] | null = null

  receive(m: CallMessage<number> | DownMessage): void {
    if (m.type === '$call') {
      this.from = m.from
      this.left = m.request
    } else {
      if (m.reason !== 'normal') throw new Error(`a Quitter went DOWN with ${String(m.reason)}`)
      if (--this.left === 0) {
        this.reply(this.from as CallMessage['from'], 'done')
        return
      }
    }
    this.monitor(this.spawn(Quitter))
  }
}

/** Answers a seed with crunch(seed): one CPU-bound job per call. */
export class Cruncher extends Server<void, number, never, number> {
  override handleCall(seed: number): number {
    return crunch(seed)
  }
}

/** An idle Server: no state of its own, never sent anything. */
export class Idle extends Server<void> {}

/** Spawns `n` Idle servers on its own thread and keeps their pids (as a caller would). */
export class Holder extends Actor<void, CallMessage<number>> {
  pids: Pid[] = []

  receive(m: CallMessage<number>): void {
    for (let i = 0; i < m.request; i++) this.pids.push(this.spawn(Idle))
    this.reply(m.from, this.pids.length)
  }
}

/** The supervised child: tells the collector it is up, from init. */
export class RestartChild extends Server<{ collector: Pid }> {
  override init(args: { collector: Pid }): void {
    this.send(args.collector, { type: 'up', pid: this.self })
  }
}

/** What this file needs of the Supervisor class (src/behaviours/supervisor.ts). */
type SupervisorClass = abstract new () => { init(args: { collector: Pid }): skein.SupervisorSpec }

const SupervisorBase = (skein as Record<string, unknown>)['Supervisor'] as SupervisorClass | undefined

/** one_for_one, intensity 100 in 1 s, one permanent RestartChild; undefined without Supervisor. */
export const RestartSup = SupervisorBase === undefined ? undefined : class RestartSup extends SupervisorBase {
  override init(args: { collector: Pid }): skein.SupervisorSpec {
    return {
      strategy: 'one_for_one', intensity: RESTARTS_PER_ROUND, period: 1,
      children: [{ id: 'w', start: [RestartChild, args], restart: 'permanent', shutdown: 'brutal_kill' }],
    }
  }
}

/** What RestartDriver is asked: up to `rounds` rounds, starting no new one after `maxMs`. */
export interface RestartJob {
  rounds: number
  maxMs: number
}

type RestartMsg = CallMessage<RestartJob> | { type: 'up'; pid: Pid } | DownMessage

/** What RestartDriver answers: restarts and the ms they took, or why a round failed. */
export type RestartResult = { restarts: number; ms: number } | { error: string }

/**
 * Runs `rounds` rounds. Per round: spawn a RestartSup (not linked) and monitor it; at the first
 * child's 'up', start the clock and kill the child; at each later 'up', kill again, until
 * RESTARTS_PER_ROUND restarts; stop the clock, kill the supervisor, wait for its DOWN.
 * Only restart time is counted. No round starts after `maxMs` (wall time since the call), so a
 * slow restart path cannot stretch the bench. A supervisor that exits mid-round ends the run
 * with an error.
 */
export class RestartDriver extends Actor<void, RestartMsg> {
  from: CallMessage['from'] | null = null
  roundsLeft = 0
  deadline = 0
  ups = 0
  t0 = 0
  ms = 0
  restarts = 0
  sup: Pid | null = null
  supRef: Ref | null = null

  receive(m: RestartMsg): void {
    switch (m.type) {
      case '$call':
        this.from = m.from
        this.roundsLeft = m.request.rounds
        this.deadline = performance.now() + m.request.maxMs
        this.ms = 0
        this.restarts = 0
        this.#round()
        return
      case 'up':
        if (++this.ups === 1) this.t0 = performance.now()
        if (this.ups <= RESTARTS_PER_ROUND) {
          this.exit(m.pid, 'kill')
          return
        }
        this.ms += performance.now() - this.t0
        this.restarts += RESTARTS_PER_ROUND
        this.exit(this.sup as Pid, 'kill')
        return
      case 'DOWN':
        if (this.supRef === null || !m.ref.equals(this.supRef)) return
        if (this.ups <= RESTARTS_PER_ROUND) {
          this.#answer({ error: `the supervisor exited (${String(m.reason)}) after ${Math.max(0, this.ups - 1)} restarts` })
        } else if (--this.roundsLeft > 0 && performance.now() < this.deadline) {
          this.#round()
        } else {
          this.#answer({ restarts: this.restarts, ms: this.ms })
        }
        return
    }
  }

  #round(): void {
    this.ups = 0
    // Reports off for this subtree: each kill is a child_terminated error report, printed to
    // stderr by default; the Erlang side turns its logger off likewise.
    this.sup = this.spawn(RestartSup as unknown as skein.BehaviourClass<{ collector: Pid }>, { collector: this.self },
      { env: { 'skein.reports': false } })
    this.supRef = this.monitor(this.sup)
  }

  #answer(result: RestartResult): void {
    this.reply(this.from as CallMessage['from'], result)
  }
}

/** What PoolDriver is asked: `total` calls to `pool`, `window` of them in flight at a time. */
export interface PoolJob {
  pool: Pid
  total: number
  window: number
  /** The request of every call (default 'ping'). */
  request?: unknown
}

/**
 * Calls a Pool `total` times with `window` calls in flight (each lane makes its next call when
 * its last is answered), then answers with the ms it took: the pool's call throughput.
 */
export class PoolDriver extends Actor<void, CallMessage<PoolJob>> {
  async receive(m: CallMessage<PoolJob>): Promise<void> {
    const { pool, total, window, request = 'ping' } = m.request
    const t0 = performance.now()
    let sent = 0
    const lane = async (): Promise<void> => {
      while (sent < total) {
        sent++
        await this.call(pool, request, { timeout: 60_000 })
      }
    }
    await Promise.all(Array.from({ length: Math.min(window, total) }, lane))
    this.reply(m.from, performance.now() - t0)
  }
}
