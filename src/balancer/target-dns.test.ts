import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type DnsServer, startDnsServer } from '../../test/helpers/dns-server.js'
import { parseNameServer } from '../dns/client.js'
import { newHandle } from './address.js'
import { Balancer, BalancerRegistry } from './balancer.js'
import { TargetDns } from './target-dns.js'

describe('TargetDns', () => {
  let dns: DnsServer
  before(async () => {
    dns = await startDnsServer({
      'a.test': {
        A: [
          { ip: '10.0.0.1', ttl: 3_000_000 },
          { ip: '10.0.0.2', ttl: 3_000_000 },
        ],
      },
    })
  })
  after(() => dns.close())

  const settle = (ms: number) => new Promise((r) => setTimeout(r, ms))
  /** Waits (bounded) until `fn` returns something other than undefined. */
  async function answered<T>(fn: () => T | undefined): Promise<T | undefined> {
    for (let i = 0; i < 250; i++) {
      const v = fn()
      if (v !== undefined) return v
      await settle(20)
    }
    return undefined
  }

  it('expands A records with the target port and weight; a huge TTL does not loop', async () => {
    const changed: string[] = []
    const t = new TargetDns({ servers: [parseNameServer(dns.address)], order: ['SRV', 'A'] }, (n) =>
      changed.push(n),
    )
    try {
      assert.equal(t.expand('a.test', 8080, 50), undefined, 'not answered yet')
      assert.deepEqual(await answered(() => t.expand('a.test', 8080, 50)), {
        dns: 'A',
        addresses: [
          { host: '10.0.0.1', port: 8080, weight: 50 },
          { host: '10.0.0.2', port: 8080, weight: 50 },
        ],
      })
      assert.deepEqual(changed, ['a.test'])
      const asked = dns.queries.filter((q) => q.name === 'a.test').length
      await settle(200)
      assert.equal(
        dns.queries.filter((q) => q.name === 'a.test').length,
        asked,
        'no query before the TTL is over',
      )
    } finally {
      t.retain(new Set())
    }
  })

  it('a name that does not resolve has no addresses: its target gets no traffic', async () => {
    const registry = new BalancerRegistry()
    const t = new TargetDns({ servers: [parseNameServer(dns.address)], order: ['A'] }, (n) =>
      registry.dnsChanged(n),
    )
    registry.setDns(t)
    const b = registry.balancer('u', {
      algorithm: 'round-robin',
      slots: 10000,
      targets: [
        { target: '10.9.9.9:80', host: '10.9.9.9', port: 80, weight: 100, isIp: true },
        { target: 'nx.test:80', host: 'nx.test', port: 80, weight: 100, isIp: false },
      ],
    })
    try {
      assert.deepEqual(await answered(() => t.expand('nx.test', 80, 100)), {
        dns: 'dns server error: 3 name error',
        addresses: [],
      })
      for (let i = 0; i < 6; i++) assert.equal(b.pick(newHandle())?.host, '10.9.9.9')
    } finally {
      registry.retain(new Set())
    }
  })
})

describe('Balancer rebuilds', () => {
  it('a request picked before a rebuild releases the address it was counted on', () => {
    const spec = {
      algorithm: 'least-connections' as const,
      slots: 10000,
      targets: [{ target: '10.0.0.1:80', host: '10.0.0.1', port: 80, weight: 100, isIp: true }],
    }
    const b = new Balancer('u', spec)
    const a = b.pick(newHandle())!
    assert.equal(a.connections, 1)
    b.refresh()
    assert.notEqual(b.addresses[0], a)
    assert.equal(b.addresses[0].connections, 0)
    b.done(a)
    assert.equal(a.connections, 0)
    assert.equal(b.addresses[0].connections, 0)
  })
})
