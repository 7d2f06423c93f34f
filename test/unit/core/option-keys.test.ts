/** checkOptionKeys / closestKey (src/core/option-keys.ts): unknown keys, with a near known key suggested. */
import assert from 'node:assert/strict'
import { checkOptionKeys, closestKey } from '../../../src/core/option-keys.ts'

const KNOWN = ['timeout', 'maxRestarts', 'maxSeconds', 'strategy', 'id', 'type'] as const

describe('option-keys', () => {
  it('suggests the known key one or two edits away, ignoring case and counting a swap as one edit', () => {
    assert.equal(closestKey('timeot', KNOWN), 'timeout')
    assert.equal(closestKey('tiemout', KNOWN), 'timeout')
    assert.equal(closestKey('MaxRestarts', KNOWN), 'maxRestarts')
    assert.equal(closestKey('maxRestart', KNOWN), 'maxRestarts')
    assert.equal(closestKey('maxSecond', KNOWN), 'maxSeconds')
    assert.equal(closestKey('ix', KNOWN), 'id')
  })

  it('suggests nothing when no known key is near', () => {
    assert.equal(closestKey('colour', KNOWN), undefined)
    assert.equal(closestKey('x', KNOWN), undefined)
    assert.equal(closestKey('timeoutMillis', KNOWN), undefined)
    assert.equal(closestKey('a', []), undefined)
  })

  it('passes undefined and objects of known keys; rejects other types and unknown keys with codes', () => {
    checkOptionKeys('call', undefined, KNOWN)
    checkOptionKeys('call', { timeout: 1, id: 'a' }, KNOWN)
    assert.throws(() => checkOptionKeys('call', 'str', KNOWN), { code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' })
    assert.throws(() => checkOptionKeys('call', null, KNOWN), { code: 'ERR_INVALID_ARG_TYPE' })
    assert.throws(() => checkOptionKeys('call', { timeot: 1 }, KNOWN), {
      code: 'ERR_UNKNOWN_OPTION',
      message: `unknown option "timeot" for call; did you mean "timeout"? known options: ${KNOWN.join(', ')}`,
    })
    assert.throws(() => checkOptionKeys('call', { colour: 1 }, KNOWN), {
      code: 'ERR_UNKNOWN_OPTION',
      message: `unknown option "colour" for call; known options: ${KNOWN.join(', ')}`,
    })
  })

  it('sets the reason a behaviour asks for', () => {
    assert.throws(() => checkOptionKeys('a spec', { colour: 1 }, KNOWN, (key) => ({ unknown_option: key })),
      (e: { code?: string; reason?: unknown }) => e.code === 'ERR_UNKNOWN_OPTION' && (e.reason as { unknown_option?: string }).unknown_option === 'colour')
  })
})
