import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  checkHostname,
  formatHost,
  hostnameType,
  normalizeHost,
  normalizeIpv4,
  normalizeIpv6,
} from './host.js'

const LOOPBACK6 = '0000:0000:0000:0000:0000:0000:0000:0001'

describe('hostnameType', () => {
  it('classifies by exclusion (cases from Kong 05-utils_spec)', () => {
    assert.equal(hostnameType('123.123.123.123'), 'ipv4')
    assert.equal(hostnameType('1.2.3.4'), 'ipv4')
    assert.equal(hostnameType('1.2.3.4:80'), 'ipv4')
    assert.equal(hostnameType('1234'), 'ipv4')
    assert.equal(hostnameType('::1'), 'ipv6')
    assert.equal(hostnameType('2345::6789'), 'ipv6')
    assert.equal(hostnameType('0001:0001:0001:0001:0001:0001:0001:0001'), 'ipv6')
    assert.equal(hostnameType('[2345::6789]:80'), 'ipv6')
    assert.equal(hostnameType('some::thing'), 'ipv6')
    assert.equal(hostnameType('localhost:80'), 'name')
    assert.equal(hostnameType(''), 'name')
  })
})

describe('normalizeIpv4', () => {
  it('normalizes and extracts the port', () => {
    assert.deepEqual(normalizeIpv4('123.123.123.123'), { host: '123.123.123.123' })
    assert.deepEqual(normalizeIpv4('123.123.123.123:80'), { host: '123.123.123.123', port: 80 })
    assert.deepEqual(normalizeIpv4('001.001.001.001:00080'), { host: '1.1.1.1', port: 80 })
  })

  it('rejects invalid addresses and ports', () => {
    for (const bad of [
      '123.123:80',
      '123.123.123.999',
      '123.123.123.123:80a',
      '123.123.123.123.123:80',
      'localhost:80',
      '[::1]:80',
      '1.2.3.4:',
    ]) {
      assert.deepEqual(normalizeIpv4(bad), { error: `invalid ipv4 address: ${bad}` }, bad)
    }
    assert.deepEqual(normalizeIpv4('123.123.123.123:99999'), { error: 'invalid port number' })
  })
})

describe('normalizeIpv6', () => {
  it('expands, lower-cases and extracts the port', () => {
    assert.deepEqual(normalizeIpv6('::1'), { host: LOOPBACK6 })
    assert.deepEqual(normalizeIpv6('[::1]'), { host: LOOPBACK6 })
    assert.deepEqual(normalizeIpv6('[::1]:80'), { host: LOOPBACK6, port: 80 })
    assert.deepEqual(normalizeIpv6(`[${LOOPBACK6}]:80`), { host: LOOPBACK6, port: 80 })
    assert.deepEqual(normalizeIpv6('::'), { host: '0000:0000:0000:0000:0000:0000:0000:0000' })
    assert.deepEqual(normalizeIpv6('FE80::A:b'), { host: 'fe80:0000:0000:0000:0000:0000:000a:000b' })
    assert.deepEqual(normalizeIpv6('1::'), { host: '0001:0000:0000:0000:0000:0000:0000:0000' })
  })

  it('rejects invalid addresses and ports', () => {
    for (const bad of [
      '123.123.123.123',
      'localhost:80',
      '::x',
      '1',
      '1::2::3',
      '::ffff:1.2.3.4',
      '1:2:3:4:5:6:7:8:9',
    ]) {
      assert.deepEqual(normalizeIpv6(bad), { error: `invalid ipv6 address: ${bad}` }, bad)
    }
    assert.deepEqual(normalizeIpv6('[::x]:80'), { error: 'invalid ipv6 address: [::x]:80' })
    assert.deepEqual(normalizeIpv6('[::1]:80a'), { error: 'invalid ipv6 address' })
    assert.deepEqual(normalizeIpv6('[::1]:'), { error: 'invalid ipv6 address' })
    assert.deepEqual(normalizeIpv6('[::1]:65536'), { error: 'invalid port number' })
  })
})

describe('checkHostname', () => {
  it('accepts names, FQDNs, leading dashes (punycode) and ports', () => {
    assert.deepEqual(checkHostname('example.test'), { host: 'example.test' })
    assert.deepEqual(checkHostname('Example.TEST.'), { host: 'Example.TEST.' })
    assert.deepEqual(checkHostname('-with-SUPER-MONKEYS-pc58ag80a8qai00g7n9n'), {
      host: '-with-SUPER-MONKEYS-pc58ag80a8qai00g7n9n',
    })
    assert.deepEqual(checkHostname('example_api.com:8080'), { host: 'example_api.com', port: 8080 })
  })

  it('rejects bad characters, empty labels and labels ending with a dash', () => {
    for (const bad of [
      '',
      '.',
      '.example',
      'hello..example.com',
      'example-.org',
      'example.org-',
      'a b',
      'example:',
      'example.com/org',
      ':80',
    ]) {
      assert.deepEqual(checkHostname(bad), { error: `invalid hostname: ${bad}` }, bad)
    }
    assert.deepEqual(checkHostname('example.com:1000000'), { error: 'invalid port number' })
  })
})

describe('normalizeHost / formatHost', () => {
  it('dispatches on the host type', () => {
    assert.deepEqual(normalizeHost('001.002.003.004:123'), { type: 'ipv4', host: '1.2.3.4', port: 123 })
    assert.deepEqual(normalizeHost('[::1]:8000'), { type: 'ipv6', host: LOOPBACK6, port: 8000 })
    assert.deepEqual(normalizeHost('konghq.test'), { type: 'name', host: 'konghq.test' })
    assert.deepEqual(normalizeHost('1234'), { error: 'invalid ipv4 address: 1234' })
  })

  it('formats with brackets and default ports', () => {
    assert.equal(formatHost({ type: 'ipv4', host: '1.2.3.4', port: 123 }), '1.2.3.4:123')
    assert.equal(formatHost({ type: 'ipv6', host: LOOPBACK6 }), `[${LOOPBACK6}]`)
    assert.equal(formatHost({ type: 'ipv6', host: '::1' }, 80), `[${LOOPBACK6}]:80`)
    assert.equal(formatHost({ type: 'name', host: 'a.test', port: 0 }, 8000), 'a.test:0')
    assert.equal(formatHost({ type: 'name', host: 'a.test' }, 8000), 'a.test:8000')
  })
})
