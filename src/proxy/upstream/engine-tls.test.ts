// Upstream TLS (proxying.md §6.2): verification on and off, trust stores, SNI, mTLS,
// tls_verify_depth, keep-alive and session resumption over TLS.
import assert from 'node:assert/strict'
import https from 'node:https'
import { after, before, describe, it } from 'node:test'
import type { TLSSocket } from 'node:tls'
import { generateSelfSigned, type KeyPair } from '../../tls/self-signed.js'
import { UpstreamEngine } from './engine.js'
import type { UpstreamError } from './errors.js'
import { issue } from './test-certs.js'
import { header, listenServer, outcome, request, send, type TestServer, target } from './test-support.js'
import type { UpstreamTlsOptions } from './types.js'

/** HTTPS upstream that reports what it saw of the TLS connection. */
function tlsServer(opts: https.ServerOptions): Promise<TestServer<https.Server>> {
  return listenServer(
    https.createServer(opts, (req, res) => {
      const s = req.socket as TLSSocket
      const peer = s.getPeerCertificate()
      res.setHeader('X-SNI', String(s.servername))
      res.setHeader('X-Resumed', String(s.isSessionReused()))
      res.setHeader('X-Client-CN', peer?.subject?.CN ?? '-')
      req.resume()
      req.on('end', () => res.end('secure'))
    }),
  )
}

const tlsTarget = (port: number, tls: UpstreamTlsOptions) =>
  target(port, { tls, key: `127.0.0.1|${port}|${JSON.stringify(tls)}` })

for (const type of ['rsa', 'ec'] as const) {
  describe(`engine: TLS upstream (${type} certificate)`, () => {
    let pair: KeyPair
    let server: TestServer<https.Server>
    const engine = new UpstreamEngine()
    before(async () => {
      pair = generateSelfSigned({ type, commonName: 'localhost' })
      server = await tlsServer({ cert: pair.cert, key: pair.key })
    })
    after(async () => {
      engine.close()
      await server.close()
    })

    it('without verification: any certificate is accepted', async () => {
      const r = await send(engine, tlsTarget(server.port, { rejectUnauthorized: false }), request()).result
      assert.equal(r.status, 200)
      assert.equal(r.body.toString(), 'secure')
    })

    it('with verification against the given CA and the right name', async () => {
      const tls = { rejectUnauthorized: true, ca: [pair.cert], servername: 'localhost' }
      const r = await send(engine, tlsTarget(server.port, tls), request()).result
      assert.equal(header(r.headers, 'x-sni'), 'localhost')
    })

    it('verification fails without a trust anchor → tls_error, retryable', async () => {
      const err = (await outcome(
        send(
          engine,
          tlsTarget(server.port, { rejectUnauthorized: true, servername: 'localhost' }),
          request(),
        ),
      )) as UpstreamError
      assert.equal(err.kind, 'tls_error')
      assert.equal(err.retryable, true)
      assert.equal(err.requestSent, false)
    })

    it('verification fails for a name the certificate does not cover', async () => {
      const tls = { rejectUnauthorized: true, ca: [pair.cert], servername: 'other.test' }
      const err = (await outcome(send(engine, tlsTarget(server.port, tls), request()))) as UpstreamError
      assert.equal(err.kind, 'tls_error')
      assert.match(err.message, /other\.test|altnames/i)
    })

    it('no SNI for an IP literal (the IP is then checked against the certificate)', async () => {
      const off = await send(
        engine,
        tlsTarget(server.port, { rejectUnauthorized: false, servername: '127.0.0.1' }),
        request(),
      ).result
      assert.equal(header(off.headers, 'x-sni'), 'false')
      const on = (await outcome(
        send(engine, tlsTarget(server.port, { rejectUnauthorized: true, ca: [pair.cert] }), request()),
      )) as UpstreamError
      assert.equal(on.kind, 'tls_error')
    })

    it('reuses TLS connections (keep-alive)', async () => {
      const tls = { rejectUnauthorized: true, ca: [pair.cert], servername: 'localhost' }
      const before = server.connections
      for (let i = 0; i < 5; i++)
        await send(engine, tlsTarget(server.port, tls), request({ target: '/ka' })).result
      assert.ok(server.connections - before <= 1)
    })
  })
}

