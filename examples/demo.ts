/**
 * `npm start`: CPU work spread over every core by Skein processes, with injected crashes.
 * Crashed workers are replaced and their items retried, so the result must equal a
 * single-threaded reference computed in the same run; the demo fails loudly if it does not.
 *
 * Options: --threads N (default: all cores), --items N (default 100000), --crash-rate R (0.01),
 * --rounds N (CPU work per item, default 10000).
 */
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { Node } from '../src/index.ts'
import { Coordinator, work, type DemoResult } from './demo-actors.ts'

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: String(availableParallelism()) },
    items: { type: 'string', default: '100000' },
    'crash-rate': { type: 'string', default: '0.01' },
    rounds: { type: 'string', default: '10000' },
  },
})
const threads = Number(values.threads)
const items = Number(values.items)
const crashRate = Number(values['crash-rate'])
const rounds = Number(values.rounds)

let reference = 0
const t0 = performance.now()
for (let i = 0; i < items; i++) reference = (reference + work(i, rounds)) >>> 0
const singleMs = performance.now() - t0

// The actors' module, as .ts under tsx or as the compiled .js beside this file.
const actors = new URL(import.meta.url.endsWith('.ts') ? './demo-actors.ts' : './demo-actors.js', import.meta.url)
const node = await Node.start({ threads, modules: [actors] })
const coordinator = await node.spawn(Coordinator)
const c = node.localInstance(coordinator) as Coordinator
const started = performance.now()
let shown = 0
c.onProgress = (done, restarts) => {
  if (done - shown < items / 50 && done !== items) return
  shown = done
  const s = (performance.now() - started) / 1000
  process.stdout.write(`\r  ${done}/${items} items  ${Math.round(done / s)} items/s  ${restarts} restarts   `)
}
const result = await node.call<DemoResult>(coordinator, { items, workers: Math.max(1, threads) * 2, rounds, crashRate, batch: 50 }, { timeout: 600_000 })
const ms = performance.now() - started
const stats = await node.stats()
await node.stop()
process.stdout.write('\n\n')
console.table({
  threads: { value: threads },
  items: { value: items },
  'wall time (ms)': { value: Math.round(ms) },
  'items/s': { value: Math.round(items / (ms / 1000)) },
  'crashes injected and recovered': { value: result.restarts },
  'messages within threads': { value: stats.sentLocal },
  'messages across threads': { value: stats.sentRemote },
  'single-thread time (ms)': { value: Math.round(singleMs) },
  'speed-up vs single thread': { value: `${(singleMs / ms).toFixed(2)}x` },
})
console.log(`checksum: skein ${result.checksum}  reference ${reference}`)
if (result.checksum !== reference || result.done !== items) {
  console.error('MISMATCH: the parallel result differs from the single-threaded reference')
  process.exit(1)
}
console.log('OK: identical to the single-threaded reference; no work was lost to the crashes')
