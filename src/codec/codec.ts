/**
 * cbor-x set-up for the rings. Each ring is one ordered stream: one `sequential` Encoder on the
 * writer side, one Decoder (with `structures: []`, or it yields Tag objects) on the reader side,
 * so record shapes travel once per ring. Pid, Ref and Error have extension tags, and so have
 * the slow path's forms (wire-graph.ts): a WireGraph, a WireString, a WireClass.
 *
 * Gotcha: a `sequential` encoder that throws mid-value has already registered the shapes it
 * saw, so its stream is corrupt. Callers validate first (validate.ts) and, if encoding still
 * throws, start a fresh encoder and tell the reader with a CODEC_RESET frame.
 */
import { Decoder, Encoder, addExtension } from 'cbor-x'
import { LOCAL_NODE, Pid, Ref } from '../core/pid.ts'
import { wireClass } from '../core/wire-classes.ts'
import { makeError } from '../core/errors.ts'
import { WireClass, WireGraph, WireString, fromWireGraph, rebuildError } from './wire-graph.ts'

const TAG_PID = 40101
const TAG_REF = 40102
const TAG_ERROR = 40103
const TAG_CLASS = 40104
const TAG_GRAPH = 40105
const TAG_STRING = 40106

addExtension({
  Class: Pid,
  tag: TAG_PID,
  encode(pid: Pid, encode: (v: unknown) => Uint8Array) {
    return encode(pid.node === LOCAL_NODE ? [pid.id, pid.serial, pid.creation] : [pid.id, pid.serial, pid.creation, pid.node])
  },
  decode(d: [number, number, number, string?]) {
    return new Pid(d[3] ?? LOCAL_NODE, d[0], d[1], d[2])
  },
})

addExtension({
  Class: Ref,
  tag: TAG_REF,
  encode(ref: Ref, encode: (v: unknown) => Uint8Array) {
    return encode(ref.node === LOCAL_NODE ? [ref.key, ref.creation] : [ref.key, ref.creation, ref.node])
  },
  decode(d: [number, number, string?]) {
    return new Ref(d[2] ?? LOCAL_NODE, d[0], d[1])
  },
})

addExtension({
  Class: WireClass,
  tag: TAG_CLASS,
  encode(token: WireClass, encode: (v: unknown) => Uint8Array) {
    return encode(token.key)
  },
  decode(key: string) {
    const cls = wireClass(key)
    if (cls === undefined) {
      const hash = key.lastIndexOf('#')
      return makeError('ERR_UNKNOWN_BEHAVIOUR', key.slice(0, hash), key.slice(hash + 1))
    }
    return cls
  },
})

addExtension({
  Class: Error,
  tag: TAG_ERROR,
  encode(error: Error, encode: (v: unknown) => Uint8Array) {
    const extra = error as Error & { code?: unknown; reason?: unknown }
    return encode([error.name, error.message, error.stack ?? null, extra.code ?? null, extra.reason ?? null])
  },
  decode(d: [string, string, string | null, unknown, unknown]) {
    return rebuildError(d[0], d[1], d[2], d[3], d[4])
  },
})

// The slow path's form (validate.ts, wire-graph.ts): a flat table the reader rebuilds without recursion.
addExtension({
  Class: WireGraph,
  tag: TAG_GRAPH,
  encode(graph: WireGraph, encode: (v: unknown) => Uint8Array) {
    return encode(graph.nodes)
  },
  decode(nodes: unknown[][]) {
    return fromWireGraph(nodes)
  },
})

// A string with a lone surrogate, as its UTF-16 code units (cbor-x's typed-array tag).
addExtension({
  Class: WireString,
  tag: TAG_STRING,
  encode(s: WireString, encode: (v: unknown) => Uint8Array) {
    return encode(s.units)
  },
  // The reader gets the string itself, not the token (cbor-x's types expect the class back).
  decode(units: Uint16Array) {
    return new WireString(units).toString() as unknown as WireString
  },
})

/**
 * cbor-x's RESET_BUFFER_MODE (not re-exported by its entry point): encode at the start of the
 * encoder's own buffer every time. The result is valid until the next encode, which suits us:
 * we copy it into a ring at once. Without it the encoder walks forward through its buffer and
 * allocates a fresh 8 KiB one every few hundred small messages.
 */
const RESET_BUFFER_MODE = 1024

/** cbor-x's REUSE_BUFFER_MODE: return the encoder's own buffer with `start`/`end` set, no view. */
const REUSE_BUFFER_MODE = 512

/** The encoder's own buffer; the encoded bytes are `[start, end)`, valid until the next encode. */
export type EncodedView = Uint8Array & { readonly start: number; readonly end: number }

/**
 * Encode `value` without allocating a result view: on the send hot path the per-message
 * Buffer.subarray that cbor-x returns otherwise measured ~8 % of the sender's time.
 */
export function encodeView(encoder: Encoder, value: unknown): EncodedView {
  return (encoder as unknown as { encode(v: unknown, mode: number): EncodedView }).encode(value, REUSE_BUFFER_MODE | RESET_BUFFER_MODE)
}

/**
 * Decode the first `length` bytes of `data`. Decoding from one reused buffer matters: cbor-x
 * caches a DataView on its source object, so a fresh view per frame would cost an allocation
 * and a hidden-class change every time.
 */
export function decodeRange(decoder: Decoder, data: Uint8Array, length: number): unknown {
  return (decoder as unknown as { decode(src: Uint8Array, end: number): unknown }).decode(data, length)
}

export function makeStreamEncoder(): Encoder {
  return new Encoder({ sequential: true, useRecords: true })
}

export function makeStreamDecoder(): Decoder {
  // copyBuffers: byte strings must not alias the ring, which is overwritten once consumed.
  return new Decoder({ sequential: true, useRecords: true, structures: [], copyBuffers: true } as ConstructorParameters<typeof Decoder>[0])
}

export type { Encoder, Decoder }
