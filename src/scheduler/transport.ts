/**
 * The thread's ends of the ring mesh: one outbox (writer, cbor stream encoder, overflow queue)
 * per peer thread and one inbox (reader, decoder, chunk assembly) per peer thread.
 *
 * Rules:
 * - Frames to one peer MUST leave in send order: while the overflow queue is non-empty, every
 *   new frame joins it rather than jumping ahead into freed ring space.
 * - Every frame read MUST be decoded, even one whose target is gone, because the decoder's
 *   record shapes are state shared with the peer's encoder.
 * - flush() publishes each dirty ring once per scheduler turn and rings the peer's doorbell
 *   only if that peer announced sleep.
 */
import { RingReader, RingWriter } from '../mailbox/spsc-ring.ts'
import { FrameQueue } from '../mailbox/frame-queue.ts'
import { DOORBELL, FRAME_HEADER_BYTES, slot } from '../mailbox/layout.ts'
import { ringDoorbell } from '../mailbox/doorbell.ts'
import { decodeRange, encodeView, makeStreamDecoder, makeStreamEncoder, type Decoder, type Encoder } from '../codec/codec.ts'
import { prepareForWire } from '../codec/validate.ts'
import { CONTINUED, Frame, KIND_MASK } from '../codec/frame.ts'
import { makeError } from '../core/errors.ts'

export const NO_PAYLOAD: unique symbol = Symbol('no payload')

interface Outbox {
  readonly peer: number
  readonly writer: RingWriter
  encoder: Encoder
  readonly overflow: FrameQueue
  /** Publish early once this many bytes are written but unpublished, so the reader starts. */
  readonly publishAt: number
  dirty: boolean
  up: boolean
}

interface Inbox {
  readonly peer: number
  readonly reader: RingReader
  decoder: Decoder
  chunks: Uint8Array[]
  readonly onFrame: (kind: number, a: number, b: number, data: Uint8Array, length: number) => void
}

export type FrameSink = (peer: number, kind: number, a: number, b: number, value: unknown) => void

export interface TransportStats {
  framesOut: number
  framesIn: number
  overflowed: number
  ringFull: number
  codecResets: number
}

export class Transport {
  readonly self: number
  readonly #out: (Outbox | undefined)[] = []
  readonly #in: Inbox[] = []
  readonly #dirty: Outbox[] = []
  readonly #bells: Int32Array
  readonly #sink: FrameSink
  #wokePeer = false
  readonly stats: TransportStats = { framesOut: 0, framesIn: 0, overflowed: 0, ringFull: 0, codecResets: 0 }

