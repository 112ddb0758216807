// The consumers schema (entities.md §4).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { errors } from '../../dao/errors.js'
import { processAutoFields } from '../auto-fields.js'
import type { FieldErrors } from '../record.js'
import { validateRecord } from '../validate.js'
import { consumers, coreSchemas } from './index.js'

coreSchemas({})

function prepare(input: Record<string, unknown>, context: 'insert' | 'update' = 'insert') {
  const res = processAutoFields(consumers, input, context)
  assert.ok('value' in res)
  return res.value
}

function check(input: Record<string, unknown>): FieldErrors | undefined {
  return validateRecord(consumers, prepare(input), {}, true)
}

describe('consumers schema', () => {
  it('needs a username or a custom_id (admin-api.md §10 #2)', () => {
    assert.deepEqual(check({}), {
      '@entity': ["at least one of these fields must be non-empty: 'custom_id', 'username'"],
    })
    assert.equal(
      errors.schemaViolation(check({})!).message,
      "schema violation (at least one of these fields must be non-empty: 'custom_id', 'username')",
    )
  })

  it('accepts either one or both', () => {
    assert.equal(check({ username: 'alice' }), undefined)
    assert.equal(check({ custom_id: 'c-1' }), undefined)
    assert.equal(check({ username: 'alice', custom_id: 'c-1' }), undefined)
  })

  it('produces all fields', () => {
    const c = prepare({ username: 'alice' })
    assert.deepEqual(Object.keys(c).sort(), [
      'created_at',
      'custom_id',
      'id',
      'tags',
      'updated_at',
      'username',
    ])
    assert.equal(c.custom_id, null)
    assert.equal(c.tags, null)
  })

  it('username and custom_id accept any non-empty string', () => {
    assert.equal(check({ username: 'al ice/:;,' }), undefined)
    assert.equal(check({ custom_id: '💡 x' }), undefined)
    assert.deepEqual(check({ username: '' }), {
      username: 'length must be at least 1',
      '@entity': ["at least one of these fields must be non-empty: 'custom_id', 'username'"],
    })
    assert.deepEqual(check({ username: 1, custom_id: 'x' }), { username: 'expected a string' })
  })

  it('says "when updating" on a merged entity without username nor custom_id', () => {
    const merged = { ...prepare({ username: 'alice' }), username: null }
    assert.deepEqual(validateRecord(consumers, merged, { updating: true }, false), {
      '@entity': ["when updating, at least one of these fields must be non-empty: 'custom_id', 'username'"],
    })
  })

  it('rejects unknown fields', () => {
    assert.deepEqual(check({ username: 'a', name: 'b' }), { name: 'unknown field' })
  })
})
