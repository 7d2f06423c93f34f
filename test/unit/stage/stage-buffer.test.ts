import assert from 'node:assert/strict'
import { StageBuffer } from '../../../src/behaviours/stage/buffer.ts'

describe('StageBuffer', () => {
  it('keeps the last events when full (dropping the oldest) or the first (dropping the incoming)', () => {
    const last = new StageBuffer<string>(3, 'last')
    assert.equal(last.store(['a', 'b', 'c', 'd', 'e']), 2)
    assert.deepEqual(last.take(10), ['c', 'd', 'e'])
    const first = new StageBuffer<string>(3, 'first')
    assert.equal(first.store(['a', 'b', 'c', 'd', 'e']), 2)
    assert.deepEqual(first.take(2), ['a', 'b'])
    assert.equal(first.store(['x', 'y', 'z']), 1)
    assert.deepEqual(first.take(10), ['c', 'x', 'y'])
    assert.equal(first.discarded, 3)
  })

  it('never drops with size Infinity', () => {
    const b = new StageBuffer<number>(Infinity, 'last')
    assert.equal(b.store(Array.from({ length: 20_000 }, (_, i) => i)), 0)
    assert.equal(b.length, 20_000)
  })

  it('holds a mark until the events ahead of it have left, in order; an empty buffer holds none', () => {
    const b = new StageBuffer<string>(10, 'last')
    assert.equal(b.mark('now'), false)
    b.store(['a', 'b', 'c'])
    assert.equal(b.mark('first'), true)
    b.store(['d'])
    assert.equal(b.mark('second'), true)
    b.take(2)
    assert.deepEqual(b.due(), [])
    b.take(1)
    assert.deepEqual(b.due(), ['first'])
    b.take(1)
    assert.deepEqual(b.due(), ['second'])
  })

  it('releases a mark when the events ahead of it are dropped (keep last)', () => {
    const b = new StageBuffer<string>(2, 'last')
    b.store(['a', 'b'])
    b.mark('m')
    b.store(['c', 'd'])
    assert.deepEqual(b.due(), ['m'])
    assert.deepEqual(b.take(5), ['c', 'd'])
  })
})
