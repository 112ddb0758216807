// Pagination tokens (admin-api.md §6): Kong's format, base64 (standard alphabet, no padding) of
// the JSON array of the last primary key; malformed tokens give the reason for code 7.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeOffset, encodeOffset } from './offset.js'

const UUID = '564a5e2a-71b3-4fb0-bd3e-4ef4f3b1a8e1'

describe('offset tokens', () => {
  it('encode to unpadded standard base64 of the JSON key', () => {
    const token = encodeOffset([UUID])
    assert.equal(token, Buffer.from(`["${UUID}"]`).toString('base64').replace(/=+$/, ''))
    assert.doesNotMatch(token, /=$/)
  })

  it('round-trip', () => {
    assert.deepEqual(decodeOffset(encodeOffset([UUID])), [UUID])
    assert.deepEqual(decodeOffset(encodeOffset(['a', 'b', 'c'])), ['a', 'b', 'c'])
  })

  it('decode padded tokens too', () => {
    assert.deepEqual(decodeOffset(Buffer.from('["a"]').toString('base64')), ['a'])
  })

  it('bad base64 encoding', () => {
    for (const token of ['x', '!!!!', 'ab$d', 'a b', 'abcde']) {
      assert.equal(decodeOffset(token), 'bad base64 encoding', token)
    }
  })

  it('bad json encoding', () => {
    for (const text of ['not json', '{"a":1}', '"str"', '42']) {
      assert.equal(decodeOffset(Buffer.from(text).toString('base64')), 'bad json encoding', text)
    }
  })
})
