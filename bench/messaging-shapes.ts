/**
 * Messaging shapes: local one-way and ping-pong (beside Erlang), cross-thread one-way and round
 * trips (beside raw postMessage between two workers). The processes are in bench/actors.ts.
 *
 *   shape      Skein                                         baseline
 *   local      Sender → Counter, one thread                   Erlang: a sender loop → a counter
 *   pingpong   Pinger ⇄ Pinger, one thread, N bounces         Erlang: two processes, N bounces
 *   cross      Sender (thread a) → Counter (thread b)         postMessage, worker a → worker b
 *   rtt        RttProbe (a) ⇄ Ponger (b), one at a time        postMessage round trips
 *
 * Erlang runs as installed (one scheduler per core), so its two processes may sit on two
 * schedulers; Skein's local shapes keep both on one thread, as their names say.
 */
import type { Pid } from '../src/index.ts'
import { Busy, Counter, Pinger, Ponger, RttProbe, Sender } from './actors.ts'
import { timesBaseline } from './row.ts'
import { percentile, type NodeEnv, type Session } from './session.ts'

export const SMALL = { to: 1, tag: 'x', n: 42 }
/** About 1 KB once encoded (cbor and structured clone alike). */
export const KB = {
  to: 1, tag: 'blob',
  items: Array.from({ length: 20 }, (_, i) => ({ id: i, name: `item-${i}`, value: i * 1.5, flags: [true, false], note: 'abcdefghij' })),
}

const LONG = { timeout: 600_000 }

/** A run of `count` messages from a Sender on `from` to a Counter on `to`, ready to time. */
async function oneWay(env: NodeEnv, from: number, to: number, count: number, message: unknown): Promise<() => Promise<unknown>> {
  const counter = await env.node.spawn(Counter, undefined, { thread: to })
  const sender = await env.node.spawn(Sender, undefined, { thread: from })
  return async () => {
    const done = env.node.call(counter, { expect: count }, LONG)
    env.node.send(sender, { type: 'go', target: counter, n: count, message })
    await done
  }
}

export async function local(s: Session, env: NodeEnv): Promise<void> {
  const count = s.n(2_000_000)
  const rate = await s.throughput('local one-way', count, await oneWay(env, env.a, env.a, count, SMALL))
  s.erlangSizes.oneway = count
  s.row({
    shape: 'local one-way', unit: 'msgs/s', skein: rate, erlang: 'oneway', cpu: s.cpuPerUnit('local one-way'),
    target: { label: '>= 10 M/s (Erlang: 12.5 M/s)', on: 'figure', op: '>=', value: 10e6 },
  })
}

export async function pingpong(s: Session, env: NodeEnv): Promise<void> {
  const rounds = s.n(500_000)
  const p1 = await env.node.spawn(Pinger, undefined, { thread: env.a })
  const p2 = await env.node.spawn(Pinger, undefined, { thread: env.a })
  const rate = await s.throughput('local ping-pong', rounds, () => env.node.call(p1, { peer: p2, rounds }, LONG))
  s.erlangSizes.pingpong = rounds
  s.row({ shape: 'local ping-pong', unit: 'msgs/s', skein: rate, erlang: 'pingpong', cpu: s.cpuPerUnit('local ping-pong') })
}

/** Cross-thread one-way, small and 1 KB, beside postMessage. */
export async function cross(s: Session, env: NodeEnv): Promise<void> {
  const pair = await env.pair()
  for (const [label, message, count, times] of [
    ['small {to,tag,n}', SMALL, s.n(1_000_000), 3],
    ['1 KB object', KB, s.n(100_000), 1.5],
  ] as const) {
    const skein = await s.throughput(`cross ${label}`, count, await oneWay(env, env.a, env.b, count, message))
    const raw = await s.throughput(`postMessage ${label}`, count, () => pair.oneWay(count, message))
    s.row({
      shape: `cross-thread one-way, ${label}`, unit: 'msgs/s', skein, baseline: raw, baselineName: 'postMessage',
      target: timesBaseline(times, 'postMessage'), cpu: s.cpuPerUnit(`cross ${label}`),
    })
  }
}

/** Round trips, one at a time: receiver busy, then receiver asleep between pings. */
export async function rtt(s: Session, env: NodeEnv): Promise<void> {
  const pair = await env.pair()
  for (const busy of [true, false]) {
    const samples = busy ? s.n(20_000) : s.n(400)
    const gapMs = busy ? 0 : 2
    const probe = await env.node.spawn(RttProbe, undefined, { thread: env.a })
    const pong = await env.node.spawn(Ponger, undefined, { thread: env.b })
    let busyPid: Pid | null = null
    if (busy) busyPid = await env.node.spawn(Busy, undefined, { thread: env.b })
    const skein = await env.node.call<number[]>(probe, { peer: pong, rounds: samples, gapMs }, LONG)
    if (busyPid !== null) env.node.exit(busyPid, 'kill')
    const raw = await pair.roundTrips(samples, gapMs, busy)
    const label = busy ? 'receiver busy' : 'receiver asleep'
    const base = { unit: 'µs', baselineName: 'postMessage' }
    s.row({
      ...base, shape: `cross-thread round trip p50, ${label}`, skein: percentile(skein, 0.5), baseline: percentile(raw, 0.5),
      target: busy
        ? { label: '<= 5 µs', on: 'figure', op: '<=', value: 5 }
        : { label: '<= 0.7x postMessage', on: 'ratio', op: '<=', value: 0.7 },
    })
    s.row({ ...base, shape: `cross-thread round trip p99, ${label}`, skein: percentile(skein, 0.99), baseline: percentile(raw, 0.99) })
  }
}
