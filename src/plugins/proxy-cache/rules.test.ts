// proxy-cache's pure parts: the cache key, Cache-Control rules, content types, the dictionary.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import {
  cacheableRequest,
  cacheableResponse,
  contentTypeMatches,
  needsRefresh,
  parseCacheControl,
  resourceTtl,
} from './cache-control.js'
import { cacheKey, headersKey, paramsKey, requestUri } from './cache-key.js'
import { CACHE_VERSION, Dictionary } from './store.js'

const sha = (s: string) => createHash('sha256').update(s).digest('hex')

describe('proxy-cache key', () => {
  it('hashes prefix|method|uri|params|headers', () => {
    const key = cacheKey(
      {
        consumerId: 'c1',
        routeId: 'r1',
        method: 'GET',
        uri: 'GET /a',
        query: { b: '2', a: ['z', 'y'], flag: true },
        headers: { 'x-tenant': 't1', other: 'x' },
      },
      { query: null, headers: ['X-Tenant'] },
    )
    assert.equal(key, sha('c1:r1|GET|GET /a|a=y,z:b=2:flag|X-Tenant=t1'))
    assert.equal(
      cacheKey(
        { consumerId: null, routeId: 'r1', method: 'GET', uri: 'GET /a HTTP/1.1', query: {}, headers: {} },
        { query: null, headers: null },
      ),
      sha('r1|GET|GET /a HTTP/1.1||'),
    )
    assert.equal(
      cacheKey(
        { consumerId: null, routeId: null, method: 'GET', uri: 'u', query: {}, headers: {} },
        { query: null, headers: null },
      ),
      sha('default|GET|u||'),
    )
  })

  it('takes only vary_query_params, in their order, and no headers without vary_headers', () => {
    assert.equal(paramsKey({ b: '1', a: '2', c: '3' }, ['c', 'a', 'missing']), 'c=3:a=2')
    assert.equal(paramsKey({ b: '1', a: '2' }, []), 'a=2:b=1')
    assert.equal(headersKey({ a: '1' }, null), '')
  })

  it('cuts the request line at the query, lower-cased with ignore_uri_case', () => {
    assert.equal(requestUri('GET', '/Api?x=1', 1.1, false), 'GET /Api')
    assert.equal(requestUri('GET', '/Api', 1.1, false), 'GET /Api HTTP/1.1')
    assert.equal(requestUri('GET', '/Api', 2, true), 'get /api http/2.0')
  })
})

const rules = {
  request_method: ['GET', 'HEAD'],
  response_code: [200, 301, 404],
  content_type: ['text/plain', 'application/json'],
  cache_control: false,
  cache_ttl: 300,
}

describe('proxy-cache rules', () => {
  it('parses Cache-Control directives', () => {
    assert.deepEqual(parseCacheControl('No-Cache, max-age=60, private="x", s-maxage = 5'), {
      'no-cache': true,
      'max-age': 60,
      private: 'x',
      's-maxage': 5,
    })
    assert.deepEqual(parseCacheControl(undefined), {})
  })

  it('requests: the method, and with cache_control no-store/no-cache/Authorization bypass', () => {
    assert.equal(cacheableRequest(rules, 'GET', {}, false), true)
    assert.equal(cacheableRequest(rules, 'POST', {}, false), false)
    assert.equal(cacheableRequest(rules, 'GET', { 'no-cache': true }, true), true)
    const cc = { ...rules, cache_control: true }
    assert.equal(cacheableRequest(cc, 'GET', { 'no-cache': true }, false), false)
    assert.equal(cacheableRequest(cc, 'GET', { 'no-store': true }, false), false)
    assert.equal(cacheableRequest(cc, 'GET', {}, true), false)
  })

  it('content types: type/subtype with * wildcards, configured parameters must match', () => {
    assert.equal(contentTypeMatches(['application/json'], 'application/json; charset=utf-8'), true)
    assert.equal(contentTypeMatches(['application/json'], 'Application/JSON'), true)
    assert.equal(contentTypeMatches(['text/*'], 'text/html'), true)
    assert.equal(contentTypeMatches(['*/*'], 'image/png'), true)
    assert.equal(contentTypeMatches(['text/plain; charset=utf-8'], 'text/plain'), false)
    assert.equal(contentTypeMatches(['text/plain; charset=utf-8'], 'text/plain; charset=UTF-8'), true)
    assert.equal(contentTypeMatches(['text/plain'], 'text/html'), false)
    assert.equal(contentTypeMatches(['text/plain'], undefined), false)
  })

  it('responses: status, type, and with cache_control private/no-store/no-cache/zero ttl bypass', () => {
    assert.equal(cacheableResponse(rules, 200, 'text/plain', {}, null, 0), true)
    assert.equal(cacheableResponse(rules, 500, 'text/plain', {}, null, 0), false)
    assert.equal(cacheableResponse(rules, 200, 'text/html', {}, null, 0), false)
    const cc = { ...rules, cache_control: true }
    assert.equal(cacheableResponse(cc, 200, 'text/plain', { 'max-age': 10 }, null, 0), true)
    assert.equal(cacheableResponse(cc, 200, 'text/plain', {}, null, 0), false)
    assert.equal(cacheableResponse(cc, 200, 'text/plain', { 'max-age': 10, private: true }, null, 0), false)
    const now = Date.parse('2026-01-01T00:00:00Z') / 1000
    assert.equal(cacheableResponse(cc, 200, 'text/plain', {}, 'Thu, 01 Jan 2026 00:01:00 GMT', now), true)
    assert.equal(resourceTtl({}, 'Thu, 01 Jan 2026 00:01:00 GMT', now), 60)
    assert.equal(resourceTtl({ 's-maxage': 5, 'max-age': 60 }, null, now), 5)
  })

  it('freshness: cache_ttl, or the request directives with cache_control', () => {
    const entry = { timestamp: 1000, ttl: 100 }
    assert.equal(needsRefresh(rules, {}, entry, 1300), false)
    assert.equal(needsRefresh(rules, {}, entry, 1301), true)
    const cc = { ...rules, cache_control: true }
    assert.equal(needsRefresh(cc, {}, entry, 5000), false)
    assert.equal(needsRefresh(cc, { 'max-age': 10 }, entry, 1011), true)
    assert.equal(needsRefresh(cc, { 'max-stale': 5 }, entry, 1104), false)
    assert.equal(needsRefresh(cc, { 'max-stale': 5 }, entry, 1106), true)
    assert.equal(needsRefresh(cc, { 'min-fresh': 50 }, entry, 1051), true)
  })
})

describe('proxy-cache dictionary', () => {
  const entry = (body: string) => ({
    status: 200,
    headers: {},
    body,
    body_len: body.length,
    timestamp: 0,
    ttl: 10,
    version: CACHE_VERSION,
  })

  it('expires entries after their storage ttl and evicts the least recently used', () => {
    let now = 0
    const d = new Dictionary(400, () => now)
    assert.equal(d.set('a', entry('x'.repeat(100)), 10), true)
    assert.equal(d.set('b', entry('x'.repeat(100)), 10), true)
    assert.ok(d.get('a')) // a is now the most recently used
    assert.equal(d.set('c', entry('x'.repeat(100)), 10), true)
    assert.equal(d.get('b'), null)
    assert.ok(d.get('a'))
    assert.ok(d.get('c'))
    now = 11
    assert.equal(d.get('a'), null)
    assert.equal(d.set('huge', entry('x'.repeat(1000)), 10), false)
    d.purge()
    assert.equal(d.size, 0)
  })
})
