/**
 * The Skein side of the idle-memory row, run by bench/run.ts in a child process:
 *
 *   node --expose-gc --import tsx bench/idle-memory.ts <n> <runs>
 *
 * The idea: a fresh Node on the main thread only; a Holder spawns `n` Idle servers there and
 * keeps their pids; the heap (plus off-heap buffers) after a full GC, minus the same before,
 * divided by `n`, is what one idle Server costs. A child process gives the measurement a heap
 * of its own (the bench's earlier shapes leave theirs behind) and `global.gc`, which `tsx`
 * alone does not expose. Prints one JSON line: { bytesPerProcess } (the median of `runs`).
 */
import { Node } from '../src/index.ts'
import { Holder } from './otp-actors.ts'

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with node --expose-gc')

/** Bytes in use after a full collection (twice: the first may leave finalizable garbage). */
function used(): number {
  gc?.()
  gc?.()
  const m = process.memoryUsage()
  return m.heapUsed + m.external
}

async function measure(n: number): Promise<number> {
  const node = await Node.start({ threads: 0 })
  const holder = await node.spawn(Holder)
  const before = used()
  const spawned = await node.call<number>(holder, n, { timeout: 600_000 })
  const after = used()
  if (spawned !== n) throw new Error(`spawned ${spawned} of ${n}`)
  await node.stop()
  return (after - before) / n
}

const n = Number(process.argv[2] ?? 100_000)
const runs = Math.max(1, Number(process.argv[3] ?? 3))
const figures: number[] = []
for (let i = 0; i < runs; i++) figures.push(await measure(n))
figures.sort((x, y) => x - y)
console.log(JSON.stringify({ bytesPerProcess: figures[Math.floor((runs - 1) / 2)] }))
