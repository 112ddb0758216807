import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { describe, it } from 'node:test'
import {
  bearerToken,
  checkMaximumExpiration,
  cookieValue,
  decodeBase64Url,
  decodeToken,
  keyClaim,
  parsePublicKey,
  verifyRegisteredClaims,
} from './token.js'

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')

describe('decodeBase64Url (nginx semantics)', () => {
  it('decodes base64url, stops at "=", refuses other characters and 4n+1 lengths', () => {
    assert.equal(decodeBase64Url('aGk')?.toString(), 'hi')
    assert.equal(decodeBase64Url('aGk=')?.toString(), 'hi')
    assert.equal(decodeBase64Url('aGk=garbage!')?.toString(), 'hi')
    assert.equal(decodeBase64Url('')?.toString(), '')
    assert.equal(decodeBase64Url('_-8')?.length, 2)
    assert.equal(decodeBase64Url('a+b/'), null)
    assert.equal(decodeBase64Url('a.b'), null)
    assert.equal(decodeBase64Url('abcde'), null)
  })
})

describe('decodeToken', () => {
  const header = b64({ alg: 'HS256', typ: 'JWT' })
  const claims = b64({ iss: 'k' })

  it('splits header, claims and signature', () => {
    const t = decodeToken(`${header}.${claims}.c2ln`)
    assert.ok(!('error' in t))
    assert.equal(t.alg, 'HS256')
    assert.deepEqual(t.claims, { iss: 'k' })
    assert.equal(t.signature64, 'c2ln')
  })

  it('reports Kong parser errors', () => {
    assert.deepEqual(decodeToken('abc'), { error: 'invalid JSON' })
    assert.deepEqual(decodeToken(`${header}.${claims}`), { error: 'invalid JSON' })
    assert.deepEqual(decodeToken(`.${claims}.xy`), { error: 'invalid JSON' })
    assert.deepEqual(decodeToken(`${header}.${b64('x').slice(0, 1)}.xy`), { error: 'invalid JSON' })
    assert.deepEqual(decodeToken(`${b64({ alg: 'none' })}.${claims}.xy`), { error: 'invalid alg' })
    assert.deepEqual(decodeToken(`${b64({ alg: 'hs256' })}.${claims}.xy`), { error: 'invalid alg' })
    assert.deepEqual(decodeToken(`${b64(null)}.${claims}.xy`), { error: 'invalid alg' })
    assert.deepEqual(decodeToken(`${header}.${claims}.x.y`), { error: 'invalid signature' })
    assert.deepEqual(decodeToken(`${header}.${claims}.a+b`), { error: 'invalid signature' })
  })

  it('claims that are not an object read as no claims; inherited names are not claims', () => {
    const t = decodeToken(`${header}.${b64([1, 2])}.xy`)
    assert.ok(!('error' in t))
    assert.deepEqual(t.claims, {})
    assert.equal(keyClaim(t, 'constructor'), undefined)
  })
})

describe('keyClaim', () => {
  it('reads the payload, then the header; false falls through, null does not', () => {
    const mk = (c: unknown, h: Record<string, unknown> = {}) => {
      const t = decodeToken(`${b64({ alg: 'HS256', ...h })}.${b64(c)}.xy`)
      if ('error' in t) throw new Error(t.error)
      return t
    }
    assert.equal(keyClaim(mk({ iss: 'a' }, { iss: 'b' }), 'iss'), 'a')
    assert.equal(keyClaim(mk({}, { iss: 'b' }), 'iss'), 'b')
    assert.equal(keyClaim(mk({ iss: false }, { iss: 'b' }), 'iss'), 'b')
    assert.equal(keyClaim(mk({ iss: null }, { iss: 'b' }), 'iss'), null)
    assert.equal(keyClaim(mk({}), 'iss'), undefined)
  })
})

describe('registered claims', () => {
  it('exp and nbf must be numbers, exp in the future, nbf in the past', () => {
    assert.equal(verifyRegisteredClaims({ exp: 101, nbf: 100 }, ['exp', 'nbf'], 100), null)
    assert.deepEqual(verifyRegisteredClaims({}, ['nbf', 'exp'], 100), {
      nbf: 'must be a number',
      exp: 'must be a number',
    })
    assert.deepEqual(verifyRegisteredClaims({ exp: 100 }, ['exp'], 100), { exp: 'token expired' })
    assert.deepEqual(verifyRegisteredClaims({ nbf: 101 }, ['nbf'], 100), { nbf: 'token not valid yet' })
    assert.deepEqual(verifyRegisteredClaims({ exp: '200' }, ['exp'], 100), { exp: 'must be a number' })
    assert.equal(verifyRegisteredClaims({}, [], 100), null)
  })

  it('maximum expiration', () => {
    assert.equal(checkMaximumExpiration({}, 0, 100), null)
    assert.equal(checkMaximumExpiration({ exp: 160 }, 60, 100), null)
    assert.deepEqual(checkMaximumExpiration({ exp: 161 }, 60, 100), {
      exp: 'exceeds maximum allowed expiration',
    })
    assert.deepEqual(checkMaximumExpiration({}, 60, 100), { exp: 'exceeds maximum allowed expiration' })
  })
})

describe('bearerToken', () => {
  it("matches Kong's unanchored [Bb]earer regex", () => {
    assert.equal(bearerToken('Bearer abc'), 'abc')
    assert.equal(bearerToken('bearer  abc def'), 'abc def')
    assert.equal(bearerToken('Token Bearer abc'), 'abc')
    assert.equal(bearerToken('Bearer'), null)
    assert.equal(bearerToken('BEARER abc'), null)
    assert.equal(bearerToken('Basic abc'), null)
  })
})

describe('cookieValue (nginx $cookie_)', () => {
  it('finds the first cookie by name, case-insensitively, its value up to ";"', () => {
    assert.equal(cookieValue(['a=1; jwt=tok; b=2'], 'jwt'), 'tok')
    assert.equal(cookieValue(['JWT = tok ;b=2'], 'jwt'), 'tok ')
    assert.equal(cookieValue(['jwtx=1; jwt=tok'], 'jwt'), 'tok')
    assert.equal(cookieValue(['a=1', 'jwt=second'], 'jwt'), 'second')
    assert.equal(cookieValue(['jwt=; jwt=later'], 'jwt'), '')
    assert.equal(cookieValue(['a=1,jwt=tok'], 'jwt'), 'tok')
    assert.equal(cookieValue(['a=1'], 'jwt'), null)
    assert.equal(cookieValue([], 'jwt'), null)
  })
})

describe('parsePublicKey', () => {
  it('loads public and private PEM keys, refuses anything else', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    assert.equal(parsePublicKey(publicKey.export({ type: 'spki', format: 'pem' }) as string)?.type, 'public')
    assert.equal(
      parsePublicKey(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string)?.type,
      'public',
    )
    assert.equal(parsePublicKey('test'), null)
  })
})
