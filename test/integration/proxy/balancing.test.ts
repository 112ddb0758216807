// Load balancing through the real gateway (balancer.md): several real upstream servers on
// loopback behind one upstream entity, for each algorithm, hash_on kind, retries and no peers.
import assert from 'node:assert/strict'
import type http from 'node:http'
import { after, before, describe, it } from 'node:test'
import { freePort, type Gateway, startGateway } from '../../helpers/gateway.js'
import { addPlugin } from '../../helpers/plugins.js'
import { admin, type ProxyResponse, send, until } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

/** An upstream server that answers with its name (after `delay` ms). */
function named(name: string, delay = 0): Promise<Upstream> {
  return startUpstream((req: http.IncomingMessage, res: http.ServerResponse) => {
    const reply = () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-served-by': name, 'x-host': req.headers.host })
      res.end(name)
    }
    if (delay > 0) setTimeout(reply, delay)
    else reply()
  })
}

let seq = 0

describe('load balancing', () => {
  let gw: Gateway
  const servers: Upstream[] = []
  before(async () => {
    gw = await startGateway({ proxy: true })
    for (const name of ['a', 'b', 'c', 'd']) servers.push(await named(name))
  })
  after(async () => {
    await gw.stop()
    for (const s of servers) await s.close()
  })

  /**
   * An upstream with targets (`[server, weight]`), a service and a route to it; resolves once the
   * proxy answers through it. Returns the route's proxy URL (`base` + `probe` is asked until it
   * is routed, for routes whose path is a regex).
   */
  async function balanced(
    upstream: Record<string, unknown>,
    targets: [Upstream | string, number][],
    route: { paths: string[]; base: string; probe: string; preserve_host?: boolean } | null = null,
  ): Promise<string> {
    seq++
    const name = `up-${process.pid}-${seq}.test`
    await admin(gw, 'POST', '/upstreams', { name, ...upstream })
    for (const [t, weight] of targets)
      await admin(gw, 'POST', `/upstreams/${name}/targets`, {
        target: typeof t === 'string' ? t : `127.0.0.1:${t.port}`,
        weight,
      })
    await admin(gw, 'POST', '/services', { name: `svc-${name}`, host: name, port: 80 })
    const paths = route?.paths ?? [`/lb${seq}`]
    const r = await admin(gw, 'POST', `/services/svc-${name}/routes`, {
      paths,
      preserve_host: route?.preserve_host ?? false,
    })
    routeIds.push(r.id as string)
    const url = `${gw.proxy}${route?.base ?? paths[0]}`
    await until(async () => (await send(`${url}${route?.probe ?? ''}`)).status !== 404)
    return url
  }
  const routeIds: string[] = []

  const by = (r: ProxyResponse) => r.headers['x-served-by'] as string

  async function tally(
    url: string,
    n: number,
    opts: Parameters<typeof send>[1] = {},
  ): Promise<Record<string, number>> {
    const out: Record<string, number> = {}
    for (let i = 0; i < n; i++) {
      const r = await send(url, opts)
      assert.equal(r.status, 200, r.body)
      out[by(r)] = (out[by(r)] ?? 0) + 1
    }
    return out
  }

  it('round-robin gives each target exactly its weight share over whole turns', async () => {
    const [a, b, c] = servers
    const url = await balanced({}, [
      [a, 300],
      [b, 200],
      [c, 100],
    ])
    // the probe took one slot: finish its turn of 6 first
    await tally(url, 5)
    assert.deepEqual(await tally(url, 60), { a: 30, b: 20, c: 10 })
  })

  it('weight 0 disables a target; no target at all is a 503 from the ring-balancer', async () => {
    const [a, b] = servers
    const url = await balanced({}, [
      [a, 100],
      [b, 0],
    ])
    assert.deepEqual(await tally(url, 6), { a: 6 })
    const empty = await balanced({}, [])
    const r = await send(empty)
    assert.equal(r.status, 503)
    assert.equal(JSON.parse(r.body).message, 'failure to get a peer from the ring-balancer')
  })

  it('sends the target as Host (balancer.md §7), host_header instead, or the client Host if preserved', async () => {
    const [a] = servers
    const url = await balanced({}, [[a, 100]])
    assert.equal((await send(url)).headers['x-host'], `127.0.0.1:${a.port}`)
    const named = await balanced({ host_header: 'api.internal' }, [[a, 100]])
    assert.equal((await send(named)).headers['x-host'], 'api.internal')
    seq++
    const kept = await balanced({}, [[a, 100]], {
      paths: [`/keep${seq + 1}`],
      base: `/keep${seq + 1}`,
      probe: '',
      preserve_host: true,
    })
    assert.equal((await send(kept, { headers: { host: 'client.test' } })).headers['x-host'], 'client.test')
  })

  it('retries a refused connection on the next target', async () => {
    const closed = await freePort()
    const url = await balanced({}, [
      [servers[0], 100],
      [`127.0.0.1:${closed}`, 100],
    ])
    assert.deepEqual(await tally(url, 10), { a: 10 })
  })

  describe('consistent-hashing', () => {
    const four = () => servers.map((s) => [s, 100] as [Upstream, number])

    /** Requests with the same value land on one target; different values on several. */
    async function sticky(
      url: string,
      opts: (v: string) => Parameters<typeof send>[1],
      suffix = (_v: string) => '',
    ) {
      const seen = new Set<string>()
      for (let v = 0; v < 12; v++) {
        const value = `value-${v}`
        const first = by(await send(`${url}${suffix(value)}`, opts(value)))
        for (let i = 0; i < 3; i++)
          assert.equal(by(await send(`${url}${suffix(value)}`, opts(value))), first, value)
        seen.add(first)
      }
      assert.ok(seen.size >= 2, `12 values went to ${[...seen]}`)
    }

    it('hash_on header (and hash_fallback when it is missing)', async () => {
      const url = await balanced(
        {
          hash_on: 'header',
          hash_on_header: 'X-Tenant',
          hash_fallback: 'query_arg',
          hash_fallback_query_arg: 'tenant',
        },
        four(),
      )
      await sticky(url, (v) => ({ headers: { 'x-tenant': v } }))
      await sticky(
        url,
        () => ({}),
        (v) => `?tenant=${v}`,
      )
    })

    it('hash_on query_arg, path and uri_capture', async () => {
      await sticky(
        await balanced({ hash_on: 'query_arg', hash_on_query_arg: 'id' }, four()),
        () => ({}),
        (v) => `?id=${v}`,
      )
      await sticky(
        await balanced({ hash_on: 'path' }, four()),
        () => ({}),
        (v) => `/${v}`,
      )
      const url = await balanced({ hash_on: 'uri_capture', hash_on_uri_capture: 'tenant' }, four(), {
        paths: [`~/cap${seq + 1}/(?<tenant>[^/]+)`],
        base: `/cap${seq + 1}`,
        probe: '/x',
      })
      await sticky(
        url,
        () => ({}),
        (v) => `/${v}/items`,
      )
    })

    it('hash_on ip: every request of this client goes to one target', async () => {
      const url = await balanced({ hash_on: 'ip' }, four())
      const t = await tally(url, 12)
      assert.equal(Object.keys(t).length, 1)
    })

    it('hash_on cookie: made up and set when missing, sticky when sent back', async () => {
      const url = await balanced(
        { hash_on: 'cookie', hash_on_cookie: 'lb', hash_on_cookie_path: '/app' },
        four(),
      )
      const first = await send(url)
      const cookie = first.headers['set-cookie']?.[0] ?? ''
      assert.match(cookie, /^lb=[0-9a-f-]{36}; Path=\/app; Same-Site=Lax; HttpOnly$/)
      const value = cookie.slice(0, cookie.indexOf(';'))
      const again = await tally(url, 6, { headers: { cookie: value } })
      assert.deepEqual(again, { [by(first)]: 6 })
      const sent = await send(url, { headers: { cookie: value } })
      assert.equal(sent.headers['set-cookie'], undefined, 'no new cookie when one was sent')
      await sticky(url, (v) => ({ headers: { cookie: `other=1; lb=${v}` } }))
    })

    it('hash_on consumer (with key-auth), the credential when there is no consumer', async () => {
      const url = await balanced({ hash_on: 'consumer' }, four())
      await addPlugin(gw, { name: 'key-auth' }, `/routes/${routeIds[routeIds.length - 1]}`)
      for (let i = 0; i < 8; i++) {
        await admin(gw, 'POST', '/consumers', { username: `lb-${seq}-${i}` })
        await admin(gw, 'POST', `/consumers/lb-${seq}-${i}/key-auth`, { key: `lb-key-${seq}-${i}` })
      }
      await until(async () => (await send(url)).status === 401)
      await sticky(url, (v) => ({ headers: { apikey: `lb-key-${seq}-${Number(v.slice(6)) % 8}` } }))
    })
  })

  it('least-connections sends most requests to the target that answers quickly', async () => {
    const slow = await named('slow', 300)
    try {
      const url = await balanced({ algorithm: 'least-connections' }, [
        [servers[0], 100],
        [slow, 100],
      ])
      // 4 clients in a loop for 1.2 s: the slow target keeps its requests 300 ms, so while it
      // holds one the fast target (no requests in flight) scores better
      const t: Record<string, number> = {}
      const end = Date.now() + 1200
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (Date.now() < end) {
            const r = await send(url)
            t[by(r)] = (t[by(r)] ?? 0) + 1
          }
        }),
      )
      assert.ok((t.a ?? 0) > 3 * (t.slow ?? 0), JSON.stringify(t))
    } finally {
      await slow.close()
    }
  })

  it('latency sends most requests to the faster target once it has measured both', async () => {
    const slow = await named('slow', 60)
    try {
      const url = await balanced({ algorithm: 'latency' }, [
        [servers[1], 100],
        [slow, 100],
      ])
      await tally(url, 6)
      const t = await tally(url, 20)
      assert.ok((t.b ?? 0) >= 16, JSON.stringify(t))
    } finally {
      await slow.close()
    }
  })
})

