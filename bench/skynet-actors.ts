/**
 * Skynet (github.com/atemerev/skynet's shape): a tree of processes where each process spawns
 * 10 children until the leaves (a power of 10 of them; 1 M at BENCH_SCALE=1); each leaf sends
 * its number to its parent, each parent sums its 10 answers and sends the sum up. The root's
 * answer is 0 + 1 + ... + (leaves - 1). This module is in the node's `modules`;
 * bench/erlang/skein_bench.erl runs the same tree on Erlang/OTP.
 *
 *   SkynetDriver ──spawn──▶ Skynet(size L) ──spawn x10──▶ Skynet(size L/10) ... Skynet(size 1)
 *        ▲                     │  ▲                             │                    │
 *        └──── sum ────────────┘  └──────── sum ────────────────┘◀──── number ───────┘
 *
 * Skein runs a local spawn's `init` at once, inside `spawn`, so the tree is built depth first
 * within the driver's turn, and a leaf (which sends and stops in its init) is gone before its
 * next sibling exists: at most the inner processes (about a ninth of the total) and the numbers
 * waiting in their mailboxes are alive at once.
 */
import { Actor, type CallMessage, type Pid } from '../src/index.ts'

/** Where a Skynet process sits in the tree. */
export interface SkynetArgs {
  parent: Pid
  /** The first leaf number below this process. */
  num: number
  /** Leaves below this process (a power of 10). */
  size: number
}

/** One process of the tree: a leaf sends its number; an inner process sums its 10 children. */
export class Skynet extends Actor<SkynetArgs, number> {
  up: Pid | null = null
  sum = 0
  left = 10

  override init(args: SkynetArgs): void {
    if (args.size === 1) {
      this.send(args.parent, args.num)
      this.stop()
      return
    }
    this.up = args.parent
    const sub = args.size / 10
    for (let i = 0; i < 10; i++) this.spawn(Skynet, { parent: this.self, num: args.num + i * sub, size: sub })
  }

  receive(n: number): void {
    this.sum += n
    if (--this.left > 0) return
    this.send(this.up as Pid, this.sum)
    this.stop()
  }
}

/** Processes in a skynet tree with `leaves` leaves: 1 + 10 + ... + leaves. */
export const skynetProcesses = (leaves: number): number => (10 * leaves - 1) / 9

/** What SkynetDriver answers: the root's sum and the wall time in ms. */
export interface SkynetResult {
  sum: number
  ms: number
}

/** Spawns a skynet tree of `leaves` leaves, times it until the root's sum arrives, answers. */
export class SkynetDriver extends Actor<void, CallMessage<number> | number> {
  from: CallMessage['from'] | null = null
  t0 = 0

  receive(m: CallMessage<number> | number): void {
    if (typeof m === 'number') {
      this.reply(this.from as CallMessage['from'], { sum: m, ms: performance.now() - this.t0 } satisfies SkynetResult)
      this.from = null
      return
    }
    this.from = m.from
    this.t0 = performance.now()
    this.spawn(Skynet, { parent: this.self, num: 0, size: m.request })
  }
}
