// http-log (plugins.md §6.19) through the real gateway with two workers and a log server on
// 127.0.0.1: configuration checks, one JSON object per request (max_batch_size = 1), JSON
// arrays in batches, the method, headers and Basic authorization sent, a batch retried after
// the server answered 500, the deprecated flat queue fields, and queues sent when workers stop.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Gateway, startGateway } from '../../helpers/gateway.js'
import {
  type HttpReceiver,
  reloadWorkers,
  sendCounted,
  serviceWithPlugins,
  startHttpReceiver,
} from '../../helpers/logging.js'
import { addPlugin, addRoute, refused } from '../../helpers/plugins.js'
import { until } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

type Entry = Record<string, Record<string, unknown>>

describe('http-log', () => {
  let up: Upstream
  let gw: Gateway
  let logs: HttpReceiver
  before(async () => {
    up = await startUpstream()
    logs = await startHttpReceiver()
    gw = await startGateway({ proxy: true, workers: 2 })
  })
  after(async () => {
    await gw.stop()
    await logs.close()
    await up.close()
  })

  /** Entries received at `path` whose request uri ends with `suffix`. */
  function entries(path: string, suffix: string): Entry[] {
    return logs.received
      .filter((r) => r.url === path)
      .flatMap((r) => {
        const body = JSON.parse(r.body) as Entry | Entry[]
        return Array.isArray(body) ? body : [body]
      })
      .filter((e) => String(e.request.uri).endsWith(suffix))
  }

  it('fills the defaults (queue included)', async () => {
    const r = await addRoute(gw, up.url)
    const p = await addPlugin(
      gw,
      { name: 'http-log', config: { http_endpoint: 'http://127.0.0.1:1/x' } },
      `/routes/${r.routeId}`,
    )
    assert.deepEqual(p.config, {
      http_endpoint: 'http://127.0.0.1:1/x',
      method: 'POST',
      content_type: 'application/json',
      timeout: 10000,
      keepalive: 60000,
      retry_count: null,
      queue_size: null,
      flush_timeout: null,
      headers: null,
      queue: {
        max_batch_size: 1,
        max_coalescing_delay: 1,
        max_entries: 10000,
        max_bytes: null,
        max_retry_time: 60,
        initial_retry_delay: 0.01,
        max_retry_delay: 60,
        concurrency_limit: 1,
      },
      custom_fields_by_lua: null,
    })
  })

  it('refuses bad configurations with 400 and the field at fault', async () => {
    const ok = 'http://127.0.0.1:1/x'
    const cases: [unknown, unknown][] = [
      [{}, { config: { http_endpoint: 'required field missing' } }],
      [{ http_endpoint: 'not a url' }, { config: { http_endpoint: 'missing host in url' } }],
      [{ http_endpoint: '//logs.test/x' }, { config: { http_endpoint: 'missing scheme in url' } }],
      [{ http_endpoint: ok, method: 'GET' }, { config: { method: 'expected one of: POST, PUT, PATCH' } }],
      [
        { http_endpoint: ok, content_type: 'text/plain' },
        { config: { content_type: 'expected one of: application/json, application/json; charset=utf-8' } },
      ],
      [{ http_endpoint: ok, timeout: 'soon' }, { config: { timeout: 'expected a number' } }],
      [
        { http_endpoint: ok, headers: { Host: 'x' } },
        { config: { headers: "cannot contain 'Host' header" } },
      ],
      [
        { http_endpoint: ok, headers: { 'content-type': 'x' } },
        { config: { headers: "cannot contain 'Content-Type' header" } },
      ],
      [
        { http_endpoint: ok, headers: { 'Content-Length': '1' } },
        { config: { headers: "cannot contain 'Content-Length' header" } },
      ],
      [
        { http_endpoint: 'http://u:p@127.0.0.1:1/x', headers: { Authorization: 'Bearer x' } },
        {
          config: "specifying both an 'Authorization' header and user info in 'http_endpoint' is not allowed",
        },
      ],
      [
        { http_endpoint: ok, queue: { max_batch_size: 0 } },
        { config: { queue: { max_batch_size: 'value should be between 1 and 1000000' } } },
      ],
      [
        { http_endpoint: ok, queue: { concurrency_limit: 2 } },
        { config: { queue: { concurrency_limit: 'expected one of: -1, 1' } } },
      ],
      [{ http_endpoint: ok, queue_size: 1.5 }, { config: { queue_size: 'expected an integer' } }],
      [
        { http_endpoint: ok, custom_fields_by_lua: { x: 'return 1' } },
        {
          config: {
            custom_fields_by_lua:
              'custom_fields_by_lua is not supported by Silverback (it cannot run Lua code)',
          },
        },
      ],
    ]
    for (const [config, fields] of cases) {
      const res = await refused(gw, '/plugins', { name: 'http-log', config })
      assert.equal(res.status, 400, JSON.stringify(config))
      assert.equal(res.body.name, 'schema violation')
      assert.deepEqual(res.body.fields, fields, JSON.stringify(config))
    }
  })

  it('sends one JSON object per request with the method, headers and Basic authorization', async () => {
    const endpoint = logs.url.replace('http://', 'http://user:pa55@')
    const r = await serviceWithPlugins(gw, up.url, [
      {
        name: 'http-log',
        config: {
          http_endpoint: `${endpoint}/single?ignored=1`,
          method: 'PUT',
          content_type: 'application/json; charset=utf-8',
          headers: { 'X-Log-Key': 'k1' },
        },
      },
    ])
    const n = 10
    await sendCounted(`${r.url}?single`, n)
    await until(async () => entries('/single', '?single').length >= n)
    assert.equal(entries('/single', '?single').length, n)
    const got = logs.received.filter((q) => q.url === '/single')
    for (const q of got) {
      assert.equal(q.method, 'PUT')
      assert.equal(q.headers['content-type'], 'application/json; charset=utf-8')
      assert.equal(q.headers['x-log-key'], 'k1')
      assert.equal(q.headers.authorization, `Basic ${Buffer.from('user:pa55').toString('base64')}`)
      assert.equal(Number(q.headers['content-length']), Buffer.byteLength(q.body))
      assert.ok(!Array.isArray(JSON.parse(q.body)), 'max_batch_size 1: a JSON object')
    }
    const e = entries('/single', '?single')[0]
    assert.equal(e.route.id, r.routeId)
    assert.equal(e.response.status, 200)
  })

  it('batches entries as JSON arrays when max_batch_size > 1', async () => {
    const r = await serviceWithPlugins(gw, up.url, [
      {
        name: 'http-log',
        config: {
          http_endpoint: `${logs.url}/batch`,
          queue: { max_batch_size: 50, max_coalescing_delay: 0.3 },
        },
      },
    ])
    const n = 12
    await sendCounted(`${r.url}?batch`, n)
    await until(async () => entries('/batch', '?batch').length >= n)
    const bodies = logs.received.filter((q) => q.url === '/batch').map((q) => JSON.parse(q.body) as unknown)
    assert.ok(
      bodies.every((b) => Array.isArray(b)),
      'every batch is an array',
    )
    // a worker gathers several entries per batch: fewer requests than entries
    assert.ok(bodies.length < n, `${bodies.length} batches for ${n} entries`)
    assert.equal(entries('/batch', '?batch').length, n)
    const ids = new Set(entries('/batch', '?batch').map((e) => e.request.id))
    assert.equal(ids.size, n)
  })

  it('retries a batch the log server refused with 500', async () => {
    const r = await serviceWithPlugins(gw, up.url, [
      {
        name: 'http-log',
        config: { http_endpoint: `${logs.url}/retry`, queue: { initial_retry_delay: 0.05 } },
      },
    ])
    // the route's first request (made to see it served) is delivered before the server fails
    await until(async () => logs.received.some((q) => q.url === '/retry'))
    logs.statuses.push(500)
    await sendCounted(`${r.url}?retry`, 1)
    await until(async () => {
      const tries = logs.received.filter((q) => q.url === '/retry' && q.body.includes('?retry'))
      return tries.length >= 2
    })
    const tries = logs.received.filter((q) => q.url === '/retry' && q.body.includes('?retry'))
    assert.equal(tries.length, 2, 'refused once, then delivered')
    assert.equal(tries[0].body, tries[1].body, 'the same entry again')
    await until(async () => gw.errorLog().includes('returned status code 500 and body failed on purpose'))
    assert.match(gw.errorLog(), /\[http-log plugin [0-9a-f-]+\] queue .*: handler could not process entries/)
  })

  it('accepts the deprecated queue_size and flush_timeout, which then set the batching', async () => {
    const r = await serviceWithPlugins(gw, up.url, [
      {
        name: 'http-log',
        config: { http_endpoint: `${logs.url}/legacy`, queue_size: 20, flush_timeout: 0.3, retry_count: 3 },
      },
    ])
    const p = (await (await fetch(`${gw.admin}/services/${r.serviceName}/plugins`)).json()) as {
      data: { config: Record<string, unknown> }[]
    }
    assert.equal(p.data[0].config.queue_size, 20)
    assert.equal(p.data[0].config.flush_timeout, 0.3)
    assert.equal(p.data[0].config.retry_count, 3)
    await sendCounted(`${r.url}?legacy`, 6)
    await until(async () => entries('/legacy', '?legacy').length >= 6)
    const bodies = logs.received.filter((q) => q.url === '/legacy').map((q) => JSON.parse(q.body) as unknown)
    assert.ok(bodies.every((b) => Array.isArray(b)))
    await until(async () => gw.errorLog().includes('the queue_size parameter is deprecated'))
  })

  it('a worker that stops sends what its queue holds first', async () => {
    const r = await serviceWithPlugins(gw, up.url, [
      {
        name: 'http-log',
        // batches would wait an hour for more entries
        config: {
          http_endpoint: `${logs.url}/drain`,
          queue: { max_batch_size: 1000, max_coalescing_delay: 3600 },
        },
      },
    ])
    const n = 5
    await sendCounted(`${r.url}?drain`, n)
    assert.equal(entries('/drain', '?drain').length, 0)
    await reloadWorkers(gw)
    await until(async () => entries('/drain', '?drain').length >= n)
    assert.equal(entries('/drain', '?drain').length, n)
  })
})
