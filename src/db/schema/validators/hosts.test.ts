import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  validateHost,
  validateHostWithOptionalPort,
  validateIp,
  validateIpOrCidr,
  validateRouteHost,
  validateSni,
  validateUpstreamName,
  validateWildcardHost,
} from './hosts.js'

// Hosts accepted by Kong's services and routes specs (05-services_spec, 06-routes_spec).
const VALID_HOSTS = [
  'hello.com',
  'hello.fr',
  'test.hello.com',
  '1991.io',
  'hello.COM',
  'HELLO.com',
  '123helloWORLD.com',
  'example.123',
  'example-api.com',
  'hello.abcd',
  'example_api.com',
  'localhost',
  'example.test.',
  '3B-ww4c5e180e575a65lsy2b',
  '-with-SUPER-MONKEYS-pc58ag80a8qai00g7n9n',
  'Hello-Another-Way--fc4qua05auwb3674vfr0b',
  '2-u9tlzr9756bt3uc0v',
  'MajiKoi5-783gue6qz075azm5e',
  'de-jg4avhby1noc0d',
  'd9juau41awczczp',
]
const INVALID_HOSTS = [
  '/example',
  '.example',
  'example:',
  'mock;bin',
  'example.com/org',
  'example-.org',
  'example.org-',
  'hello..example.com',
  'hello-.example.com',
]

describe('validateHost (service host)', () => {
  it('accepts hostnames and IPs', () => {
    for (const h of [...VALID_HOSTS, '127.0.0.1', '::1', '[::1]']) assert.equal(validateHost(h), undefined, h)
  })

  it('rejects invalid hosts with the value in the message', () => {
    for (const h of [
      ...INVALID_HOSTS,
      '*example.com',
      'www.example*',
      'mock*bin.com',
      '1234',
      '256.0.0.1',
      '::x',
    ]) {
      assert.equal(validateHost(h), `invalid value: ${h}`, h)
    }
  })

  it('rejects ports, valid or not', () => {
    assert.equal(validateHost('example.com:80'), 'must not have a port')
    assert.equal(validateHost('example.com:1000000'), 'must not have a port')
    assert.equal(validateHost('1.2.3.4:80'), 'must not have a port')
    assert.equal(validateHost('[::1]:80'), 'must not have a port')
  })
})

describe('validateHostWithOptionalPort (upstream host_header)', () => {
  it('accepts hosts with or without port', () => {
    for (const h of ['ahostname', 'a.hostname.test', 'a.test:8080', '1.2.3.4:1', '[::1]:80']) {
      assert.equal(validateHostWithOptionalPort(h), undefined, h)
    }
  })

  it("returns the parser's messages (Kong 09-upstreams_spec)", () => {
    assert.equal(
      validateHostWithOptionalPort('http://ahostname.test'),
      'invalid hostname: http://ahostname.test',
    )
    assert.equal(validateHostWithOptionalPort('ahostname-'), 'invalid hostname: ahostname-')
    assert.equal(validateHostWithOptionalPort('a hostname'), 'invalid hostname: a hostname')
    assert.equal(validateHostWithOptionalPort('a.test:65536'), 'invalid port number')
    assert.equal(validateHostWithOptionalPort('1.2.3'), 'invalid ipv4 address: 1.2.3')
    assert.equal(validateHostWithOptionalPort('1::2::3'), 'invalid ipv6 address: 1::2::3')
  })
})

describe('validateSni', () => {
  it('accepts names only (Kong 03-typedefs_spec)', () => {
    assert.equal(validateSni('example.com'), undefined)
    assert.equal(validateSni('9foo.te-st.bar.test'), undefined)
  })

  it('rejects IPs, ports and invalid names', () => {
    assert.equal(validateSni('127.0.0.1'), 'must not be an IP')
    assert.equal(validateSni('10.0.0.1:8001'), 'must not be an IP')
    assert.equal(validateSni('[::1]'), 'must not be an IP')
    assert.equal(validateSni('example.com:80'), 'must not have a port')
    assert.equal(validateSni('example.com:99999'), 'must not have a port')
    assert.equal(validateSni('example^com'), 'invalid value: example^com')
  })
})

