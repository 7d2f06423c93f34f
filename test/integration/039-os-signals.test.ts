import assert from 'node:assert/strict'
import { Node } from '../../src/index.ts'
import { childScript } from '../child-script.ts'

// Each child prints 'ready' once its processes run (test/fixtures/signal-script.ts); the signal is
// sent only then. Announcer processes print `terminate <tag> <reason>` from their terminate: t0 on
// the main thread, t1 on worker thread 1 (a worker's console output reaches the child's stdout).
describe('OS signals (handleSignals)', () => {
  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`stops the node gracefully on ${signal}, every terminate on every thread, then exits with ${code}`, async () => {
      const script = childScript('signal-script.ts')
      await script.line('ready')
      script.child.kill(signal)
      const { code: exitCode, signal: killedBy } = await script.exited
      assert.equal(killedBy, null, `the child was killed by ${String(killedBy)}: stdout: ${script.stdout()}`)
      assert.equal(exitCode, code, `stdout: ${script.stdout()}; stderr: ${script.stderr()}`)
      assert.match(script.stdout(), /^terminate t0 shutdown$/m)
      assert.match(script.stdout(), /^terminate t1 shutdown$/m)
    })
  }

  it('stops every node of the process on one signal, then exits once', async () => {
    const script = childScript('signal-script.ts', ['two'])
    await script.line('ready')
    script.child.kill('SIGTERM')
    const { code } = await script.exited
    assert.equal(code, 143, `stdout: ${script.stdout()}; stderr: ${script.stderr()}`)
    for (const tag of ['a0', 'a1', 'b0', 'b1']) assert.match(script.stdout(), new RegExp(`^terminate ${tag} shutdown$`, 'm'))
  })

  it('leaves the signal to Node with handleSignals: false: the process is killed and no terminate runs', async () => {
    const script = childScript('signal-script.ts', ['off'])
    await script.line('ready')
    script.child.kill('SIGTERM')
    const { code, signal } = await script.exited
    assert.equal(signal, 'SIGTERM')
    assert.equal(code, null)
    assert.doesNotMatch(script.stdout(), /terminate/)
  })

  it('exits at once with the conventional code on a second signal while a terminate hangs', async () => {
    // shutdownTimeout is 60 s there: only the second signal can end the child within the test's bound.
    const script = childScript('signal-script.ts', ['hang'])
    await script.line('ready')
    script.child.kill('SIGTERM')
    await script.line('hanging in terminate')
    script.child.kill('SIGTERM')
    const { code, signal } = await script.exited
    assert.equal(signal, null)
    assert.equal(code, 143, `stdout: ${script.stdout()}; stderr: ${script.stderr()}`)
  })

  it("does nothing when the program listens for the signal itself: the program's listener decides", async () => {
    // The fixture's listener calls the node (it must still run), stops it and exits with code 3.
    const script = childScript('signal-script.ts', ['listener'])
    await script.line('ready')
    script.child.kill('SIGTERM')
    const { code } = await script.exited
    assert.equal(code, 3, `stdout: ${script.stdout()}; stderr: ${script.stderr()}`)
    assert.match(script.stdout(), /^still running: pong$/m)
    assert.match(script.stdout(), /^terminate t1 shutdown$/m)
  })

  it('installs one listener per signal while nodes run and removes it when the last one stops', async () => {
    const before = { SIGTERM: process.listenerCount('SIGTERM'), SIGINT: process.listenerCount('SIGINT') }
    const counts = (): { SIGTERM: number; SIGINT: number } =>
      ({ SIGTERM: process.listenerCount('SIGTERM'), SIGINT: process.listenerCount('SIGINT') })
    const a = await Node.start({ threads: 0 })
    const b = await Node.start({ threads: 0 })
    const off = await Node.start({ threads: 0, handleSignals: false })
    try {
      assert.deepEqual(counts(), { SIGTERM: before.SIGTERM + 1, SIGINT: before.SIGINT + 1 })
      await a.stop()
      assert.deepEqual(counts(), { SIGTERM: before.SIGTERM + 1, SIGINT: before.SIGINT + 1 })
      await b.stop()
      assert.deepEqual(counts(), before)
    } finally {
      await Promise.all([a.stop(), b.stop(), off.stop()])
    }
    assert.deepEqual(counts(), before)
  })

  it('rejects a handleSignals that is not a boolean', async () => {
    await assert.rejects(Node.start({ threads: 0, handleSignals: 'yes' as unknown as boolean }), { code: 'ERR_INVALID_ARG_TYPE' })
  })
})
