import assert from 'node:assert/strict'
import { Births } from '../../../src/scheduler/births.ts'

describe('Births', () => {
  const counters = (): BigInt64Array => new BigInt64Array(new SharedArrayBuffer(16))

  it('holds frames for an allocated counter until it resolves, then hands them back in order', () => {
    const c = counters()
    const b = new Births(c, 1)
    Atomics.add(c, 1, 3n) // counters 0, 1, 2 allocated
    assert.equal(b.isUnborn(1), true)
    b.hold(1, 5, 'first')
    b.hold(1, 6, 'second')
    assert.deepEqual(b.resolve(1), [[5, 'first'], [6, 'second']])
    assert.equal(b.isUnborn(1), false, 'started (or dead) now')
    assert.equal(b.isUnborn(7), false, 'never allocated')
  })

  it('treats counters allocated before this incarnation as dead, and resolved ones as dead', () => {
    const c = counters()
    Atomics.add(c, 1, 5n)
    const b = new Births(c, 1)
    assert.equal(b.isUnborn(3), false)
    Atomics.add(c, 1, 2n) // 5, 6
    b.resolve(6)
    assert.equal(b.isUnborn(5), true)
    assert.equal(b.isUnborn(6), false)
    b.resolve(5)
    assert.equal(b.isUnborn(5), false)
    assert.equal(b.heldCount, 0)
  })
})
