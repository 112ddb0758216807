import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseSize, sizeInBytes } from './sizes.js'

describe('parseSize', () => {
  it('reads bare numbers as bytes', () => {
    assert.equal(parseSize('0'), 0)
    assert.equal(parseSize('1024'), 1024)
  })

  it('reads k, m and g units in either case as powers of 1024', () => {
    assert.equal(parseSize('8k'), 8 * 1024)
    assert.equal(parseSize('10m'), 10 * 1024 * 1024)
    assert.equal(parseSize('10M'), 10 * 1024 * 1024)
    assert.equal(parseSize('2g'), 2 * 1024 ** 3)
    assert.equal(parseSize(' 128m '), 128 * 1024 * 1024)
  })

  it('refuses anything else', () => {
    for (const text of ['', 'm', '1.5m', '-1', '10mb', '10 m', '1t', 'ten']) {
      assert.equal(parseSize(text), null, text)
    }
  })

  it('sizeInBytes throws on an invalid size', () => {
    assert.equal(sizeInBytes('1k'), 1024)
    assert.throws(() => sizeInBytes('big'), /not a size: 'big'/)
  })
})