  constructor(self: number, outRings: readonly (SharedArrayBuffer | null)[], inRings: readonly (SharedArrayBuffer | null)[],
    bells: Int32Array, sink: FrameSink) {
    this.self = self
    this.#bells = bells
    this.#sink = sink
    outRings.forEach((sab, peer) => {
      if (sab === null || peer === self) return
      const writer = new RingWriter(sab)
      this.#out[peer] = {
        peer, writer, encoder: makeStreamEncoder(), overflow: new FrameQueue(), publishAt: writer.capacity >>> 2, dirty: false, up: true,
      }
    })
    inRings.forEach((sab, peer) => {
      if (sab === null || peer === self) return
      const inbox: Inbox = {
        peer, reader: new RingReader(sab), decoder: makeStreamDecoder(), chunks: [],
        onFrame: (kind, a, b, data, length) => this.#receive(inbox, kind, a, b, data, length),
      }
      this.#in.push(inbox)
    })
  }

  /**
   * Queue one frame to `peer`. `value` is cbor-encoded unless it is NO_PAYLOAD.
   * @throws ERR_NOT_SERIALIZABLE (nothing is queued then)
   */
  send(peer: number, kind: number, a: number, b: number, value: unknown, what = 'message'): void {
    const out = this.#out[peer]
    if (out === undefined) throw new RangeError(`no ring from thread ${this.self} to thread ${peer}`)
    let bytes: Uint8Array | null = null
    let from = 0
    let to = 0
    if (value !== NO_PAYLOAD) {
      const wire = prepareForWire(value, what)
      try {
        const view = encodeView(out.encoder, wire)
        bytes = view
        from = view.start
        to = view.end
      } catch (e) {
        // The sequential encoder may have recorded shapes the reader will never see.
        this.#resetEncoder(out)
        throw makeError('ERR_NOT_SERIALIZABLE', what, e instanceof Error ? e.message : String(e))
      }
    }
    this.stats.framesOut++
    if (!out.dirty) {
      out.dirty = true
      this.#dirty.push(out)
    }
    const size = FRAME_HEADER_BYTES + to - from
    if (out.overflow.length === 0 && size <= out.writer.maxFrameBytes && out.writer.tryWrite(kind, a, b, bytes, from, to)) {
      if (out.writer.unpublished >= out.publishAt) this.#publish(out)
      return
    }
    this.#enqueue(out, kind, a, b, bytes === null ? null : bytes.subarray(from, to))
  }

  #publish(out: Outbox): void {
    if (out.writer.publish() && ringDoorbell(this.#bells, slot(out.peer, DOORBELL))) this.#wokePeer = true
  }

  /** True if a publish since the last call woke a sleeping peer (its answer will take a wake-up). */
  takeWokePeer(): boolean {
    const woke = this.#wokePeer
    this.#wokePeer = false
    return woke
  }

  /** Publish every ring written this turn, drain overflow, ring sleeping peers. */
  flush(): void {
    const dirty = this.#dirty
    let keep = 0
    for (let i = 0; i < dirty.length; i++) {
      const out = dirty[i] as Outbox
      if (out.overflow.length > 0) this.#drain(out)
      this.#publish(out)
      if (out.overflow.length > 0) dirty[keep++] = out
      else out.dirty = false
    }
    dirty.length = keep
  }

  /** Read and dispatch every published frame from every peer (at most `max` per peer). */
  poll(max: number): number {
    let n = 0
    const inboxes = this.#in
    for (let i = 0; i < inboxes.length; i++) {
      const inbox = inboxes[i] as Inbox
      const got = inbox.reader.poll(inbox.onFrame, max)
      if (got > 0) {
        n += got
        if (inbox.reader.takeWriterWaiting()) ringDoorbell(this.#bells, slot(inbox.peer, DOORBELL))
      }
    }
    this.stats.framesIn += n
    return n
  }

  /** True if a peer published frames not yet read (one atomic load per peer). */
  hasFrames(): boolean {
    const inboxes = this.#in
    for (let i = 0; i < inboxes.length; i++) if ((inboxes[i] as Inbox).reader.hasData()) return true
    return false
  }

  /**
   * True if a poll or a flush would make progress now: a peer published frames, or a ring we
   * hold overflow for has room again. The sleep re-check MUST use this, not only incoming
   * data: a reader that freed space may have rung our doorbell while we were still awake.
   */
  hasIncoming(): boolean {
    if (this.hasFrames()) return true
    const dirty = this.#dirty
    for (let i = 0; i < dirty.length; i++) {
      const out = dirty[i] as Outbox
      const next = out.overflow.nextSize()
      if (next > 0 && out.writer.freeBytes() >= next) return true
    }
    return false
  }

  /** Frames waiting for ring space, across all peers. */
  overflowLength(): number {
    let n = 0
    for (const out of this.#out) if (out !== undefined) n += out.overflow.length
    return n
  }

  hasPendingOutput(): boolean {
    return this.#dirty.length > 0
  }

  isUp(peer: number): boolean {
    return this.#out[peer]?.up === true
  }

  /** The peer thread died: forget both rings with it and everything queued for it. */
  peerDown(peer: number): void {
    const out = this.#out[peer]
    if (out !== undefined) {
      out.up = false
      out.overflow.clear()
      out.writer.reset()
      out.encoder = makeStreamEncoder()
      const at = this.#dirty.indexOf(out)
      if (at >= 0) this.#dirty.splice(at, 1)
      out.dirty = false
    }
    const inbox = this.#in.find((x) => x.peer === peer)
    if (inbox !== undefined) {
      inbox.reader.reset()
      inbox.decoder = makeStreamDecoder()
      inbox.chunks = []
    }
  }

  peerUp(peer: number): void {
    const out = this.#out[peer]
    if (out !== undefined) out.up = true
  }

  #enqueue(out: Outbox, kind: number, a: number, b: number, bytes: Uint8Array | null): void {
    this.stats.overflowed++
    if (out.overflow.length === 0) this.stats.ringFull++
    const maxPayload = out.writer.maxFrameBytes - FRAME_HEADER_BYTES
    if (bytes !== null && bytes.length > maxPayload) {
      let at = 0
      while (bytes.length - at > maxPayload) {
        out.overflow.push(Frame.CHUNK, 0, 0, bytes.subarray(at, at + maxPayload))
        at += maxPayload
      }
      out.overflow.push(kind | CONTINUED, a, b, bytes.subarray(at))
    } else {
      out.overflow.push(kind, a, b, bytes)
    }
    // Let the reader start on what is already in the ring while we queue the rest.
    this.#publish(out)
    this.#drain(out)
  }

  #drain(out: Outbox): void {
    const writer = out.writer
    const before = writer.unpublished
    if (!out.overflow.drainInto(writer)) {
      // Ask the reader to wake us when it frees space, then look once more: it may have
      // freed everything between our failed write and the flag becoming visible.
      writer.setWaiting(true)
      if (!out.overflow.drainInto(writer)) {
        if (writer.unpublished > before) this.#publish(out)
        return
      }
    }
    writer.setWaiting(false)
  }

  #resetEncoder(out: Outbox): void {
    this.stats.codecResets++
    out.encoder = makeStreamEncoder()
    this.send(out.peer, Frame.CODEC_RESET, 0, 0, NO_PAYLOAD)
  }

  #receive(inbox: Inbox, kind: number, a: number, b: number, data: Uint8Array, length: number): void {
    if (kind === Frame.CHUNK) {
      inbox.chunks.push(data.slice(0, length))
      return
    }
    if (kind === Frame.CODEC_RESET) {
      inbox.decoder = makeStreamDecoder()
      return
    }
    if ((kind & CONTINUED) !== 0) {
      kind &= KIND_MASK
      const parts = inbox.chunks
      inbox.chunks = []
      let total = length
      for (const p of parts) total += p.length
      const whole = new Uint8Array(total)
      let at = 0
      for (const p of parts) {
        whole.set(p, at)
        at += p.length
      }
      whole.set(data.subarray(0, length), at)
      data = whole
      length = total
    }
    const value = length === 0 ? undefined : decodeRange(inbox.decoder, data, length)
    this.#sink(inbox.peer, kind, a, b, value)
  }
}