describe('engine: TLS session resumption, mTLS, verify depth, bad material', () => {
  it('a new connection of the pool resumes the previous TLS session', async () => {
    const pair = generateSelfSigned({ type: 'ec' })
    const server = await tlsServer({ cert: pair.cert, key: pair.key })
    const engine = new UpstreamEngine({ poolSize: 0 })
    try {
      const tls = { rejectUnauthorized: false }
      const first = await send(engine, tlsTarget(server.port, tls), request()).result
      const second = await send(engine, tlsTarget(server.port, tls), request()).result
      assert.equal(header(first.headers, 'x-resumed'), 'false')
      assert.equal(header(second.headers, 'x-resumed'), 'true')
      assert.equal(server.connections, 2)
    } finally {
      engine.close()
      await server.close()
    }
  })

  it('presents the client certificate (mTLS); without it the upstream refuses', async () => {
    const serverPair = generateSelfSigned({ type: 'ec' })
    const client = generateSelfSigned({ type: 'ec', commonName: 'gateway-client' })
    const server = await tlsServer({
      cert: serverPair.cert,
      key: serverPair.key,
      requestCert: true,
      rejectUnauthorized: true,
      ca: [client.cert],
    })
    const engine = new UpstreamEngine()
    try {
      const withCert = { rejectUnauthorized: false, cert: client.cert, key: client.key }
      const r = await send(engine, tlsTarget(server.port, withCert), request()).result
      assert.equal(header(r.headers, 'x-client-cn'), 'gateway-client')
      const err = (await outcome(
        send(engine, tlsTarget(server.port, { rejectUnauthorized: false }), request()),
      )) as UpstreamError
      // TLS 1.3: the client finishes its handshake before the server's alert arrives.
      assert.ok(err.kind === 'tls_error' || err.kind === 'reset', err.kind)
    } finally {
      engine.close()
      await server.close()
    }
  })

  it('tls_verify_depth limits the number of intermediate CAs', async () => {
    const root = issue('Test Root', { ca: true })
    const intermediate = issue('Test Intermediate', { ca: true, issuer: root })
    const leaf = issue('localhost', { issuer: intermediate })
    const server = await tlsServer({ cert: leaf.cert + intermediate.cert, key: leaf.key })
    const engine = new UpstreamEngine()
    try {
      const base = { rejectUnauthorized: true, ca: [root.cert], servername: 'localhost' }
      for (const verifyDepth of [undefined, 1, 2]) {
        const r = await send(engine, tlsTarget(server.port, { ...base, verifyDepth }), request()).result
        assert.equal(r.status, 200, `depth ${verifyDepth}`)
      }
      const err = (await outcome(
        send(engine, tlsTarget(server.port, { ...base, verifyDepth: 0 }), request()),
      )) as UpstreamError
      assert.equal(err.kind, 'tls_error')
      assert.match(err.message, /chain too long/)
      // Without verification the depth is not checked.
      const off = await send(
        engine,
        tlsTarget(server.port, { rejectUnauthorized: false, verifyDepth: 0 }),
        request(),
      ).result
      assert.equal(off.status, 200)
    } finally {
      engine.close()
      await server.close()
    }
  })

  it('unusable TLS material → tls_error, reported asynchronously', async () => {
    const engine = new UpstreamEngine()
    let sync = true
    const c = send(
      engine,
      tlsTarget(1, { rejectUnauthorized: true, ca: ['not a pem'], cert: 'junk', key: 'junk' }),
      request(),
    )
    c.result.catch(() => assert.equal(sync, false))
    sync = false
    const err = (await outcome(c)) as UpstreamError
    assert.equal(err.kind, 'tls_error')
    assert.deepEqual(engine.stats().pools, 0)
    engine.close()
  })
})
