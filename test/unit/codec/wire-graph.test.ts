/**
 * The slow path of the codec (validate.ts, wire-graph.ts): deep values, lone surrogates and
 * throwing getters, through the stream encoder and decoder the rings use.
 */
import assert from 'node:assert/strict'
import { decodeRange, encodeView, makeStreamDecoder, makeStreamEncoder } from '../../../src/codec/codec.ts'
import { MAX_DEPTH, assertSerializable, isSerializable, prepareForWire } from '../../../src/codec/validate.ts'
import { toWireGraph } from '../../../src/codec/wire-graph.ts'
import { registerWireClass } from '../../../src/core/wire-classes.ts'
import { LOCAL_NODE, Pid, Ref } from '../../../src/core/pid.ts'
import { prng } from '../seeded.ts'

/** Through one writer/reader pair, as a ring carries it. */
function roundTrip(v: unknown, pair = { enc: makeStreamEncoder(), dec: makeStreamDecoder() }): unknown {
  const view = encodeView(pair.enc, prepareForWire(v))
  const bytes = view.slice(view.start, view.end)
  return decodeRange(pair.dec, bytes, bytes.length)
}

const notSerializable = (why: RegExp, path?: RegExp) => (e: unknown): boolean => {
  assert.equal((e as { code?: unknown }).code, 'ERR_NOT_SERIALIZABLE', String(e))
  assert.match((e as Error).message, why)
  if (path !== undefined) assert.match((e as Error).message, path)
  return true
}

/** `depth` containers of one kind, each holding the next; the innermost holds 'end'. */
function nest(kind: 'object' | 'array' | 'map' | 'set' | 'error', depth: number): unknown {
  let v: unknown = 'end'
  for (let i = 0; i < depth; i++) {
    v = kind === 'object' ? { value: i, next: v } : kind === 'array' ? [i, v] : kind === 'map' ? new Map([[i, v]])
      : kind === 'set' ? new Set([v]) : Object.assign(new Error(`level ${i}`), { reason: v })
  }
  return v
}

/** How many containers deep `v` is, without recursion. */
function depthOf(v: unknown): number {
  let depth = 0
  let at = v
  for (;;) {
    if (at instanceof Error) at = (at as { reason?: unknown }).reason
    else if (at instanceof Map) at = [...at.values()][0]
    else if (at instanceof Set) at = [...at][0]
    else if (Array.isArray(at)) at = at[1]
    else if (typeof at === 'object' && at !== null) at = (at as { next: unknown }).next
    else return depth
    depth++
  }
}

