// proxy-cache (plugins.md §6.18) against the real gateway with two workers and an upstream that
// counts what reaches it: Miss then Hit (node-wide, whichever worker answers), what bypasses the
// cache, Cache-Control, the cache key's parts, expiry, the diagnostic headers and the Admin API.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import type http from 'node:http'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { type Gateway, request, startGateway } from '../../helpers/gateway.js'
import { addPlugin, addRoute, refused, type TestRoute, untilProxy } from '../../helpers/plugins.js'
import { send } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

/** The upstream answers per path: `/type/<type>`, `/status/<n>`, `/cc/<cache-control>`; counts calls. */
const hits = new Map<string, number>()

function upstreamHandler(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x')
  const path = url.pathname
  hits.set(path, (hits.get(path) ?? 0) + 1)
  let type = 'application/json'
  let status = 200
  const headers: Record<string, string> = { 'x-upstream': 'yes', 'x-ratelimit-remaining-minute': '5' }
  const parts = path.split('/')
  const i = parts.indexOf('type')
  if (i !== -1) type = decodeURIComponent(parts[i + 1])
  const s = parts.indexOf('status')
  if (s !== -1) status = Number(parts[s + 1])
  const c = parts.indexOf('cc')
  if (c !== -1) headers['cache-control'] = decodeURIComponent(parts[c + 1])
  res.writeHead(status, { 'content-type': type, ...headers })
  res.end(
    JSON.stringify({ path, n: hits.get(path), query: url.search, tenant: req.headers['x-tenant'] ?? null }),
  )
}

const calls = (path: string) => hits.get(path) ?? 0

