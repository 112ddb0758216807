import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isUuid, validateUuid } from './uuid.js'

describe('validateUuid', () => {
  it('accepts any UUID, either case', () => {
    for (const u of [
      'cbb297c0-a956-486d-ad1d-f9b42df9465a',
      '00000000-0000-0000-0000-000000000000',
      'CBB297C0-A956-486D-AD1D-F9B42DF9465A',
    ]) {
      assert.equal(validateUuid(u), undefined, u)
      assert.equal(isUuid(u), true)
    }
  })

  it('rejects anything else', () => {
    for (const u of [
      'hello',
      '',
      'cbb297c0a956486dad1df9b42df9465a',
      'cbb297c0-a956-486d-ad1d-f9b42df9465a\n',
      '{cbb297c0-a956-486d-ad1d-f9b42df9465a}',
      'gbb297c0-a956-486d-ad1d-f9b42df9465a',
    ]) {
      assert.equal(validateUuid(u), 'expected a valid UUID', JSON.stringify(u))
    }
  })
})
