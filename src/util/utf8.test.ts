import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { invalidUtf8Position, isValidUtf8 } from './utf8.js'

describe('invalidUtf8Position', () => {
  it('accepts well-formed strings, including astral characters', () => {
    for (const s of ['', 'hello', 'Конг', '孔', '🦍', 'a🦍b']) {
      assert.equal(invalidUtf8Position(s), undefined, s)
      assert.equal(isValidUtf8(s), true)
    }
  })

  it('reports the 1-based UTF-8 byte offset of a lone surrogate', () => {
    assert.equal(invalidUtf8Position('\ud800'), 1)
    assert.equal(invalidUtf8Position('ab\udc00'), 3)
    // 'é' is 2 bytes, '🦍' is 4 bytes
    assert.equal(invalidUtf8Position('é🦍\ud83e'), 7)
    assert.equal(invalidUtf8Position('\ud83ex'), 1)
    assert.equal(isValidUtf8('x\udfff'), false)
  })
})
