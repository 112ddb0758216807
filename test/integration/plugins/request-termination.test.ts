// request-termination (plugins.md §6.13) through the real gateway and a real upstream: default
// and custom messages, raw bodies, echo, trigger, consumer scoping, and the schema's rules.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Gateway, startGateway } from '../../helpers/gateway.js'
import {
  addPlugin,
  addRoute,
  echoed,
  json,
  refused,
  type TestRoute,
  untilProxy,
} from '../../helpers/plugins.js'
import { admin, send } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

describe('request-termination', () => {
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

  /** A route whose plugin is active (waits for `status` on `probe`). */
  async function terminated(
    config: Record<string, unknown>,
    status: number,
    probe: Parameters<typeof send>[1] = {},
  ): Promise<TestRoute> {
    const r = await addRoute(gw, up.url)
    await addPlugin(gw, { name: 'request-termination', config }, `/routes/${r.routeId}`)
    await untilProxy(r.url, status, probe)
    return r
  }

  describe('configuration', () => {
    it('fills the defaults of plugins.md §6.13', async () => {
      const r = await addRoute(gw, up.url)
      const p = await addPlugin(gw, { name: 'request-termination' }, `/routes/${r.routeId}`)
      assert.deepEqual(p.config, {
        status_code: 503,
        message: null,
        content_type: null,
        body: null,
        echo: false,
        trigger: null,
      })
      assert.deepEqual(p.protocols, ['grpc', 'grpcs', 'http', 'https'])
    })

    it('refuses bad status codes field by field', async () => {
      const cases: [unknown, string][] = [
        ['abcd', 'expected an integer'],
        [99, 'value should be between 100 and 599'],
        [600, 'value should be between 100 and 599'],
        [null, 'required field missing'],
      ]
      for (const [status_code, msg] of cases) {
        const res = await refused(gw, '/plugins', { name: 'request-termination', config: { status_code } })
        assert.equal(res.status, 400)
        assert.equal(res.body.name, 'schema violation')
        assert.deepEqual(res.body.fields, { config: { status_code: msg } })
      }
    })

    it('refuses message with body/content_type, content_type without body, echo with body', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ message: 'error', body: 'test' }, 'message cannot be used with content_type or body'],
        [
          { message: 'error', content_type: 'text/html', body: 'test' },
          'message cannot be used with content_type or body',
        ],
        [{ message: 'error', content_type: 'text/html' }, 'message cannot be used with content_type or body'],
        [{ content_type: 'text/html' }, 'content_type requires a body'],
        [
          { echo: true, content_type: 'text/html', body: '<h1>x</h1>' },
          'echo cannot be used with content_type and body',
        ],
        [{ echo: true, body: 'x' }, 'echo cannot be used with content_type and body'],
      ]
      for (const [config, msg] of cases) {
        const res = await refused(gw, '/plugins', { name: 'request-termination', config })
        assert.equal(res.status, 400, JSON.stringify(config))
        assert.equal(res.body.name, 'schema violation')
        assert.deepEqual(res.body.fields, { config: msg })
      }
      const trigger = await refused(gw, '/plugins', {
        name: 'request-termination',
        config: { trigger: 'bad header' },
      })
      assert.equal(trigger.status, 400)
      assert.ok((trigger.body.fields as { config: { trigger: unknown } }).config.trigger)
    })
  })

  describe('responses', () => {
    it('defaults to 503 {"message":"Service unavailable"} without contacting the upstream', async () => {
      const r = await terminated({}, 503)
      const before = up.requests
      const res = await send(r.url, { method: 'POST', body: 'ignored' })
      assert.equal(res.status, 503)
      assert.deepEqual(json(res), { message: 'Service unavailable' })
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8')
      assert.equal(res.headers['content-length'], String(Buffer.byteLength(res.body)))
      assert.ok(res.headers['x-kong-response-latency'] !== undefined)
      assert.ok(String(res.headers.server).startsWith('silverback/'))
      assert.equal(up.requests, before)
    })

    it('uses the default message of each status that has one', async () => {
      const defaults: [number, string][] = [
        [401, 'Unauthorized'],
        [404, 'Not found'],
        [405, 'Method not allowed'],
        [500, 'An unexpected error occurred'],
        [502, 'Bad Gateway'],
        [503, 'Service unavailable'],
      ]
      for (const [status_code, msg] of defaults) {
        const r = await terminated({ status_code }, status_code)
        const res = await send(r.url)
        assert.equal(res.status, status_code)
        assert.deepEqual(json(res), { message: msg })
      }
    })

    it('sends a custom message; other statuses without message have an empty body', async () => {
      const custom = await terminated({ status_code: 406, message: 'Invalid' }, 406)
      const res = await send(custom.url)
      assert.deepEqual(json(res), { message: 'Invalid' })
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8')
      const teapot = await terminated({ status_code: 418 }, 418)
      const empty = await send(teapot.url)
      assert.equal(empty.body, '')
      assert.equal(empty.headers['content-length'], '0')
      assert.equal(empty.headers['content-type'], undefined)
      const ok = await terminated({ status_code: 200, message: 'all good' }, 200)
      assert.deepEqual(json(await send(ok.url)), { message: 'all good' })
    })

    it('204 has no body', async () => {
      const r = await terminated({ status_code: 204 }, 204)
      const res = await send(r.url)
      assert.equal(res.status, 204)
      assert.equal(res.body, '')
      assert.equal(res.headers['content-length'], undefined)
    })

    it('sends a raw body as is, with content_type when given', async () => {
      const html = '<html><body><h1>Service is down for maintenance</h1></body></html>'
      const plain = await terminated({ body: html }, 503)
      const res = await send(plain.url)
      assert.equal(res.body, html)
      assert.equal(res.headers['content-type'], undefined)
      assert.equal(res.headers['content-length'], String(Buffer.byteLength(html)))

      const typed = await terminated({ status_code: 451, content_type: 'text/html', body: html }, 451)
      const t = await send(typed.url)
      assert.equal(t.body, html)
      assert.equal(t.headers['content-type'], 'text/html')

      const jsonBody = await terminated({ body: '{"code": 1, "message": "Service unavailable"}' }, 503)
      assert.deepEqual(json(await send(jsonBody.url)), { code: 1, message: 'Service unavailable' })
    })
  })

  describe('echo and trigger', () => {
    it('echo returns the request, the node and the matched route and service', async () => {
      const r = await terminated({ echo: true, status_code: 404 }, 404)
      const res = await send(`${r.url}/status/200?hello=there&flag`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-custom': ['a', 'b'] },
        body: '{"cool":"body"}',
      })
      assert.equal(res.status, 404)
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8')
      const body = json(res) as {
        message: string
        kong: { node_id: string; worker_pid: number; hostname: string }
        request: Record<string, unknown>
        matched_route: { id: string; paths: string[] }
        matched_service: { id: string; name: string }
      }
      assert.equal(body.message, 'Not found')
      assert.match(body.kong.node_id, /^[0-9a-f-]{36}$/)
      assert.equal(typeof body.kong.worker_pid, 'number')
      assert.equal(typeof body.kong.hostname, 'string')
      assert.equal(body.matched_route.id, r.routeId)
      assert.deepEqual(body.matched_route.paths, [r.path])
      assert.equal(body.matched_service.id, r.serviceId)
      assert.equal(body.matched_service.name, r.serviceName)
      const headers = body.request.headers as Record<string, unknown>
      assert.equal(headers['content-type'], 'application/json')
      assert.deepEqual(headers['x-custom'], ['a', 'b'])
      assert.equal(headers['content-length'], '15')
      assert.deepEqual(
        { ...body.request, headers: undefined },
        {
          scheme: 'http',
          host: '127.0.0.1',
          port: gw.proxyPort,
          headers: undefined,
          query: { hello: 'there', flag: true },
          body: { cool: 'body' },
          raw_body: '{"cool":"body"}',
          method: 'POST',
          path: `${r.path}/status/200`,
          uri_captures: { named: {}, unnamed: [] },
        },
      )
    })

    it('echo leaves out body when it cannot be parsed, and message when the status has none', async () => {
      const r = await terminated({ echo: true, status_code: 418 }, 418)
      const body = json(await send(r.url, { method: 'POST', body: 'cool body' }))
      assert.equal('message' in body, false)
      const request = body.request as Record<string, unknown>
      assert.equal('body' in request, false)
      assert.equal(request.raw_body, 'cool body')
      const custom = await terminated({ echo: true, message: 'hi' }, 503)
      assert.equal(json(await send(custom.url)).message, 'hi')
    })

    it('with a trigger, only requests carrying that header or query argument are terminated', async () => {
      const r = await terminated({ echo: true, trigger: 'gimme-an-echo', status_code: 404 }, 404, {
        headers: { 'gimme-an-echo': 'yes' },
      })
      // No trigger: proxied.
      const passed = echoed(await send(r.url))
      assert.equal(passed.method, 'GET')
      // Header (any case, even empty).
      const byHeader = await send(r.url, { headers: { 'Gimme-An-Echo': 'anything will do' } })
      assert.equal(byHeader.status, 404)
      assert.equal(
        ((json(byHeader).request as { headers: Record<string, string> }).headers as Record<string, string>)[
          'gimme-an-echo'
        ],
        'anything will do',
      )
      assert.equal((await send(r.url, { headers: { 'gimme-an-echo': '' } })).status, 404)
      // Query argument (with a value, or valueless).
      const byQuery = await send(`${r.url}?gimme-an-echo=anything`)
      assert.equal(byQuery.status, 404)
      assert.deepEqual((json(byQuery).request as { query: unknown }).query, { 'gimme-an-echo': 'anything' })
      assert.equal((await send(`${r.url}?gimme-an-echo`)).status, 404)
      // Query names are case-sensitive.
      assert.equal((await send(`${r.url}?GIMME-AN-ECHO=1`)).status, 200)
    })

    it('a trigger works without echo too', async () => {
      const r = await terminated({ trigger: 'x-stop', status_code: 403, message: 'stopped' }, 403, {
        headers: { 'x-stop': '1' },
      })
      assert.equal((await send(r.url)).status, 200)
      const res = await send(r.url, { headers: { 'x-stop': '1' } })
      assert.deepEqual(json(res), { message: 'stopped' })
    })
  })

  it('can be scoped to a consumer (after authentication)', async () => {
    await admin(gw, 'POST', '/consumers', { username: 'bob' })
    await admin(gw, 'POST', '/consumers/bob/key-auth', { key: 'bob-key' })
    await admin(gw, 'POST', '/consumers', { username: 'carol' })
    await admin(gw, 'POST', '/consumers/carol/key-auth', { key: 'carol-key' })
    const r = await addRoute(gw, up.url)
    await addPlugin(gw, { name: 'key-auth' }, `/routes/${r.routeId}`)
    await addPlugin(gw, { name: 'request-termination', config: { status_code: 429 } }, '/consumers/bob')
    const res = await untilProxy(r.url, 429, { headers: { apikey: 'bob-key' } })
    assert.equal(res.body, '')
    echoed(await send(r.url, { headers: { apikey: 'carol-key' } }))
  })
})
