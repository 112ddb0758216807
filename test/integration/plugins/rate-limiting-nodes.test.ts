// rate-limiting's shared policies through real gateway processes: two nodes (two workers each)
// counting in the machine's Redis (127.0.0.1:6379, database REDIS_DB; every key a test makes
// carries a route id of its own and is deleted afterwards), and two nodes sharing a PostgreSQL
// schema of this test's own (`cluster`). Requests go to both nodes at once; exactly the limit
// gets through. Then what happens when Redis or PostgreSQL cannot be reached.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import net from 'node:net'
import { after, before, describe, it } from 'node:test'
import { Redis } from 'ioredis'
import pg from 'pg'
import { slidingRetryMs, slidingUsage } from '../../../src/plugins/rate-limiting/sliding.js'
import { previousStart, windowEnd } from '../../../src/plugins/rate-limiting/windows.js'
import { runCli } from '../../helpers/cli.js'
import { freePort, type Gateway, type GatewayOptions, startGateway } from '../../helpers/gateway.js'
import { message } from '../../helpers/plugins.js'
import { admin, type ProxyResponse, send, until } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

/** The Redis database the tests count in (not 0: nothing else of the machine's is touched). */
const REDIS_DB = Number(process.env.SILVERBACK_TEST_REDIS_DB ?? 13)

/** A route's instance counts under `<route id>:<this>` (Kong: the instance's own service, none). */
const NO_SERVICE = '00000000-0000-0000-0000-000000000000'

function statuses(responses: ProxyResponse[]): Record<number, number> {
  const out: Record<number, number> = {}
  for (const r of responses) out[r.status] = (out[r.status] ?? 0) + 1
  return out
}

/** Waits (at most 3 s) until the current minute has at least 3 s left: a burst stays in one window. */
async function awayFromMinuteEnd(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000)
  if (left < 3000) await new Promise((r) => setTimeout(r, left + 50))
}

/** Two nodes started together; if one fails to start, the other is stopped before the error. */
async function startTwo(opts: GatewayOptions): Promise<[Gateway, Gateway]> {
  const started = await Promise.allSettled([startGateway(opts), startGateway(opts)])
  const up = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
  const failed = started.find((r) => r.status === 'rejected')
  if (failed !== undefined) {
    await Promise.all(up.map((gw) => gw.stop()))
    throw failed.reason
  }
  return up as [Gateway, Gateway]
}

/** `n` requests at once, alternating between the nodes' URLs. */
function burst(urls: string[], n: number, headers: Record<string, string>): Promise<ProxyResponse[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => send(urls[i % urls.length], { headers })))
}

const hasHeaders = (r: ProxyResponse) =>
  Object.keys(r.headers).some((h) => h.startsWith('x-ratelimit-limit-') || h === 'ratelimit-limit')

/**
 * Waits until every worker of the node serves the plugin: 20 probes in a row answered with its
 * headers (probes send no `x-client`, so they count against the client address, not the tested
 * identifiers).
 */
async function untilLimited(url: string): Promise<void> {
  let inARow = 0
  await until(async () => {
    inARow = hasHeaders(await send(url)) ? inARow + 1 : 0
    return inARow >= 20
  }, 10_000)
}

/** The sliding-window expectations for a year limit with `previous` requests last year, now. */
function yearExpectation(limit: number, previous: number) {
  const now = Date.now()
  const start = Date.UTC(new Date(now).getUTCFullYear(), 0, 1)
  const end = windowEnd('year', start)
  const weight = (end - now) / (end - start)
  return { start, end, now, admitted: Math.max(0, limit - slidingUsage(0, previous, weight)) }
}

/** A previous-year count that makes the weighted previous window about half of `limit` now. */
function previousForHalf(limit: number): number {
  const { start, end, now } = yearExpectation(limit, 0)
  return Math.max(1, Math.round(limit / 2 / ((end - now) / (end - start))))
}

