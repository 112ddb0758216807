// The PDK as plugin code sees it (plugins.md §4), driven through pre-function and post-function
// code on the real gateway: per-request storage, router/node/ip, consumers and the cache, the
// response in header_filter, the log entry of kong.log.serialize(), and phase misuse.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Gateway, startGateway } from '../../helpers/gateway.js'
import { addPlugin, addRoute, echoed, message, type TestRoute } from '../../helpers/plugins.js'
import { admin, type ProxyResponse, send, until } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

describe('PDK', () => {
  let up: Upstream
  let gw: Gateway
  before(async () => {
    up = await startUpstream()
    gw = await startGateway({ proxy: true })
  })
  after(async () => {
    await gw.stop()
    await up.close()
  })

  /** A route with pre-function and/or post-function code; waits until both are in place. */
  async function withCode(
    pre: Record<string, string[]>,
    post: Record<string, string[]> = {},
  ): Promise<TestRoute> {
    const r = await addRoute(gw, up.url)
    const ready = 'kong.response.setHeader("X-Ready-" + kong.plugin.getId().slice(0, 4), "1")'
    const pa = await addPlugin(
      gw,
      { name: 'pre-function', config: { ...pre, access: [ready, ...(pre.access ?? [])] } },
      `/routes/${r.routeId}`,
    )
    const pb = await addPlugin(
      gw,
      { name: 'post-function', config: { ...post, access: [ready, ...(post.access ?? [])] } },
      `/routes/${r.routeId}`,
    )
    const names = [pa.id, pb.id].map((id) => `x-ready-${String(id).slice(0, 4)}`)
    await until(async () => {
      const res = await send(r.url)
      return names.every((n) => res.headers[n] === '1')
    })
    return r
  }

  it('kong.ctx.shared is shared by plugins; kong.ctx.plugin is private to each plugin type', async () => {
    const r = await withCode(
      { access: ['kong.ctx.shared.from_pre = "pre"; kong.ctx.plugin.mine = "pre-private"'] },
      {
        access: [
          'kong.service.request.setHeader("x-shared", String(kong.ctx.shared.from_pre))',
          'kong.service.request.setHeader("x-private", String(kong.ctx.plugin.mine))',
        ],
      },
    )
    const e = echoed(await send(r.url))
    assert.equal(e.headers['x-shared'], 'pre')
    assert.equal(e.headers['x-private'], 'undefined')
  })

  it('kong.router, kong.node, kong.ip, kong.request, kong.client and kong.version', async () => {
    const r = await withCode(
      {},
      {
        access: [
          [
            'const h = (n, v) => kong.service.request.setHeader(n, String(v))',
            'h("x-route", kong.router.getRoute().id); h("x-service", kong.router.getService().name)',
            'h("x-node", kong.node.getId()); h("x-trusted", kong.ip.isTrusted("10.9.8.7"))',
            'h("x-path", kong.request.getPath()); h("x-query", kong.request.getQueryArg("q"))',
            'h("x-method", kong.request.getMethod()); h("x-client", kong.client.getIp())',
            'h("x-version", kong.version); h("x-scheme", kong.request.getScheme())',
          ].join('\n'),
        ],
      },
    )
    const node = await admin(gw, 'GET', '/')
    const e = echoed(await send(`${r.url}/a%20b?q=1`))
    assert.equal(e.headers['x-route'], r.routeId)
    assert.equal(e.headers['x-service'], r.serviceName)
    assert.equal(e.headers['x-node'], node.node_id)
    assert.equal(e.headers['x-trusted'], 'false')
    assert.equal(e.headers['x-path'], `${r.path}/a b`)
    assert.equal(e.headers['x-query'], '1')
    assert.equal(e.headers['x-method'], 'GET')
    assert.equal(e.headers['x-client'], '127.0.0.1')
    assert.equal(e.headers['x-version'], node.version)
    assert.equal(e.headers['x-scheme'], 'http')
  })

  it('kong.client.loadConsumer by username; kong.cache.get runs its loader once per key', async () => {
    const consumer = await admin(gw, 'POST', '/consumers', { username: 'pdk-user' })
    const r = await withCode(
      {},
      {
        access: [
          'const c = await kong.client.loadConsumer("pdk-user", true); kong.service.request.setHeader("x-loaded", c ? c.id : "none")',
          'const missing = await kong.client.loadConsumer("nobody-like-this", true); kong.service.request.setHeader("x-missing", String(missing))',
          'const v = await kong.cache.get("pdk-test-key", null, () => { globalThis.loads = (globalThis.loads ?? 0) + 1; return "value" })\n' +
            'kong.service.request.setHeader("x-cached", v + ":" + globalThis.loads)',
        ],
      },
    )
    for (let i = 0; i < 3; i++) {
      const e = echoed(await send(r.url))
      assert.equal(e.headers['x-loaded'], consumer.id)
      assert.equal(e.headers['x-missing'], 'null')
      assert.equal(e.headers['x-cached'], 'value:1')
    }
  })

  it('header_filter sees the upstream response and changes the one sent', async () => {
    const r = await withCode(
      {},
      {
        header_filter: [
          'kong.response.setHeader("x-up-status", String(kong.service.response.getStatus()))',
          'kong.response.setHeader("x-up-type", kong.service.response.getHeader("content-type"))',
          'kong.response.setStatus(299); kong.response.clearHeader("via")',
        ],
      },
    )
    let res: ProxyResponse | undefined
    await until(async () => {
      res = await send(r.url)
      return res.status === 299
    })
    assert.equal(res?.headers['x-up-status'], '200')
    assert.equal(res?.headers['x-up-type'], 'application/json')
    assert.equal(res?.headers.via, undefined)
  })

  it("kong.log.serialize() in the log phase gives Kong's log entry", async () => {
    await admin(gw, 'POST', '/consumers', { username: 'pdk-logged' })
    await admin(gw, 'POST', '/consumers/pdk-logged/key-auth', { key: 'pdk-log-key' })
    const r = await withCode(
      {},
      { log: ['kong.log.warn("PDK-ENTRY " + JSON.stringify(kong.log.serialize()) + " END-ENTRY")'] },
    )
    await addPlugin(gw, { name: 'key-auth' }, `/routes/${r.routeId}`)
    await until(async () => (await send(r.url)).status === 401)
    const res = await send(`${r.url}/x?y=1`, {
      headers: { apikey: 'pdk-log-key', authorization: 'Basic c2VjcmV0' },
    })
    assert.equal(res.status, 200)
    const requestId = res.headers['x-kong-request-id'] as string
    interface Entry {
      request: {
        id: string
        method: string
        uri: string
        querystring: Record<string, string>
        headers: Record<string, string>
      }
      upstream_uri: string
      response: { status: number }
      route: { id: string }
      service: { id: string }
      consumer: { id: string; username: string }
      authenticated_entity: { consumer_id: string }
      client_ip: string
      source: string
      started_at: number
      latencies: Record<string, number>
      tries: { ip: string }[]
    }
    let entry: Entry | undefined
    await until(async () => {
      const line = gw
        .errorLog()
        .split('\n')
        .find((l) => l.includes('PDK-ENTRY') && l.includes(requestId))
      if (!line) return false
      entry = JSON.parse(
        line.slice(line.indexOf('PDK-ENTRY ') + 'PDK-ENTRY '.length, line.indexOf(' END-ENTRY')),
      ) as Entry
      return true
    })
    assert.ok(entry)
    assert.equal(entry.request.id, requestId)
    assert.equal(entry.request.method, 'GET')
    assert.equal(entry.request.uri, `${r.path}/x?y=1`)
    assert.equal(entry.request.querystring.y, '1')
    assert.equal(entry.request.headers.authorization, 'REDACTED')
    assert.equal(entry.request.headers.apikey, 'pdk-log-key')
    assert.equal(entry.upstream_uri, '/x?y=1')
    assert.equal(entry.response.status, 200)
    assert.equal(entry.route.id, r.routeId)
    assert.equal(entry.service.id, r.serviceId)
    assert.equal(entry.consumer.username, 'pdk-logged')
    assert.equal(entry.authenticated_entity.consumer_id, entry.consumer.id)
    assert.equal(entry.client_ip, '127.0.0.1')
    assert.equal(entry.source, 'upstream')
    assert.equal(typeof entry.started_at, 'number')
    for (const k of ['kong', 'proxy', 'request']) assert.equal(typeof entry.latencies[k], 'number', k)
    assert.equal(entry.tries.length, 1)
    assert.equal(entry.tries[0].ip, '127.0.0.1')
  })

  it('a PDK function called outside its phases is an error: a 500 in access, logged in log', async () => {
    const early = await withCode({}, {})
    await addPlugin(
      gw,
      { name: 'request-termination', config: { status_code: 418, message: 'marker' } },
      `/routes/${early.routeId}`,
    )
    const r = await addRoute(gw, up.url)
    await addPlugin(
      gw,
      { name: 'post-function', config: { access: ['kong.response.getRawBody()'] } },
      `/routes/${r.routeId}`,
    )
    const res = await until(async () => (await send(r.url)).status === 500).then(() => send(r.url))
    assert.equal(res.status, 500)
    assert.equal(message(res), 'An unexpected error occurred')
    await until(async () =>
      /function kong\.response\.get_raw_body may not be called in access phase/.test(gw.errorLog()),
    )

    const l = await addRoute(gw, up.url)
    await addPlugin(
      gw,
      { name: 'post-function', config: { log: ['kong.service.request.setHeader("x", "y")'] } },
      `/routes/${l.routeId}`,
    )
    await until(async () => {
      await send(l.url)
      return /function kong\.service\.request\.set_header may not be called in log phase/.test(gw.errorLog())
    })
    // the response itself was not affected
    assert.equal((await send(l.url)).status, 200)
  })

  it("a header_filter failure replaces the response with Kong's 500; a body_filter failure is logged", async () => {
    const r = await addRoute(gw, up.url)
    await addPlugin(
      gw,
      { name: 'post-function', config: { header_filter: ['throw new Error("hf-boom")'] } },
      `/routes/${r.routeId}`,
    )
    await until(async () => (await send(r.url)).status === 500)
    const res = await send(r.url)
    assert.equal(message(res), 'An unexpected error occurred')
    assert.match(res.headers['content-type'] as string, /application\/json/)
    await until(async () => gw.errorLog().includes('hf-boom'))
    // the same worker keeps serving other routes, over the same keep-alive upstream pool
    const ok = await addRoute(gw, up.url)
    assert.equal(echoed(await send(ok.url)).method, 'GET')

    const b = await addRoute(gw, up.url)
    await addPlugin(
      gw,
      { name: 'post-function', config: { body_filter: ['throw new Error("bf-boom")'] } },
      `/routes/${b.routeId}`,
    )
    await until(async () => {
      const out = await send(b.url)
      return out.status === 200 && gw.errorLog().includes('bf-boom')
    })
  })

  it('kong.log.deprecation warns once per message; kong.log.inspect can be switched off and on', async () => {
    const r = await withCode(
      {},
      {
        access: [
          'kong.log.deprecation("pdk-old-option is deprecated", { after: "3.0", removal: "4.0" })',
          'kong.log.inspect.off(); kong.log.inspect({ a: 1 }); kong.log.inspect.on()',
        ],
      },
    )
    for (let i = 0; i < 3; i++) assert.equal((await send(r.url)).status, 200)
    const line =
      '[post-function] pdk-old-option is deprecated (deprecated after 3.0, scheduled for removal in 4.0)'
    await until(async () => gw.errorLog().includes(line))
    assert.equal(gw.errorLog().split(line).length - 1, 1)
  })
})
