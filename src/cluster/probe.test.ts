import assert from 'node:assert/strict'
import http from 'node:http'
import https from 'node:https'
import net, { type AddressInfo } from 'node:net'
import { describe, it } from 'node:test'
import { issue } from '../proxy/upstream/test-certs.js'
import { type ProbeSpec, probe } from './probe.js'

const spec = (over: Partial<ProbeSpec>): ProbeSpec => ({
  type: 'http',
  host: '127.0.0.1',
  port: 0,
  timeout: 1,
  path: '/',
  hostHeader: 'probe.test',
  sni: null,
  verify: true,
  headers: null,
  ...over,
})

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return (server.address() as AddressInfo).port
}

describe('probe', () => {
  it('http: sends GET path HTTP/1.0 with Host and the configured headers, answers the status', async () => {
    let seen: http.IncomingMessage | undefined
    const server = http.createServer((req, res) => {
      seen = req
      res.writeHead(503)
      res.end()
    })
    const port = await listen(server)
    try {
      const r = await probe(spec({ port, path: '/health?x=1', headers: { 'X-Probe': ['a', 'b'] } }))
      assert.deepEqual(r, { status: 503 })
      assert.equal(seen?.url, '/health?x=1')
      assert.equal(seen?.httpVersion, '1.0')
      assert.equal(seen?.headers.host, 'probe.test')
      assert.equal(seen?.headers['x-probe'], 'a, b')
    } finally {
      server.close()
    }
  })

  it('https: SNI and certificate verification as configured', async () => {
    const ca = issue('Probe CA', { ca: true })
    const leaf = issue('probe.test', { issuer: ca, altNames: ['probe.test'] })
    let servername: string | undefined
    const server = https.createServer({ cert: leaf.cert, key: leaf.key }, (req, res) => {
      servername = (req.socket as import('node:tls').TLSSocket).servername || undefined
      res.writeHead(200)
      res.end()
    })
    const port = await listen(server)
    try {
      // the certificate is not trusted by the system: refused while verifying, fine without
      assert.deepEqual(await probe(spec({ type: 'https', port })), { event: 'tcp' })
      assert.deepEqual(await probe(spec({ type: 'https', port, verify: false, sni: 'sni.test' })), {
        status: 200,
      })
      assert.equal(servername, 'sni.test')
    } finally {
      server.close()
    }
  })

  it('tcp: a connect is a success, a refused one a tcp failure, silence a timeout', async () => {
    const server = net.createServer(() => {})
    const port = await listen(server)
    try {
      assert.deepEqual(await probe(spec({ type: 'tcp', port })), { event: 'success' })
      assert.deepEqual(await probe(spec({ port, timeout: 0.2 })), { event: 'timeout' })
    } finally {
      server.close()
    }
    assert.deepEqual(await probe(spec({ type: 'tcp', port })), { event: 'tcp' })
  })
})

describe('probe with a bad client certificate', () => {
  it('fails as a tcp failure instead of throwing', async () => {
    const server = net.createServer(() => {})
    const port = await listen(server)
    try {
      const r = await probe(spec({ type: 'https', port, cert: { cert: '{vault://env/CERT}', key: 'nope' } }))
      assert.deepEqual(r, { event: 'tcp' })
    } finally {
      server.close()
    }
  })
})
