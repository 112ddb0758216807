import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  HOST_EXACT,
  HOST_PREFIX,
  HOST_SUFFIX,
  parsePortAt,
  parseRouteHost,
  parseRouteSni,
  routeHostMatches,
} from './host.js'

describe('parseRouteHost', () => {
  it('splits a numeric port and recognizes wildcards', () => {
    assert.deepEqual(parseRouteHost('api.example.com'), {
      kind: HOST_EXACT,
      value: 'api.example.com',
      port: -1,
    })
    assert.deepEqual(parseRouteHost('api.example.com:8443'), {
      kind: HOST_EXACT,
      value: 'api.example.com',
      port: 8443,
    })
    assert.deepEqual(parseRouteHost('*.example.com'), { kind: HOST_SUFFIX, value: '.example.com', port: -1 })
    assert.deepEqual(parseRouteHost('*.route.net:123'), { kind: HOST_SUFFIX, value: '.route.net', port: 123 })
    assert.deepEqual(parseRouteHost('example.*'), { kind: HOST_PREFIX, value: 'example.', port: -1 })
    assert.deepEqual(parseRouteHost('route.*:80'), { kind: HOST_PREFIX, value: 'route.', port: 80 })
  })

  it('keeps a host whole when the part after `:` is not a number', () => {
    assert.deepEqual(parseRouteHost('[::1]:80'), { kind: HOST_EXACT, value: '[::1]:80', port: -1 })
    assert.deepEqual(parseRouteHost('::1'), { kind: HOST_EXACT, value: '::1', port: -1 })
    assert.deepEqual(parseRouteHost('a:'), { kind: HOST_EXACT, value: 'a:', port: -1 })
  })

  it('matches with and without port', () => {
    const h = parseRouteHost('*.example.com:8443')
    assert.ok(routeHostMatches(h, 'a.example.com', 8443))
    assert.ok(!routeHostMatches(h, 'a.example.com', 443))
    assert.ok(!routeHostMatches(h, 'example.com', 8443))
  })
})

describe('parsePortAt', () => {
  it('accepts decimal digits only', () => {
    assert.equal(parsePortAt('a:8000', 2), 8000)
    assert.equal(parsePortAt('a:', 2), -1)
    assert.equal(parsePortAt('a:0x50', 2), -1)
    assert.equal(parsePortAt('a: 80', 2), -1)
    assert.equal(parsePortAt('a:12345678901', 2), -1)
  })
})

describe('parseRouteSni', () => {
  it("follows Kong's sni transforms", () => {
    assert.deepEqual(parseRouteSni('www.example.org.'), { kind: HOST_EXACT, value: 'www.example.org' })
    assert.deepEqual(parseRouteSni('*.example.com'), { kind: HOST_SUFFIX, value: '.example.com' })
    assert.deepEqual(parseRouteSni('*.example.com.'), { kind: HOST_SUFFIX, value: '.example.com' })
    assert.deepEqual(parseRouteSni('example.*'), { kind: HOST_PREFIX, value: 'example.' })
    assert.deepEqual(parseRouteSni('.'), { kind: HOST_EXACT, value: '.' })
  })
})