describe('rate-limiting, redis policy, two nodes', () => {
  let up: Upstream
  let a: Gateway
  let b: Gateway
  let redis: Redis
  const routes: string[] = []
  let seq = 0

  before(async () => {
    redis = new Redis({ host: '127.0.0.1', port: 6379, db: REDIS_DB, lazyConnect: true })
    await redis.connect()
    up = await startUpstream()
    ;[a, b] = await startTwo({ proxy: true, workers: 2 })
  })

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()])
    await up?.close()
    for (const routeId of routes) {
      const keys: string[] = []
      for await (const batch of redis.scanStream({ match: `ratelimit:${routeId}:*`, count: 1000 }))
        keys.push(...(batch as string[]))
      if (keys.length > 0) await redis.del(...keys)
    }
    redis.disconnect()
  })

  /**
   * The same service, route and plugin (same ids: the counters' keys hold them) on both nodes,
   * which have a store each; `configB` lets node B spell the configuration differently.
   */
  async function onBoth(config: Record<string, unknown>, configB = config) {
    const serviceId = randomUUID()
    const routeId = randomUUID()
    routes.push(routeId)
    const path = `/rl-redis-${++seq}`
    for (const [gw, conf] of [
      [a, config],
      [b, configB],
    ] as const) {
      await admin(gw, 'POST', '/services', { id: serviceId, name: `rl-${seq}`, url: up.url })
      await admin(gw, 'POST', '/routes', { id: routeId, paths: [path], service: { id: serviceId } })
      await admin(gw, 'POST', '/plugins', { name: 'rate-limiting', route: { id: routeId }, config: conf })
    }
    return { serviceId, routeId, urls: [`${a.proxy}${path}`, `${b.proxy}${path}`] }
  }

  const redisConf = { host: '127.0.0.1', port: 6379, database: REDIS_DB, timeout: 2000 }

  it('minute = 10: exactly 10 of 30 concurrent requests spread over both nodes get through', async () => {
    const r = await onBoth(
      { minute: 10, limit_by: 'header', header_name: 'x-client', policy: 'redis', redis: redisConf },
      // node B with Kong's deprecated flat fields: the same counters
      {
        minute: 10,
        limit_by: 'header',
        header_name: 'x-client',
        policy: 'redis',
        redis_host: '127.0.0.1',
        redis_port: 6379,
        redis_database: REDIS_DB,
      },
    )
    await Promise.all(r.urls.map(untilLimited))
    await awayFromMinuteEnd()
    const all = await burst(r.urls, 30, { 'x-client': 'burst' })
    assert.deepEqual(statuses(all), { 200: 10, 429: 20 })
    // the counter, under Kong's key, lives at most a minute
    const keys = await redis.keys(`ratelimit:${r.routeId}:${NO_SERVICE}:burst:*:minute`)
    assert.equal(keys.length, 1)
    assert.equal(await redis.get(keys[0]), '10')
    const ttl = await redis.pttl(keys[0])
    assert.ok(ttl > 0 && ttl <= 60_000, `ttl ${ttl}`)
    // one after the other, alternating: the remaining count goes down across the nodes
    const seq: ProxyResponse[] = []
    for (let i = 0; i < 12; i++)
      seq.push(await send(r.urls[i % 2], { headers: { 'x-client': 'alternating' } }))
    assert.deepEqual(statuses(seq), { 200: 10, 429: 2 })
    assert.deepEqual(
      seq.slice(0, 10).map((s) => s.headers['x-ratelimit-remaining-minute']),
      ['9', '8', '7', '6', '5', '4', '3', '2', '1', '0'],
    )
    assert.equal(seq[11].headers['retry-after'], seq[11].headers['ratelimit-reset'])
  })

  it('several periods: a request refused by one period is counted in none', async () => {
    const r = await onBoth({
      minute: 3,
      hour: 5,
      limit_by: 'header',
      header_name: 'x-client',
      policy: 'redis',
      redis: redisConf,
    })
    await Promise.all(r.urls.map(untilLimited))
    await awayFromMinuteEnd()
    const all = await burst(r.urls, 10, { 'x-client': 'periods' })
    assert.deepEqual(statuses(all), { 200: 3, 429: 7 })
    const hour = await redis.keys(`ratelimit:${r.routeId}:${NO_SERVICE}:periods:*:hour`)
    assert.equal(await redis.get(hour[0]), '3')
  })

  it('window_type = sliding: last year still weighs its share, exactly as computed', async () => {
    const limit = 20
    const r = await onBoth({
      year: limit,
      limit_by: 'header',
      header_name: 'x-client',
      policy: 'redis',
      window_type: 'sliding',
      redis: redisConf,
    })
    await Promise.all(r.urls.map(untilLimited))
    const previous = previousForHalf(limit)
    const before = yearExpectation(limit, previous)
    const lastYear = previousStart('year', before.start)
    await redis.set(`ratelimit:${r.routeId}:${NO_SERVICE}:sliding:${lastYear}:year`, previous, 'PX', 60_000)
    const all = await burst(r.urls, 30, { 'x-client': 'sliding' })
    const afterwards = yearExpectation(limit, previous)
    const admitted = statuses(all)[200] ?? 0
    // (the weighted count moves by one at most while the burst runs: it almost never does)
    assert.ok(
      admitted === before.admitted || admitted === afterwards.admitted,
      `${admitted} admitted, expected ${before.admitted}`,
    )
    assert.ok(admitted > 0 && admitted < limit, `${admitted}`)
    // refused: Retry-After is when the weighted count leaves room again (not the end of the year)
    const refused = await send(r.urls[0], { headers: { 'x-client': 'sliding' } })
    assert.equal(refused.status, 429)
    const at = Date.now()
    const expected = slidingRetryMs(
      limit,
      admitted,
      previous,
      before.start,
      before.end,
      windowEnd('year', before.end),
      at,
    )
    const retry = Number(refused.headers['retry-after'])
    assert.ok(
      Math.abs(retry - Math.ceil(expected / 1000)) <= 2,
      `Retry-After ${retry}, expected ~${expected} ms`,
    )
    assert.ok(retry * 1000 < before.end - at, 'earlier than the end of the year')
  })

  it('sync_rate > 0: nodes count locally, even while Redis is away, and synchronize every sync_rate seconds', async () => {
    // both nodes reach Redis through a forwarder the test can cut; one worker each (one copy per node)
    const sockets = new Set<net.Socket>()
    let open = true
    const forwarder = net.createServer((client) => {
      if (!open) {
        client.destroy()
        return
      }
      const server = net.connect(6379, '127.0.0.1')
      for (const s of [client, server]) {
        sockets.add(s)
        s.on('close', () => sockets.delete(s))
        s.on('error', () => undefined)
      }
      client.pipe(server).pipe(client)
    })
    await new Promise<void>((r) => forwarder.listen(0, '127.0.0.1', r))
    const port = (forwarder.address() as net.AddressInfo).port
    let nodes: Gateway[] = []
    try {
      nodes = await startTwo({ proxy: true, workers: 1 })
      const [c, d] = nodes
      const serviceId = randomUUID()
      const routeId = randomUUID()
      routes.push(routeId)
      const config = {
        minute: 10,
        limit_by: 'header',
        header_name: 'x-client',
        policy: 'redis',
        redis: { ...redisConf, port },
        sync_rate: 0.2,
      }
      for (const gw of [c, d]) {
        await admin(gw, 'POST', '/services', { id: serviceId, name: 'synced', url: up.url })
        await admin(gw, 'POST', '/routes', { id: routeId, paths: ['/synced'], service: { id: serviceId } })
        await admin(gw, 'POST', '/plugins', { name: 'rate-limiting', route: { id: routeId }, config })
      }
      const urls = [`${c.proxy}/synced`, `${d.proxy}/synced`]
      await Promise.all(urls.map(untilLimited))
      await awayFromMinuteEnd()
      const headers = { 'x-client': 'synced' }
      const counter = async () => {
        const k = (await redis.keys(`ratelimit:${routeId}:${NO_SERVICE}:synced:*:minute`))[0]
        return k === undefined ? null : await redis.get(k)
      }
      // node C's first request asks Redis (and counts there)...
      const first = await send(urls[0], { headers })
      assert.equal(first.headers['x-ratelimit-remaining-minute'], '9')
      assert.equal(await counter(), '1')
      // ...the next ones are counted by the node: they do not need Redis
      open = false
      for (const s of sockets) s.destroy()
      const local: ProxyResponse[] = []
      for (let i = 0; i < 3; i++) local.push(await send(urls[0], { headers }))
      assert.deepEqual(
        local.map((r) => [r.status, r.headers['x-ratelimit-remaining-minute']]),
        [
          [200, '8'],
          [200, '7'],
          [200, '6'],
        ],
      )
      // Redis back: what node C counted meanwhile reaches it with a synchronization
      open = true
      await until(async () => (await counter()) === '4', 10_000)
      // node D starts from Redis' count: 6 more, then refused
      const onD: ProxyResponse[] = []
      for (let i = 0; i < 8; i++) onD.push(await send(urls[1], { headers }))
      assert.deepEqual(statuses(onD), { 200: 6, 429: 2 })
      await until(async () => (await counter()) === '10')
    } finally {
      await Promise.all(nodes.map((gw) => gw.stop()))
      forwarder.close()
      for (const s of sockets) s.destroy()
    }
  })

  describe('Redis unreachable', () => {
    let silent: net.Server
    const held = new Set<net.Socket>()

    before(async () => {
      // accepts connections and never answers
      silent = net.createServer((socket) => {
        held.add(socket)
        socket.on('close', () => held.delete(socket))
        socket.on('error', () => undefined)
      })
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    })

    after(async () => {
      for (const s of held) s.destroy()
      await new Promise((r) => silent.close(r))
    })

    async function pair(redis: Record<string, unknown>) {
      const base = { minute: 5, policy: 'redis', redis: { ...redis, password: 'never-logged-pw' } }
      const tolerant = await onBoth(base)
      const strict = await onBoth({ ...base, fault_tolerant: false })
      // the strict instance was written last: once node A's workers apply it, they have both
      let inARow = 0
      await until(async () => {
        inARow = (await send(strict.urls[0])).status === 500 ? inARow + 1 : 0
        return inARow >= 10
      }, 10_000)
      return { tolerant: tolerant.urls[0], strict: strict.urls[0] }
    }

    async function check(urls: { tolerant: string; strict: string }, logged: RegExp) {
      for (let i = 0; i < 5; i++) {
        const ok = await send(urls.tolerant)
        assert.equal(ok.status, 200)
        assert.ok(!hasHeaders(ok), JSON.stringify(ok.headers))
        const failed = await send(urls.strict)
        assert.equal(failed.status, 500)
        assert.equal(message(failed), 'An unexpected error occurred')
      }
      await until(async () => logged.test(a.errorLog()))
      assert.ok(!a.errorLog().includes('never-logged-pw'), 'the password is never logged')
    }

    it('a closed port: fault_tolerant proxies without headers, otherwise 500', async () => {
      const closed = await freePort()
      const urls = await pair({ host: '127.0.0.1', port: closed, timeout: 2000 })
      await check(urls, new RegExp(`failed to get usage: could not reach Redis at 127.0.0.1:${closed}`))
    })

    it('a server that never answers: the same, each request waiting at most `timeout`', async () => {
      const port = (silent.address() as net.AddressInfo).port
      const urls = await pair({ host: '127.0.0.1', port, timeout: 200 })
      await check(urls, new RegExp(`Redis at 127.0.0.1:${port} did not answer within 200 ms`))
    })
  })
})

