// The vaults schema (entities.md §12) with the bundled env vault.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { processAutoFields } from '../auto-fields.js'
import type { FieldErrors } from '../record.js'
import { validateRecord } from '../validate.js'
import { coreSchemas, vaults } from './index.js'

coreSchemas({})

function prepare(input: Record<string, unknown>) {
  const res = processAutoFields(vaults, input, 'insert')
  assert.ok('value' in res)
  return res.value
}

function check(input: Record<string, unknown>): FieldErrors | undefined {
  return validateRecord(vaults, prepare(input), {}, true)
}

describe('vaults schema', () => {
  it('accepts an env vault and fills the fields', () => {
    const v = prepare({ prefix: 'my-env', name: 'env' })
    assert.equal(validateRecord(vaults, v), undefined)
    assert.equal(v.description, null)
    assert.equal(v.tags, null)
    assert.deepEqual(v.config, { prefix: null })
  })

  it('prefix and name are required', () => {
    assert.deepEqual(check({ name: 'env' }), { prefix: 'required field missing' })
    assert.deepEqual(check({ prefix: 'abc' }), { name: 'required field missing' })
  })

  it('an unknown vault implementation is not installed', () => {
    assert.deepEqual(check({ prefix: 'abc', name: 'aws' }), { name: "vault 'aws' is not installed" })
  })

  it('prefix: lowercase letters, digits and dashes, letter first, letter/digit last, ≥ 2 chars', () => {
    for (const prefix of ['a', 'Abc', '1abc', 'abc-', 'a_b', 'a b']) {
      assert.deepEqual(check({ prefix, name: 'env' }), { prefix: `invalid value: ${prefix}` }, prefix)
    }
    for (const prefix of ['ab', 'a1', 'my-vault-2']) {
      assert.equal(check({ prefix, name: 'env' }), undefined, prefix)
    }
  })

  it('prefix must not be a vault type name', () => {
    assert.deepEqual(check({ prefix: 'env', name: 'env' }), { prefix: 'must not be one of: env' })
  })

  it('env config: prefix matching ^[A-Za-z_-][A-Za-z0-9_-]*$', () => {
    assert.equal(check({ prefix: 'abc', name: 'env', config: { prefix: 'MY_' } }), undefined)
    assert.deepEqual(check({ prefix: 'abc', name: 'env', config: { prefix: '1X' } }), {
      config: { prefix: 'invalid value: 1X' },
    })
    assert.deepEqual(check({ prefix: 'abc', name: 'env', config: { other: 1 } }), {
      config: { other: 'unknown field' },
    })
  })

  it('description cannot be empty', () => {
    assert.deepEqual(check({ prefix: 'abc', name: 'env', description: '' }), {
      description: 'length must be at least 1',
    })
  })
})
