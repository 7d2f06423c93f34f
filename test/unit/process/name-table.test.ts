import assert from 'node:assert/strict'
import { NameTable, nameTableBytes } from '../../../src/process/name-table.ts'
import { LOCAL_NODE, pidFor } from '../../../src/core/pid.ts'

const table = (capacity = 64): NameTable => new NameTable(new SharedArrayBuffer(nameTableBytes(capacity)), LOCAL_NODE, 1)
const pid = (thread: number, n: number) => pidFor(LOCAL_NODE, 1, thread, n)

describe('NameTable', () => {
  it('binds, looks up, refuses a taken name, and unbinds', () => {
    const t = table()
    t.register('a', pid(1, 5))
    assert.ok(t.lookup('a')?.equals(pid(1, 5)))
    assert.throws(() => t.register('a', pid(2, 1)), { code: 'ERR_NAME_TAKEN' })
    assert.equal(t.unregister('a', pid(2, 1)), false, 'only the owner binding is removed')
    assert.equal(t.unregister('a', pid(1, 5)), true)
    assert.equal(t.lookup('a'), undefined)
  })

  it('is shared: a second view over the same memory sees changes at once (the cache follows VERSION)', () => {
    const sab = new SharedArrayBuffer(nameTableBytes(64))
    const a = new NameTable(sab, LOCAL_NODE, 1)
    const b = new NameTable(sab, LOCAL_NODE, 1)
    a.register('x', pid(1, 1))
    assert.ok(b.lookup('x')?.equals(pid(1, 1)))
    a.unregister('x')
    assert.equal(b.lookup('x'), undefined)
    a.register('x', pid(2, 9))
    assert.ok(b.lookup('x')?.equals(pid(2, 9)))
  })

  it('survives heavy churn (tombstones are compacted) and reports a full table', () => {
    const t = table(16)
    for (let i = 0; i < 1000; i++) {
      t.register(`n${i}`, pid(1, i))
      if (i >= 5) assert.equal(t.unregister(`n${i - 5}`), true)
    }
    assert.deepEqual(t.names().sort(), ['n995', 'n996', 'n997', 'n998', 'n999'])
    for (let i = 0; i < 7; i++) t.register(`f${i}`, pid(1, i))
    assert.throws(() => t.register('one-too-many', pid(1, 0)), { code: 'ERR_REGISTRY_FULL' })
  })

  it('removes every name of a dead thread', () => {
    const t = table()
    t.register('on1', pid(1, 1))
    t.register('on2', pid(2, 1))
    assert.equal(t.removeThread(2), 1)
    assert.deepEqual(t.names(), ['on1'])
  })

  it('handles non-ASCII names and refuses overlong ones', () => {
    const t = table()
    t.register('ünïcødé-名前', pid(1, 3))
    assert.ok(t.lookup('ünïcødé-名前')?.equals(pid(1, 3)))
    assert.throws(() => t.register('x'.repeat(200), pid(1, 1)), { code: 'ERR_NAME_TOO_LONG' })
  })
})
