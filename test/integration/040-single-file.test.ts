import assert from 'node:assert/strict'
import { Node } from '../../src/index.ts'
import { childScript } from '../child-script.ts'
import { NodeStarter } from '../fixtures/node-starter.ts'

// Each fixture is one file that defines an actor, lists itself in `modules` and starts the node
// (test/fixtures/single-file/). The child is killed after 20 s: a start that waits for itself
// would otherwise hang the test, or end with Node's code 13 and nothing on stderr.
const BOUND_MS = 20_000

describe('single-file programs (a module in `modules` that starts the node)', () => {
  it('fails at once with ERR_MODULE_AWAITS_NODE_START when the file awaits Node.start at its top level', async () => {
    const script = childScript('single-file/top-level-await.ts', [], BOUND_MS)
    const { code, signal } = await script.exited
    assert.equal(signal, null, 'the child hung and was killed')
    assert.equal(code, 1, `stderr: ${script.stderr()}`)
    assert.match(script.stderr(), /code: 'ERR_MODULE_AWAITS_NODE_START'/)
    assert.match(script.stderr(), /top-level-await\.ts is listed in `modules`/)
    assert.match(script.stderr(), /if \(isMainThread\) main\(\)/)
    assert.doesNotMatch(script.stdout(), /started/)
  })

  it('fails the same way when the top-level await is guarded by isMainThread', async () => {
    const script = childScript('single-file/guarded-await.ts', [], BOUND_MS)
    const { code, signal } = await script.exited
    assert.equal(signal, null, 'the child hung and was killed')
    assert.equal(code, 1, `stderr: ${script.stderr()}`)
    assert.match(script.stderr(), /code: 'ERR_MODULE_AWAITS_NODE_START'/)
    assert.match(script.stderr(), /guarded-await\.ts is listed in `modules`/)
  })

  it('rejects ERR_THREAD_FAILED (cause ERR_NODE_START_IN_WORKER) when the worker threads would start nodes too', async () => {
    const script = childScript('single-file/unguarded-main.ts', [], BOUND_MS)
    const { code, signal } = await script.exited
    assert.equal(signal, null, 'the child hung and was killed')
    assert.equal(code, 1, `stderr: ${script.stderr()}`)
    assert.match(script.stderr(), /^ERR_THREAD_FAILED \(cause ERR_NODE_START_IN_WORKER\): thread \d failed to start: Node\.start was called on Skein worker thread \d while it imported file:.*unguarded-main\.ts/m)
    assert.match(script.stderr(), /isMainThread/)
    assert.doesNotMatch(script.stdout(), /started/)
  })

  it('runs the file guarded with isMainThread and started without a top-level await, actors on every thread', async () => {
    const script = childScript('single-file/guarded-main.ts', [], BOUND_MS)
    const { code, signal } = await script.exited
    assert.equal(signal, null, 'the child hung and was killed')
    assert.equal(code, 0, `stderr: ${script.stderr()}`)
    assert.deepEqual(script.stdout().trim().split('\n'), ['hello from thread 0', 'hello from thread 1', 'hello from thread 2'])
  })

  it('rejects ERR_NODE_START_IN_WORKER for Node.start called by a process on a worker thread, and the thread goes on', async () => {
    const node = await Node.start({ threads: 1, modules: [new URL('../fixtures/node-starter.ts', import.meta.url)] })
    try {
      const starter = await node.spawn(NodeStarter, undefined, { thread: 1 })
      const got = await node.call<{ code: string; message: string }>(starter, 'start')
      assert.equal(got.code, 'ERR_NODE_START_IN_WORKER')
      assert.match(got.message, /worker thread 1: a node starts from the main thread only/)
      const again = await node.call<{ code: string }>(starter, 'start')
      assert.equal(again.code, 'ERR_NODE_START_IN_WORKER')
    } finally {
      await node.stop()
    }
  })
})
