import assert from 'node:assert/strict'
import { RingReader, RingWriter } from '../../../src/mailbox/spsc-ring.ts'
import { FrameQueue } from '../../../src/mailbox/frame-queue.ts'
import { FRAME_HEADER_BYTES, HEAD, RING_DATA_OFFSET, TAIL, WRITER_WAITING, ringSab } from '../../../src/mailbox/layout.ts'
import { prng } from '../seeded.ts'

const CANARY = 0x5a5a5a5a | 0

/**
 * Canaries in every header word the ring does not own (all but HEAD, TAIL, WRITER_WAITING):
 * a write that misses the data region lands there.
 */
function withCanaries(sab: SharedArrayBuffer): () => void {
  const header = new Int32Array(sab, 0, RING_DATA_OFFSET >> 2)
  const owned = new Set([HEAD, TAIL, WRITER_WAITING])
  for (let i = 0; i < header.length; i++) if (!owned.has(i)) header[i] = CANARY
  return () => {
    for (let i = 0; i < header.length; i++) if (!owned.has(i)) assert.equal(header[i], CANARY, `canary ${i} overwritten`)
  }
}

describe('spsc-ring', () => {
  it('rejects a capacity that is not a power of two', () => {
    assert.throws(() => new RingWriter(new SharedArrayBuffer(RING_DATA_OFFSET + 3000)), RangeError)
  })

  it('refuses a frame that does not fit and writes nothing', () => {
    const sab = ringSab(1024)
    const w = new RingWriter(sab)
    const r = new RingReader(sab)
    assert.equal(w.tryWrite(1, 2, 3, new Uint8Array(600)), true)
    assert.equal(w.tryWrite(1, 2, 3, new Uint8Array(600)), false)
    w.publish()
    let frames = 0
    r.poll(() => frames++, 100)
    assert.equal(frames, 1)
  })

  it('makes frames visible only at publish', () => {
    const sab = ringSab(1024)
    const w = new RingWriter(sab)
    const r = new RingReader(sab)
    w.tryWrite(7, 1, 2, null)
    assert.equal(r.hasData(), false)
    assert.equal(w.publish(), true)
    assert.equal(w.publish(), false)
    assert.equal(r.hasData(), true)
  })

  for (const seed of [1, 42, 20261121]) {
    it(`passes a seeded fuzz of 20000 frames through many wrap-arounds in order (seed ${seed})`, () => {
      const rand = prng(seed)
      const capacity = 1024
      const sab = ringSab(capacity)
      const check = withCanaries(sab)
      const w = new RingWriter(sab)
      const r = new RingReader(sab)
      const overflow = new FrameQueue()
      let sent = 0
      let received = 0
      let bytes = 0
      const onFrame = (kind: number, a: number, b: number, data: Uint8Array, length: number): void => {
        const payload = data.subarray(0, length)
        // Sequence verifier: kind carries the sequence number; a/b and the payload derive from it.
        assert.equal(kind, received, 'frame order')
        assert.equal(a, received * 7)
        assert.equal(b, -received | 0)
        assert.equal(payload.length, received % 97)
        for (let i = 0; i < payload.length; i++) assert.equal(payload[i], (received + i) & 0xff)
        received++
      }
      while (received < 20_000) {
        const burst = Math.floor(rand() * 40)
        for (let k = 0; k < burst && sent < 20_000; k++) {
          const len = sent % 97
          const payload = new Uint8Array(len)
          for (let i = 0; i < len; i++) payload[i] = (sent + i) & 0xff
          if (overflow.length > 0 || !w.tryWrite(sent, sent * 7, -sent | 0, payload)) overflow.push(sent, sent * 7, -sent | 0, payload)
          bytes += FRAME_HEADER_BYTES + len
          sent++
        }
        overflow.drainInto(w)
        w.publish()
        r.poll(onFrame, Math.floor(rand() * 50) + 1)
      }
      assert.equal(received, 20_000)
      assert.ok(bytes / capacity > 100, `at least 100 wrap-arounds (${Math.floor(bytes / capacity)})`)
      check()
    })
  }

  it('reports the writer waiting flag to the reader once, after it frees space', () => {
    const sab = ringSab(1024)
    const w = new RingWriter(sab)
    const r = new RingReader(sab)
    w.setWaiting(true)
    assert.equal(r.takeWriterWaiting(), true)
    assert.equal(r.takeWriterWaiting(), false)
  })

  it('starts over from zero after reset on both sides', () => {
    const sab = ringSab(1024)
    const w = new RingWriter(sab)
    const r = new RingReader(sab)
    w.tryWrite(1, 0, 0, new Uint8Array(10))
    w.publish()
    w.reset()
    r.reset()
    assert.equal(r.hasData(), false)
    const w2 = new RingWriter(sab)
    const r2 = new RingReader(sab)
    w2.tryWrite(5, 6, 7, null)
    w2.publish()
    const seen: number[] = []
    r2.poll((k) => seen.push(k), 10)
    assert.deepEqual(seen, [5])
  })
})
