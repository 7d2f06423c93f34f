/**
 * Supervisor: a one_for_one tree with a child on worker thread 1 that crashes on demand and is
 * restarted, the dynamic child API, a simple_one_for_one supervisor, and a supervisor that
 * gives up when its children crash more often than its restart intensity allows.
 * Run: node --import tsx docs/examples/supervisor.ts
 */
import assert from 'node:assert/strict'
import { isMainThread } from 'node:worker_threads'
import { Node, Pid, Server, Supervisor, hasCode, type SupervisorSpec } from '../../src/index.ts'

/** A key-value cache. */
export class Cache extends Server<{ size: number }, { get: string } | { put: string; value: string }, never, string | undefined> {
  entries = new Map<string, string>()

  override handleCall(request: { get: string } | { put: string; value: string }) {
    if ('get' in request) return this.entries.get(request.get)
    this.entries.set(request.put, request.value)
    return request.value
  }
}

/** Answers 'ping'; a 'crash' cast makes it throw. */
export class Flaky extends Server<void, 'ping', 'crash', string> {
  override handleCall() {
    return `pong from thread ${this.self.thread}`
  }

  override handleCast(): never {
    throw new Error('injected crash')
  }
}

/** One session per user, started on demand from one template (simple_one_for_one). */
export class Session extends Server<{ user: string; app: string }, 'whoami', never, string> {
  label = ''

  override init(args: { user: string; app: string }) {
    this.label = `${args.user}@${args.app}`
  }

  override handleCall() {
    return this.label
  }
}

/** Cache on the supervisor's thread, Flaky on thread 1; more than 2 restarts in 5 s: give up. */
export class Tree extends Supervisor<void> {
  init(): SupervisorSpec {
    return {
      strategy: 'one_for_one', intensity: 2, period: 5,
      children: [
        { id: 'cache', start: [Cache, { size: 100 }] },
        { id: 'flaky', start: [Flaky, undefined, { thread: 1 }], shutdown: 1000 },
      ],
    }
  }
}

export class Sessions extends Supervisor<void> {
  init(): SupervisorSpec {
    return {
      strategy: 'simple_one_for_one',
      children: [{ id: 'session', start: [Session, { app: 'shop' }], restart: 'temporary' }],
    }
  }
}

async function main(): Promise<void> {
  // The crashes below are on purpose: keep their reports off stderr (see docs/supervisor.md, Reports).
  const node = await Node.start({ threads: 1, modules: [new URL(import.meta.url)], env: { 'skein.reports': false } })
  try {
    const tree = await node.spawn(Tree, undefined, { thread: 0 })   // beside the node (see below)
    const ids = (await Supervisor.whichChildren(node, tree)).map((c) => c.id)
    assert.deepEqual(ids, ['flaky', 'cache'])             // most recently started first
    console.log(`children: ${ids.join(', ')}`)

    const flakyPid = async (): Promise<Pid> => {
      const row = (await Supervisor.whichChildren(node, tree)).find((c) => c.id === 'flaky')
      assert.ok(row !== undefined && row.pid instanceof Pid)   // not undefined, not 'restarting'
      return row.pid
    }
    // Crash the child and wait for its DOWN. The supervisor is on the main thread, like the
    // node: the child's EXIT reaches it before the DOWN reaches the node, and it handles the
    // restart before the next call in its mailbox, so whichChildren already shows the new pid.
    const crash = async (): Promise<Pid> => {
      const before = await flakyPid()
      const m = node.monitor(before)
      Server.cast(node, before, 'crash')
      await m.down
      return before
    }
    const first = await crash()
    const second = await flakyPid()
    assert.ok(!first.equals(second))
    assert.equal(await node.call(second, 'ping'), 'pong from thread 1')
    console.log('flaky crashed and was restarted on thread 1 under a new pid')

    // The dynamic API: errors carry OTP's reasons.
    await assert.rejects(Supervisor.startChild(node, tree, { id: 'cache', start: [Cache, { size: 1 }] }),
      (e) => hasCode(e, 'ERR_ALREADY_STARTED'))
    await Supervisor.terminateChild(node, tree, 'cache')
    assert.equal((await Supervisor.whichChildren(node, tree)).find((c) => c.id === 'cache')?.pid, undefined)
    await assert.rejects(Supervisor.startChild(node, tree, { id: 'cache', start: [Cache, { size: 1 }] }),
      (e: Error & { reason?: unknown }) => hasCode(e, 'ERR_ALREADY_PRESENT') && e.reason === 'already_present')
    const { pid: cache } = await Supervisor.restartChild(node, tree, 'cache')
    assert.ok(cache !== undefined)
    assert.equal(await node.call(cache, { put: 'k', value: 'v' }), 'v')
    await Supervisor.terminateChild(node, tree, 'cache')
    await Supervisor.deleteChild(node, tree, 'cache')
    await assert.rejects(Supervisor.restartChild(node, tree, 'cache'), (e) => hasCode(e, 'ERR_CHILD_NOT_FOUND'))
    console.log(`after terminate and delete: ${JSON.stringify(await Supervisor.countChildren(node, tree))}`)

    // simple_one_for_one: startChild's arguments are merged into the template's.
    const sessions = await node.spawn(Sessions)
    const { pid: ann } = await Supervisor.startChild(node, sessions, { user: 'ann' })
    const { pid: bob } = await Supervisor.startChild(node, sessions, { user: 'bob' })
    assert.ok(ann !== undefined && bob !== undefined)
    const labels = [await node.call(ann, 'whoami'), await node.call(bob, 'whoami')]
    assert.deepEqual(labels, ['ann@shop', 'bob@shop'])
    console.log(`sessions: ${labels.join(', ')}`)

    // Intensity 2 in 5 s: the first crash above and this one are restarted; a third gives up.
    const down = node.monitor(tree)
    await crash()
    await crash()
    assert.equal((await down.down).reason, 'shutdown')
    console.log('third crash within 5 s: the supervisor shut down (reason shutdown)')
  } finally {
    await node.stop()
  }
}

// Every thread imports this file (it is in `modules`); only the main thread runs the program.
if (isMainThread) main().catch((error: unknown) => { console.error(error); process.exit(1) })
