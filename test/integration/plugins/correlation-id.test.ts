// correlation-id (plugins.md §6.16) through the real gateway and a real upstream: the three
// generators, header_name, an existing id kept, echo_downstream (also on exits and upstream
// errors). The log entry's correlation_id is covered by the handler's unit test.
import assert from 'node:assert/strict'
import http from 'node:http'
import { after, before, describe, it } from 'node:test'
import { freePort, type Gateway, startGateway } from '../../helpers/gateway.js'
import { addPlugin, addRoute, echoed, refused, type TestRoute, untilProxy } from '../../helpers/plugins.js'
import { send, until } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}'
const UUID_RE = new RegExp(`^${UUID}$`)
const UUID_COUNTER_RE = new RegExp(`^(${UUID})#(\\d+)$`)
const TRACKER_RE = /^(\d+\.\d+\.\d+\.\d+)-(\d+)-(\d+)-(\d+)-(\d+)-(\d{10}\.\d{3})$/

describe('correlation-id', () => {
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

  /** A route with the plugin; waits until the upstream sees the header. */
  async function correlated(
    config: Record<string, unknown> = {},
    header = 'kong-request-id',
  ): Promise<TestRoute> {
    const r = await addRoute(gw, up.url)
    await addPlugin(gw, { name: 'correlation-id', config }, `/routes/${r.routeId}`)
    await until(async () => {
      const res = await send(r.url)
      return res.status === 200 && echoed(res).headers[header] !== undefined
    })
    return r
  }

  async function upstreamId(url: string, opts: Parameters<typeof send>[1] = {}, header = 'kong-request-id') {
    return echoed(await send(url, opts)).headers[header] as string
  }

  describe('configuration', () => {
    it('fills the defaults of plugins.md §6.16', async () => {
      const r = await addRoute(gw, up.url)
      const p = await addPlugin(gw, { name: 'correlation-id' }, `/routes/${r.routeId}`)
      assert.deepEqual(p.config, {
        header_name: 'Kong-Request-ID',
        generator: 'uuid#counter',
        echo_downstream: false,
      })
    })

    it('refuses bad configurations with 400 and the field at fault', async () => {
      const cases: [Record<string, unknown>, Record<string, string>][] = [
        [{ generator: 'random' }, { generator: 'expected one of: uuid, uuid#counter, tracker' }],
        [{ generator: null }, { generator: 'required field missing' }],
        [{ echo_downstream: 'yes' }, { echo_downstream: 'expected a boolean' }],
        [{ header_name: 42 }, { header_name: 'expected a string' }],
      ]
      for (const [config, fields] of cases) {
        const res = await refused(gw, '/plugins', { name: 'correlation-id', config })
        assert.equal(res.status, 400)
        assert.equal(res.body.name, 'schema violation')
        assert.deepEqual(res.body.fields, { config: fields })
      }
    })
  })

  describe('generators', () => {
    it('uuid#counter (default): one UUID per worker and a counter that goes up by one', async () => {
      const r = await correlated()
      const a = UUID_COUNTER_RE.exec(await upstreamId(r.url))
      const b = UUID_COUNTER_RE.exec(await upstreamId(r.url))
      assert.ok(a && b)
      assert.equal(a[1], b[1])
      assert.equal(Number(b[2]), Number(a[2]) + 1)
    })

    it('uuid: a fresh random UUID for every request', async () => {
      const r = await correlated({ generator: 'uuid' })
      const a = await upstreamId(r.url)
      const b = await upstreamId(r.url)
      assert.match(a, UUID_RE)
      assert.match(b, UUID_RE)
      assert.notEqual(a, b)
    })

    it('tracker: server address and port, pid, connection serial, requests on it, time', async () => {
      const r = await correlated({ generator: 'tracker' })
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
      try {
        const first = TRACKER_RE.exec(await upstreamId(r.url, { agent }))
        const second = TRACKER_RE.exec(await upstreamId(r.url, { agent }))
        assert.ok(first && second, 'tracker format')
        assert.equal(first[1], '127.0.0.1')
        assert.equal(first[2], String(gw.proxyPort))
        assert.equal(first[3], second[3])
        // Same connection: same serial, one more request on it.
        assert.equal(first[4], second[4])
        assert.equal(Number(second[5]), Number(first[5]) + 1)
        const now = Date.now() / 1000
        assert.ok(Math.abs(Number(second[6]) - now) < 60)
        // Another connection: another serial, first request on it.
        const other = TRACKER_RE.exec(await upstreamId(r.url))
        assert.ok(other)
        assert.notEqual(other[4], first[4])
        assert.equal(other[5], '1')
      } finally {
        agent.destroy()
      }
    })
  })

  describe('the header', () => {
    it('header_name names the header sent upstream', async () => {
      const r = await correlated({ header_name: 'Foo-Bar-Id' }, 'foo-bar-id')
      const e = echoed(await send(r.url))
      assert.match(e.headers['foo-bar-id'] as string, UUID_COUNTER_RE)
      assert.equal(e.headers['kong-request-id'], undefined)
    })

    it('keeps an id the client sent; an empty (or blank) one is replaced', async () => {
      const r = await correlated()
      assert.equal(await upstreamId(r.url, { headers: { 'Kong-Request-ID': 'foobar' } }), 'foobar')
      assert.match(await upstreamId(r.url, { headers: { 'Kong-Request-ID': '' } }), UUID_COUNTER_RE)
      assert.match(await upstreamId(r.url, { headers: { 'Kong-Request-ID': ' ' } }), UUID_COUNTER_RE)
    })

    it('is not sent back to the client unless echo_downstream', async () => {
      const r = await correlated()
      const res = await send(r.url)
      assert.equal(res.headers['kong-request-id'], undefined)
    })
  })

  describe('echo_downstream', () => {
    it('sends the id the upstream got back to the client, or the one the client sent', async () => {
      const r = await correlated({ generator: 'uuid', echo_downstream: true })
      const res = await send(r.url)
      const sent = echoed(res).headers['kong-request-id']
      assert.match(res.headers['kong-request-id'] as string, UUID_RE)
      assert.equal(res.headers['kong-request-id'], sent)
      const own = await send(r.url, { headers: { 'kong-request-id': 'my very personal id' } })
      assert.equal(own.headers['kong-request-id'], 'my very personal id')
    })

    it('also when a later plugin ends the request', async () => {
      const r = await addRoute(gw, up.url)
      await addPlugin(
        gw,
        { name: 'correlation-id', config: { generator: 'uuid', echo_downstream: true } },
        `/routes/${r.routeId}`,
      )
      await addPlugin(
        gw,
        { name: 'request-termination', config: { status_code: 418, message: "I'm a teapot" } },
        `/routes/${r.routeId}`,
      )
      const res = await untilProxy(r.url, 418)
      assert.match(res.headers['kong-request-id'] as string, UUID_RE)
      const own = await send(r.url, { headers: { 'kong-request-id': 'my very personal id' } })
      assert.equal(own.status, 418)
      assert.equal(own.headers['kong-request-id'], 'my very personal id')
    })

    it('also when the upstream cannot be reached', async () => {
      const dead = await freePort()
      const r = await addRoute(gw, `http://127.0.0.1:${dead}`)
      await addPlugin(
        gw,
        { name: 'correlation-id', config: { generator: 'uuid', echo_downstream: true } },
        `/routes/${r.routeId}`,
      )
      let res: Awaited<ReturnType<typeof send>> | undefined
      await until(async () => {
        res = await send(r.url)
        return res.headers['kong-request-id'] !== undefined
      })
      assert.equal(res?.status, 502)
      assert.match(res?.headers['kong-request-id'] as string, UUID_RE)
    })
  })
})
