import assert from 'node:assert/strict'
import { Fifo } from '../../../src/mailbox/fifo.ts'
import { FrameQueue } from '../../../src/mailbox/frame-queue.ts'
import { RingReader, RingWriter } from '../../../src/mailbox/spsc-ring.ts'
import { ringSab } from '../../../src/mailbox/layout.ts'

describe('Fifo', () => {
  it('keeps order across growth and wrap-around', () => {
    const q = new Fifo<number>(4)
    let next = 0
    let expect = 0
    for (let round = 0; round < 100; round++) {
      for (let i = 0; i < round % 13; i++) q.push(next++)
      for (let i = 0; i < round % 7 && q.length > 0; i++) assert.equal(q.shift(), expect++)
    }
    while (q.length > 0) assert.equal(q.shift(), expect++)
    assert.equal(expect, next)
    assert.equal(q.shift(), undefined)
  })

  it('removes the first match only, keeping the rest in order', () => {
    const q = new Fifo<number>()
    for (const x of [1, 2, 3, 2, 4]) q.push(x)
    assert.equal(q.removeFirst((x) => x === 2), true)
    assert.deepEqual([...q], [1, 3, 2, 4])
    assert.equal(q.removeFirst((x) => x === 9), false)
  })
})

describe('FrameQueue', () => {
  it('drains into a ring in order, across block boundaries, with payloads intact', () => {
    const q = new FrameQueue()
    for (let i = 0; i < 5000; i++) q.push(i, i, -i | 0, new Uint8Array(i % 50).fill(i & 0xff))
    const sab = ringSab(4096)
    const w = new RingWriter(sab)
    const r = new RingReader(sab)
    let seen = 0
    while (q.length > 0 || r.hasData()) {
      q.drainInto(w)
      w.publish()
      r.poll((kind, a, b, data, length) => {
        const payload = data.subarray(0, length)
        assert.equal(kind, seen)
        assert.equal(a, seen)
        assert.equal(b, -seen | 0)
        assert.equal(payload.length, seen % 50)
        assert.ok(payload.every((x) => x === (seen & 0xff)))
        seen++
      }, 1000)
    }
    assert.equal(seen, 5000)
    assert.equal(q.nextSize(), 0)
  })
})
