import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { contentLength, UNIT_BYTES } from './handler.js'

describe('request-size-limiting', () => {
  it('reads Content-Length like Lua tonumber (absent or not a number: null)', () => {
    assert.equal(contentLength('12'), 12)
    assert.equal(contentLength(' 12 '), 12)
    assert.equal(contentLength('0'), 0)
    assert.equal(contentLength(null), null)
    assert.equal(contentLength(''), null)
    assert.equal(contentLength('abc'), null)
  })

  it('units: 1 KB = 1024 bytes, 1 MB = 1048576 bytes', () => {
    assert.deepEqual(UNIT_BYTES, { bytes: 1, kilobytes: 1024, megabytes: 1048576 })
  })
})
