import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { expandServiceUrl } from './url.js'

describe('expandServiceUrl', () => {
  it('follows the examples of the spec', () => {
    assert.deepEqual(expandServiceUrl('http://example.test:443'), {
      protocol: 'http',
      host: 'example.test',
      port: 443,
      path: null,
    })
    assert.deepEqual(expandServiceUrl('https://example2.test:80/'), {
      protocol: 'https',
      host: 'example2.test',
      port: 80,
      path: '/',
    })
  })

  it('uses the default port of the scheme, else 80', () => {
    assert.deepEqual(expandServiceUrl('https://a.test/x/y'), {
      protocol: 'https',
      host: 'a.test',
      port: 443,
      path: '/x/y',
    })
    assert.deepEqual(expandServiceUrl('http://a.test'), {
      protocol: 'http',
      host: 'a.test',
      port: 80,
      path: null,
    })
    assert.deepEqual(expandServiceUrl('grpcs://a.test'), {
      protocol: 'grpcs',
      host: 'a.test',
      port: 80,
      path: null,
    })
    assert.deepEqual(expandServiceUrl('tcp://a.test:9000'), {
      protocol: 'tcp',
      host: 'a.test',
      port: 9000,
      path: null,
    })
  })

  it('guesses the protocol from the port when there is no scheme', () => {
    assert.deepEqual(expandServiceUrl('//a.test:443/p'), {
      protocol: 'https',
      host: 'a.test',
      port: 443,
      path: '/p',
    })
    assert.deepEqual(expandServiceUrl('//a.test:80'), {
      protocol: 'http',
      host: 'a.test',
      port: 80,
      path: null,
    })
    assert.deepEqual(expandServiceUrl('//a.test:8443'), {
      protocol: 'http',
      host: 'a.test',
      port: 8443,
      path: null,
    })
    assert.deepEqual(expandServiceUrl('/only/a/path'), {
      protocol: 'http',
      host: null,
      port: 80,
      path: '/only/a/path',
    })
  })

  it('drops userinfo, query, params and fragment; unwraps IPv6', () => {
    assert.deepEqual(expandServiceUrl('http://u:p@a.test:81/p;x=1?q=2#frag'), {
      protocol: 'http',
      host: 'a.test',
      port: 81,
      path: '/p',
    })
    assert.deepEqual(expandServiceUrl('http://[::1]:8080/'), {
      protocol: 'http',
      host: '::1',
      port: 8080,
      path: '/',
    })
    assert.deepEqual(expandServiceUrl('http://[::1]'), {
      protocol: 'http',
      host: '::1',
      port: 80,
      path: null,
    })
  })

  it("reproduces socket.url's quirks for later validation errors", () => {
    // `localhost` is read as a scheme: `protocol: expected one of: …` follows.
    assert.deepEqual(expandServiceUrl('localhost:8000'), {
      protocol: 'localhost',
      host: null,
      port: 80,
      path: '8000',
    })
    // A non-numeric port is kept as text: `port: expected an integer` follows.
    assert.deepEqual(expandServiceUrl('http://a.test:x/'), {
      protocol: 'http',
      host: 'a.test',
      port: 'x',
      path: '/',
    })
    assert.deepEqual(expandServiceUrl('http://a.test:/'), {
      protocol: 'http',
      host: 'a.test',
      port: '',
      path: '/',
    })
    assert.deepEqual(expandServiceUrl('http://:8080'), {
      protocol: 'http',
      host: null,
      port: 8080,
      path: null,
    })
    assert.deepEqual(expandServiceUrl('http://a.test:0x50'), {
      protocol: 'http',
      host: 'a.test',
      port: 80,
      path: null,
    })
  })

  it('rejects the empty string', () => {
    assert.deepEqual(expandServiceUrl(''), { error: 'length must be at least 1' })
  })
})
