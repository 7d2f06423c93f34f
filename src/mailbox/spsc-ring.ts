/**
 * Single-producer single-consumer ring of frames in a SharedArrayBuffer.
 *
 * Frame (all fields 32-bit little-endian words, frames padded to 4 bytes):
 *   [ length = 16 + payload bytes ][ kind ][ a ][ b ][ payload ... ]
 * HEAD and TAIL are free-running byte counters (mod 2^32); used = TAIL - HEAD. Because every
 * frame is 4-byte aligned and the capacity is a power of two, a header word never straddles
 * the end of the data region; a payload may, and is then copied out in two parts.
 *
 * Rules:
 * - The writer MUST write whole frames only; a frame that does not fit is refused (tryWrite
 *   returns false) and the caller queues it. A frame longer than `maxFrameBytes` MUST be split
 *   by the caller (see frame.ts) so it can always fit once the ring drains.
 * - Frames become visible only at publish(): one Atomics.store of TAIL per scheduler turn.
 * - The reader MUST publish HEAD after consuming, and wake the writer if WRITER_WAITING is set.
 */
import { FRAME_HEADER_BYTES, HEAD, RING_DATA_OFFSET, TAIL, WRITER_WAITING } from './layout.ts'

const pad4 = (n: number): number => (n + 3) & ~3
/** Payloads up to this size are copied byte by byte rather than through a subarray view. */
const SMALL_COPY = 64

export function checkCapacity(capacity: number): void {
  if (!Number.isInteger(capacity) || capacity < 1024 || capacity > 2 ** 30 || (capacity & (capacity - 1)) !== 0) {
    throw new RangeError(`ring capacity must be a power of two between 1 KiB and 1 GiB, got ${capacity}`)
  }
}

export class RingWriter {
  readonly capacity: number
  /** Largest frame (header + payload) this ring accepts in one piece. */
  readonly maxFrameBytes: number
  readonly #ctl: Int32Array
  readonly #bytes: Uint8Array
  readonly #words: Int32Array
  readonly #mask: number
  #tail: number
  #published: number
  #headCache: number

  constructor(sab: SharedArrayBuffer) {
    this.capacity = sab.byteLength - RING_DATA_OFFSET
    checkCapacity(this.capacity)
    this.maxFrameBytes = this.capacity >>> 1
    this.#ctl = new Int32Array(sab, 0, RING_DATA_OFFSET >> 2)
    this.#bytes = new Uint8Array(sab, RING_DATA_OFFSET, this.capacity)
    this.#words = new Int32Array(sab, RING_DATA_OFFSET, this.capacity >> 2)
    this.#mask = this.capacity - 1
    // Writer only reads TAIL at start-up (it is the only writer of TAIL).
    this.#tail = this.#published = Atomics.load(this.#ctl, TAIL) >>> 0
    this.#headCache = Atomics.load(this.#ctl, HEAD) >>> 0
  }

