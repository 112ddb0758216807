import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type DnsServer, startDnsServer } from '../../test/helpers/dns-server.js'
import { DnsQueryError, parseNameServer, query } from './client.js'

describe('DNS client', () => {
  let dns: DnsServer
  before(async () => {
    dns = await startDnsServer({
      'api.test': {
        A: [
          { ip: '10.0.0.1', ttl: 30 },
          { ip: '10.0.0.2', ttl: 20 },
        ],
        AAAA: [{ ip: '::1', ttl: 5 }],
      },
      '_http._tcp.api.test': {
        SRV: [
          { priority: 10, weight: 5, port: 8080, target: 'a.api.test', ttl: 60 },
          { priority: 20, weight: 0, port: 0, target: 'b.api.test', ttl: 60 },
        ],
      },
    })
  })
  after(() => dns.close())

  it('reads A, AAAA and SRV records with their TTLs', async () => {
    const server = parseNameServer(dns.address)
    assert.deepEqual(await query(server, 'api.test', 'A'), [
      { type: 'A', ttl: 30, address: '10.0.0.1' },
      { type: 'A', ttl: 20, address: '10.0.0.2' },
    ])
    assert.deepEqual(await query(server, 'api.test', 'AAAA'), [
      { type: 'AAAA', ttl: 5, address: '0000:0000:0000:0000:0000:0000:0000:0001' },
    ])
    assert.deepEqual(await query(server, '_http._tcp.api.test', 'SRV'), [
      { type: 'SRV', ttl: 60, address: 'a.api.test', priority: 10, weight: 5, port: 8080 },
      { type: 'SRV', ttl: 60, address: 'b.api.test', priority: 20, weight: 0, port: 0 },
    ])
    assert.deepEqual(await query(server, 'api.test', 'SRV'), [])
  })

  it('asks again over TCP when the UDP answer is truncated', async () => {
    dns.zone['big.test'] = {
      truncate: true,
      SRV: Array.from({ length: 40 }, (_, i) => ({
        priority: 1,
        weight: i,
        port: 9000 + i,
        target: `node-${i}.big.test`,
        ttl: 30,
      })),
    }
    const records = await query(parseNameServer(dns.address), 'big.test', 'SRV')
    assert.equal(records.length, 40)
    assert.deepEqual(records[39], {
      type: 'SRV',
      ttl: 30,
      address: 'node-39.big.test',
      priority: 1,
      weight: 39,
      port: 9039,
    })
  })

  it('fails with NXDOMAIN for an unknown name, and times out on silence', async () => {
    const server = parseNameServer(dns.address)
    await assert.rejects(
      query(server, 'nope.test', 'A'),
      (e: unknown) => e instanceof DnsQueryError && e.notFound,
    )
    await assert.rejects(
      query({ host: '127.0.0.1', port: 9 }, 'api.test', 'A', 200),
      (e: unknown) => e instanceof DnsQueryError && !e.notFound,
    )
  })

  it('parses name server addresses', () => {
    assert.deepEqual(parseNameServer('10.0.0.1'), { host: '10.0.0.1', port: 53 })
    assert.deepEqual(parseNameServer('10.0.0.1:5353'), { host: '10.0.0.1', port: 5353 })
    assert.deepEqual(parseNameServer('[::1]:5353'), { host: '::1', port: 5353 })
    assert.deepEqual(parseNameServer('::1'), { host: '::1', port: 53 })
  })
})
