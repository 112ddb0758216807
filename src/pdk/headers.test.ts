import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { addHeader, clearHeader, firstValue, setHeader } from './headers.js'

describe('header lists', () => {
  it('clearHeader removes every value, case-insensitively, and leaves the rest in order', () => {
    const list = ['A', '1', 'x-k', '2', 'B', '3', 'X-K', '4', 'C', '5']
    clearHeader(list, 'X-k')
    assert.deepEqual(list, ['A', '1', 'B', '3', 'C', '5'])
    clearHeader(list, 'missing')
    assert.deepEqual(list, ['A', '1', 'B', '3', 'C', '5'])
    clearHeader(list, 'c')
    assert.deepEqual(list, ['A', '1', 'B', '3'])
    clearHeader(list, 'a')
    assert.deepEqual(list, ['B', '3'])
    const empty: string[] = []
    clearHeader(empty, 'a')
    assert.deepEqual(empty, [])
  })

  it('setHeader replaces, addHeader appends, firstValue accepts _ for -', () => {
    const list = ['X-Custom', 'a', 'Other', 'b', 'x-custom', 'c']
    setHeader(list, 'X-Custom', ['d', 'e'])
    assert.deepEqual(list, ['Other', 'b', 'X-Custom', 'd', 'X-Custom', 'e'])
    addHeader(list, 'x-custom', 7)
    setHeader(list, 'Other', 1)
    assert.deepEqual(list, ['X-Custom', 'd', 'X-Custom', 'e', 'x-custom', '7', 'Other', '1'])
    assert.equal(firstValue(list, 'x_custom'), 'd')
    assert.equal(firstValue(list, 'nope'), null)
  })
})