  /** Bytes written but not yet published. */
  get unpublished(): number {
    return (this.#tail - this.#published) >>> 0
  }

  /**
   * Append one frame if it fits; false if the ring lacks room (nothing is written then).
   * The frame is invisible to the reader until publish().
   */
  tryWrite(kind: number, a: number, b: number, payload: Uint8Array | null, from = 0,
    to = payload === null ? 0 : payload.length): boolean {
    const payloadLen = to - from
    const length = FRAME_HEADER_BYTES + payloadLen
    const need = pad4(length)
    if (need > this.#free() && need > this.#refreshFree()) return false
    const words = this.#words
    const mask = this.#mask
    let pos = this.#tail
    words[(pos & mask) >> 2] = length
    words[((pos + 4) & mask) >> 2] = kind
    words[((pos + 8) & mask) >> 2] = a
    words[((pos + 12) & mask) >> 2] = b
    if (payloadLen > 0) {
      const start = (pos + FRAME_HEADER_BYTES) & mask
      const first = Math.min(payloadLen, this.capacity - start)
      const bytes = this.#bytes
      const src = payload as Uint8Array
      if (first === payloadLen && payloadLen <= SMALL_COPY) {
        // A short payload is copied by hand: a subarray view per message would cost more.
        for (let i = 0; i < payloadLen; i++) bytes[start + i] = src[from + i] as number
      } else if (first === payloadLen) {
        bytes.set(from === 0 && to === src.length ? src : src.subarray(from, to), start)
      } else {
        bytes.set(src.subarray(from, from + first), start)
        bytes.set(src.subarray(from + first, to), 0)
      }
    }
    pos = (pos + need) >>> 0
    this.#tail = pos
    return true
  }

  /** Make every written frame visible. Returns true if anything new was published. */
  publish(): boolean {
    if (this.#tail === this.#published) return false
    this.#published = this.#tail
    // Writer only. Release: the frame bytes written above happen-before this store; a reader
    // that loads this TAIL value sees them.
    Atomics.store(this.#ctl, TAIL, this.#tail | 0)
    return true
  }

  /** Free bytes now, reloading the reader's HEAD. */
  freeBytes(): number {
    return this.#refreshFree()
  }

  /** Ask the reader to ring our doorbell when it frees space (we hold overflow). */
  setWaiting(on: boolean): void {
    // Writer sets, reader clears; a stale 1 only causes one spare wake-up.
    Atomics.store(this.#ctl, WRITER_WAITING, on ? 1 : 0)
  }

  /** Forget everything (the peer thread died): both counters back to zero. */
  reset(): void {
    // Only when the peer is dead and this side is the ring's sole user.
    Atomics.store(this.#ctl, HEAD, 0)
    Atomics.store(this.#ctl, TAIL, 0)
    Atomics.store(this.#ctl, WRITER_WAITING, 0)
    this.#tail = this.#published = this.#headCache = 0
  }

  #free(): number {
    return this.capacity - ((this.#tail - this.#headCache) >>> 0)
  }

  #refreshFree(): number {
    // Writer reads HEAD (written by the reader): acquire, so the reader is done with those bytes.
    this.#headCache = Atomics.load(this.#ctl, HEAD) >>> 0
    return this.#free()
  }
}

/**
 * Receives one frame. The payload is the first `length` bytes of `data`, a scratch buffer the
 * reader reuses (the same object from frame to frame, so a decoder can cache its DataView):
 * valid only during the call.
 */
export type FrameHandler = (kind: number, a: number, b: number, data: Uint8Array, length: number) => void

export class RingReader {
  readonly capacity: number
  readonly #ctl: Int32Array
  readonly #bytes: Uint8Array
  readonly #words: Int32Array
  readonly #mask: number
  #head: number
  #scratch = new Uint8Array(1024)

  constructor(sab: SharedArrayBuffer) {
    this.capacity = sab.byteLength - RING_DATA_OFFSET
    checkCapacity(this.capacity)
    this.#ctl = new Int32Array(sab, 0, RING_DATA_OFFSET >> 2)
    this.#bytes = new Uint8Array(sab, RING_DATA_OFFSET, this.capacity)
    this.#words = new Int32Array(sab, RING_DATA_OFFSET, this.capacity >> 2)
    this.#mask = this.capacity - 1
    this.#head = Atomics.load(this.#ctl, HEAD) >>> 0
  }

  /** True if frames are published and unread. */
  hasData(): boolean {
    // Reader loads TAIL (written by the writer): acquire.
    return (Atomics.load(this.#ctl, TAIL) >>> 0) !== this.#head
  }

  /**
   * Hand every published frame (at most `max`) to `onFrame`, in order. The payload view is
   * valid only during the call. Returns the number of frames read, and whether the writer
   * asked to be woken (it holds overflow and we just freed space).
   */
  poll(onFrame: FrameHandler, max: number): number {
    const tail = Atomics.load(this.#ctl, TAIL) >>> 0
    let head = this.#head
    if (head === tail) return 0
    const words = this.#words
    const mask = this.#mask
    let n = 0
    while (head !== tail && n < max) {
      const length = words[(head & mask) >> 2] as number
      const kind = words[((head + 4) & mask) >> 2] as number
      const a = words[((head + 8) & mask) >> 2] as number
      const b = words[((head + 12) & mask) >> 2] as number
      const payloadLength = length - FRAME_HEADER_BYTES
      const data = this.#copyOut((head + FRAME_HEADER_BYTES) & mask, payloadLength)
      head = (head + pad4(length)) >>> 0
      // Advance before the callback so a throwing handler cannot make us re-read the frame.
      this.#head = head
      n++
      onFrame(kind, a, b, data, payloadLength)
    }
    // Reader only. Publishes the space back to the writer; the payload views are not used
    // after this point, so the writer may overwrite them.
    Atomics.store(this.#ctl, HEAD, head | 0)
    return n
  }

  /** True if the writer asked to be woken when space frees; clears the request. */
  takeWriterWaiting(): boolean {
    if (Atomics.load(this.#ctl, WRITER_WAITING) === 0) return false
    return Atomics.exchange(this.#ctl, WRITER_WAITING, 0) === 1
  }

  /** Forget everything (the writer thread died). */
  reset(): void {
    Atomics.store(this.#ctl, HEAD, 0)
    Atomics.store(this.#ctl, TAIL, 0)
    Atomics.store(this.#ctl, WRITER_WAITING, 0)
    this.#head = 0
  }

  /**
   * Copy a payload out of the ring into the scratch buffer. Copying a few dozen bytes costs less
   * than the view a decoder would otherwise allocate (and mark up) for every frame.
   */
  #copyOut(start: number, length: number): Uint8Array {
    let out = this.#scratch
    if (out.length < length) {
      let size = out.length * 2
      while (size < length) size *= 2
      this.#scratch = out = new Uint8Array(size)
    }
    const bytes = this.#bytes
    const first = this.capacity - start
    if (length <= first) {
      if (length <= 64) for (let i = 0; i < length; i++) out[i] = bytes[start + i] as number
      else out.set(bytes.subarray(start, start + length), 0)
    } else {
      out.set(bytes.subarray(start, this.capacity), 0)
      out.set(bytes.subarray(0, length - first), first)
    }
    return out
  }
}
