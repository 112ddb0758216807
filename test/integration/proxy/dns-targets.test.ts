// Hostname targets expanded through DNS (balancer.md §2, §5) against a DNS server started by the
// test: SRV records (lowest priority only, their weights and ports), A records, and TTLs: a
// changed answer is picked up after the TTL.
import assert from 'node:assert/strict'
import type http from 'node:http'
import { after, before, describe, it } from 'node:test'
import { type DnsServer, startDnsServer } from '../../helpers/dns-server.js'
import { type Gateway, startGateway } from '../../helpers/gateway.js'
import { admin, send, until } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

function named(name: string): Promise<Upstream> {
  return startUpstream((req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(200, { 'x-served-by': name, 'x-host': req.headers.host })
    res.end(name)
  })
}

describe('DNS targets', () => {
  let dns: DnsServer
  let gw: Gateway
  const servers: Upstream[] = []
  before(async () => {
    for (const n of ['p1', 'p2', 'p3']) servers.push(await named(n))
    const [p1, p2, p3] = servers
    dns = await startDnsServer({
      'svc.lb.test': {
        SRV: [
          { priority: 10, weight: 1, port: p1.port, target: 'node.lb.test', ttl: 60 },
          { priority: 10, weight: 3, port: p2.port, target: 'node.lb.test', ttl: 60 },
          { priority: 20, weight: 100, port: p3.port, target: 'node.lb.test', ttl: 60 },
        ],
      },
      'node.lb.test': { A: [{ ip: '127.0.0.1', ttl: 60 }] },
      'moving.lb.test': { SRV: [{ priority: 1, weight: 1, port: p1.port, target: 'node.lb.test', ttl: 1 }] },
      'plain.lb.test': { A: [{ ip: '127.0.0.1', ttl: 60 }] },
      'zero.lb.test': { A: [{ ip: '127.0.0.1', ttl: 0 }] },
    })
    gw = await startGateway({ proxy: true, env: { DNS_RESOLVER: dns.address } })
  })
  after(async () => {
    await gw.stop()
    await dns.close()
    for (const s of servers) await s.close()
  })

  async function route(
    name: string,
    target: string,
    upstream: Record<string, unknown> = {},
  ): Promise<string> {
    await admin(gw, 'POST', '/upstreams', { name, ...upstream })
    await admin(gw, 'POST', `/upstreams/${name}/targets`, { target })
    await admin(gw, 'POST', '/services', { name: `svc-${name}`, host: name })
    await admin(gw, 'POST', `/services/svc-${name}/routes`, { paths: [`/${name}`] })
    const url = `${gw.proxy}/${name}`
    await until(async () => (await send(url)).status === 200)
    return url
  }

  async function tally(url: string, n: number): Promise<Record<string, number>> {
    const out: Record<string, number> = {}
    for (let i = 0; i < n; i++) {
      const r = await send(url)
      const by = (r.headers['x-served-by'] as string | undefined) ?? `status ${r.status}`
      out[by] = (out[by] ?? 0) + 1
    }
    return out
  }

  it('SRV: the lowest priority records, with their weights and ports', async () => {
    const url = await route('srv-upstream', 'svc.lb.test:80')
    // the wheel is p1 once and p2 three times: 10 turns of 4
    await until(async () => {
      const t = await tally(url, 40)
      return t.p1 === 10 && t.p2 === 30
    })
    const t = await tally(url, 40)
    assert.deepEqual(t, { p1: 10, p2: 30 })
    assert.ok(dns.queries.some((q) => q.name === 'svc.lb.test' && q.type === 'SRV'))
  })

  it('A records: each address gets the target weight; the target port is used', async () => {
    const url = await route('a-upstream', `plain.lb.test:${servers[2].port}`)
    assert.deepEqual(await tally(url, 5), { p3: 5 })
    assert.ok(dns.queries.some((q) => q.name === 'plain.lb.test' && q.type === 'A'))
  })

  it('Host names the target (the SRV target name with use_srv_name), with the address port', async () => {
    const [p1, p2, p3] = servers
    const plain = await send(`${gw.proxy}/a-upstream`)
    assert.equal(plain.headers['x-host'], `plain.lb.test:${p3.port}`)
    const srv = await send(`${gw.proxy}/srv-upstream`)
    const port = srv.headers['x-served-by'] === 'p1' ? p1.port : p2.port
    assert.equal(srv.headers['x-host'], `svc.lb.test:${port}`)
    const url = await route('srv-named', 'svc.lb.test:80', { use_srv_name: true })
    const named = await send(url)
    assert.match(named.headers['x-host'] as string, new RegExp(`^node\\.lb\\.test:(${p1.port}|${p2.port})$`))
  })

  it('a record with TTL 0 is resolved on every request', async () => {
    const url = await route('zero-upstream', `zero.lb.test:${servers[0].port}`)
    const before = dns.queries.filter((q) => q.name === 'zero.lb.test' && q.type === 'A').length
    assert.deepEqual(await tally(url, 5), { p1: 5 })
    const after = dns.queries.filter((q) => q.name === 'zero.lb.test' && q.type === 'A').length
    assert.ok(after - before >= 5, `${after - before} queries for 5 requests`)
  })

  it('health is kept per address of a hostname target; an unresolvable name is a DNS_ERROR', async () => {
    const [p1, p2] = servers
    const url = await route('health-srv', 'svc.lb.test:80', {
      healthchecks: { passive: { unhealthy: { tcp_failures: 3 } } },
    })
    const body = await admin(gw, 'GET', '/upstreams/health-srv/health')
    const [t] = body.data as {
      health: string
      data: { dns: string; addresses: { ip: string; port: number; weight: number; health: string }[] }
    }[]
    assert.equal(t.health, 'HEALTHY')
    assert.equal(t.data.dns, 'SRV')
    assert.deepEqual(
      t.data.addresses.map((a) => [a.ip, a.port, a.weight, a.health]).sort(),
      [
        ['node.lb.test', p1.port, 1, 'HEALTHY'],
        ['node.lb.test', p2.port, 3, 'HEALTHY'],
      ].sort(),
    )
    const put = async (path: string) =>
      (await fetch(`${gw.admin}/upstreams/health-srv/targets/svc.lb.test:80/${path}`, { method: 'PUT' }))
        .status
    assert.equal(await put(`node.lb.test:${p2.port}/unhealthy`), 204)
    await until(async () => (await tally(url, 4)).p1 === 4)
    assert.deepEqual(await tally(url, 8), { p1: 8 })
    assert.equal(await put('healthy'), 204)
    await until(async () => (await tally(url, 8)).p2 !== undefined)

    await admin(gw, 'POST', '/upstreams', { name: 'health-nx' })
    await admin(gw, 'POST', '/upstreams/health-nx/targets', { target: 'missing.lb.test:80' })
    await until(async () => {
      const h = (await admin(gw, 'GET', '/upstreams/health-nx/health')).data as { health: string }[]
      return h[0]?.health === 'DNS_ERROR'
    })
  })

  it('a changed answer is used once the TTL is over', async () => {
    const url = await route('moving-upstream', 'moving.lb.test:80')
    assert.deepEqual(await tally(url, 4), { p1: 4 })
    dns.zone['moving.lb.test'] = {
      SRV: [{ priority: 1, weight: 1, port: servers[1].port, target: 'node.lb.test', ttl: 1 }],
    }
    await until(async () => (await tally(url, 2)).p2 === 2, 6000)
    assert.deepEqual(await tally(url, 4), { p2: 4 })
  })
})