describe('proxy-cache', () => {
  let gw: Gateway
  let up: Upstream
  before(async () => {
    up = await startUpstream(upstreamHandler)
    gw = await startGateway({ proxy: true, workers: 2 })
  })
  after(async () => {
    await gw?.stop()
    await up?.close()
  })

  /** A route with proxy-cache, ready once a request through it shows the plugin's header. */
  async function cachedRoute(config: Record<string, unknown> = {}): Promise<TestRoute> {
    const r = await addRoute(gw, up.url, { strip_path: false })
    await addPlugin(
      gw,
      { name: 'proxy-cache', config: { strategy: 'memory', ...config } },
      `/routes/${r.routeId}`,
    )
    await untilProxy(`${gw.proxy}${r.path}/ready`, 200, { headers: { 'kong-debug': '1' } }).then(async () => {
      for (let i = 0; i < 100; i++) {
        const res = await send(`${gw.proxy}${r.path}/ready`, { headers: { 'kong-debug': '1' } })
        if (res.headers['x-cache-status']) return
        await sleep(20)
      }
      throw new Error('proxy-cache not active')
    })
    return r
  }

  it('refuses bad configurations with Kong fields', async () => {
    const r = await addRoute(gw, up.url)
    const on = `/routes/${r.routeId}/plugins`
    let res = await refused(gw, on, { name: 'proxy-cache', config: {} })
    assert.equal(res.status, 400)
    assert.deepEqual(res.body.fields, { config: { strategy: 'required field missing' } })
    res = await refused(gw, on, { name: 'proxy-cache', config: { strategy: 'redis' } })
    assert.deepEqual(res.body.fields, { config: { strategy: 'expected one of: memory' } })
    res = await refused(gw, on, {
      name: 'proxy-cache',
      config: { strategy: 'memory', memory: { dictionary_name: 'nope' } },
    })
    assert.deepEqual(res.body.fields, { '@entity': ["missing shared dict 'nope'"] })
    res = await refused(gw, on, {
      name: 'proxy-cache',
      config: { strategy: 'memory', request_method: ['DELETE'], response_code: [99], cache_ttl: 0 },
    })
    assert.deepEqual(res.body.fields, {
      config: {
        request_method: ['expected one of: HEAD, GET, POST, PATCH, PUT'],
        response_code: ['value should be between 100 and 900'],
        cache_ttl: 'value must be greater than 0',
      },
    })
    const ok = await request(gw.admin, 'POST', on, {
      json: { name: 'proxy-cache', config: { strategy: 'memory' } },
    })
    assert.equal(ok.status, 201)
    const config = (ok.body as { config: Record<string, unknown> }).config
    assert.deepEqual(config.response_code, [200, 301, 404])
    assert.deepEqual(config.request_method, ['GET', 'HEAD'])
    assert.deepEqual(config.content_type, ['text/plain', 'application/json'])
    assert.equal(config.cache_ttl, 300)
    assert.deepEqual(config.memory, { dictionary_name: 'kong_db_cache' })
    assert.deepEqual(config.response_headers, { age: true, 'X-Cache-Status': true, 'X-Cache-Key': true })
  })

  it('Miss, then Hit from the cache for every worker; the upstream is asked once', async () => {
    const r = await cachedRoute()
    const path = `${r.path}/item`
    const first = await send(`${gw.proxy}${path}`)
    assert.equal(first.status, 200)
    assert.equal(first.headers['x-cache-status'], 'Miss')
    const key = String(first.headers['x-cache-key'])
    const expected = createHash('sha256').update(`${r.routeId}|GET|GET ${path} HTTP/1.1||`).digest('hex')
    assert.equal(key, expected)
    // stored after the response was sent: wait until it is there
    let hit = first
    for (let i = 0; i < 100 && hit.headers['x-cache-status'] !== 'Hit'; i++) {
      await sleep(10)
      hit = await send(`${gw.proxy}${path}`)
    }
    assert.equal(hit.headers['x-cache-status'], 'Hit')
    assert.equal(hit.body, first.body)
    assert.equal(hit.headers['x-upstream'], 'yes')
    assert.equal(hit.headers['x-cache-key'], key)
    assert.match(String(hit.headers.age), /^\d+$/)
    assert.equal(hit.headers['x-ratelimit-remaining-minute'], undefined)
    assert.equal(hit.headers['content-type'], 'application/json')
    const before = calls(path)
    // 20 more requests on fresh connections (both workers): all from the cache
    for (let i = 0; i < 20; i++) {
      const res = await send(`${gw.proxy}${path}`)
      assert.equal(res.headers['x-cache-status'], 'Hit')
    }
    assert.equal(calls(path), before)

    // the Admin API sees the entry, deletes it, purges everything
    const entry = await request(gw.admin, 'GET', `/proxy-cache/${key}`)
    assert.equal(entry.status, 200)
    const body = entry.body as { status: number; body: string; headers: Record<string, string> }
    assert.equal(body.status, 200)
    assert.equal(Buffer.from(body.body, 'base64').toString(), first.body)
    const plugin = (await request(gw.admin, 'GET', `/routes/${r.routeId}/plugins`)).body as {
      data: { id: string }[]
    }
    const byPlugin = await request(gw.admin, 'GET', `/proxy-cache/${plugin.data[0].id}/caches/${key}`)
    assert.equal(byPlugin.status, 200)
    assert.equal((await request(gw.admin, 'DELETE', `/proxy-cache/${key}`)).status, 204)
    assert.equal((await request(gw.admin, 'GET', `/proxy-cache/${key}`)).status, 404)
    assert.deepEqual((await request(gw.admin, 'DELETE', `/proxy-cache/${key}`)).body, {
      message: 'Not found',
    })
    assert.equal((await send(`${gw.proxy}${path}`)).headers['x-cache-status'], 'Miss')
    // stored again once that response went out
    for (let i = 0; i < 100 && (await request(gw.admin, 'GET', `/proxy-cache/${key}`)).status !== 200; i++)
      await sleep(10)
    assert.equal((await request(gw.admin, 'GET', `/proxy-cache/${key}`)).status, 200)
    assert.equal((await request(gw.admin, 'DELETE', '/proxy-cache')).status, 204)
    assert.equal((await send(`${gw.proxy}${path}`)).headers['x-cache-status'], 'Miss')
    assert.equal(
      (await request(gw.admin, 'GET', `/proxy-cache/${plugin.data[0].id}/caches/nothing`)).status,
      404,
    )
    assert.equal((await request(gw.admin, 'GET', `/proxy-cache/not-a-plugin/caches/${key}`)).status, 404)
  })

  it('bypasses methods, statuses and content types that are not configured', async () => {
    const r = await cachedRoute()
    const post = await send(`${gw.proxy}${r.path}/p`, { method: 'POST' })
    assert.equal(post.headers['x-cache-status'], 'Bypass')
    assert.equal(post.headers['x-cache-key'], undefined)
    for (const path of [`${r.path}/status/500`, `${r.path}/type/text%2Fhtml`]) {
      const a = await send(`${gw.proxy}${path}`)
      assert.equal(a.headers['x-cache-status'], 'Bypass', path)
      await sleep(50)
      assert.equal((await send(`${gw.proxy}${path}`)).headers['x-cache-status'], 'Bypass', path)
    }
    // 404 is cacheable by default; a charset parameter does not matter
    const notFound = `${r.path}/status/404/type/application%2Fjson%3B%20charset%3Dutf-8`
    assert.equal((await send(`${gw.proxy}${notFound}`)).headers['x-cache-status'], 'Miss')
  })

  it('builds the key from the query (all of it, or vary_query_params) and vary_headers', async () => {
    const r = await cachedRoute({ vary_headers: ['X-Tenant'] })
    const url = `${gw.proxy}${r.path}/q`
    const a = await send(`${url}?b=2&a=1`)
    const b = await send(`${url}?a=1&b=2`)
    assert.equal(a.headers['x-cache-key'], b.headers['x-cache-key'])
    const c = await send(`${url}?a=1&b=3`)
    assert.notEqual(c.headers['x-cache-key'], a.headers['x-cache-key'])
    const t1 = await send(`${url}?a=1&b=2`, { headers: { 'x-tenant': 'one' } })
    assert.notEqual(t1.headers['x-cache-key'], a.headers['x-cache-key'])

    const v = await cachedRoute({ vary_query_params: ['a'] })
    const vurl = `${gw.proxy}${v.path}/q`
    const k1 = await send(`${vurl}?a=1&utm=x`)
    const k2 = await send(`${vurl}?utm=y&a=1`)
    assert.equal(k1.headers['x-cache-key'], k2.headers['x-cache-key'])
  })

  it('honours Cache-Control when cache_control is on', async () => {
    const r = await cachedRoute({ cache_control: true })
    // the request says no-cache, or carries credentials: bypass
    const noCache = await send(`${gw.proxy}${r.path}/cc/max-age%3D60`, {
      headers: { 'cache-control': 'no-cache' },
    })
    assert.equal(noCache.headers['x-cache-status'], 'Bypass')
    const auth = await send(`${gw.proxy}${r.path}/cc/max-age%3D60`, {
      headers: { authorization: 'Bearer x' },
    })
    assert.equal(auth.headers['x-cache-status'], 'Bypass')
    // the response is private, or says nothing about its lifetime: not stored
    for (const cc of ['private%2C%20max-age%3D60', 'public']) {
      const path = `${r.path}/cc/${cc}`
      assert.equal((await send(`${gw.proxy}${path}`)).headers['x-cache-status'], 'Bypass', cc)
    }
    // max-age: stored, served while the request accepts it
    const path = `${r.path}/cc/max-age%3D60`
    assert.equal((await send(`${gw.proxy}${path}`)).headers['x-cache-status'], 'Miss')
    let res = await send(`${gw.proxy}${path}`)
    for (let i = 0; i < 100 && res.headers['x-cache-status'] !== 'Hit'; i++) {
      await sleep(10)
      res = await send(`${gw.proxy}${path}`)
    }
    assert.equal(res.headers['x-cache-status'], 'Hit')
    // only-if-cached on something never stored: 504
    const only = await send(`${gw.proxy}${r.path}/never`, { headers: { 'cache-control': 'only-if-cached' } })
    assert.equal(only.status, 504)
    // min-fresh larger than what is left: fetched again
    const refresh = await send(`${gw.proxy}${path}`, { headers: { 'cache-control': 'min-fresh=3600' } })
    assert.equal(refresh.headers['x-cache-status'], 'Refresh')
  })

  it('refreshes after cache_ttl', async () => {
    const r = await cachedRoute({ cache_ttl: 1, storage_ttl: 60 })
    const path = `${gw.proxy}${r.path}/ttl`
    assert.equal((await send(path)).headers['x-cache-status'], 'Miss')
    let res = await send(path)
    for (let i = 0; i < 100 && res.headers['x-cache-status'] !== 'Hit'; i++) {
      await sleep(10)
      res = await send(path)
    }
    assert.equal(res.headers['x-cache-status'], 'Hit')
    // the entry ages past cache_ttl (whole seconds)
    await sleep(2100)
    assert.equal((await send(path)).headers['x-cache-status'], 'Refresh')
  })

  it('shows the diagnostic headers only when configured, or with Kong-Debug', async () => {
    const r = await cachedRoute({
      response_headers: { age: false, 'X-Cache-Status': false, 'X-Cache-Key': false },
    })
    const quiet = await send(`${gw.proxy}${r.path}/quiet`)
    assert.equal(quiet.headers['x-cache-status'], undefined)
    assert.equal(quiet.headers['x-cache-key'], undefined)
    let debug = await send(`${gw.proxy}${r.path}/quiet`, { headers: { 'kong-debug': '1' } })
    for (let i = 0; i < 100 && debug.headers['x-cache-status'] !== 'Hit'; i++) {
      await sleep(10)
      debug = await send(`${gw.proxy}${r.path}/quiet`, { headers: { 'kong-debug': '1' } })
    }
    assert.equal(debug.headers['x-cache-status'], 'Hit')
    assert.match(String(debug.headers['x-cache-key']), /^[0-9a-f]{64}$/)
    assert.match(String(debug.headers.age), /^\d+$/)
    const hitQuiet = await send(`${gw.proxy}${r.path}/quiet`)
    assert.equal(hitQuiet.headers['x-cache-status'], undefined)
    assert.equal(hitQuiet.headers.age, undefined)
  })
})
