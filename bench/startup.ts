/**
 * The samples of one startup row, run by bench/startup-shape.ts in a fresh child process:
 *
 *   node [--import tsx] bench/startup.ts <module URL> <threads> <starts>
 *
 * The idea: what a program pays at `Node.start` is mostly its worker threads loading Skein and
 * the node's `modules` (under tsx, through tsx's hooks), and every start makes new worker
 * threads, so every start pays it again; the first start here also pays the process's own first
 * loads (and tsx's first compile of a changed file), and the shape leaves it out. Prints one
 * JSON line: { samples: [{ startMs, stopMs }, ...] }, Node.start and node.stop timed here,
 * `starts` of them one after another.
 */
import { Node } from '../src/index.ts'

const [module, threads = '4', starts = '2'] = process.argv.slice(2)
if (module === undefined) throw new Error('usage: startup.ts <module URL> <threads> <starts>')
const samples: { startMs: number; stopMs: number }[] = []
for (let i = 0; i < Number(starts); i++) {
  const t0 = performance.now()
  const node = await Node.start({ threads: Number(threads), modules: [module], handleSignals: false })
  const t1 = performance.now()
  await node.stop()
  samples.push({ startMs: t1 - t0, stopMs: performance.now() - t1 })
}
console.log(JSON.stringify({ samples }))
