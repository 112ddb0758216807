// rate-limiting (plugins.md §6.10) through the real gateway: node-wide counting across workers,
// every limit_by, the headers, custom errors, scoping of counters, and configuration checks.
import assert from 'node:assert/strict'
import http from 'node:http'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import Database from 'better-sqlite3'
import { type Gateway, startGateway } from '../../helpers/gateway.js'
import { addPlugin, addRoute, message, refused, type TestRoute } from '../../helpers/plugins.js'
import { admin, type ProxyResponse, send } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

/** Waits (at most 3 s) until the current minute has at least `margin` ms left, so a test's requests share one window. */
async function awayFromMinuteEnd(margin = 3000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000)
  if (left < margin) await new Promise((r) => setTimeout(r, left + 50))
}

function statuses(responses: ProxyResponse[]): Record<number, number> {
  const out: Record<number, number> = {}
  for (const r of responses) out[r.status] = (out[r.status] ?? 0) + 1
  return out
}

describe('rate-limiting with two workers', () => {
  let up: Upstream
  let gw: Gateway
  before(async () => {
    up = await startUpstream()
    gw = await startGateway({ proxy: true, workers: 2 })
  })
  after(async () => {
    await gw.stop()
    await up.close()
  })

  async function limited(config: Record<string, unknown>, on?: (r: TestRoute) => string): Promise<TestRoute> {
    const r = await addRoute(gw, up.url)
    await addPlugin(gw, { name: 'rate-limiting', config }, on ? on(r) : `/routes/${r.routeId}`)
    // both workers have the plugin once a response carries its headers (or is refused by it)
    for (let i = 0; i < 20; i++) await untilHeaders(r.url)
    return r
  }

  /** Waits until a worker answers with the plugin's headers (probes count against the client address, not the tested header values). */
  async function untilHeaders(url: string): Promise<void> {
    const deadline = Date.now() + 5000
    for (;;) {
      const res = await send(url, { headers: { 'x-probe': String(Math.random()) } })
      if (
        res.headers['ratelimit-limit'] !== undefined ||
        res.headers['x-ratelimit-limit-minute'] !== undefined
      )
        return
      if (Date.now() > deadline) throw new Error('the plugin did not reach the workers')
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  it('10/minute lets exactly 10 of 30 concurrent requests through, across both workers', async () => {
    const r = await limited({ minute: 10, limit_by: 'header', header_name: 'x-client' })
    await awayFromMinuteEnd()
    const all = await Promise.all(
      Array.from({ length: 30 }, () => send(r.url, { headers: { 'x-client': 'burst' } })),
    )
    assert.deepEqual(statuses(all), { 200: 10, 429: 20 })
    // and sequentially: a fresh identifier gets exactly 10 as well
    const seq: ProxyResponse[] = []
    for (let i = 0; i < 30; i++) seq.push(await send(r.url, { headers: { 'x-client': 'sequential' } }))
    assert.deepEqual(statuses(seq), { 200: 10, 429: 20 })
    assert.deepEqual(
      seq.slice(0, 10).map((s) => s.headers['x-ratelimit-remaining-minute']),
      ['9', '8', '7', '6', '5', '4', '3', '2', '1', '0'],
    )
  })

  it('a worker holding units ahead of need gives them back before the other is refused', async () => {
    // 100/minute for 2 workers: a first grant counts 12 units (100 / 8) for the worker, 11 of
    // them ahead of need; the other worker's refusal waits until they are given back
    const r = await limited({ minute: 100, limit_by: 'header', header_name: 'x-client' })
    await addPlugin(
      gw,
      {
        name: 'pre-function',
        config: {
          access: [
            "kong.response.setHeader('X-Pid', String(kong.node.getMemoryStats().workers_lua_vms[0].pid))",
          ],
        },
      },
      `/routes/${r.routeId}`,
    )
    await untilHeaders(r.url)
    // one kept-alive connection to each worker
    const agents: http.Agent[] = []
    const pids: string[] = []
    try {
      for (let i = 0; i < 40 && pids.length < 2; i++) {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
        agents.push(agent)
        let pid: string | undefined
        for (let j = 0; j < 50 && pid === undefined; j++) {
          pid = (await send(r.url, { agent })).headers['x-pid'] as string | undefined
          if (pid === undefined) await new Promise((res) => setTimeout(res, 20))
        }
        if (pid !== undefined && !pids.includes(pid)) pids.push(pid)
        else agents.pop()?.destroy()
      }
      assert.equal(pids.length, 2, 'reached both workers')
      const [a, b] = agents
      await awayFromMinuteEnd(5000)
      const first = await send(r.url, { agent: a, headers: { 'x-client': 'leases' } })
      assert.equal(first.status, 200)
      const seq: ProxyResponse[] = []
      for (let i = 0; i < 110; i++)
        seq.push(await send(r.url, { agent: b, headers: { 'x-client': 'leases' } }))
      assert.ok(seq.every((s) => s.headers['x-pid'] === pids[agents.indexOf(b)] || s.status === 429))
      assert.deepEqual(statuses(seq), { 200: 99, 429: 11 })
      assert.equal((await send(r.url, { agent: a, headers: { 'x-client': 'leases' } })).status, 429)
    } finally {
      for (const agent of agents) agent.destroy()
    }
  })

  it('cluster policy on the embedded store: exactly 10 of 30, counted in ratelimiting_metrics', async () => {
    const r = await limited({ minute: 10, limit_by: 'header', header_name: 'x-client', policy: 'cluster' })
    await awayFromMinuteEnd()
    const all = await Promise.all(
      Array.from({ length: 30 }, () => send(r.url, { headers: { 'x-client': 'cluster' } })),
    )
    assert.deepEqual(statuses(all), { 200: 10, 429: 20 })
    const db = new Database(join(gw.prefix, 'silverback.db'), { readonly: true })
    try {
      const rows = db
        .prepare(
          "SELECT period, value FROM ratelimiting_metrics WHERE route_id = ? AND identifier = 'cluster'",
        )
        .all(r.routeId)
      assert.deepEqual(rows, [{ period: 'minute', value: 10 }])
    } finally {
      db.close()
    }
  })

  it('window_type = sliding with the local policy: a fresh identifier gets exactly the limit', async () => {
    const r = await limited({
      minute: 10,
      limit_by: 'header',
      header_name: 'x-client',
      window_type: 'sliding',
    })
    await awayFromMinuteEnd()
    const all = await Promise.all(
      Array.from({ length: 30 }, () => send(r.url, { headers: { 'x-client': 'sliding' } })),
    )
    assert.deepEqual(statuses(all), { 200: 10, 429: 20 })
    // refused with nothing left this minute: the next request fits once this minute's 10 weigh
    // 9, a sixth of the way into the next one: later than the end of the minute
    const refused = await send(r.url, { headers: { 'x-client': 'sliding' } })
    const untilEnd = 60 - Math.floor((Date.now() % 60_000) / 1000)
    assert.ok(Number(refused.headers['retry-after']) >= untilEnd + 5, JSON.stringify(refused.headers))
  })
})

describe('rate-limiting', () => {
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

  async function limited(config: Record<string, unknown>, r?: TestRoute): Promise<TestRoute> {
    const route = r ?? (await addRoute(gw, up.url))
    await addPlugin(gw, { name: 'rate-limiting', config }, `/routes/${route.routeId}`)
    return route
  }

  /** Sends until the plugin answers with its headers (config reached the worker); those requests count. */
  async function ready(url: string, headers: Record<string, string> = {}): Promise<ProxyResponse> {
    let last: ProxyResponse | undefined
    const deadline = Date.now() + 5000
    for (;;) {
      last = await send(url, { headers })
      if (last.headers['ratelimit-limit'] !== undefined || last.status === 429) return last
      if (Date.now() > deadline) throw new Error('the plugin did not reach the worker')
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  describe('configuration', () => {
    it('fills the defaults of plugins.md §6.10', async () => {
      const r = await addRoute(gw, up.url)
      const p = await addPlugin(gw, { name: 'rate-limiting', config: { minute: 5 } }, `/routes/${r.routeId}`)
      assert.deepEqual(p.config, {
        second: null,
        minute: 5,
        hour: null,
        day: null,
        month: null,
        year: null,
        limit_by: 'consumer',
        header_name: null,
        path: null,
        policy: 'local',
        fault_tolerant: true,
        redis: {
          host: null,
          port: 6379,
          timeout: 2000,
          username: null,
          password: null,
          database: 0,
          ssl: false,
          ssl_verify: false,
          server_name: null,
        },
        hide_client_headers: false,
        error_code: 429,
        error_message: 'API rate limit exceeded',
        sync_rate: -1,
        window_type: 'fixed',
      })
    })

    it('refuses a configuration without any limit', async () => {
      const res = await refused(gw, '/plugins', { name: 'rate-limiting', config: {} })
      assert.equal(res.status, 400)
      assert.equal(res.body.name, 'schema violation')
      assert.deepEqual((res.body.fields as Record<string, unknown>)['@entity'], [
        "at least one of these fields must be non-empty: 'config.second', 'config.minute', 'config.hour', 'config.day', 'config.month', 'config.year'",
      ])
    })

    it('refuses a longer period with a smaller limit, with Kong message', async () => {
      const res = await refused(gw, '/plugins', { name: 'rate-limiting', config: { second: 20, hour: 10 } })
      assert.equal(res.status, 400)
      assert.deepEqual(res.body.fields, {
        config: 'The limit for hour(10.0) cannot be lower than the limit for second(20.0)',
      })
      const neg = await refused(gw, '/plugins', { name: 'rate-limiting', config: { minute: 0 } })
      assert.deepEqual(neg.body.fields, { config: { minute: 'value must be greater than 0' } })
    })

    it('header_name, path and the redis host are required where they are used', async () => {
      const header = await refused(gw, '/plugins', {
        name: 'rate-limiting',
        config: { minute: 1, limit_by: 'header' },
      })
      assert.deepEqual(header.body.fields, {
        config: { header_name: 'required field missing' },
        '@entity': ["failed conditional validation given value of field 'config.limit_by'"],
      })
      const path = await refused(gw, '/plugins', {
        name: 'rate-limiting',
        config: { minute: 1, limit_by: 'path' },
      })
      assert.deepEqual(path.body.fields, {
        config: { path: 'required field missing' },
        '@entity': ["failed conditional validation given value of field 'config.limit_by'"],
      })
      const redis = await refused(gw, '/plugins', {
        name: 'rate-limiting',
        config: { minute: 1, policy: 'redis' },
      })
      assert.deepEqual(redis.body.fields, {
        config: { redis: { host: 'required field missing' } },
        '@entity': ["failed conditional validation given value of field 'config.policy'"],
      })
      const by = await refused(gw, '/plugins', {
        name: 'rate-limiting',
        config: { minute: 1, limit_by: 'planet' },
      })
      assert.equal(by.status, 400)
      assert.match(
        JSON.stringify(by.body.fields),
        /expected one of: consumer, credential, ip, service, header, path/,
      )
    })

    it('window_type is fixed or sliding', async () => {
      const res = await refused(gw, '/plugins', {
        name: 'rate-limiting',
        config: { minute: 1, window_type: 'rolling' },
      })
      assert.deepEqual(res.body.fields, { config: { window_type: 'expected one of: fixed, sliding' } })
    })

    it('sync_rate belongs to the redis policy', async () => {
      const local = await refused(gw, '/plugins', {
        name: 'rate-limiting',
        config: { minute: 1, sync_rate: 1 },
      })
      assert.deepEqual(local.body.fields, { config: 'sync_rate can only be used with the redis policy' })
      const tiny = await refused(gw, '/plugins', {
        name: 'rate-limiting',
        config: { minute: 1, policy: 'redis', redis: { host: 'localhost' }, sync_rate: 0.01 },
      })
      assert.deepEqual(tiny.body.fields, { config: 'sync_rate must be greater than 0.02, or -1 to disable' })
    })

    it('accepts the legacy flat redis_* fields as aliases', async () => {
      const r = await addRoute(gw, up.url)
      const p = await addPlugin(
        gw,
        {
          name: 'rate-limiting',
          config: { minute: 1, policy: 'redis', redis_host: 'redis.test', redis_port: 6380 },
        },
        `/routes/${r.routeId}`,
      )
      const redis = (p.config as { redis: Record<string, unknown> }).redis
      assert.equal(redis.host, 'redis.test')
      assert.equal(redis.port, 6380)
      assert.equal((p.config as Record<string, unknown>).redis_host, undefined)
    })
  })

  describe('proxying', () => {
    it('sends the limit headers, then 429 "API rate limit exceeded" with Retry-After', async () => {
      const r = await limited({ minute: 3 })
      await awayFromMinuteEnd()
      const first = await ready(r.url)
      assert.equal(first.status, 200)
      assert.equal(first.headers['x-ratelimit-limit-minute'], '3')
      assert.equal(first.headers['ratelimit-limit'], '3')
      const used = 3 - Number(first.headers['x-ratelimit-remaining-minute']) // includes readiness probes
      for (let i = used; i < 3; i++) assert.equal((await send(r.url)).status, 200)
      const res = await send(r.url)
      assert.equal(res.status, 429)
      assert.equal(message(res), 'API rate limit exceeded')
      assert.equal(res.headers['x-ratelimit-limit-minute'], '3')
      assert.equal(res.headers['x-ratelimit-remaining-minute'], '0')
      assert.equal(res.headers['ratelimit-remaining'], '0')
      const reset = Number(res.headers['ratelimit-reset'])
      assert.ok(reset >= 1 && reset <= 60, `reset ${reset}`)
      assert.equal(res.headers['retry-after'], String(reset))
    })

    it('chooses the most restrictive period for RateLimit-*, ties going to the longer window', async () => {
      const r = await limited({ second: 5, minute: 100, hour: 100 })
      await awayFromMinuteEnd()
      const res = await ready(r.url)
      assert.equal(res.headers['x-ratelimit-limit-second'], '5')
      assert.equal(res.headers['x-ratelimit-limit-hour'], '100')
      assert.equal(res.headers['ratelimit-limit'], '5')
      assert.equal(res.headers['ratelimit-remaining'], res.headers['x-ratelimit-remaining-second'])
      assert.equal(res.headers['ratelimit-reset'], '1')
      const tie = await limited({ minute: 7, hour: 7 })
      const t = await ready(tie.url)
      // same remaining in both: the hour is reported
      assert.equal(t.headers['x-ratelimit-remaining-minute'], t.headers['x-ratelimit-remaining-hour'])
      assert.ok(Number(t.headers['ratelimit-reset']) > 60 || new Date().getUTCMinutes() === 59)
    })

    it('hide_client_headers, error_code and error_message', async () => {
      const r = await limited({
        minute: 1,
        hide_client_headers: true,
        error_code: 403,
        error_message: 'Slow down',
      })
      let res: ProxyResponse | undefined
      for (let i = 0; i < 50; i++) {
        res = await send(r.url)
        if (res.status === 403) break
      }
      assert.equal(res?.status, 403)
      assert.equal(message(res!), 'Slow down')
      for (const h of ['x-ratelimit-limit-minute', 'ratelimit-limit', 'ratelimit-reset', 'retry-after']) {
        assert.equal(res!.headers[h], undefined, h)
      }
    })

    it('limit_by consumer (with key-auth), falling back to the client address without one', async () => {
      await admin(gw, 'POST', '/consumers', { username: 'rl-ann' })
      await admin(gw, 'POST', '/consumers/rl-ann/key-auth', { key: 'rl-ann-key' })
      await admin(gw, 'POST', '/consumers', { username: 'rl-bob' })
      await admin(gw, 'POST', '/consumers/rl-bob/key-auth', { key: 'rl-bob-key' })
      const r = await addRoute(gw, up.url)
      await addPlugin(gw, { name: 'key-auth', config: { anonymous: 'rl-anon' } }, `/routes/${r.routeId}`)
      await admin(gw, 'POST', '/consumers', { username: 'rl-anon' })
      await limited({ minute: 2 }, r)
      await awayFromMinuteEnd()
      await ready(r.url, { apikey: 'rl-ann-key' })
      let annStatus = 0
      for (let i = 0; i < 5 && annStatus !== 429; i++)
        annStatus = (await send(r.url, { headers: { apikey: 'rl-ann-key' } })).status
      assert.equal(annStatus, 429)
      // another consumer has its own counters
      const bob = await send(r.url, { headers: { apikey: 'rl-bob-key' } })
      assert.equal(bob.status, 200)
      assert.equal(bob.headers['x-ratelimit-remaining-minute'], '1')
    })

    it('limit_by credential, service, header and path; the address when the identifier is missing', async () => {
      // header: each value is counted apart; no header → the client address
      const h = await limited({ minute: 1, limit_by: 'header', header_name: 'x-tenant' })
      await awayFromMinuteEnd()
      await ready(h.url, { 'x-tenant': 'probe' })
      assert.equal((await send(h.url, { headers: { 'x-tenant': 'a' } })).status, 200)
      assert.equal((await send(h.url, { headers: { 'x-tenant': 'a' } })).status, 429)
      assert.equal((await send(h.url, { headers: { 'x-tenant': 'b' } })).status, 200)
      assert.equal((await send(h.url)).status, 200)
      assert.equal((await send(h.url)).status, 429)

      // service: two routes of one service, plugin on the service → one counter for both routes
      const s1 = await addRoute(gw, up.url)
      const s2 = await admin(gw, 'POST', `/services/${s1.serviceName}/routes`, { paths: [`${s1.path}-b`] })
      await addPlugin(
        gw,
        { name: 'rate-limiting', config: { minute: 2, limit_by: 'service' } },
        `/services/${s1.serviceId}`,
      )
      const first = await ready(s1.url)
      const left = Number(first.headers['x-ratelimit-remaining-minute'])
      const other = await send(`${gw.proxy}${(s2.paths as string[])[0]}`)
      if (left > 0) assert.equal(other.headers['x-ratelimit-remaining-minute'], String(left - 1))
      else assert.equal(other.status, 429)

      // path: only the configured path is its own identifier
      const pr = await addRoute(gw, up.url)
      const p = await limited({ minute: 1, limit_by: 'path', path: `${pr.path}/exact` }, pr)
      await ready(`${p.url}/warm`) // counted against the address
      assert.equal((await send(`${p.url}/exact`)).status, 200)
      assert.equal((await send(`${p.url}/exact`)).status, 429)
      assert.equal((await send(`${p.url}/other`)).status, 429)

      // credential: without a credential, the address is used
      const c = await limited({ minute: 100, limit_by: 'credential' })
      const cr = await ready(c.url)
      assert.equal(cr.headers['x-ratelimit-limit-minute'], '100')
    })

    it('a global instance shares its counters across routes; a route instance does not', async () => {
      const a = await addRoute(gw, up.url)
      const b = await addRoute(gw, up.url)
      const global = await addPlugin(gw, {
        name: 'rate-limiting',
        config: { hour: 1000, limit_by: 'header', header_name: 'x-g' },
      })
      try {
        const ra = await ready(a.url, { 'x-g': 'shared' })
        const before = Number(ra.headers['x-ratelimit-remaining-hour'])
        const rb = await send(b.url, { headers: { 'x-g': 'shared' } })
        assert.equal(Number(rb.headers['x-ratelimit-remaining-hour']), before - 1)
      } finally {
        await admin(gw, 'DELETE', `/plugins/${global.id}`)
      }
    })
  })
})
