import assert from 'node:assert/strict'
import { makeStreamDecoder, makeStreamEncoder, encodeView } from '../../../src/codec/codec.ts'

const encode = (enc: ReturnType<typeof makeStreamEncoder>, v: unknown): Uint8Array => {
  const view = encodeView(enc, v)
  return view.slice(view.start, view.end)
}
import { assertSerializable, isSerializable, prepareForWire } from '../../../src/codec/validate.ts'
import { registerWireClass } from '../../../src/core/wire-classes.ts'
import { hasCode } from '../../../src/core/errors.ts'
import { LOCAL_NODE, Pid, Ref } from '../../../src/core/pid.ts'
import { makeError } from '../../../src/core/errors.ts'

describe('codec', () => {
  it('carries a registered behaviour class as its key and hands back the class; an unregistered one is refused', () => {
    class Registered {}
    class Unknown {}
    registerWireClass('file:///m.ts#Registered', Registered)
    const enc = makeStreamEncoder()
    const dec = makeStreamDecoder()
    const value = { id: 'w', start: [Registered, { n: 1 }] }
    const wire = prepareForWire(value)
    assert.notEqual(wire, value, 'a copy with the class swapped for a token')
    assert.equal(value.start[0], Registered, 'the original is untouched')
    const out = dec.decode(encode(enc, wire)) as { id: string; start: [unknown, { n: number }] }
    assert.equal(out.start[0], Registered)
    assert.deepEqual(out.start[1], { n: 1 })
    assert.throws(() => prepareForWire({ start: [Unknown] }), (e) => hasCode(e, 'ERR_NOT_SERIALIZABLE'))
  })

  it('round-trips pids, refs and coded errors through one sequential stream', () => {
    const enc = makeStreamEncoder()
    const dec = makeStreamDecoder()
    const pid = new Pid(LOCAL_NODE, (3 << 24) | 7, 2, 99)
    const remote = new Pid('other@host', 5, 0, 1)
    const ref = new Ref(LOCAL_NODE, 12345, 99)
    const error = makeError('ERR_NOPROC', '<0.1.2.3>')
    error.reason = 'noproc'
    for (let i = 0; i < 3; i++) {
      const out = dec.decode(encode(enc, { pid, remote, ref, error, i })) as Record<string, unknown>
      assert.ok((out.pid as Pid).equals(pid))
      assert.ok((out.remote as Pid).equals(remote))
      assert.ok((out.ref as Ref).equals(ref))
      assert.equal((out.error as { code: string }).code, 'ERR_NOPROC')
      assert.equal((out.error as { reason: string }).reason, 'noproc')
      assert.equal(out.i, i)
    }
  })

  it('decodes byte strings as copies, never views of the source buffer', () => {
    const enc = makeStreamEncoder()
    const dec = makeStreamDecoder()
    const src = encode(enc, { b: new Uint8Array([1, 2, 3]) })
    const out = dec.decode(src) as { b: Uint8Array }
    src.fill(0)
    assert.deepEqual([...out.b], [1, 2, 3])
  })
})

describe('validate', () => {
  it('checks what an Error carries with it (its code and reason travel too)', () => {
    assert.equal(isSerializable(Object.assign(new Error('x'), { code: 'E', reason: { n: 1 } })), true)
    assert.equal(isSerializable(Object.assign(new Error('x'), { reason: { f: () => 1 } })), false)
  })

  it('accepts plain data and the extension types', () => {
    for (const v of [1, 'x', null, undefined, true, 2n, [1, { a: [new Date(), new Map([[1, new Set([2])]])] }], new Uint8Array(2), /x/]) {
      assert.equal(isSerializable(v), true, String(v))
    }
  })

  it('names the path of a function, a symbol, a class instance, or a cycle', () => {
    class Thing {}
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    for (const [v, path] of [[{ a: { f() {} } }, /message\.a\.f/], [[1, Symbol('s')], /message\[1\]/],
      [{ t: new Thing() }, /class Thing/], [cyclic, /cycle/],
      [{ e: Object.assign(new Error('x'), { reason: { cb: () => 1 } }) }, /message\.e\.reason\.cb/]] as const) {
      assert.throws(() => assertSerializable(v), (e: unknown) => {
        assert.equal((e as { code: string }).code, 'ERR_NOT_SERIALIZABLE')
        assert.match((e as Error).message, path)
        return true
      })
    }
  })
})
