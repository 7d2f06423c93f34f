/**
 * PartitionSupervisor: word counts split over one partition per worker thread. Each word goes
 * to the partition that owns it (hash of the word), so one word's count lives in one place.
 * Run: node --import tsx docs/examples/partition-supervisor.ts
 */
import assert from 'node:assert/strict'
import { isMainThread } from 'node:worker_threads'
import { Node, PartitionSupervisor, Server, Supervisor, type Pid } from '../../src/index.ts'

/** One partition: counts the words routed to it. Its args get `partition: k` added. */
export class WordCounter extends Server<{ partition: number }, 'counts', { word: string }, Record<string, number>> {
  counts: Record<string, number> = {}

  override handleCast(request: { word: string }) {
    this.counts[request.word] = (this.counts[request.word] ?? 0) + 1
  }

  override handleCall() {
    return this.counts
  }
}

async function main(): Promise<void> {
  // The kill below is on purpose: keep the supervisor's report of it off stderr.
  const node = await Node.start({ threads: 2, modules: [new URL(import.meta.url)], env: { 'skein.reports': false } })
  try {
    // One partition per worker thread (2 here): 'words:0' on thread 1, 'words:1' on thread 2.
    const sup = await node.spawn(PartitionSupervisor, { name: 'words', child: { id: 'counter', start: [WordCounter, {}] } }, { thread: 0 })
    const partitions = 2
    for (const k of [0, 1]) assert.equal(node.whereis(`words:${k}`)?.thread, k + 1)
    console.log('partitions: words:0 on thread 1, words:1 on thread 2')

    const text = 'the cat saw the dog and the dog saw the cat'
    for (const word of text.split(' ')) {
      // Any process (or the node) finds the owner of a key by name: no lookup table, no hop.
      node.cast(PartitionSupervisor.partition('words', word, partitions), { word })
    }

    const merged: Record<string, number> = {}
    for (const k of [0, 1]) {
      const counts = await node.call<Record<string, number>>(`words:${k}`, 'counts')
      for (const [word, n] of Object.entries(counts)) {
        assert.equal(merged[word], undefined, 'a word is counted in one partition only')
        assert.equal(PartitionSupervisor.partition('words', word, partitions), `words:${k}`)
        merged[word] = n
      }
    }
    assert.deepEqual(merged, { the: 4, cat: 2, saw: 2, dog: 2, and: 1 })
    console.log(`counts: ${Object.entries(merged).sort().map(([w, n]) => `${w}=${n}`).join(' ')}`)

    // A crashed partition comes back on its thread, under its name (with its state lost).
    const before = node.whereis('words:1') as Pid
    const m = node.monitor(before)
    node.exit(before, 'kill')
    await m.down
    // The supervisor (main thread) got the EXIT before the node got the DOWN, and restarts the
    // child before it answers the next call: after this one, the name is taken again.
    await Supervisor.whichChildren(node, sup)
    const after = node.whereis('words:1')
    assert.ok(after !== undefined && !after.equals(before))
    assert.equal(after.thread, 2)
    console.log('words:1 was killed and restarted on thread 2')
    await Server.stop(node, sup)             // the partitions stop with it, in reverse order
  } finally {
    await node.stop()
  }
}

// Every thread imports this file (it is in `modules`); only the main thread runs the program.
if (isMainThread) main().catch((error: unknown) => { console.error(error); process.exit(1) })
