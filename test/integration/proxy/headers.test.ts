import assert from 'node:assert/strict'
import net from 'node:net'
import { after, before, describe, it } from 'node:test'
import { type Gateway, startGateway } from '../../helpers/gateway.js'
import { admin, send, untilStatus } from '../../helpers/proxy.js'
import { type EchoBody, startUpstream, type Upstream } from '../../helpers/upstream.js'

function echoed(body: string): EchoBody {
  return JSON.parse(body) as EchoBody
}

describe('proxy: trusted sources, real IP, names and gateway headers', () => {
  let up: Upstream
  before(async () => {
    up = await startUpstream()
  })
  after(async () => {
    await up.close()
  })

  describe('untrusted client (default trusted_ips)', () => {
    let gw: Gateway
    before(async () => {
      gw = await startGateway({ proxy: true })
      await admin(gw, 'POST', '/services', { name: 's', url: up.url })
      await admin(gw, 'POST', '/services/s/routes', { paths: ['/t'] })
      await untilStatus(`${gw.proxy}/t`, 200)
    })
    after(async () => {
      await gw.stop()
    })

    it('replaces forwarded headers with its own view and drops an incoming X-Forwarded-Prefix', async () => {
      const res = await send(`${gw.proxy}/t/x`, {
        headers: {
          host: 'public.test',
          'x-forwarded-proto': 'https',
          'x-forwarded-host': 'evil.test',
          'x-forwarded-port': '1',
          'x-forwarded-path': '/evil',
          'x-forwarded-prefix': '/evil',
          'x-real-ip': '6.6.6.6',
        },
      })
      const h = echoed(res.body).headers
      assert.equal(h['x-forwarded-proto'], 'http')
      assert.equal(h['x-forwarded-host'], 'public.test')
      assert.equal(h['x-forwarded-port'], String(gw.proxyPort))
      assert.equal(h['x-forwarded-path'], '/t/x')
      assert.equal(h['x-forwarded-prefix'], '/t')
      assert.equal(h['x-real-ip'], '127.0.0.1')
    })

    it('400 for an HTTP/1.1 request without Host', async () => {
      const raw = await new Promise<string>((resolve) => {
        const s = net.connect(gw.proxyPort, '127.0.0.1', () =>
          s.write('GET /t HTTP/1.1\r\nAccept: text/plain\r\n\r\n'),
        )
        let text = ''
        s.on('data', (d: Buffer) => {
          text += d.toString()
          if (text.includes('request_id')) s.destroy()
        })
        s.on('close', () => resolve(text))
      })
      assert.match(raw, /^HTTP\/1\.1 400 /)
      assert.match(raw, /Bad request\nrequest_id: [0-9a-f]{32}/)
    })
  })

  describe('trusted peer with real_ip_header', () => {
    let gw: Gateway
    before(async () => {
      gw = await startGateway({
        proxy: true,
        env: { TRUSTED_IPS: '127.0.0.1/32', REAL_IP_HEADER: 'X-Forwarded-For', REAL_IP_RECURSIVE: 'on' },
      })
      await admin(gw, 'POST', '/services', { name: 's', url: up.url })
      await admin(gw, 'POST', '/services/s/routes', { paths: ['/t'] })
      await untilStatus(`${gw.proxy}/t`, 200)
    })
    after(async () => {
      await gw.stop()
    })

    it('keeps the trusted forwarded values and takes the client address from the header', async () => {
      const res = await send(`${gw.proxy}/t`, {
        headers: {
          'x-forwarded-for': '203.0.113.9, 127.0.0.1',
          'x-forwarded-proto': 'https',
          'x-forwarded-host': 'edge.test',
          'x-forwarded-port': '443',
          'x-forwarded-prefix': '/edge',
        },
      })
      const h = echoed(res.body).headers
      assert.equal(h['x-real-ip'], '203.0.113.9')
      assert.equal(h['x-forwarded-for'], '203.0.113.9, 127.0.0.1, 127.0.0.1')
      assert.equal(h['x-forwarded-proto'], 'https')
      assert.equal(h['x-forwarded-host'], 'edge.test')
      assert.equal(h['x-forwarded-port'], '443')
      assert.equal(h['x-forwarded-prefix'], '/edge')
    })
  })

  describe('names and the headers setting', () => {
    let gw: Gateway
    before(async () => {
      gw = await startGateway({ proxy: true, env: { HEADERS: 'X-Kong-Upstream-Status, server_tokens' } })
    })
    after(async () => {
      await gw.stop()
    })

    it('resolves the service host name (hosts file, then DNS); unknown names answer 503', async () => {
      await admin(gw, 'POST', '/services', { name: 'named', url: `http://localhost:${up.port}` })
      await admin(gw, 'POST', '/services/named/routes', { paths: ['/named'] })
      const ok = await untilStatus(`${gw.proxy}/named`, 200)
      assert.equal(echoed(ok.body).headers.host, `localhost:${up.port}`)

      await admin(gw, 'POST', '/services', { name: 'nowhere', url: 'http://no-such-host.invalid' })
      await admin(gw, 'POST', '/services/nowhere/routes', { paths: ['/nowhere'] })
      const res = await untilStatus(`${gw.proxy}/nowhere`, 503)
      assert.match(res.body, /"message":"name resolution failed"/)
    })

    it('adds only the headers the `headers` setting names', async () => {
      await admin(gw, 'POST', '/services', { name: 'h', url: up.url })
      await admin(gw, 'POST', '/services/h/routes', { paths: ['/h'] })
      const res = await untilStatus(`${gw.proxy}/h`, 200)
      assert.equal(res.headers['x-kong-upstream-status'], '200')
      assert.match(String(res.headers.via), /silverback\//)
      assert.equal(res.headers['x-kong-proxy-latency'], undefined)
      assert.equal(res.headers['x-kong-upstream-latency'], undefined)
      assert.equal(res.headers['x-kong-request-id'], undefined)
      // the upstream still gets the request id (headers_upstream default)
      assert.match(String(echoed(res.body).headers['x-kong-request-id']), /^[0-9a-f]{32}$/)
    })
  })
})
