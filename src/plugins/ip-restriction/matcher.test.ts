import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type Address, displayAddress, IpMatcher, parseAddress } from './matcher.js'

function addr(text: string): Address {
  const a = parseAddress(text)
  if (a === null) throw new Error(`not an address: ${text}`)
  return a
}

function matches(list: string[], ip: string): boolean {
  return new IpMatcher(list).match(addr(ip))
}

describe('parseAddress', () => {
  it('parses IPv4, IPv6 and IPv4-mapped IPv6 (as IPv4)', () => {
    assert.deepEqual(parseAddress('10.1.2.3'), { family: 4, v4: 0x0a010203 })
    assert.deepEqual(parseAddress('255.255.255.255'), { family: 4, v4: 0xffffffff })
    assert.deepEqual(parseAddress('::1'), { family: 6, groups: [0, 0, 0, 0, 0, 0, 0, 1] })
    assert.deepEqual(parseAddress('2001:db8::8:800:200c:417a'), {
      family: 6,
      groups: [0x2001, 0xdb8, 0, 0, 8, 0x800, 0x200c, 0x417a],
    })
    assert.deepEqual(parseAddress('::ffff:127.0.0.1'), { family: 4, v4: 0x7f000001 })
    assert.deepEqual(parseAddress('::ffff:7f00:1'), { family: 4, v4: 0x7f000001 })
    assert.deepEqual(parseAddress('64:ff9b::1.2.3.4'), {
      family: 6,
      groups: [0x64, 0xff9b, 0, 0, 0, 0, 0x102, 0x304],
    })
  })

  it('refuses what is not an address (unix sockets, empty)', () => {
    assert.equal(parseAddress(''), null)
    assert.equal(parseAddress('unix:'), null)
    assert.equal(parseAddress('1.2.3'), null)
  })

  it('shows IPv4-mapped addresses in IPv4 form', () => {
    assert.equal(displayAddress('::ffff:10.0.0.1'), '10.0.0.1')
    assert.equal(displayAddress('10.0.0.1'), '10.0.0.1')
    assert.equal(displayAddress('::1'), '::1')
    assert.equal(displayAddress('64:ff9b::1.2.3.4'), '64:ff9b::1.2.3.4')
  })
})

describe('IpMatcher', () => {
  it('matches exact IPv4 addresses and CIDR ranges', () => {
    assert.equal(matches(['127.0.0.1'], '127.0.0.1'), true)
    assert.equal(matches(['127.0.0.1'], '127.0.0.2'), false)
    assert.equal(matches(['127.0.0.0/24'], '127.0.0.200'), true)
    assert.equal(matches(['127.0.0.0/24'], '127.0.1.1'), false)
    assert.equal(matches(['10.0.0.0/8', '192.168.1.7/32'], '192.168.1.7'), true)
    assert.equal(matches(['10.0.0.0/8', '192.168.1.7/32'], '10.255.255.255'), true)
    assert.equal(matches(['0.0.0.0/0'], '8.8.8.8'), true)
    assert.equal(matches(['128.0.0.0/1'], '200.1.1.1'), true)
    assert.equal(matches(['128.0.0.0/1'], '100.1.1.1'), false)
    // host bits in the configured network are ignored
    assert.equal(matches(['127.0.0.1/8'], '127.9.9.9'), true)
  })

  it('matches IPv6 addresses and ranges, whatever their notation', () => {
    assert.equal(matches(['::1'], '::1'), true)
    assert.equal(matches(['::1'], '::2'), false)
    assert.equal(matches(['0:0:0:0:0:0:0:0001'], '::1'), true)
    assert.equal(matches(['fe80::/8'], 'fe80::1234'), true)
    assert.equal(matches(['fe80::/8'], 'fe00::1'), true)
    assert.equal(matches(['fe80::/10'], 'fec0::1'), false)
    assert.equal(matches(['2001:db8::/32'], '2001:db8:ffff::1'), true)
    assert.equal(matches(['2001:db8::/32'], '2001:db9::1'), false)
    assert.equal(matches(['2001:db8:0:1::/65'], '2001:db8:0:1:7fff::1'), true)
    assert.equal(matches(['2001:db8:0:1::/65'], '2001:db8:0:1:8000::1'), false)
    assert.equal(matches(['::/0'], '2001:db8::1'), true)
  })

  it('keeps the families apart, except IPv4-mapped IPv6', () => {
    assert.equal(matches(['::/0'], '1.2.3.4'), false)
    assert.equal(matches(['0.0.0.0/0'], '::1'), false)
    assert.equal(matches(['127.0.0.1'], '::ffff:127.0.0.1'), true)
    assert.equal(matches(['::ffff:127.0.0.0/120'], '127.0.0.9'), true)
    assert.equal(matches(['::ffff:127.0.0.0/120'], '127.0.1.9'), false)
  })

  it('is empty without valid entries', () => {
    assert.equal(new IpMatcher([]).empty, true)
    assert.equal(new IpMatcher(['hello']).empty, true)
    assert.equal(new IpMatcher(['1.2.3.4']).empty, false)
  })
})
