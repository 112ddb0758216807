import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { xxhash32 } from './xxhash32.js'

describe('xxhash32', () => {
  it('matches the reference vectors (cross-checked with the xxhashjs package)', () => {
    assert.equal(xxhash32(''), 0x02cc5d05)
    assert.equal(xxhash32('a'), 0x550d7456)
    assert.equal(xxhash32('abc'), 0x32d153ff)
    assert.equal(xxhash32('Nobody inspects the spammish repetition'), 0xe2293b2f)
    assert.equal(xxhash32('xxhash'), 0x9a95b70e)
    assert.equal(xxhash32('xxhash', 20141025), 0x67bb40dd)
    assert.equal(xxhash32('a'.repeat(37), 7), 0x34a9c37e)
    assert.equal(xxhash32('10.0.0.1::8000 1'), 0x5bcfc2d6)
  })
})
