import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cookieValue, type HashSource, hashConfig, hashValue, queryValues } from './hash-value.js'

const source = (over: Partial<HashSource> = {}): HashSource => ({
  consumerId: () => null,
  clientIp: () => '10.1.2.3',
  headerValues: () => [],
  cookie: () => null,
  path: () => '/a/b',
  queryValues: () => [],
  uriCapture: () => null,
  ...over,
})

describe('hashValue', () => {
  it('hashes each kind, falling back when the first yields nothing', () => {
    const c = (row: Record<string, unknown>) => hashConfig({ algorithm: 'consistent-hashing', ...row })
    assert.equal(hashValue(c({ hash_on: 'ip' }), source()).value, '10.1.2.3')
    assert.equal(hashValue(c({ hash_on: 'path' }), source()).value, '/a/b')
    assert.equal(hashValue(c({ hash_on: 'consumer' }), source({ consumerId: () => 'c1' })).value, 'c1')
    assert.equal(
      hashValue(c({ hash_on: 'header', hash_on_header: 'X-Id' }), source({ headerValues: () => ['a', 'b'] }))
        .value,
      'a, b',
    )
    assert.equal(
      hashValue(
        c({ hash_on: 'query_arg', hash_on_query_arg: 'q' }),
        source({ queryValues: () => ['z', 'a'] }),
      ).value,
      'a,z',
    )
    assert.equal(
      hashValue(
        c({ hash_on: 'uri_capture', hash_on_uri_capture: 'id' }),
        source({ uriCapture: (n) => `cap-${n}` }),
      ).value,
      'cap-id',
    )
    // no consumer: the fallback
    assert.equal(hashValue(c({ hash_on: 'consumer', hash_fallback: 'ip' }), source()).value, '10.1.2.3')
    // nothing at all: the empty string
    assert.equal(hashValue(c({ hash_on: 'header', hash_on_header: 'X-Id' }), source()).value, '')
    assert.equal(hashValue(c({ hash_on: 'none' }), source()).value, '')
  })

  it('uses the cookie sent, or makes one up and sets it', () => {
    const c = hashConfig({ hash_on: 'cookie', hash_on_cookie: 'sticky', hash_on_cookie_path: '/app' })
    assert.deepEqual(hashValue(c, source({ cookie: () => 'v1' })), { value: 'v1', setCookie: null })
    const made = hashValue(c, source())
    assert.match(made.value, /^[0-9a-f-]{36}$/)
    assert.equal(made.setCookie, `sticky=${made.value}; Path=/app; Same-Site=Lax; HttpOnly`)
    assert.equal(hashConfig({ hash_on: 'cookie', hash_on_cookie: 'c' }).cookiePath, '/')
  })
})

describe('request parts', () => {
  it('reads cookies and query arguments', () => {
    assert.equal(cookieValue('a=1; sticky=xyz ; b=2', 'sticky'), 'xyz')
    assert.equal(cookieValue('a=1', 'sticky'), null)
    assert.deepEqual(queryValues('/p?q=1&x&q=a%20b&q=c+d', 'q'), ['1', 'a b', 'c d'])
    assert.deepEqual(queryValues('/p?q=1&x', 'x'), ['true'])
    assert.deepEqual(queryValues('/p', 'q'), [])
  })
})
