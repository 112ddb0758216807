import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { lower, scanHeaders } from './request-head.js'

describe('scanHeaders', () => {
  it('picks out the headers the proxy reads and forwards the rest as received', () => {
    const h = scanHeaders(
      [
        'Host',
        'example.com',
        'X-Forwarded-For',
        '10.0.0.1',
        'x-forwarded-for',
        '10.0.0.2',
        'X-Forwarded-Proto',
        'https',
        'X-Forwarded-Proto',
        'http',
        'Content-Length',
        '5',
        'Via',
        '1.1 a',
        'Accept',
        '*/*',
        'X-Custom',
        'A',
        'x-custom',
        'b',
      ],
      'x-real-ip',
    )
    assert.equal(h.host, 'example.com')
    assert.equal(h.xForwardedFor, '10.0.0.1, 10.0.0.2')
    assert.equal(h.xForwardedProto, 'https', 'the first value counts')
    assert.equal(h.contentLength, '5')
    assert.equal(h.via, '1.1 a')
    assert.deepEqual(h.forward, ['Accept', '*/*', 'X-Custom', 'A', 'x-custom', 'b'])
  })

  it('drops hop-by-hop headers, those listed in Connection, and HTTP/2 pseudo-headers', () => {
    const h = scanHeaders(
      [
        ':authority',
        'h2.example',
        ':path',
        '/',
        'Connection',
        'keep-alive, X-Secret',
        'Keep-Alive',
        'timeout=5',
        'Proxy-Connection',
        'keep-alive',
        'X-Secret',
        'x',
        'TE',
        'trailers',
        'X-Kong-Request-Id',
        'spoofed',
        'Expect',
        '100-continue',
        'X-Kept',
        '1',
      ],
      'x-real-ip',
    )
    assert.equal(h.host, 'h2.example')
    assert.equal(h.te, 'trailers')
    assert.deepEqual(h.forward, ['X-Kept', '1'])
  })

  it('records the real-IP header, and forwards it unless the gateway sets it', () => {
    const custom = scanHeaders(['X-Client-Ip', '192.0.2.7', 'X-Real-IP', '192.0.2.8'], 'x-client-ip')
    assert.equal(custom.realIp, '192.0.2.7')
    assert.deepEqual(custom.forward, ['X-Client-Ip', '192.0.2.7'])
    const real = scanHeaders(['X-Real-IP', '192.0.2.8'], 'x-real-ip')
    assert.equal(real.realIp, '192.0.2.8')
    assert.deepEqual(real.forward, [])
  })
})

describe('lower', () => {
  it('lower-cases header names, including ones past the cache size', () => {
    assert.equal(lower('Content-Type'), 'content-type')
    for (let i = 0; i < 3000; i++) assert.equal(lower(`X-H${i}`), `x-h${i}`)
  })
})
