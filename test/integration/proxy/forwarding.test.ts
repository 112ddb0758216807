import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import http from 'node:http'
import net from 'node:net'
import { after, before, describe, it } from 'node:test'
import { freePort, type Gateway, startGateway } from '../../helpers/gateway.js'
import { admin, send, untilStatus } from '../../helpers/proxy.js'
import { type EchoBody, startUpstream, type Upstream } from '../../helpers/upstream.js'

let counter = 0
const unique = (p: string) => `${p}-${++counter}`

describe('proxy: forwarding', () => {
  let gw: Gateway
  let up: Upstream
  before(async () => {
    up = await startUpstream()
    gw = await startGateway({ proxy: true, env: { NGINX_HTTP_CLIENT_MAX_BODY_SIZE: '30m' } })
  })
  after(async () => {
    await gw.stop()
    await up.close()
  })

  /** A service on `url` with one route; returns the route path. */
  async function route(
    url: string,
    r: Record<string, unknown> = {},
    s: Record<string, unknown> = {},
  ): Promise<string> {
    const name = unique('svc')
    await admin(gw, 'POST', '/services', { name, url, ...s })
    const path = `/${unique('r')}`
    await admin(gw, 'POST', `/services/${name}/routes`, { paths: [path], ...r })
    return path
  }

  it('strip_path, preserve_host and the service path', async () => {
    const cases: [string | null, boolean, string, string][] = [
      // service path, strip_path, request suffix (after the route path), expected upstream path
      [null, true, '/x?q=1', '/x?q=1'],
      [null, false, '/x', 'ROUTE/x'],
      ['/srv', true, '', '/srv'],
      ['/srv', true, '/', '/srv/'],
      ['/srv/', true, 'req', '/srv/req'],
      ['/srv', false, '', '/srvROUTE'],
    ]
    for (const [svcPath, strip, suffix, expected] of cases) {
      const p = await route(`${up.url}${svcPath ?? ''}`, { strip_path: strip })
      const res = await untilStatus(`${gw.proxy}${p}${suffix}`, 200)
      const body = JSON.parse(res.body) as EchoBody
      const want = expected.replace('ROUTE', svcPath?.endsWith('/') ? p.slice(1) : p)
      assert.equal(body.url, want, `service path ${svcPath}, strip ${strip}, request ${p}${suffix}`)
    }
    const preserved = await route(up.url, { preserve_host: true })
    const res = await untilStatus(`${gw.proxy}${preserved}`, 200, {
      headers: { host: 'client.example:1234' },
    })
    assert.equal((JSON.parse(res.body) as EchoBody).headers.host, 'client.example:1234')
  })

  it('removes hop-by-hop headers in both directions and keeps the others', async () => {
    const hop = await startUpstream((_req, res) => {
      res.writeHead(200, {
        connection: 'x-secret-hop',
        'x-secret-hop': 'no',
        'x-kept': 'yes',
        'keep-alive': 'timeout=5',
        'content-length': '2',
      })
      res.end('ok')
    })
    try {
      const p = await route(hop.url)
      const res = await untilStatus(`${gw.proxy}${p}`, 200)
      assert.equal(res.headers['x-kept'], 'yes')
      assert.equal(res.headers['x-secret-hop'], undefined)
      assert.equal(res.body, 'ok')
    } finally {
      await hop.close()
    }
    const p = await route(up.url)
    const res = await untilStatus(`${gw.proxy}${p}`, 200, {
      headers: {
        connection: 'keep-alive, x-drop-me',
        'x-drop-me': '1',
        'x-keep-me': '1',
        'proxy-connection': 'x',
        te: 'gzip',
      },
    })
    const seen = (JSON.parse(res.body) as EchoBody).headers
    assert.equal(seen['x-drop-me'], undefined)
    assert.equal(seen['proxy-connection'], undefined)
    assert.equal(seen.te, undefined)
    assert.equal(seen['x-keep-me'], '1')
  })

  it('streams large bodies both ways', async () => {
    const big = await startUpstream(
      (req, res) => {
        if (req.method === 'POST') {
          const hash = createHash('sha256')
          let size = 0
          req.on('data', (c: Buffer) => {
            hash.update(c)
            size += c.length
          })
          req.on('end', () => res.end(JSON.stringify({ size, sha: hash.digest('hex') })))
          return
        }
        const chunk = Buffer.alloc(64 * 1024, 7)
        res.writeHead(200, { 'content-length': String(chunk.length * 320) })
        let n = 0
        const pump = () => {
          while (n < 320) {
            n++
            if (!res.write(chunk)) return res.once('drain', pump)
          }
          res.end()
        }
        pump()
      },
      { collectBody: false },
    )
    try {
      const p = await route(big.url)
      await untilStatus(`${gw.proxy}${p}`, 200)
      // download: 20 MiB
      const size = await new Promise<number>((resolve, reject) => {
        http.get(`${gw.proxy}${p}`, { agent: false }, (res) => {
          let n = 0
          res.on('data', (c: Buffer) => {
            n += c.length
          })
          res.on('end', () => resolve(n))
          res.on('error', reject)
        })
      })
      assert.equal(size, 64 * 1024 * 320)
      // upload: 20 MiB, chunked (no content-length), checked byte for byte
      const expected = createHash('sha256')
      const body = await new Promise<string>((resolve, reject) => {
        const req = http.request(`${gw.proxy}${p}`, { method: 'POST', agent: false }, (res) => {
          let text = ''
          res.on('data', (c: Buffer) => {
            text += c.toString()
          })
          res.on('end', () => resolve(text))
        })
        req.on('error', reject)
        let i = 0
        const write = () => {
          while (i < 320) {
            const chunk = Buffer.alloc(64 * 1024, i % 251)
            expected.update(chunk)
            i++
            if (!req.write(chunk)) return req.once('drain', write)
          }
          req.end()
        }
        write()
      })
      assert.deepEqual(JSON.parse(body), { size: 64 * 1024 * 320, sha: expected.digest('hex') })
    } finally {
      await big.close()
    }
  })

  it('reuses upstream connections (keep-alive)', async () => {
    const ka = await startUpstream()
    try {
      const p = await route(ka.url)
      await untilStatus(`${gw.proxy}${p}`, 200)
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
      for (let i = 0; i < 50; i++) assert.equal((await send(`${gw.proxy}${p}`, { agent })).status, 200)
      agent.destroy()
      assert.ok(ka.requests >= 51)
      assert.ok(ka.connections <= 3, `${ka.connections} upstream connections for ${ka.requests} requests`)
    } finally {
      await ka.close()
    }
  })

  it('504 when the upstream is too slow, 502 when it refuses or resets', async () => {
    const slow = await startUpstream((_req, res) => {
      setTimeout(() => res.end('late'), 1500)
    })
    try {
      const p = await route(slow.url, {}, { read_timeout: 200, retries: 0 })
      const res = await untilStatus(`${gw.proxy}${p}`, 504)
      assert.match(res.body, /The upstream server is timing out/)
    } finally {
      await slow.close()
    }
    const closed = await freePort()
    const refused = await route(`http://127.0.0.1:${closed}`, {}, { retries: 2 })
    const r502 = await untilStatus(`${gw.proxy}${refused}`, 502)
    assert.match(r502.body, /An invalid response was received from the upstream server/)

    const resetter = net.createServer((s) => s.once('data', () => s.resetAndDestroy()))
    await new Promise<void>((r) => resetter.listen(0, '127.0.0.1', () => r()))
    try {
      const port = (resetter.address() as net.AddressInfo).port
      const p = await route(`http://127.0.0.1:${port}`, {}, { retries: 1 })
      const res = await untilStatus(`${gw.proxy}${p}`, 502)
      assert.match(res.body, /An invalid response was received/)
    } finally {
      resetter.close()
    }
  })

  it('retries a failed attempt: a flaky upstream still serves the request', async () => {
    let resets = 0
    const flaky = net.createServer((s) => {
      s.once('data', () => {
        if (resets < 2) {
          resets++
          s.resetAndDestroy()
          return
        }
        s.end('HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nfinal')
      })
    })
    await new Promise<void>((r) => flaky.listen(0, '127.0.0.1', () => r()))
    try {
      const port = (flaky.address() as net.AddressInfo).port
      const p = await route(`http://127.0.0.1:${port}`, {}, { retries: 5 })
      const res = await send(`${gw.proxy}${p}`)
      if (res.status === 404) {
        // route not visible yet: retry the whole exchange once it is
        const again = await untilStatus(`${gw.proxy}${p}`, 200)
        assert.equal(again.body, 'final')
      } else {
        assert.equal(res.status, 200)
        assert.equal(res.body, 'final')
      }
      assert.equal(resets, 2)
    } finally {
      flaky.close()
    }
  })

  it('refuses bodies above client_max_body_size with 413', async () => {
    const small = await startGateway({ proxy: true, env: { NGINX_HTTP_CLIENT_MAX_BODY_SIZE: '1k' } })
    try {
      await admin(small, 'POST', '/services', { name: 'limited', url: up.url })
      await admin(small, 'POST', '/services/limited/routes', { paths: ['/limited'] })
      await untilStatus(`${small.proxy}/limited`, 200)
      const res = await send(`${small.proxy}/limited`, {
        method: 'POST',
        body: 'x'.repeat(2048),
        headers: { accept: 'application/json' },
      })
      assert.equal(res.status, 413)
      assert.match(res.body, /"message":"Payload too large"/)
      const ok = await send(`${small.proxy}/limited`, { method: 'POST', body: 'x'.repeat(512) })
      assert.equal(ok.status, 200)
    } finally {
      await small.stop()
    }
  })
})
