// The key_sets and keys schemas (entities.md §11).
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { describe, it } from 'node:test'
import { processAutoFields } from '../auto-fields.js'
import type { EntitySchema } from '../entity.js'
import type { FieldErrors } from '../record.js'
import { validateRecord } from '../validate.js'
import { coreSchemas, keySets, keys } from './index.js'

coreSchemas({})

const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
const PRIV = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
const PUB = pair.publicKey.export({ type: 'spki', format: 'pem' }) as string
const OTHER_PUB = other.publicKey.export({ type: 'spki', format: 'pem' }) as string
const jwk = (kid: string) => JSON.stringify({ ...pair.publicKey.export({ format: 'jwk' }), kid })

function check(schema: EntitySchema, input: Record<string, unknown>): FieldErrors | undefined {
  const res = processAutoFields(schema, input, 'insert')
  assert.ok('value' in res)
  return validateRecord(schema, res.value, {}, true)
}

describe('key_sets schema', () => {
  it('name is optional', () => {
    assert.equal(check(keySets, {}), undefined)
    assert.equal(check(keySets, { name: 'set-1', tags: ['a'] }), undefined)
  })

  it('name cannot be empty', () => {
    assert.deepEqual(check(keySets, { name: '' }), { name: 'length must be at least 1' })
  })
})

describe('keys schema', () => {
  it('accepts a JWK whose kid equals the key kid', () => {
    assert.equal(check(keys, { kid: 'k1', jwk: jwk('k1') }), undefined)
  })

  it('accepts a PEM pair, or one half of it', () => {
    assert.equal(check(keys, { kid: 'k1', pem: { private_key: PRIV, public_key: PUB } }), undefined)
    assert.equal(check(keys, { kid: 'k1', pem: { public_key: PUB } }), undefined)
    assert.equal(check(keys, { kid: 'k1', pem: { private_key: PRIV } }), undefined)
  })

  it('kid is required', () => {
    assert.deepEqual(check(keys, { jwk: jwk('k1') }), { kid: 'required field missing' })
  })

  it('needs exactly one of jwk / pem', () => {
    assert.deepEqual(check(keys, { kid: 'k1' }), {
      '@entity': ["at least one of these fields must be non-empty: 'jwk', 'pem'"],
    })
    assert.deepEqual(check(keys, { kid: 'k1', jwk: jwk('k1'), pem: { public_key: PUB } }), {
      '@entity': ["only one or none of these fields must be set: 'jwk', 'pem'"],
    })
  })

  it("the JWK's kid must equal the key kid", () => {
    assert.deepEqual(check(keys, { kid: 'k1', jwk: jwk('k2') }), {
      '@entity': ['kid in jwk.kid must be equal to keys.kid'],
    })
  })

  it('the JWK must be JSON and a loadable key', () => {
    assert.deepEqual(check(keys, { kid: 'k1', jwk: '{nope' }), {
      '@entity': ['could not json decode jwk string'],
    })
    const bad = check(keys, {
      kid: 'k1',
      jwk: JSON.stringify({ kty: 'EC', kid: 'k1', crv: 'P-256', x: 'AA', y: 'AA' }),
    })
    assert.ok(Array.isArray(bad?.['@entity']), JSON.stringify(bad))
  })

  it('the PEM public key must match the private key', () => {
    assert.deepEqual(check(keys, { kid: 'k1', pem: { private_key: PRIV, public_key: OTHER_PUB } }), {
      pem: 'public key does not match private key',
    })
  })

  it('the PEM record needs at least one key', () => {
    const errs = check(keys, { kid: 'k1', pem: {} })
    assert.deepEqual(errs?.pem, {
      '@entity': ["at least one of these fields must be non-empty: 'private_key', 'public_key'"],
    })
  })

  it('set must be a foreign key', () => {
    assert.deepEqual(check(keys, { kid: 'k1', jwk: jwk('k1'), set: { id: 'x' } }), {
      set: { id: 'expected a valid UUID' },
    })
  })

  it('accepts vault references for jwk', () => {
    assert.equal(check(keys, { kid: 'k1', jwk: '{vault://env/jwk}' }), undefined)
  })
})
