// basic-auth's pure logic: the stored hash (Kong's crypto.hash), nginx's base64 decoding and the
// parsing of `Basic` headers (plugins.md §6.3).
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import { decodeBase64, hashPassword, parseBasic, passwordMatches } from './crypto.js'

const CONSUMER = '0b0ad9c6-5d2f-4f8f-8e39-6f0f0cbd0a11'
const b64 = (s: string) => Buffer.from(s).toString('base64')

describe('basic-auth crypto', () => {
  it('hashes as hex SHA-1 of password .. consumer_id, without trimming', () => {
    const expected = createHash('sha1').update(`kong${CONSUMER}`).digest('hex')
    assert.equal(hashPassword(CONSUMER, 'kong'), expected)
    assert.match(hashPassword(CONSUMER, 'kong'), /^[0-9a-f]{40}$/)
    assert.equal(
      hashPassword(CONSUMER, ' kong '),
      createHash('sha1').update(` kong ${CONSUMER}`).digest('hex'),
    )
    assert.equal(hashPassword(CONSUMER, null), createHash('sha1').update(CONSUMER).digest('hex'))
  })

  it('checks a password given as raw bytes', () => {
    const stored = hashPassword(CONSUMER, 'pässword')
    assert.ok(passwordMatches(stored, CONSUMER, Buffer.from('pässword')))
    assert.ok(!passwordMatches(stored, CONSUMER, Buffer.from('password')))
    assert.ok(!passwordMatches(stored, 'other', Buffer.from('pässword')))
    assert.ok(!passwordMatches(null, CONSUMER, Buffer.from('x')))
  })

  it('decodes base64 as nginx does', () => {
    assert.equal(decodeBase64('Ym9iOmtvbmc=')?.toString(), 'bob:kong')
    assert.equal(decodeBase64('Ym9iOmtvbmc')?.toString(), 'bob:kong')
    assert.equal(decodeBase64('Ym9iOmtvbmc=junk!')?.toString(), 'bob:kong')
    assert.equal(decodeBase64('')?.length, 0)
    assert.equal(decodeBase64('Ym9iO'), null) // 4n+1 characters
    assert.equal(decodeBase64('Ym9i Omtv'), null)
    assert.equal(decodeBase64('Ym9i-mtv'), null) // base64url is not accepted
  })

  it('parses user:password, the password may contain ":"', () => {
    const p = parseBasic(`Basic ${b64('user321:password:123')}`)
    assert.equal(p?.username, 'user321')
    assert.equal(p?.password.toString(), 'password:123')
    assert.equal(parseBasic(`basic ${b64('a:')}`)?.password.length, 0)
    assert.equal(parseBasic(`  Basic   ${b64('bob:kong')}`)?.username, 'bob')
    assert.equal(parseBasic(`Basic${b64('bob:kong')}`)?.username, 'bob')
    assert.equal(parseBasic(`Basic ${b64('bøb:kong')}`)?.username, 'bøb')
  })

  it('refuses headers that are not Basic user:password', () => {
    assert.equal(parseBasic(null), null)
    assert.equal(parseBasic('foobar'), null)
    assert.equal(parseBasic('Basic '), null)
    assert.equal(parseBasic('Basic a29uZw=='), null) // "kong": no colon
    assert.equal(parseBasic('Basic Ym9i'), null) // "bob"
    assert.equal(parseBasic(`Basic ${b64(':kong')}`), null) // empty user
    assert.equal(parseBasic('Basic adXNlcjEyMzpwYXNzd29yZDEyMw=='), null)
    assert.equal(parseBasic('Bearer Ym9iOmtvbmc='), null)
  })
})
