// hmac-auth's pure logic: the credential header, the signing string (request-line and
// @request-target), signatures, the body digest and nginx's HTTP date parser (plugins.md §6.5).
import assert from 'node:assert/strict'
import { createHash, createHmac } from 'node:crypto'
import { describe, it } from 'node:test'
import {
  bodyDigest,
  parseHmacHeader,
  parseHttpTime,
  type RequestView,
  sign,
  signatureMatches,
  signingString,
} from './signing.js'

function view(headers: Record<string, string>, method = 'GET', uri = '/request', version = 1.1): RequestView {
  return {
    method,
    pathWithQuery: uri,
    httpVersion: version,
    header: (name) => headers[name.toLowerCase()] ?? null,
  }
}

describe('hmac-auth signing', () => {
  it('parses the credential header, with or without spaces between fields', () => {
    const p = parseHmacHeader(
      'hmac username="bob", algorithm="hmac-sha1", headers="date request-line", signature="c2ln"',
    )
    assert.deepEqual(p, {
      username: 'bob',
      algorithm: 'hmac-sha1',
      headers: ['date', 'request-line'],
      signature: 'c2ln',
    })
    const tight = parseHmacHeader('Hmac username="bob",algorithm="hmac-sha256",headers="date",signature="x"')
    assert.equal(tight?.algorithm, 'hmac-sha256')
    // Kong's pattern is not anchored
    assert.equal(
      parseHmacHeader('"hmac username="bob",algorithm="a",headers="h",signature="s"')?.username,
      'bob',
    )
  })

  it('refuses headers missing a field, with an empty field or fields out of order', () => {
    assert.equal(parseHmacHeader(null), null)
    assert.equal(parseHmacHeader('hmac username'), null)
    assert.equal(parseHmacHeader('hmac username="bob", algorithm="hmac-sha1", headers="date"'), null)
    assert.equal(
      parseHmacHeader('hmac username="", algorithm="hmac-sha1", headers="date", signature="x"'),
      null,
    )
    assert.equal(
      parseHmacHeader('hmac algorithm="hmac-sha1", username="bob", headers="date", signature="x"'),
      null,
    )
    assert.equal(
      parseHmacHeader('hmac username="bob", algorithm="hmac-sha1", header="date", signature="x"'),
      null,
    )
    assert.equal(parseHmacHeader('Basic Ym9iOmtvbmc='), null)
  })

  it('builds the signing string: header lines, request-line, @request-target, missing headers', () => {
    const req = view({ date: 'D', 'content-md5': 'md5' }, 'POST', '/p?a=1&b=%20')
    assert.equal(
      signingString(['date', 'content-md5', 'request-line'], req),
      'date: D\ncontent-md5: md5\nPOST /p?a=1&b=%20 HTTP/1.1',
    )
    assert.equal(signingString(['@request-target'], req), '@request-target: post /p?a=1&b=%20')
    assert.equal(signingString(['Date', 'x-missing'], req), 'Date: D\nx-missing:')
    assert.equal(signingString(['request-line'], view({}, 'GET', '/', 1.0)), 'GET / HTTP/1.0')
    assert.equal(signingString(['request-line'], view({}, 'GET', '/', 2)), 'GET / HTTP/2.0')
    // a real header of that name wins
    assert.equal(signingString(['request-line'], view({ 'request-line': 'x' })), 'request-line: x')
  })

  it('signs with each algorithm and compares base64 signatures', () => {
    for (const [alg, digest] of [
      ['hmac-sha1', 'sha1'],
      ['hmac-sha256', 'sha256'],
      ['hmac-sha384', 'sha384'],
      ['hmac-sha512', 'sha512'],
    ] as const) {
      const expected = createHmac(digest, 'secret').update('date: D').digest()
      assert.deepEqual(sign(alg, 'secret', 'date: D'), expected)
      assert.ok(signatureMatches(alg, 'secret', 'date: D', expected.toString('base64')))
      assert.ok(!signatureMatches(alg, 'other', 'date: D', expected.toString('base64')))
    }
    assert.ok(!signatureMatches('hmac-sha1', 'secret', 'date: D', 'not base64!'))
  })

  it('computes the Digest of a body', () => {
    assert.equal(bodyDigest(''), `SHA-256=${createHash('sha256').update('').digest('base64')}`)
    assert.equal(
      bodyDigest('{"a":"apple"}'),
      `SHA-256=${createHash('sha256').update('{"a":"apple"}').digest('base64')}`,
    )
  })

  it('parses HTTP dates in the three formats nginx knows', () => {
    const t = Date.UTC(1994, 10, 6, 8, 49, 37) / 1000
    assert.equal(parseHttpTime('Sun, 06 Nov 1994 08:49:37 GMT'), t)
    assert.equal(parseHttpTime('Sunday, 06-Nov-94 08:49:37 GMT'), t)
    assert.equal(parseHttpTime('Sun Nov  6 08:49:37 1994'), t)
    assert.equal(parseHttpTime(new Date(1_700_000_000_000).toUTCString()), 1_700_000_000)
    assert.equal(parseHttpTime('Thu, 29 Feb 2024 00:00:00 GMT'), Date.UTC(2024, 1, 29) / 1000)
    assert.equal(parseHttpTime('Mon, 01 Jan 2001 23:59:59 GMT'), Date.UTC(2001, 0, 1, 23, 59, 59) / 1000)
    assert.equal(parseHttpTime('Sun, 31 Dec 2000 12:00:00 GMT'), Date.UTC(2000, 11, 31, 12) / 1000)
  })

  it('refuses what nginx refuses', () => {
    assert.equal(parseHttpTime('wrong date'), null)
    assert.equal(parseHttpTime(''), null)
    assert.equal(parseHttpTime('2024-01-01T00:00:00Z'), null)
    assert.equal(parseHttpTime('Thu, 29 Feb 2023 00:00:00 GMT'), null)
    assert.equal(parseHttpTime('Thu, 31 Apr 2023 00:00:00 GMT'), null)
    assert.equal(parseHttpTime('Thu, 01 Xyz 2023 00:00:00 GMT'), null)
    assert.equal(parseHttpTime('Thu, 01 Jan 2023 24:00:00 GMT'), null)
    assert.equal(parseHttpTime('Thu, 01 Jan 2023 00:60:00 GMT'), null)
  })
})
