// Hashed client secrets in Kong's PBKDF2 PHC format: what Kong stores verifies here, and the
// other way round (reference values computed independently with Python's hashlib).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { hashSecret, needsRehash, verifySecret } from './secret.js'

/** PBKDF2-SHA512 of "test", salt "0123456789abcdef", 10,000 iterations, 32 bytes: as Kong writes it. */
const KONG_HASH =
  '$pbkdf2-sha512$i=10000,l=32$MDEyMzQ1Njc4OWFiY2RlZg$cN+P7cmLrxG5nwY09kDXs68BtZgKhyw8CoJkqOHvUeQ'
/** Other parameters (SHA-256, 1,000 iterations, 20 bytes). */
const OTHER_HASH = '$pbkdf2-sha256$i=1000,l=20$MDEyMzQ1Njc4OWFiY2RlZg$1VHiu/31M4J2TMyqJhmQsZf5O7k'

describe('oauth2 client secret hashing', () => {
  it('hashes with a random salt in the PHC format and verifies only the right secret', async () => {
    const a = hashSecret('s3cret')
    const b = hashSecret('s3cret')
    assert.match(a, /^\$pbkdf2-sha512\$i=10000,l=32\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
    assert.notEqual(a, b)
    assert.equal(await verifySecret('s3cret', a), true)
    assert.equal(await verifySecret('s3cret', b), true)
    assert.equal(await verifySecret('wrong', a), false)
    assert.equal(needsRehash(a), false)
  })

  it("verifies Kong's hashes, and those made with other PBKDF2 parameters (which need a rehash)", async () => {
    assert.equal(await verifySecret('test', KONG_HASH), true)
    assert.equal(await verifySecret('invalid', KONG_HASH), false)
    assert.equal(needsRehash(KONG_HASH), false)
    assert.equal(await verifySecret('test', OTHER_HASH), true)
    assert.equal(needsRehash(OTHER_HASH), true)
  })

  it('never matches a plain value, another algorithm, a malformed hash or a non-string', async () => {
    assert.equal(await verifySecret('test', 'test'), false)
    assert.equal(await verifySecret('test', '$argon2id$v=19$m=4096,t=1,p=1$c2FsdA$aGFzaA'), false)
    assert.equal(await verifySecret('test', '$pbkdf2-sha512$i=0,l=32$MDEy$cN+P'), false)
    assert.equal(await verifySecret('test', '$pbkdf2-md5$i=10,l=16$MDEy$cN+P'), false)
    assert.equal(await verifySecret(undefined, KONG_HASH), false)
    assert.equal(await verifySecret('test', null), false)
    assert.equal(needsRehash('plain'), true)
    assert.equal(needsRehash(null), true)
  })
})
