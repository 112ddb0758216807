import assert from 'node:assert/strict'
import { once } from 'node:events'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import type { TLSSocket } from 'node:tls'
import { generateSelfSigned } from '../../../src/tls/self-signed.js'
import { type Gateway, startGateway } from '../../helpers/gateway.js'
import { admin, untilStatus } from '../../helpers/proxy.js'

describe('proxy: https services', () => {
  const ca = generateSelfSigned({ ca: true, type: 'ec', commonName: 'localhost', altNames: ['localhost'] })
  const clientCa = generateSelfSigned({ ca: true, type: 'ec', commonName: 'gateway-client' })
  let server: https.Server
  let port: number
  let gw: Gateway
  const seen: { servername: string; clientCert: string }[] = []
  before(async () => {
    server = https.createServer(
      { cert: ca.cert, key: ca.key, ca: [clientCa.cert], requestCert: true, rejectUnauthorized: false },
      (req, res) => {
        const socket = req.socket as TLSSocket
        seen.push({
          servername: String((socket as TLSSocket & { servername?: string }).servername ?? ''),
          clientCert: String(socket.getPeerCertificate()?.subject?.CN ?? ''),
        })
        res.end(`tls ok ${req.url}`)
      },
    )
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    port = (server.address() as AddressInfo).port
    gw = await startGateway({ proxy: true })
  })
  after(async () => {
    await gw.stop()
    server.close()
  })

  it('forwards over TLS without verification by default, with the Host as SNI', async () => {
    await admin(gw, 'POST', '/services', { name: 'tls-default', url: `https://localhost:${port}/base` })
    await admin(gw, 'POST', '/services/tls-default/routes', { paths: ['/tls-default'] })
    const res = await untilStatus(`${gw.proxy}/tls-default/x`, 200)
    assert.equal(res.body, 'tls ok /base/x')
    assert.equal(seen.at(-1)?.servername, 'localhost')
  })

  it('tls_verify refuses an untrusted certificate (502) and accepts it with the CA in ca_certificates', async () => {
    await admin(gw, 'POST', '/services', {
      name: 'tls-verify',
      url: `https://localhost:${port}`,
      tls_verify: true,
    })
    await admin(gw, 'POST', '/services/tls-verify/routes', { paths: ['/tls-verify'] })
    await untilStatus(`${gw.proxy}/tls-verify`, 502)
    const caEntity = await admin(gw, 'POST', '/ca_certificates', { cert: ca.cert })
    await admin(gw, 'PATCH', '/services/tls-verify', { ca_certificates: [caEntity.id] })
    await untilStatus(`${gw.proxy}/tls-verify`, 200)
  })

  it('presents the service client certificate', async () => {
    const cert = await admin(gw, 'POST', '/certificates', { cert: clientCa.cert, key: clientCa.key })
    await admin(gw, 'POST', '/services', {
      name: 'tls-client',
      url: `https://localhost:${port}`,
      client_certificate: { id: cert.id },
    })
    await admin(gw, 'POST', '/services/tls-client/routes', { paths: ['/tls-client'] })
    await untilStatus(`${gw.proxy}/tls-client`, 200)
    assert.equal(seen.at(-1)?.clientCert, 'gateway-client')
  })

  it("presents the upstream's client certificate when the service has none, and probes with it", async () => {
    const cert = await admin(gw, 'POST', '/certificates', { cert: clientCa.cert, key: clientCa.key })
    await admin(gw, 'POST', '/upstreams', {
      name: 'mtls.upstream',
      client_certificate: { id: cert.id },
      healthchecks: {
        active: { type: 'https', https_verify_certificate: false, healthy: { interval: 0.2, successes: 1 } },
      },
    })
    await admin(gw, 'POST', '/upstreams/mtls.upstream/targets', { target: `127.0.0.1:${port}` })
    await admin(gw, 'POST', '/services', { name: 'tls-upstream', protocol: 'https', host: 'mtls.upstream' })
    await admin(gw, 'POST', '/services/tls-upstream/routes', { paths: ['/tls-upstream'] })
    const before = seen.length
    await untilStatus(`${gw.proxy}/tls-upstream`, 200)
    const proxied = seen.slice(before).filter((s) => s.servername === '127.0.0.1' || s.servername === '')
    assert.ok(
      seen.slice(before).every((s) => s.clientCert === 'gateway-client'),
      JSON.stringify(seen.slice(before)),
    )
    assert.ok(proxied.length >= 0)
    // the active https probes (GET / every 0.2 s) present it too
    const probes = seen.length
    await new Promise((r) => setTimeout(r, 700))
    assert.ok(seen.length > probes, 'probes reached the server')
    assert.ok(seen.slice(probes).every((s) => s.clientCert === 'gateway-client'))
  })
})
