/**
 * A sender-side overflow queue of frames, stored as bytes in 64 KiB blocks rather than one
 * object per frame: when a fast producer outruns its reader, millions of frames may wait here,
 * and per-frame allocations would make the garbage collector the bottleneck.
 *
 * Block layout per frame (4-byte aligned): [length][kind][a][b][payload, padded].
 */
import { FRAME_HEADER_BYTES } from './layout.ts'
import type { RingWriter } from './spsc-ring.ts'

const BLOCK_BYTES = 64 * 1024
const pad4 = (n: number): number => (n + 3) & ~3

interface Block {
  readonly bytes: Uint8Array
  readonly words: Int32Array
  write: number
  read: number
}

export class FrameQueue {
  readonly #blocks: Block[] = []
  #head = 0
  #length = 0
  #spare: Block | null = null

  /** Frames waiting. */
  get length(): number {
    return this.#length
  }

  /** Ring bytes the oldest frame needs, or 0 when empty. */
  nextSize(): number {
    if (this.#length === 0) return 0
    for (let i = this.#head; i < this.#blocks.length; i++) {
      const block = this.#blocks[i] as Block
      if (block.read < block.write) return pad4(block.words[block.read >> 2] as number)
    }
    return 0
  }

  push(kind: number, a: number, b: number, payload: Uint8Array | null): void {
    const payloadLen = payload === null ? 0 : payload.length
    const need = pad4(FRAME_HEADER_BYTES + payloadLen)
    let block = this.#blocks[this.#blocks.length - 1]
    if (block === undefined || block.bytes.length - block.write < need) {
      block = this.#newBlock(need)
      this.#blocks.push(block)
    }
    const w = block.write >> 2
    block.words[w] = FRAME_HEADER_BYTES + payloadLen
    block.words[w + 1] = kind
    block.words[w + 2] = a
    block.words[w + 3] = b
    if (payload !== null) block.bytes.set(payload, block.write + FRAME_HEADER_BYTES)
    block.write += need
    this.#length++
  }

  /** Move frames, oldest first, into `writer` until it is full. True if the queue is now empty. */
  drainInto(writer: RingWriter): boolean {
    while (this.#length > 0) {
      const block = this.#blocks[this.#head] as Block
      if (block.read === block.write) {
        this.#retire()
        continue
      }
      const r = block.read >> 2
      const length = block.words[r] as number
      const start = block.read + FRAME_HEADER_BYTES
      const payload = length > FRAME_HEADER_BYTES ? block.bytes.subarray(start, block.read + length) : null
      if (!writer.tryWrite(block.words[r + 1] as number, block.words[r + 2] as number, block.words[r + 3] as number, payload)) {
        return false
      }
      block.read += pad4(length)
      this.#length--
    }
    while (this.#head < this.#blocks.length) this.#retire()
    return true
  }

  clear(): void {
    this.#blocks.length = 0
    this.#head = 0
    this.#length = 0
  }

  #newBlock(need: number): Block {
    const spare = this.#spare
    if (spare !== null && need <= BLOCK_BYTES) {
      this.#spare = null
      spare.read = spare.write = 0
      return spare
    }
    const bytes = new Uint8Array(Math.max(BLOCK_BYTES, need))
    return { bytes, words: new Int32Array(bytes.buffer), write: 0, read: 0 }
  }

  #retire(): void {
    const block = this.#blocks[this.#head] as Block
    this.#head++
    if (block.bytes.length === BLOCK_BYTES) this.#spare = block
    if (this.#head === this.#blocks.length) {
      this.#blocks.length = 0
      this.#head = 0
    } else if (this.#head > 64) {
      this.#blocks.splice(0, this.#head)
      this.#head = 0
    }
  }
}
