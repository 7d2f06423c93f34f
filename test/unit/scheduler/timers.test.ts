import assert from 'node:assert/strict'
import { TimerQueue } from '../../../src/scheduler/timers.ts'
import type { Clock } from '../../../src/core/clock.ts'

/** A manual clock: time moves only when the test says so. */
function manualClock(): Clock & { advance(ms: number): void } {
  let now = 0
  let pending: { at: number; fn: () => void } | null = null
  return {
    now: () => now,
    setTimeout: (fn, ms) => (pending = { at: now + ms, fn }),
    clearTimeout: () => (pending = null),
    advance(ms: number) {
      now += ms
      while (pending !== null && pending.at <= now) {
        const p = pending
        pending = null
        p.fn()
      }
    },
  }
}

describe('TimerQueue', () => {
  it('fires in deadline order, once, and not early', () => {
    const clock = manualClock()
    const q = new TimerQueue(clock)
    const fired: string[] = []
    q.schedule(30, () => fired.push('c'))
    q.schedule(10, () => fired.push('a'))
    q.schedule(20, () => fired.push('b'))
    clock.advance(9)
    assert.deepEqual(fired, [])
    clock.advance(11)
    assert.deepEqual(fired, ['a', 'b'])
    clock.advance(100)
    assert.deepEqual(fired, ['a', 'b', 'c'])
  })

  it('cancel returns true only while pending', () => {
    const clock = manualClock()
    const q = new TimerQueue(clock)
    let n = 0
    const id = q.schedule(5, () => n++)
    assert.equal(q.cancel(id), true)
    assert.equal(q.cancel(id), false)
    const id2 = q.schedule(5, () => n++)
    clock.advance(5)
    assert.equal(q.cancel(id2), false)
    assert.equal(n, 1)
  })

  it('keeps its heap small when most timers are cancelled (answered calls)', () => {
    const q = new TimerQueue(manualClock())
    for (let i = 0; i < 100_000; i++) q.cancel(q.schedule(5000, () => {}))
    assert.equal(q.size, 0)
  })
})
