/**
 * Testing: a probe waits for messages, exits and DOWNs instead of sleeping, and a VirtualClock
 * makes time move only when the test says so: a 30-minute idle timeout is checked at its exact
 * millisecond, in no real time.
 * Run: node --import tsx docs/examples/testing.ts
 */
import assert from 'node:assert/strict'
import { Actor, Node, Server, replyWith, stop } from '../../src/index.ts'
import { VirtualClock, probe } from '../../src/testing/index.ts'

const IDLE_MS = 30 * 60_000

/** Ends 'normal' once IDLE_MS pass without a call. */
export class Session extends Server<void, 'touch', never, 'ok'> {
  override handleCall() {
    return replyWith('ok' as const, { timeout: IDLE_MS })
  }

  override handleInfo(message: unknown) {
    if (message === 'timeout') return stop('normal')
  }
}

/** Throws on any message. */
export class Fragile extends Actor<void, unknown> {
  receive(): void {
    throw new Error('fragile broke')
  }
}

// Virtual time drives the main thread only: run such tests with threads: 0. No module has to
// reach a worker thread, so top-level await is fine here.
const clock = new VirtualClock()
const node = await Node.start({ threads: 0, clock, env: { 'skein.reports': false } })
try {
  const p = await probe(node)

  // A timer fires when virtual time reaches it, not a millisecond before.
  node.sendAfter(p.pid, 'tick', 1000)
  await clock.advance(999)
  await p.expectNone((m) => m === 'tick', 20)
  await clock.advance(1)
  assert.equal(await p.expect((m) => m === 'tick', 1000), 'tick')
  console.log(`tick at virtual ${node.now()} ms`)

  // The idle timeout, to the millisecond: monitor from the probe, then expectDown.
  const session = await node.spawn(Session)
  const ref = p.monitor(session)
  await node.call(session, 'touch')
  await clock.advance(IDLE_MS - 1)
  await p.expectNone((m) => (m as { type?: string }).type === 'DOWN', 20)
  await clock.advance(1)
  await p.expectDown(ref, 'normal', 1000)
  console.log(`session ended normal after exactly ${IDLE_MS / 60_000} virtual minutes`)

  // A link from the probe: the probe traps exits, so the crash arrives as an EXIT message.
  const fragile = await node.spawn(Fragile)
  p.link(fragile)
  node.send(fragile, 'anything')
  const exit = await p.expectExit(fragile)
  assert.ok(exit.reason instanceof Error)
  console.log(`EXIT from the fragile process: ${exit.reason.message}`)
  assert.deepEqual(p.pending, [])                          // nothing unexpected was recorded
} finally {
  await node.stop()
}