describe('validateWildcardHost (SNI names, Kong 11-snis_spec)', () => {
  it('accepts names and one leading or trailing wildcard', () => {
    for (const n of [
      'valid.name',
      'foo.valid.name',
      '*',
      '*.wildcard.com',
      'wildcard.*',
      'test.wildcard.*',
      'foo.test.wildcard.*',
      '*.test.wildcard.com',
    ]) {
      assert.equal(validateWildcardHost(n), undefined, n)
    }
    // Only the position of the '*' is checked, as in Kong.
    assert.equal(validateWildcardHost('*example.com'), undefined)
  })

  it('rejects misplaced and repeated wildcards', () => {
    for (const n of ['foo.*.com', 'foo.*.wildcard.com', 'foo*.test', 'wildcard.*:80', 'test.wildcard.*:80']) {
      assert.equal(validateWildcardHost(n), 'wildcard must be leftmost or rightmost character', n)
    }
    for (const n of ['*.example.*', '*.foo.*.wildcard.com', '*.*.wildcard.*', '**']) {
      assert.equal(validateWildcardHost(n), 'only one wildcard must be specified', n)
    }
  })

  it('rejects ports, IPs and invalid names', () => {
    assert.equal(validateWildcardHost('*.wildcard.com:8000'), 'must not have a port')
    assert.equal(validateWildcardHost('valid.name:8000'), 'must not have a port')
    assert.equal(validateWildcardHost('test.wildcard.com:*'), 'invalid value: test.wildcard.com:wildcard')
    for (const n of ['127.0.0.1', '10.0.0.1', '10.0.0.1:8001', '::1']) {
      assert.equal(validateWildcardHost(n), 'must not be an IP', n)
    }
    assert.equal(validateWildcardHost('example^com'), 'invalid value: example^com')
  })
})

describe('validateRouteHost', () => {
  it('accepts hosts, ports and valid wildcards (Kong 06-routes_spec)', () => {
    for (const h of [
      ...VALID_HOSTS,
      'example.com:80',
      'example.com:8080',
      'example.*',
      '*.example.org',
      '*.example.org:321',
      '10.0.0.1',
    ]) {
      assert.equal(validateRouteHost(h), undefined, h)
    }
  })

  it('rejects invalid hostnames with the parser message', () => {
    for (const h of INVALID_HOSTS) assert.equal(validateRouteHost(h), `invalid hostname: ${h}`, h)
    assert.equal(validateRouteHost('*.exa mple.com'), 'invalid hostname: abc.exa mple.com')
    assert.equal(validateRouteHost('example.com:1000000'), 'invalid port number')
  })

  it('rejects misplaced and repeated wildcards', () => {
    for (const h of ['*example.com', 'www.example*', 'mock*bin.com']) {
      assert.equal(validateRouteHost(h), 'invalid wildcard: must be placed at leftmost or rightmost label', h)
    }
    for (const h of ['*.example.*', '**.example.com', '*.example*.*']) {
      assert.equal(validateRouteHost(h), 'invalid wildcard: must have at most one wildcard', h)
    }
  })
})

describe('validateUpstreamName', () => {
  it('accepts hostnames', () => {
    for (const n of ['valid.host.name', 'my_service', 'www.example.com'])
      assert.equal(validateUpstreamName(n), undefined)
  })

  it('rejects invalid names, IPs and ports (Kong 09-upstreams_spec)', () => {
    assert.equal(
      validateUpstreamName('123.123.123.123'),
      "Invalid name ('123.123.123.123'); no ip addresses allowed",
    )
    assert.equal(validateUpstreamName('::1'), "Invalid name ('::1'); no ip addresses allowed")
    assert.equal(
      validateUpstreamName('\\\\bad\\\\////name////'),
      "Invalid name ('\\\\bad\\\\////name////'); must be a valid hostname",
    )
    assert.equal(validateUpstreamName('1234'), "Invalid name ('1234'); must be a valid hostname")
    assert.equal(validateUpstreamName('fafa fafa'), "Invalid name ('fafa fafa'); must be a valid hostname")
    assert.equal(validateUpstreamName('name:80'), "Invalid name ('name:80'); no port allowed")
    assert.equal(validateUpstreamName('myserver:8000'), "Invalid name ('myserver:8000'); no port allowed")
    assert.equal(validateUpstreamName('a\ud800'), 'Invalid name; must be a valid hostname')
  })
})

describe('validateIp / validateIpOrCidr', () => {
  it('validates route sources and destinations', () => {
    assert.equal(validateIp('1.2.3.4'), undefined)
    assert.equal(validateIp('x.x.x.x'), 'not an ip address: x.x.x.x')
    assert.equal(validateIpOrCidr('1.2.3.4'), undefined)
    assert.equal(validateIpOrCidr('10.0.0.0/8'), undefined)
    assert.equal(validateIpOrCidr('2001:db8::/32'), undefined)
    assert.equal(validateIpOrCidr('x.x.x.x'), "invalid ip or cidr range: 'x.x.x.x'")
    assert.equal(validateIpOrCidr('1.2.3.4/33'), "invalid ip or cidr range: '1.2.3.4/33'")
  })
})
