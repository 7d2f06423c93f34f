import assert from 'node:assert/strict'
import { RefTable } from '../../../src/core/ref-table.ts'

/** The same operations on a RefTable and a Map must give the same answers. */
function compare(ops: readonly (['set', number, string] | ['delete', number] | ['get', number])[]): void {
  const table = new RefTable<string>()
  const model = new Map<number, string>()
  for (const op of ops) {
    if (op[0] === 'set') {
      table.set(op[1], op[2])
      model.set(op[1], op[2])
    } else if (op[0] === 'delete') {
      assert.equal(table.delete(op[1]), model.delete(op[1]), `delete ${op[1]}`)
    } else {
      assert.equal(table.get(op[1]), model.get(op[1]), `get ${op[1]}`)
    }
    assert.equal(table.size, model.size)
    for (const k of model.keys()) assert.equal(table.has(k), true)
    assert.deepEqual(table.values().sort(), [...model.values()].sort())
  }
}

describe('RefTable', () => {
  it('answers like a Map while small: set, overwrite, get, delete of the middle, first and last entry', () => {
    compare([
      ['set', 1, 'a'], ['set', 2, 'b'], ['set', 3, 'c'], ['get', 2], ['set', 2, 'B'], ['get', 2],
      ['delete', 2], ['get', 2], ['get', 3], ['delete', 1], ['delete', 1], ['get', 3], ['delete', 3], ['get', 3],
      ['set', 4, 'd'], ['get', 4],
    ])
  })

  it('answers like a Map when it grows past its small size, and after it empties again', () => {
    const ops: (['set', number, string] | ['delete', number] | ['get', number])[] = []
    for (let k = 0; k < 20; k++) ops.push(['set', k, `v${k}`])
    for (let k = 0; k < 20; k += 3) ops.push(['delete', k], ['get', k], ['get', k + 1])
    for (let k = 0; k < 20; k++) ops.push(['delete', k])
    for (let k = 100; k < 104; k++) ops.push(['set', k, `w${k}`], ['get', k])
    compare(ops)
  })

  it('agrees with a Map over a seeded random mix of operations', () => {
    let seed = 42
    const next = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n
    const ops: (['set', number, string] | ['delete', number] | ['get', number])[] = []
    for (let i = 0; i < 3000; i++) {
      const k = next(24)
      const r = next(3)
      ops.push(r === 0 ? ['set', k, `x${i}`] : r === 1 ? ['delete', k] : ['get', k])
    }
    compare(ops)
  })

  it('hands out a snapshot: deleting while going through values() visits every entry once', () => {
    const table = new RefTable<number>()
    for (let k = 0; k < 5; k++) table.set(k, k)
    const seen: number[] = []
    for (const v of table.values()) {
      seen.push(v)
      table.delete(v)
    }
    assert.deepEqual(seen.sort(), [0, 1, 2, 3, 4])
    assert.equal(table.size, 0)
  })
})