describe('upstream keep-alive settings', () => {
  it('upstream_keepalive_max_requests and _pool_size = 0 are honoured, per target', async () => {
    const a = await startUpstream()
    const b = await startUpstream()
    const gws: Gateway[] = []
    try {
      const envs: Record<string, string>[] = [
        { UPSTREAM_KEEPALIVE_MAX_REQUESTS: '5' },
        { UPSTREAM_KEEPALIVE_POOL_SIZE: '0' },
      ]
      for (const env of envs) {
        const gw = await startGateway({ proxy: true, env })
        gws.push(gw)
        await admin(gw, 'POST', '/upstreams', { name: 'ka.test' })
        for (const u of [a, b])
          await admin(gw, 'POST', '/upstreams/ka.test/targets', { target: `127.0.0.1:${u.port}` })
        await admin(gw, 'POST', '/services', { name: 'ka', host: 'ka.test' })
        await admin(gw, 'POST', '/services/ka/routes', { paths: ['/ka'] })
        await until(async () => (await send(`${gw.proxy}/ka`)).status === 200)
        const before = [a.requests, a.connections, b.requests, b.connections]
        for (let i = 0; i < 40; i++) assert.equal((await send(`${gw.proxy}/ka`)).status, 200)
        const requests = a.requests - before[0] + b.requests - before[2]
        const connections = a.connections - before[1] + b.connections - before[3]
        assert.equal(requests, 40)
        // 5 requests per connection, each target its own pool: 8 connections; no pool: 40
        if (env.UPSTREAM_KEEPALIVE_MAX_REQUESTS)
          assert.ok(connections >= 8 && connections <= 10, `${connections}`)
        else assert.equal(connections, 40)
        assert.ok(a.requests - before[0] >= 19 && b.requests - before[2] >= 19, 'both targets served')
      }
    } finally {
      for (const gw of gws) await gw.stop()
      await a.close()
      await b.close()
    }
  })
})
