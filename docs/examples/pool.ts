/**
 * Pool: four hashing servers behind one pid, spread over two worker threads. Calls go to one
 * worker each; a worker that crashes mid-call fails that call at once and is restarted in its
 * slot; the pool grows and shrinks at run time.
 * Run: node --import tsx docs/examples/pool.ts
 */
import assert from 'node:assert/strict'
import { isMainThread } from 'node:worker_threads'
import { Node, Pool, Server, hasCode } from '../../src/index.ts'

type HashRequest = { hash: string } | { crash: true }

/** CPU work: an FNV-1a hash of the text, repeated `rounds` times. */
export class Hasher extends Server<{ rounds: number }, HashRequest, never, { hash: number; thread: number }> {
  rounds = 1

  override init(args: { rounds: number }) {
    this.rounds = args.rounds
  }

  override handleCall(request: HashRequest) {
    if ('crash' in request) throw new Error('worker crashed')
    let h = 0x811c9dc5
    for (let r = 0; r < this.rounds; r++) {
      for (let i = 0; i < request.hash.length; i++) h = Math.imul(h ^ request.hash.charCodeAt(i), 0x01000193) >>> 0
    }
    return { hash: h, thread: this.self.thread }
  }
}

async function main(): Promise<void> {
  // The crash below is on purpose: keep its report off stderr.
  const node = await Node.start({ threads: 2, modules: [new URL(import.meta.url)], env: { 'skein.reports': false } })
  try {
    const pool = await node.spawn(Pool, { worker: Hasher, args: { rounds: 1000 }, size: 4 }, { thread: 0 })

    // Eight calls at once: round_robin hands two to each worker, and the workers are on both threads.
    const words = ['ant', 'bee', 'cat', 'dog', 'eel', 'fox', 'gnu', 'hen']
    const replies = await Promise.all(words.map((w) => node.call<{ hash: number; thread: number }>(pool, { hash: w })))
    assert.equal(new Set(replies.map((r) => r.hash)).size, 8)
    assert.deepEqual([...new Set(replies.map((r) => r.thread))].sort(), [1, 2])
    console.log(`8 calls answered on threads ${[...new Set(replies.map((r) => r.thread))].sort().join(' and ')}`)

    const stats = await Pool.stats(node, pool)
    assert.equal(stats.size, 4)
    assert.equal(stats.forwarded, 8)
    console.log(`stats: size ${stats.size}, forwarded ${stats.forwarded}`)

    // A worker that dies mid-call fails its caller at once with its reason, and is restarted.
    const before = await Pool.workers(node, pool)
    await assert.rejects(node.call(pool, { crash: true }), (e: Error & { reason?: unknown }) =>
      hasCode(e, 'ERR_CALL_EXIT') && e.reason instanceof Error && e.reason.message === 'worker crashed')
    // The pool (main thread) had the worker's EXIT before its call failed, and it answers the
    // next request only once the restart is done: this list already holds the new worker.
    const after = await Pool.workers(node, pool)
    assert.equal((await Pool.stats(node, pool)).restarts, 1)
    const replaced = after.filter((pid, k) => !(pid?.equals(before[k]) ?? false)).length
    assert.equal(replaced, 1)
    console.log('a crash mid-call: ERR_CALL_EXIT for its caller; 1 worker replaced')

    // Resize: new slots at the end; removed workers finish the calls they hold, then stop.
    assert.equal(await Pool.addWorkers(node, pool, 2), 6)
    assert.equal(await Pool.removeWorkers(node, pool, 3), 3)
    assert.equal((await node.call<{ hash: number }>(pool, { hash: 'ant' })).hash, replies[0]?.hash)
    console.log('grown to 6, shrunk to 3, still answering')
  } finally {
    await node.stop()
  }
}

// Every thread imports this file (it is in `modules`); only the main thread runs the program.
if (isMainThread) main().catch((error: unknown) => { console.error(error); process.exit(1) })
