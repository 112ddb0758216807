// request-size-limiting (plugins.md §6.12) through the real gateway and a real upstream: limits
// in each unit by Content-Length, chunked bodies counted while they stream, 413/417/411.
import assert from 'node:assert/strict'
import http from 'node:http'
import { after, before, describe, it } from 'node:test'
import { type Gateway, startGateway } from '../../helpers/gateway.js'
import {
  addPlugin,
  addRoute,
  echoed,
  message,
  refused,
  type TestRoute,
  untilProxy,
} from '../../helpers/plugins.js'
import { type ProxyResponse, send } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

const MB = 1024 * 1024

describe('request-size-limiting', () => {
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

  /** A route limited by `config`; waits until a body of `probe` bytes is refused. */
  async function limited(config: Record<string, unknown>, probe: number): Promise<TestRoute> {
    const r = await addRoute(gw, up.url)
    await addPlugin(gw, { name: 'request-size-limiting', config }, `/routes/${r.routeId}`)
    await untilProxy(r.url, 413, { method: 'POST', body: Buffer.alloc(probe, 'a') })
    return r
  }

  function post(url: string, size: number, headers: Record<string, string> = {}): Promise<ProxyResponse> {
    return send(url, { method: 'POST', body: Buffer.alloc(size, 'a'), headers })
  }

  const chunked = { 'transfer-encoding': 'chunked' }

  function refusedWith(res: ProxyResponse, status: number): void {
    assert.equal(res.status, status, res.body)
    assert.equal(message(res), 'Request size limit exceeded')
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8')
  }

  describe('configuration', () => {
    it('fills the defaults of plugins.md §6.12', async () => {
      const r = await addRoute(gw, up.url)
      const p = await addPlugin(gw, { name: 'request-size-limiting' }, `/routes/${r.routeId}`)
      assert.deepEqual(p.config, {
        allowed_payload_size: 128,
        size_unit: 'megabytes',
        require_content_length: false,
      })
    })

    it('refuses bad configurations with 400 and the field at fault', async () => {
      const cases: [Record<string, unknown>, Record<string, string>][] = [
        [{ size_unit: 'gigabytes' }, { size_unit: 'expected one of: megabytes, kilobytes, bytes' }],
        [{ size_unit: null }, { size_unit: 'required field missing' }],
        [{ allowed_payload_size: 'big' }, { allowed_payload_size: 'expected an integer' }],
        [{ allowed_payload_size: 1.5 }, { allowed_payload_size: 'expected an integer' }],
        [{ require_content_length: 'yes' }, { require_content_length: 'expected a boolean' }],
      ]
      for (const [config, fields] of cases) {
        const res = await refused(gw, '/plugins', { name: 'request-size-limiting', config })
        assert.equal(res.status, 400)
        assert.equal(res.body.name, 'schema violation')
        assert.deepEqual(res.body.fields, { config: fields })
      }
    })
  })

  describe('with Content-Length', () => {
    it('bytes: up to the limit passes (body intact), one more byte is a 413; the upstream never sees it', async () => {
      const r = await limited({ allowed_payload_size: 10, size_unit: 'bytes' }, 11)
      const ok = echoed(await post(r.url, 10))
      assert.equal(ok.body, 'a'.repeat(10))
      assert.equal(ok.headers['content-length'], '10')
      const seen = up.requests
      refusedWith(await post(r.url, 11), 413)
      assert.equal(up.requests, seen)
    })

    it('kilobytes: 1 KB = 1024 bytes', async () => {
      const r = await limited({ allowed_payload_size: 1, size_unit: 'kilobytes' }, 1025)
      echoed(await post(r.url, 1024))
      refusedWith(await post(r.url, 1025), 413)
    })

    it('megabytes (the default unit): 1 MB = 1048576 bytes', async () => {
      const r = await limited({ allowed_payload_size: 1 }, MB + 1)
      assert.equal(echoed(await post(r.url, MB)).body.length, MB)
      refusedWith(await post(r.url, MB + 1), 413)
    })

    it('417 instead of 413 when the client sent Expect: 100-continue', async () => {
      const r = await limited({ allowed_payload_size: 10, size_unit: 'bytes' }, 11)
      refusedWith(await post(r.url, 11, { expect: '100-continue' }), 417)
      refusedWith(await post(r.url, 11, { expect: ' 100-Continue ' }), 417)
      echoed(await post(r.url, 10, { expect: '100-continue' }))
    })

    it('a body-less request passes', async () => {
      const r = await limited({ allowed_payload_size: 0, size_unit: 'bytes' }, 1)
      echoed(await send(r.url))
      echoed(await send(r.url, { method: 'POST', headers: { 'content-length': '0' } }))
    })
  })

  describe('chunked bodies (no Content-Length)', () => {
    it('are read and counted: within the limit they reach the upstream whole', async () => {
      const r = await limited({ allowed_payload_size: 1, size_unit: 'kilobytes' }, 1025)
      const ok = echoed(await post(r.url, 1024, chunked))
      assert.equal(ok.body, 'a'.repeat(1024))
      refusedWith(await post(r.url, 1025, chunked), 413)
      refusedWith(await post(r.url, 1025, { ...chunked, expect: '100-continue' }), 417)
      echoed(await post(r.url, 100, { ...chunked, expect: '100-continue' }))
    })

    it('megabytes: counted across many chunks', async () => {
      const r = await limited({ allowed_payload_size: 1 }, MB + 1)
      assert.equal(echoed(await post(r.url, MB, chunked)).body.length, MB)
      refusedWith(await post(r.url, MB + 1, chunked), 413)
    })

    it('are refused while they stream: the 413 comes before the client has finished sending', async () => {
      const r = await limited({ allowed_payload_size: 1, size_unit: 'kilobytes' }, 1025)
      const u = new URL(r.url)
      const res = await new Promise<ProxyResponse>((resolve, reject) => {
        const req = http.request(
          {
            host: u.hostname,
            port: u.port,
            path: u.pathname,
            method: 'POST',
            headers: chunked,
            agent: false,
          },
          (response) => {
            const chunks: Buffer[] = []
            response.on('data', (c: Buffer) => chunks.push(c))
            response.on('end', () => {
              req.destroy()
              resolve({
                status: response.statusCode ?? 0,
                headers: response.headers,
                rawHeaders: response.rawHeaders,
                body: Buffer.concat(chunks).toString(),
              })
            })
          },
        )
        req.setTimeout(10_000, () => req.destroy(new Error('no response while the body was streaming')))
        req.on('error', reject)
        // 2 KB of a body that never ends: only counting as it streams can answer.
        req.write(Buffer.alloc(2048, 'a'))
      })
      refusedWith(res, 413)
    })
  })

  describe('require_content_length', () => {
    it('411 without a valid Content-Length unless the body is chunked', async () => {
      const r = await limited(
        { allowed_payload_size: 10, size_unit: 'bytes', require_content_length: true },
        11,
      )
      const res = await send(r.url)
      assert.equal(res.status, 411)
      assert.equal(message(res), 'A valid Content-Length header is required')
      echoed(await post(r.url, 5))
      echoed(await post(r.url, 5, chunked))
      refusedWith(await post(r.url, 11, chunked), 413)
    })

    it('without it, a body-less request without Content-Length passes', async () => {
      const r = await limited({ allowed_payload_size: 10, size_unit: 'bytes' }, 11)
      echoed(await send(r.url))
    })
  })
})
