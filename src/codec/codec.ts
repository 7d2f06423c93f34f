/**
 * cbor-x set-up for the rings. Each ring is one ordered stream: one `sequential` Encoder on the
 * writer side, one Decoder (with `structures: []`, or it yields Tag objects) on the reader side,
 * so record shapes travel once per ring. Pid, Ref and Error have extension tags.
 *
 * Gotcha: a `sequential` encoder that throws mid-value has already registered the shapes it
 * saw, so its stream is corrupt. Callers validate first (validate.ts) and, if encoding still
 * throws, start a fresh encoder and tell the reader with a CODEC_RESET frame.
 */
import { Decoder, Encoder, addExtension } from 'cbor-x'
import { LOCAL_NODE, Pid, Ref } from '../core/pid.ts'
import { wireClass } from '../core/wire-classes.ts'
import { makeError } from '../core/errors.ts'
import { WireClass } from './validate.ts'

const TAG_PID = 40101
const TAG_REF = 40102
const TAG_ERROR = 40103
const TAG_CLASS = 40104

let localNode = LOCAL_NODE

/** The node name that pids and refs omit on the wire (set once distribution names the node). */
export function setCodecLocalNode(name: string): void {
  localNode = name
}

addExtension({
  Class: Pid,
  tag: TAG_PID,
  encode(pid: Pid, encode: (v: unknown) => Uint8Array) {
    return encode(pid.node === localNode ? [pid.id, pid.serial, pid.creation] : [pid.id, pid.serial, pid.creation, pid.node])
  },
  decode(d: [number, number, number, string?]) {
    return new Pid(d[3] ?? localNode, d[0], d[1], d[2])
  },
})

addExtension({
  Class: Ref,
  tag: TAG_REF,
  encode(ref: Ref, encode: (v: unknown) => Uint8Array) {
    return encode(ref.node === localNode ? [ref.key, ref.creation] : [ref.key, ref.creation, ref.node])
  },
  decode(d: [number, number, string?]) {
    return new Ref(d[2] ?? localNode, d[0], d[1])
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

const errorBases: Record<string, ErrorConstructor> = {
  TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError,
}

addExtension({
  Class: Error,
  tag: TAG_ERROR,
  encode(error: Error, encode: (v: unknown) => Uint8Array) {
    const extra = error as Error & { code?: unknown; reason?: unknown }
    return encode([error.name, error.message, error.stack ?? null, extra.code ?? null, extra.reason ?? null])
  },
  decode(d: [string, string, string | null, unknown, unknown]) {
    const [name, message, stack, code, reason] = d
    const error = new (errorBases[name] ?? Error)(message) as Error & { code?: unknown; reason?: unknown }
    if (error.name !== name) Object.defineProperty(error, 'name', { value: name, configurable: true, writable: true })
    if (stack !== null) error.stack = stack
    if (code !== null) Object.defineProperty(error, 'code', { value: code, enumerable: true, configurable: true })
    if (reason !== null) error.reason = reason
    return error
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
