import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isVaultReference, validateVaultPrefix } from './vaults.js'

describe('isVaultReference', () => {
  it('recognizes {vault://…} strings', () => {
    assert.equal(isVaultReference('{vault://env/cert}'), true)
    assert.equal(isVaultReference('{vault://env/cert/key?prefix=SSL_#1}'), true)
    assert.equal(isVaultReference('{vault://env/cert'), false)
    assert.equal(isVaultReference('vault://env/cert}'), false)
    assert.equal(isVaultReference('{VAULT://env/cert}'), false)
    assert.equal(isVaultReference(42), false)
    assert.equal(isVaultReference(null), false)
  })
})

describe('validateVaultPrefix', () => {
  it('accepts lowercase letters, digits and inner dashes', () => {
    for (const p of ['ab', 'my-vault', 'a1', 'aws-secrets-2'])
      assert.equal(validateVaultPrefix(p), undefined, p)
  })

  it('rejects other shapes', () => {
    for (const p of ['a', '1a', 'a-', '-a', 'My-vault', 'a_b', 'a.b', 'ä1']) {
      assert.equal(validateVaultPrefix(p), `invalid value: ${p}`, p)
    }
  })

  it('rejects the names of vault implementations', () => {
    assert.equal(validateVaultPrefix('env'), 'must not be one of: env')
    assert.equal(validateVaultPrefix('aws', ['env', 'aws']), 'must not be one of: env, aws')
  })
})
