import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ipFamily, isIpOrCidr, isValidIp, parseCidr } from './ip.js'

describe('ipFamily / isValidIp', () => {
  it('classifies addresses like inet_pton', () => {
    assert.equal(ipFamily('1.2.3.4'), 4)
    assert.equal(ipFamily('::1'), 6)
    assert.equal(ipFamily('::ffff:1.2.3.4'), 6)
    assert.equal(ipFamily('01.2.3.4'), 0)
    assert.equal(ipFamily('1.2.3.256'), 0)
    assert.equal(ipFamily('fe80::1%eth0'), 0)
    assert.equal(ipFamily('x.x.x.x'), 0)
    assert.equal(isValidIp('10.0.0.1'), true)
    assert.equal(isValidIp('10.0.0.1/8'), false)
  })
})

describe('parseCidr / isIpOrCidr', () => {
  it('parses addresses and prefixes', () => {
    assert.deepEqual(parseCidr('10.0.0.0/8'), { family: 4, address: '10.0.0.0', prefix: 8 })
    assert.deepEqual(parseCidr('1.2.3.4'), { family: 4, address: '1.2.3.4', prefix: 32 })
    assert.deepEqual(parseCidr('::/0'), { family: 6, address: '::', prefix: 0 })
    assert.deepEqual(parseCidr('2001:db8::/128'), { family: 6, address: '2001:db8::', prefix: 128 })
  })

  it('rejects bad prefixes (Kong only knows tostring(0..max))', () => {
    for (const bad of ['1.2.3.4/33', '1.2.3.4/', '1.2.3.4/08', '1.2.3.4/-1', '::/129', '1.2.3.4/a', 'x/8']) {
      assert.equal(parseCidr(bad), null, bad)
      assert.equal(isIpOrCidr(bad), false, bad)
    }
    assert.equal(isIpOrCidr('192.168.0.0/16'), true)
  })
})
