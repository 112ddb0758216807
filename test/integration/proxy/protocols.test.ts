import assert from 'node:assert/strict'
import http2 from 'node:http2'
import https from 'node:https'
import { after, before, describe, it } from 'node:test'
import { generateSelfSigned } from '../../../src/tls/self-signed.js'
import { freePort, type Gateway, startGateway } from '../../helpers/gateway.js'
import { admin, send, until, untilStatus } from '../../helpers/proxy.js'
import { type EchoBody, startUpstream, type Upstream } from '../../helpers/upstream.js'

function httpsGet(
  port: number,
  path: string,
  opts: { servername?: string; host?: string; ca?: string } = {},
): Promise<{ status: number; body: string; cert: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path,
        servername: opts.servername,
        headers: { host: opts.host ?? opts.servername ?? 'localhost' },
        rejectUnauthorized: false,
        agent: false,
      },
      (res) => {
        let body = ''
        res.on('data', (c: Buffer) => {
          body += c.toString()
        })
        res.on('end', () => {
          const peer = (res.socket as import('node:tls').TLSSocket).getPeerCertificate()
          resolve({
            status: res.statusCode ?? 0,
            body,
            cert: String(peer.subject?.CN ?? ''),
            headers: res.headers,
          })
        })
      },
    )
    req.on('error', reject)
    req.end()
  })
}

describe('proxy: HTTPS, redirects, SNI and gRPC rules', () => {
  let gw: Gateway
  let up: Upstream
  let plain: number
  let tls: number
  before(async () => {
    up = await startUpstream()
    plain = await freePort()
    tls = await freePort()
    gw = await startGateway({ env: { PROXY_LISTEN: `127.0.0.1:${plain}, 127.0.0.1:${tls} ssl http2` } })
    await admin(gw, 'POST', '/services', { name: 'secure', url: up.url })
  })
  after(async () => {
    await gw.stop()
    await up.close()
  })

  it('https-only routes answer 426 over plain HTTP, or redirect with the configured code', async () => {
    await admin(gw, 'POST', '/services/secure/routes', { protocols: ['https'], paths: ['/only-tls'] })
    await admin(gw, 'POST', '/services/secure/routes', {
      protocols: ['https'],
      paths: ['/moved'],
      https_redirect_status_code: 301,
    })
    const r426 = await untilStatus(`http://127.0.0.1:${plain}/only-tls`, 426)
    assert.equal(r426.headers.upgrade, 'TLS/1.2, HTTP/1.1')
    assert.equal(r426.headers.connection, 'Upgrade')
    assert.match(r426.body, /Please use HTTPS protocol/)
    const r301 = await untilStatus(`http://127.0.0.1:${plain}/moved?a=b`, 301, {
      headers: { host: 'api.test:8000' },
    })
    assert.equal(r301.headers.location, 'https://api.test/moved?a=b')
    assert.equal(r301.body, '')
    // over TLS the same route proxies, and the upstream learns the original scheme
    const ok = await httpsGet(tls, '/only-tls')
    assert.equal(ok.status, 200)
    assert.equal((JSON.parse(ok.body) as EchoBody).headers['x-forwarded-proto'], 'https')
  })

  it('serves the certificate of a matching SNI entity, else the default one, and routes by SNI', async () => {
    const pair = generateSelfSigned({
      type: 'ec',
      commonName: 'sni.example.test',
      altNames: ['sni.example.test'],
    })
    await admin(gw, 'POST', '/certificates', { cert: pair.cert, key: pair.key, snis: ['sni.example.test'] })
    await admin(gw, 'POST', '/services/secure/routes', { snis: ['sni.example.test'], paths: ['/by-sni'] })
    await until(
      async () => (await httpsGet(tls, '/by-sni', { servername: 'sni.example.test' })).status === 200,
    )
    const matched = await httpsGet(tls, '/by-sni', { servername: 'sni.example.test' })
    assert.equal(matched.cert, 'sni.example.test')
    const other = await httpsGet(tls, '/by-sni', { servername: 'other.test' })
    assert.equal(other.cert, 'localhost')
    assert.equal(other.status, 404)
    // the snis condition is ignored over plain HTTP (router.md §3.7)
    assert.equal((await send(`http://127.0.0.1:${plain}/by-sni`)).status, 200)
  })

  it('speaks HTTP/2 on TLS listeners flagged http2', async () => {
    await admin(gw, 'POST', '/services/secure/routes', { paths: ['/h2'] })
    await untilStatus(`http://127.0.0.1:${plain}/h2`, 200)
    const client = http2.connect(`https://127.0.0.1:${tls}`, { rejectUnauthorized: false })
    try {
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = client.request({ ':path': '/h2', ':authority': 'h2.test' })
        let status = 0
        let body = ''
        req.on('response', (h) => {
          status = Number(h[':status'])
        })
        req.on('data', (c: Buffer) => {
          body += c.toString()
        })
        req.on('end', () => resolve({ status, body }))
        req.on('error', reject)
        req.end()
      })
      assert.equal(status, 200)
      const echoed = JSON.parse(body) as EchoBody
      assert.equal(echoed.httpVersion, '1.1', 'the upstream leg stays HTTP/1.1')
      assert.match(String(echoed.headers.via), /^2 silverback\//)
    } finally {
      client.close()
    }
  })

  it('gRPC routes refuse non-gRPC and HTTP/1 requests', async () => {
    await admin(gw, 'POST', '/services', { name: 'grpc-svc', url: `grpc://127.0.0.1:${up.port}` })
    await admin(gw, 'POST', '/services/grpc-svc/routes', { protocols: ['grpc'], paths: ['/pkg.Service'] })
    const r415 = await untilStatus(`http://127.0.0.1:${plain}/pkg.Service/Call`, 415)
    assert.match(r415.body, /Non-gRPC request matched gRPC route/)
    const r426 = await send(`http://127.0.0.1:${plain}/pkg.Service/Call`, {
      method: 'POST',
      headers: { 'content-type': 'application/grpc' },
    })
    assert.equal(r426.status, 426)
    assert.equal(r426.headers['grpc-status'], '3')
    assert.equal(r426.headers['grpc-message'], 'Please use HTTP2 protocol')
  })
})