describe('rate-limiting, cluster policy, two nodes on one PostgreSQL database', () => {
  const schema = `sb_rl_${process.pid}_${Date.now()}`
  const env = {
    DATABASE: 'postgres',
    PG_HOST: '127.0.0.1',
    PG_DATABASE: 'test',
    PG_USER: 'postgres',
    PG_SCHEMA: schema,
  }
  let up: Upstream
  let a: Gateway
  let b: Gateway
  let db: pg.Client
  let seq = 0

  before(async () => {
    const boot = await runCli(
      ['migrations', 'bootstrap'],
      Object.fromEntries(Object.entries(env).map(([k, v]) => [`KONG_${k}`, v])),
    )
    assert.equal(boot.code, 0, boot.stderr)
    assert.match(boot.stdout, /rate-limiting migrated up to: 000_base_rate_limiting/)
    db = new pg.Client({ host: '127.0.0.1', database: 'test', user: 'postgres' })
    await db.connect()
    up = await startUpstream()
    ;[a, b] = await startTwo({ env, proxy: true, workers: 2 })
  })

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()])
    await up?.close()
    await db?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await db?.end()
  })

  /** A route with the plugin, written on node A; both nodes serve it (B through propagation). */
  async function limited(config: Record<string, unknown>) {
    const name = `rl-cluster-${++seq}`
    const svc = await admin(a, 'POST', '/services', { name, url: up.url })
    const route = await admin(a, 'POST', `/services/${name}/routes`, { paths: [`/${name}`] })
    await admin(a, 'POST', `/routes/${route.id as string}/plugins`, { name: 'rate-limiting', config })
    const urls = [`${a.proxy}/${name}`, `${b.proxy}/${name}`]
    await Promise.all(urls.map(untilLimited))
    return { urls, routeId: route.id as string, serviceId: svc.id as string }
  }

  it('minute = 10: exactly 10 of 30 concurrent requests spread over both nodes get through', async () => {
    const r = await limited({ minute: 10, limit_by: 'header', header_name: 'x-client', policy: 'cluster' })
    await awayFromMinuteEnd()
    const all = await burst(r.urls, 30, { 'x-client': 'burst' })
    assert.deepEqual(statuses(all), { 200: 10, 429: 20 })
    const rows = await db.query(
      `SELECT period, period_date, value, ttl FROM "${schema}".ratelimiting_metrics
       WHERE route_id = $1 AND identifier = 'burst'`,
      [r.routeId],
    )
    assert.equal(rows.rows.length, 1)
    assert.equal(rows.rows[0].period, 'minute')
    assert.equal(Number(rows.rows[0].value), 10)
    assert.equal(Number(rows.rows[0].period_date) % 60_000, 0)
    // and alternating, one after the other
    const seq: ProxyResponse[] = []
    for (let i = 0; i < 12; i++)
      seq.push(await send(r.urls[i % 2], { headers: { 'x-client': 'alternating' } }))
    assert.deepEqual(statuses(seq), { 200: 10, 429: 2 })
    assert.deepEqual(
      seq.slice(0, 10).map((s) => s.headers['x-ratelimit-remaining-minute']),
      ['9', '8', '7', '6', '5', '4', '3', '2', '1', '0'],
    )
  })

  it('several periods: a request refused by one period is counted in none', async () => {
    const r = await limited({
      minute: 3,
      day: 5,
      limit_by: 'header',
      header_name: 'x-client',
      policy: 'cluster',
    })
    await awayFromMinuteEnd()
    const all = await burst(r.urls, 10, { 'x-client': 'periods' })
    assert.deepEqual(statuses(all), { 200: 3, 429: 7 })
    const day = await db.query(
      `SELECT value FROM "${schema}".ratelimiting_metrics WHERE route_id = $1 AND identifier = 'periods' AND period = 'day'`,
      [r.routeId],
    )
    assert.equal(Number(day.rows[0].value), 3)
  })

  it('window_type = sliding: last year still weighs its share, exactly as computed', async () => {
    const limit = 20
    const r = await limited({
      year: limit,
      limit_by: 'header',
      header_name: 'x-client',
      policy: 'cluster',
      window_type: 'sliding',
    })
    const previous = previousForHalf(limit)
    const before = yearExpectation(limit, previous)
    await db.query(
      `INSERT INTO "${schema}".ratelimiting_metrics (identifier, period, period_date, service_id, route_id, value, ttl)
       VALUES ('sliding', 'year', $1, $2, $3, $4, $5)`,
      [previousStart('year', before.start), NO_SERVICE, r.routeId, previous, Date.now() + 60_000],
    )
    const all = await burst(r.urls, 30, { 'x-client': 'sliding' })
    const afterwards = yearExpectation(limit, previous)
    const admitted = statuses(all)[200] ?? 0
    assert.ok(
      admitted === before.admitted || admitted === afterwards.admitted,
      `${admitted} admitted, expected ${before.admitted}`,
    )
    assert.ok(admitted > 0 && admitted < limit, `${admitted}`)
  })

  it('PostgreSQL unreachable: fault_tolerant proxies without headers, otherwise 500, within pg_timeout', async () => {
    // a third node reaches PostgreSQL through a forwarder the test cuts
    const sockets = new Set<net.Socket>()
    let open = true
    const forwarder = net.createServer((c) => {
      if (!open) {
        c.destroy()
        return
      }
      const upstream = net.connect(5432, '127.0.0.1')
      for (const s of [c, upstream]) {
        sockets.add(s)
        s.on('close', () => sockets.delete(s))
        s.on('error', () => undefined)
      }
      c.pipe(upstream).pipe(c)
    })
    await new Promise<void>((r) => forwarder.listen(0, '127.0.0.1', r))
    const port = String((forwarder.address() as net.AddressInfo).port)
    let c: Gateway | undefined
    try {
      c = await startGateway({ env: { ...env, PG_PORT: port, PG_TIMEOUT: '1000' }, proxy: true })
      const node = c
      const tolerant = await limited({ minute: 5, policy: 'cluster' })
      const strict = await limited({ minute: 5, policy: 'cluster', fault_tolerant: false })
      const urls = {
        tolerant: tolerant.urls[0].replace(a.proxy, c.proxy),
        strict: strict.urls[0].replace(a.proxy, c.proxy),
      }
      await untilLimited(urls.strict)
      open = false
      for (const s of sockets) s.destroy()
      for (let i = 0; i < 5; i++) {
        const ok = await send(urls.tolerant)
        assert.equal(ok.status, 200)
        assert.ok(!hasHeaders(ok), JSON.stringify(ok.headers))
        const failed = await send(urls.strict)
        assert.equal(failed.status, 500)
        assert.equal(message(failed), 'An unexpected error occurred')
      }
      await until(async () => /\[rate-limiting\] failed to get usage: /.test(node.errorLog()))
    } finally {
      await c?.stop()
      forwarder.close()
      for (const s of sockets) s.destroy()
    }
  })
})
