// prometheus (plugins.md §6.20) through the real gateway with two workers: configuration
// checks, /metrics on the Status and Admin APIs (node gauges only while no instance is enabled),
// counts recorded by both workers adding up, the labels (service, route, code, source, consumer),
// the latency histograms and bandwidth, and upstream target health.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Gateway, request, startGateway } from '../../helpers/gateway.js'
import { reloadWorkers, serviceWithPlugins } from '../../helpers/logging.js'
import { addPlugin, addRoute, refused } from '../../helpers/plugins.js'
import { admin, send, until } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

/** The value of the line `name{labels}` of a /metrics page (undefined when absent). */
function value(page: string, series: string): number | undefined {
  for (const line of page.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1))
  }
  return undefined
}

describe('prometheus', () => {
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

  const scrape = async (base = gw.status) => {
    const res = await request(base, 'GET', '/metrics')
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=UTF-8')
    return res.text
  }

  it('serves the node gauges on both APIs while no instance is enabled', async () => {
    // workers report their memory once a second
    await until(async () => (await scrape()).match(/^kong_memory_workers_lua_vms_bytes\{/gm)?.length === 3)
    for (const base of [gw.status, gw.admin]) {
      const page = await scrape(base)
      assert.match(page, /^# HELP kong_datastore_reachable Datastore reachable from Kong, 0 is unreachable$/m)
      assert.match(page, /^# TYPE kong_datastore_reachable gauge$/m)
      assert.equal(value(page, 'kong_datastore_reachable'), 1)
      assert.match(page, /^kong_node_info\{node_id="[0-9a-f-]+",version="\d+\.\d+\.\d+"\} 1$/m)
      assert.match(
        page,
        /^kong_nginx_connections_total\{node_id="[0-9a-f-]+",subsystem="http",state="accepted"\} \d+$/m,
      )
      assert.match(page, /^kong_nginx_requests_total\{node_id="[0-9a-f-]+",subsystem="http"\} \d+$/m)
      // the primary and the two workers
      assert.equal(page.match(/^kong_memory_workers_lua_vms_bytes\{/gm)?.length, 3)
      assert.doesNotMatch(page, /kong_http_requests_total|kong_nginx_metric_errors_total/)
    }
    const endpoints = (await admin(gw, 'GET', '/endpoints')).data as string[]
    assert.ok(endpoints.includes('/metrics'))
  })

  it('fills the defaults and refuses bad values', async () => {
    const r = await addRoute(gw, up.url)
    const p = await addPlugin(gw, { name: 'prometheus' }, `/routes/${r.routeId}`)
    assert.deepEqual(p.config, {
      per_consumer: false,
      status_code_metrics: false,
      ai_metrics: false,
      latency_metrics: false,
      bandwidth_metrics: false,
      upstream_health_metrics: false,
      wasm_metrics: false,
    })
    await admin(gw, 'DELETE', `/plugins/${p.id as string}`)
    const res = await refused(gw, '/plugins', { name: 'prometheus', config: { per_consumer: 'yes' } })
    assert.equal(res.status, 400)
    assert.deepEqual(res.body.fields, { config: { per_consumer: 'expected a boolean' } })
  })

  it('adds up the requests both workers recorded', async () => {
    const r = await serviceWithPlugins(gw, up.url, [
      {
        name: 'prometheus',
        config: { status_code_metrics: true, latency_metrics: true, bandwidth_metrics: true },
      },
      // tells which worker answered: `<worker uuid>#<n>`
      { name: 'correlation-id', config: { echo_downstream: true } },
    ])
    const workers = new Set<string>()
    let sent = 1 // the request made to see the route served
    for (let i = 0; i < 400 && (workers.size < 2 || sent < 20); i++) {
      const res = await send(r.url)
      if (res.status !== 200) continue
      sent++
      workers.add(String(res.headers['kong-request-id']).split('#')[0])
    }
    assert.equal(workers.size, 2, 'both workers served requests')
    const labels = `service="${r.serviceName}",route="${r.routeName}"`
    const total = `kong_http_requests_total{${labels},code="200",source="service",workspace="default",consumer=""}`
    let page = ''
    await until(async () => {
      page = await scrape()
      return value(page, total) === sent
    })
    assert.equal(value(page, total), sent)
    assert.match(page, /^# TYPE kong_http_requests_total counter$/m)
    assert.equal(value(page, `kong_request_latency_ms_count{${labels},workspace="default"}`), sent)
    assert.equal(value(page, `kong_upstream_latency_ms_count{${labels},workspace="default"}`), sent)
    assert.equal(value(page, `kong_kong_latency_ms_count{${labels},workspace="default"}`), sent)
    assert.equal(value(page, `kong_kong_latency_ms_bucket{${labels},workspace="default",le="+Inf"}`), sent)
    assert.match(page, /^# TYPE kong_kong_latency_ms histogram$/m)
    // Kong's buckets, in order
    const les = [
      ...page.matchAll(
        new RegExp(`^kong_kong_latency_ms_bucket\\{${labels},workspace="default",le="([^"]+)"\\}`, 'gm'),
      ),
    ].map((m) => m[1])
    assert.deepEqual(les, [
      '1',
      '2',
      '5',
      '7',
      '10',
      '15',
      '20',
      '30',
      '50',
      '75',
      '100',
      '200',
      '500',
      '750',
      '1000',
      '3000',
      '6000',
      '+Inf',
    ])
    const ingress = value(
      page,
      `kong_bandwidth_bytes{${labels},direction="ingress",workspace="default",consumer=""}`,
    )
    const egress = value(
      page,
      `kong_bandwidth_bytes{${labels},direction="egress",workspace="default",consumer=""}`,
    )
    assert.ok(ingress !== undefined && ingress > sent * 20, `ingress ${ingress}`)
    assert.ok(egress !== undefined && egress > sent * 100, `egress ${egress}`)
    // the Admin API shows the same counts
    assert.equal(value(await scrape(gw.admin), total), sent)
    assert.equal(value(page, 'kong_nginx_metric_errors_total'), 0)
  })

  it('labels: consumer with per_consumer, source kong for responses the gateway made', async () => {
    await admin(gw, 'POST', '/consumers', { username: 'prom-user' })
    await admin(gw, 'POST', '/consumers/prom-user/key-auth', { key: 'prom-key' })
    const r = await serviceWithPlugins(gw, up.url, [
      { name: 'prometheus', config: { status_code_metrics: true, per_consumer: true } },
      { name: 'key-auth', config: {} },
    ])
    const ok = 3
    let got = 0
    for (let i = 0; i < 60 && got < ok; i++)
      if ((await send(r.url, { headers: { apikey: 'prom-key' } })).status === 200) got++
    assert.equal(got, ok)
    const labels = `service="${r.serviceName}",route="${r.routeName}"`
    const consumer = `kong_http_requests_total{${labels},code="200",source="service",workspace="default",consumer="prom-user"}`
    // the request made to see the route served had no key: 401 from the gateway, no consumer
    const refusedLine = `kong_http_requests_total{${labels},code="401",source="kong",workspace="default",consumer=""}`
    let page = ''
    await until(async () => {
      page = await scrape()
      return value(page, consumer) === ok && value(page, refusedLine) !== undefined
    })
    assert.equal(value(page, consumer), ok)
    assert.ok((value(page, refusedLine) ?? 0) >= 1)
  })

  it('reports upstream target health with upstream_health_metrics', async () => {
    await admin(gw, 'POST', '/upstreams', { name: 'prom-upstream' })
    await admin(gw, 'POST', '/upstreams/prom-upstream/targets', { target: `127.0.0.1:${up.port}` })
    await serviceWithPlugins(gw, 'http://prom-upstream', [
      { name: 'prometheus', config: { upstream_health_metrics: true } },
    ])
    const series = (state: string) =>
      `kong_upstream_target_health{upstream="prom-upstream",target="127.0.0.1:${up.port}",address="127.0.0.1:${up.port}",state="${state}",subsystem="http"}`
    const page = await scrape()
    assert.equal(value(page, series('healthchecks_off')), 1)
    assert.equal(value(page, series('healthy')), 0)
    assert.equal(value(page, series('unhealthy')), 0)
    assert.equal(value(page, series('dns_error')), 0)
  })

  it('keeps the counts of workers replaced by a reload', async () => {
    const r = await serviceWithPlugins(gw, up.url, [
      { name: 'prometheus', config: { status_code_metrics: true } },
    ])
    let sent = 1
    for (let i = 0; i < 10; i++) if ((await send(r.url)).status === 200) sent++
    const total = `kong_http_requests_total{service="${r.serviceName}",route="${r.routeName}",code="200",source="service",workspace="default",consumer=""}`
    await until(async () => value(await scrape(), total) === sent)
    await reloadWorkers(gw)
    assert.equal(value(await scrape(), total), sent)
    // the new workers add to it
    await until(async () => (await send(r.url)).status === 200)
    await until(async () => value(await scrape(), total) === sent + 1)
  })
})