describe('wire graph (codec slow path)', () => {
  describe('nesting', () => {
    for (const kind of ['object', 'array', 'map', 'set', 'error'] as const) {
      it(`carries ${kind}s nested ${MAX_DEPTH} deep (past cbor-x's recursion) and refuses one more level`, () => {
        const deep = nest(kind, MAX_DEPTH)
        assert.equal(depthOf(roundTrip(deep)), MAX_DEPTH)
        assert.throws(() => prepareForWire(nest(kind, MAX_DEPTH + 1)), notSerializable(new RegExp(`nesting deeper than ${MAX_DEPTH} levels`)))
      })
    }

    it('keeps the values of a deep linked list in order', () => {
      let list: unknown = null
      for (let i = 999; i >= 0; i--) list = { value: i, next: list }
      let at = roundTrip({ list }) as { list: { value: number; next: unknown } | null }
      let node = at.list
      for (let i = 0; i < 1000; i++) {
        assert.equal(node?.value, i)
        node = node?.next as typeof node
      }
      assert.equal(node, null)
      at = roundTrip({ list: null }) as typeof at
      assert.equal(at.list, null)
    })

    it('names a cycle as a cycle, and copies a shared object at each place (no false cycle)', () => {
      const cyclic: Record<string, unknown> = { a: 1 }
      cyclic.deeper = { back: cyclic }
      assert.throws(() => assertSerializable(cyclic), notSerializable(/a cycle/, /message\.deeper\.back/))
      const shared = { n: 1 }
      assert.deepEqual(roundTrip({ x: shared, y: [shared, shared], z: nest('object', 150) }), { x: shared, y: [shared, shared], z: nest('object', 150) })
    })

    it('shortens the path to a problem deep down', () => {
      const deep = nest('object', 500) as { next: unknown }
      let at = deep
      for (let i = 0; i < 400; i++) at = at.next as typeof at
      ;(at as { next: unknown }).next = Symbol('here')
      assert.throws(() => assertSerializable(deep), notSerializable(/a symbol/, /message\.next\.next\.next\.next\.next…\(\d+ more\)…\.next\.next\.next\.next\.next$/))
    })
  })

  describe('lone surrogates', () => {
    const odd = ['\uD800', '\uDC00', 'a\uD800b', '\uDBFFz\uDFFF', '\uDC00\uD800', 'x'.repeat(9000) + '\uD801']

    it('round-trip exactly as values, keys, Map and Set members, and in an Error', () => {
      for (const s of odd) {
        const error = Object.assign(new Error(`m ${s}`), { code: `E${s}`, reason: { [s]: s } })
        const value = { s, list: [s, 'ok'], [s]: 1, map: new Map([[s, s]]), set: new Set([s]), error }
        const out = roundTrip(value) as typeof value
        assert.equal(out.s, s)
        assert.deepEqual(out.list, [s, 'ok'])
        assert.equal((out as Record<string, unknown>)[s], 1)
        assert.deepEqual([...out.map], [[s, s]])
        assert.deepEqual([...out.set], [s])
        assert.equal(out.error.message, `m ${s}`)
        assert.equal((out.error as { code?: unknown }).code, `E${s}`)
        assert.deepEqual((out.error as { reason?: unknown }).reason, { [s]: s })
        assert.equal(roundTrip(s), s, 'a string alone')
      }
    })

    it('leave well-formed strings (surrogate pairs included) on the fast path', () => {
      const value = { pair: '\uD83D\uDE00', text: 'déjà vu', cjk: '漢字' }
      assert.equal(prepareForWire(value), value)
      assert.deepEqual(roundTrip(value), value)
    })
  })

  describe('what the graph carries', () => {
    it('keeps leaves, classes, null-prototype objects and a "__proto__" key', () => {
      class Registered {}
      registerWireClass('file:///wire-graph-test.ts#Registered', Registered)
      const pid = new Pid(LOCAL_NODE, (2 << 24) | 3, 1, 7)
      const ref = new Ref(LOCAL_NODE, 42, 7)
      const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 })
      const proto = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>
      const value = { pid, ref, when: new Date(5), bytes: new Uint8Array([1, 2]), re: /x/g, big: 2n, u: undefined, cls: Registered, bare, proto, deep: nest('array', 120) }
      const out = roundTrip(value) as typeof value
      assert.ok(out.pid.equals(pid))
      assert.ok(out.ref.equals(ref))
      assert.equal(out.cls, Registered)
      assert.equal(Object.getPrototypeOf(out.bare), null)
      assert.equal(Object.getPrototypeOf(out.proto), Object.prototype, 'the key is data, not the prototype')
      assert.deepEqual(Object.keys(out.proto), ['__proto__'])
      assert.equal(({} as Record<string, unknown>).polluted, undefined)
      assert.deepEqual({ ...out, pid: 0, ref: 0, cls: 0, bare: 0, proto: 0 }, { ...value, pid: 0, ref: 0, cls: 0, bare: 0, proto: 0 })
    })

    it('decodes like the fast path for any value the fast path takes (seeded)', () => {
      for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
        const rand = prng(seed)
        const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T
        const make = (depth: number): unknown => {
          const r = rand()
          if (depth > 6 || r < 0.3) return pick([0, -1.5, 'text', '', true, null, undefined, 7n, 'ünï'])
          const n = Math.floor(rand() * 4)
          const kids = Array.from({ length: n }, () => make(depth + 1))
          if (r < 0.5) return kids
          if (r < 0.7) return Object.fromEntries(kids.map((k, i) => [`k${i}`, k]))
          if (r < 0.8) return new Map(kids.map((k, i) => [i, k]))
          if (r < 0.9) return new Set(kids)
          return Object.assign(new Error(`e${n}`), { code: 'E_X', reason: kids })
        }
        for (let i = 0; i < 50; i++) {
          const value = make(0)
          const fast = roundTrip(value)
          const pair = { enc: makeStreamEncoder(), dec: makeStreamDecoder() }
          const view = encodeView(pair.enc, toWireGraph(value, 'message'))
          const bytes = view.slice(view.start, view.end)
          assert.deepStrictEqual(decodeRange(pair.dec, bytes, bytes.length), fast, `seed ${seed}, value ${i}`)
        }
      }
    })
  })

  describe('throwing getters', () => {
    it('fail ERR_NOT_SERIALIZABLE naming the property, also behind a Proxy and deep down', () => {
      const getter = { ok: 1, get bad(): never { throw new Error('getter exploded') } }
      assert.throws(() => prepareForWire(getter), notSerializable(/reading it threw \(getter exploded\)/, /at message\.bad$/))
      assert.throws(() => prepareForWire({ list: [1, getter] }, 'spawn args'), notSerializable(/getter exploded/, /at spawn args\.list\[1\]\.bad$/))
      const trap = new Proxy({}, { ownKeys() { throw new Error('no keys') } })
      assert.throws(() => prepareForWire({ trap }), notSerializable(/reading it threw \(no keys\)/, /message\.trap$/))
      const deep = nest('object', 300) as { next: unknown }
      let at = deep
      for (let i = 0; i < 200; i++) at = at.next as typeof at
      ;(at as { next: unknown }).next = getter
      assert.throws(() => prepareForWire(deep), notSerializable(/getter exploded/))
      assert.equal(isSerializable(getter), false)
    })
  })
})
