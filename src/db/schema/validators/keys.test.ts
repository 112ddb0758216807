import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { describe, it } from 'node:test'
import { validateJwk, validatePemPair } from './keys.js'

// Keys are generated per run; no key material is checked in.
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const ec2 = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const ed = generateKeyPairSync('ed25519')

const pem = (
  k: { export: (o: { type: 'spki' | 'pkcs8'; format: 'pem' }) => string | Buffer },
  type: 'spki' | 'pkcs8',
) => k.export({ type, format: 'pem' }).toString()

function jwkOf(
  key: { export: (o: { format: 'jwk' }) => object },
  extra: Record<string, unknown> = {},
): string {
  return JSON.stringify({ ...key.export({ format: 'jwk' }), ...extra })
}

describe('validateJwk', () => {
  it('accepts public and private JWKs whose kid matches', () => {
    assert.equal(validateJwk(jwkOf(rsa.publicKey, { kid: 'k1' }), 'k1'), undefined)
    assert.equal(validateJwk(jwkOf(rsa.privateKey, { kid: 'k1', alg: 'RS256', use: 'sig' }), 'k1'), undefined)
    assert.equal(validateJwk(jwkOf(ec.publicKey, { kid: 'e', key_ops: ['verify'] }), 'e'), undefined)
    assert.equal(validateJwk(jwkOf(ed.privateKey, { kid: 'ed' }), 'ed'), undefined)
  })

  it('requires JSON', () => {
    assert.equal(validateJwk('{not json', 'k'), 'could not json decode jwk string')
    assert.equal(validateJwk('123', 'k'), 'could not json decode jwk string')
  })

  it('requires jwk.kid to equal the key kid', () => {
    const message = 'kid in jwk.kid must be equal to keys.kid'
    assert.equal(validateJwk(jwkOf(rsa.publicKey, { kid: 'a' }), 'b'), message)
    assert.equal(validateJwk(jwkOf(rsa.publicKey), 'b'), message)
    assert.equal(validateJwk(jwkOf(rsa.publicKey, { kid: 1 }), '1'), message)
    assert.equal(validateJwk('[]', 'b'), message)
  })

  it('requires a loadable key', () => {
    const message = 'could not load JWK, likely not a valid key'
    assert.equal(validateJwk('{"kid": "36"}', '36'), message)
    assert.equal(validateJwk('{"kid": "s", "kty": "oct", "k": "c2VjcmV0"}', 's'), message)
    assert.equal(validateJwk('{"kid": "r", "kty": "RSA", "n": "AQAB"}', 'r'), message)
  })

  it("checks the members against Kong's jwk record", () => {
    assert.equal(
      validateJwk(jwkOf(ec.publicKey, { kid: 'e', ext: true }), 'e'),
      'Validation error: ext: unknown field',
    )
    assert.equal(
      validateJwk(jwkOf(ec.publicKey, { kid: 'e', use: '', key_ops: 'verify' }), 'e'),
      'Validation error: key_ops: expected an array; use: length must be at least 1',
    )
    assert.equal(
      validateJwk(jwkOf(ec.publicKey, { kid: 'e', x5c: [1], alg: null }), 'e'),
      'Validation error: x5c: expected a string',
    )
  })

  it('skips vault references', () => {
    assert.equal(validateJwk('{vault://env/jwk}', 'whatever'), undefined)
  })
})

describe('validatePemPair', () => {
  const ecPub = pem(ec.publicKey, 'spki')
  const ecPriv = pem(ec.privateKey, 'pkcs8')

  it('accepts either half or a matching pair', () => {
    assert.equal(validatePemPair({ public_key: ecPub }), undefined)
    assert.equal(validatePemPair({ private_key: ecPriv }), undefined)
    assert.equal(validatePemPair({ private_key: ecPriv, public_key: ecPub }), undefined)
    assert.equal(
      validatePemPair({ private_key: pem(rsa.privateKey, 'pkcs8'), public_key: pem(rsa.publicKey, 'spki') }),
      undefined,
    )
    assert.equal(validatePemPair({ private_key: null, public_key: ecPub }), undefined)
  })

  it('rejects mismatched halves', () => {
    assert.equal(
      validatePemPair({ private_key: ecPriv, public_key: pem(ec2.publicKey, 'spki') }),
      'public key does not match private key',
    )
    assert.equal(
      validatePemPair({ private_key: pem(ec2.privateKey, 'pkcs8'), public_key: ecPub }),
      'public key does not match private key',
    )
  })

  it('rejects keys of the wrong kind or unparsable ones (Kong 03-typedefs_spec)', () => {
    assert.equal(validatePemPair({ public_key: ecPriv }), 'could not load public key')
    assert.equal(validatePemPair({ public_key: 'garbage' }), 'could not load public key')
    assert.match(validatePemPair({ private_key: ecPub }) ?? '', /^could not load private key/)
    assert.match(validatePemPair({ private_key: 'garbage' }) ?? '', /^could not load private key/)
  })

  it('skips vault references', () => {
    assert.equal(validatePemPair({ private_key: '{vault://env/priv}', public_key: 'garbage' }), undefined)
    assert.equal(validatePemPair({ private_key: 'garbage', public_key: '{vault://env/pub}' }), undefined)
  })
})
