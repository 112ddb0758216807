// acme (plugins.md §6.22) against the real gateway (two workers, an HTTP and a TLS proxy listener)
// and a test ACME CA on 127.0.0.1 (test/helpers/acme-server.ts): configuration checks, the
// challenge sanity test, issuance end to end (the CA fetches the HTTP-01 token from the proxy),
// the issued certificate served by SNI, the Admin API, refused domains and the failure backoff,
// issuance on a TLS handshake, and `kong` storage (certificates and snis entities).
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import tls from 'node:tls'
import { type AcmeServer, startAcmeServer, thumbprint } from '../../helpers/acme-server.js'
import { freePort, type Gateway, request, startGateway } from '../../helpers/gateway.js'
import { refused } from '../../helpers/plugins.js'
import { admin, send, until } from '../../helpers/proxy.js'

interface PeerCert {
  subject: string | null
  issuer: string | null
}

/** The certificate the TLS proxy listener presents for `servername`. */
function peerCertificate(port: number, servername: string): Promise<PeerCert> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      const c = socket.getPeerCertificate()
      socket.end()
      resolve({ subject: String(c.subject?.CN ?? '') || null, issuer: String(c.issuer?.CN ?? '') || null })
    })
    socket.setTimeout(10_000, () => socket.destroy(new Error('tls timeout')))
    socket.on('error', reject)
  })
}

const CA_CN = 'Silverback Test ACME CA'

describe('acme', () => {
  let gw: Gateway
  let ca: AcmeServer
  let httpPort: number
  let tlsPort: number
  let pluginId: string

  before(async () => {
    ca = await startAcmeServer()
    httpPort = await freePort()
    tlsPort = await freePort()
    gw = await startGateway({
      proxy: true,
      workers: 2,
      env: { PROXY_LISTEN: `127.0.0.1:${httpPort}, 127.0.0.1:${tlsPort} ssl` },
    })
    ca.setProxyPort(httpPort)
    // Kong's documented setup: a dummy route so that challenge requests reach the access phase
    await admin(gw, 'POST', '/services', { name: 'acme-dummy', url: 'http://127.0.0.1:1' })
    await admin(gw, 'POST', '/services/acme-dummy/routes', {
      protocols: ['http'],
      paths: ['/.well-known/acme-challenge'],
    })
  })
  after(async () => {
    await gw?.stop()
    await ca?.close()
  })

  it('refuses bad configurations with Kong fields', async () => {
    let res = await refused(gw, '/plugins', { name: 'acme', config: {} })
    assert.equal(res.status, 400)
    assert.deepEqual(res.body.fields, {
      '@entity': ['terms of service must be accepted, see https://letsencrypt.org/repository/'],
      config: { account_email: 'required field missing', tos_accepted: 'value must be true' },
    })
    res = await refused(gw, '/plugins', {
      name: 'acme',
      config: { account_email: 'a@example.com', tos_accepted: true, api_uri: 'not a url' },
    })
    assert.equal(res.status, 400)
    assert.ok((res.body.fields as { config: Record<string, unknown> }).config.api_uri)
    res = await refused(gw, '/plugins', {
      name: 'acme',
      config: { account_email: 'a@example.com', tos_accepted: true, cert_type: 'dsa', rsa_key_size: 1024 },
    })
    assert.deepEqual(res.body.fields, {
      config: { cert_type: 'expected one of: rsa, ecc', rsa_key_size: 'expected one of: 2048, 3072, 4096' },
    })
    res = await refused(gw, '/plugins', {
      name: 'acme',
      config: { account_email: 'a@example.com', tos_accepted: true, storage: 'redis' },
    })
    assert.equal(res.status, 400, JSON.stringify(res.body))
    const route = await admin(gw, 'GET', '/services/acme-dummy/routes')
    const routeId = (route.data as { id: string }[])[0].id
    res = await refused(gw, `/routes/${routeId}/plugins`, {
      name: 'acme',
      config: { account_email: 'a@example.com', tos_accepted: true },
    })
    assert.equal(res.status, 400)
    assert.deepEqual(res.body.fields, { route: 'value must be null' })
  })

  it('enables the plugin globally with Kong defaults', async () => {
    const p = await admin(gw, 'POST', '/plugins', {
      name: 'acme',
      config: {
        account_email: 'ops@acme.test',
        tos_accepted: true,
        api_uri: ca.directory,
        domains: ['acme.test', '*.wild.test', 'evil.test'],
        cert_type: 'ecc',
        fail_backoff_minutes: 60,
      },
    })
    pluginId = p.id as string
    const config = p.config as Record<string, unknown>
    assert.equal(config.storage, 'shm')
    assert.equal(config.rsa_key_size, 4096)
    assert.equal(config.renew_threshold_days, 14)
    assert.equal(config.allow_any_domain, false)
    assert.equal(config.tos_accepted, true)
    assert.deepEqual(config.storage_config, {
      shm: { shm_name: 'kong' },
      kong: {},
      redis: config.storage_config && (config.storage_config as Record<string, unknown>).redis,
      consul: { https: false, host: null, port: null, kv_path: null, timeout: null, token: null },
      vault: (config.storage_config as Record<string, unknown>).vault,
    })
    // the workers have it once an unknown token of an allowed host answers Kong's "Not found"
    await until(async () => {
      const r = await send(`http://127.0.0.1:${httpPort}/.well-known/acme-challenge/x`, {
        headers: { host: 'acme.test' },
      })
      return r.status === 404 && r.body === 'Not found\n'
    })
  })

  it('POST /acme checks the request and runs the challenge sanity test', async () => {
    let res = await request(gw.admin, 'POST', '/acme', { json: {} })
    assert.equal(res.status, 400)
    assert.deepEqual(res.body, { message: 'host must be provided and containing a single domain' })
    res = await request(gw.admin, 'POST', '/acme', { json: { host: 'acme.test:8000' } })
    assert.deepEqual(res.body, { message: 'port is not allowed in host' })
    res = await request(gw.admin, 'POST', '/acme', {
      json: { host: 'acme.test', test_http_challenge_flow: true },
    })
    assert.equal(res.status, 200, res.text)
    assert.deepEqual(res.body, { message: 'sanity test for host acme.test passed' })
    res = await request(gw.admin, 'POST', '/acme', {
      json: { host: 'other.test', test_http_challenge_flow: true },
    })
    assert.equal(res.status, 400)
    assert.deepEqual(res.body, {
      message:
        'problem found running sanity check for other.test: host is not included in plugin config.domains',
    })
  })

  it('issues a certificate end to end and serves it by SNI', async () => {
    const before = await peerCertificate(tlsPort, 'acme.test')
    assert.notEqual(before.issuer, CA_CN)
    const res = await request(gw.admin, 'POST', '/acme', { json: { host: 'acme.test' } })
    assert.equal(res.status, 201, res.text)
    assert.deepEqual(res.body, { message: 'certificate for host acme.test is created' })
    assert.ok(ca.events.includes('account mailto:ops@acme.test'), ca.events.join('\n'))
    assert.ok(ca.events.includes('challenge acme.test ok'), ca.events.join('\n'))
    assert.ok(ca.events.includes('finalize acme.test'), ca.events.join('\n'))
    const served = await peerCertificate(tlsPort, 'acme.test')
    assert.deepEqual(served, { subject: 'acme.test', issuer: CA_CN })
    // other names keep the default certificate
    const other = await peerCertificate(tlsPort, 'nothing.example')
    assert.notEqual(other.issuer, CA_CN)
  })

  it('GET /acme/certificates lists what the plugin holds', async () => {
    const res = await request(gw.admin, 'GET', '/acme/certificates')
    assert.equal(res.status, 200)
    const data = (res.body as { data: Record<string, unknown>[] }).data
    assert.equal(data.length, 1)
    assert.equal(data[0].host, 'acme.test')
    assert.equal(data[0].issuer_cn, CA_CN)
    assert.equal(data[0].valid, true)
    assert.equal(data[0].pubkey_type, 'id-ecPublicKey')
    assert.match(String(data[0].not_after), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/)
    const one = await request(gw.admin, 'GET', '/acme/certificates/acme.test')
    assert.equal(one.status, 200)
    assert.deepEqual((one.body as { data: unknown }).data, data[0])
    const none = await request(gw.admin, 'GET', '/acme/certificates/nope.test')
    assert.equal(none.status, 404)
    assert.deepEqual(none.body, { message: 'Certificate for host nope.testnot found in storage' })
    const invalid = await request(gw.admin, 'GET', '/acme/certificates?invalid_only=true')
    assert.deepEqual(invalid.body, { data: [] })
  })

  it('does not answer challenges for hosts outside config.domains', async () => {
    // the route's upstream (nothing listens) answers instead of the plugin
    const r = await send(`http://127.0.0.1:${httpPort}/.well-known/acme-challenge/x`, {
      headers: { host: 'stranger.test' },
    })
    assert.notEqual(r.body, 'Not found\n')
    const cert = await peerCertificate(tlsPort, 'stranger.test')
    assert.notEqual(cert.issuer, CA_CN)
    assert.ok(!ca.events.some((e) => e.includes('stranger.test')), ca.events.join('\n'))
  })

  it('backs off after a failed issuance (fail_backoff_minutes)', async () => {
    // evil.test is allowed, but the challenge fails: the CA reaches a proxy that does not hold
    // the token (the plugin is switched off for that host by removing it from the domains first)
    await admin(gw, 'PATCH', `/plugins/${pluginId}`, {
      config: { domains: ['acme.test', '*.wild.test', 'kong.test'] },
    })
    await until(async () => {
      const r = await send(`http://127.0.0.1:${httpPort}/.well-known/acme-challenge/x`, {
        headers: { host: 'evil.test' },
      })
      return r.body !== 'Not found\n'
    })
    let res = await request(gw.admin, 'POST', '/acme', { json: { host: 'evil.test' } })
    assert.equal(res.status, 500, res.text)
    assert.match((res.body as { message: string }).message, /^failed to update certificate: /)
    assert.ok(ca.events.includes('challenge evil.test fail'), ca.events.join('\n'))
    const orders = ca.events.filter((e) => e === 'order evil.test').length
    res = await request(gw.admin, 'POST', '/acme', { json: { host: 'evil.test' } })
    assert.equal(res.status, 500)
    assert.match(
      (res.body as { message: string }).message,
      /^failed to update certificate: please try again in \d+ seconds for host evil.test because of previous failure; this is configurable with config.fail_backoff_minutes$/,
    )
    assert.equal(ca.events.filter((e) => e === 'order evil.test').length, orders)
  })

  it('a TLS handshake for an allowed host without a certificate starts its issuance', async () => {
    const first = await peerCertificate(tlsPort, 'a.wild.test')
    assert.notEqual(first.subject, 'a.wild.test')
    await until(async () => (await peerCertificate(tlsPort, 'a.wild.test')).issuer === CA_CN, 30_000)
    assert.deepEqual(await peerCertificate(tlsPort, 'a.wild.test'), { subject: 'a.wild.test', issuer: CA_CN })
  })

  it('storage kong keeps issued certificates as certificates and snis entities', async () => {
    await admin(gw, 'PATCH', `/plugins/${pluginId}`, { config: { storage: 'kong' } })
    const res = await request(gw.admin, 'POST', '/acme', { json: { host: 'kong.test' } })
    assert.equal(res.status, 201, res.text)
    const sni = await admin(gw, 'GET', '/snis/kong.test')
    assert.deepEqual(sni.tags, ['managed-by-acme'])
    const cert = await admin(gw, 'GET', `/certificates/${(sni.certificate as { id: string }).id}`)
    assert.match(String(cert.cert), /BEGIN CERTIFICATE/)
    assert.deepEqual(await peerCertificate(tlsPort, 'kong.test'), { subject: 'kong.test', issuer: CA_CN })
  })

  it('account_key uses a keys entity as the account key', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'acct-1' } as Record<string, string>
    await admin(gw, 'POST', '/keys', { name: 'acme-account', kid: 'acct-1', jwk: JSON.stringify(jwk) })
    await admin(gw, 'PATCH', `/plugins/${pluginId}`, {
      config: { account_email: 'keyed@acme.test', account_key: { key_id: 'acct-1' }, storage: 'shm' },
    })
    // the primary reads the plugin's configuration from the store: no wait for the workers
    const res = await request(gw.admin, 'POST', '/acme', { json: { host: 'keyed.wild.test' } })
    assert.equal(res.status, 201, res.text)
    assert.ok(ca.events.includes('account mailto:keyed@acme.test'), ca.events.join('\n'))
    const thumb = thumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y })
    assert.ok(ca.events.includes(`jwk ${thumb}`), ca.events.join('\n'))
  })

  it('PATCH /acme renews the certificates expiring within renew_threshold_days', async () => {
    // the test CA's certificates last 30 days: a 60-day threshold makes every one due
    await admin(gw, 'PATCH', `/plugins/${pluginId}`, { config: { renew_threshold_days: 60 } })
    const finalized = () => ca.events.filter((e) => e === 'finalize acme.test').length
    const before = finalized()
    const res = await request(gw.admin, 'PATCH', '/acme')
    assert.equal(res.status, 202)
    assert.deepEqual(res.body, { message: 'Renewal process started successfully' })
    await until(async () => finalized() > before, 60_000)
  })
})

describe('acme in DB-less mode', () => {
  let gw: Gateway
  let ca: AcmeServer
  let httpPort: number
  let tlsPort: number

  before(async () => {
    ca = await startAcmeServer()
    httpPort = await freePort()
    tlsPort = await freePort()
    gw = await startGateway({
      proxy: true,
      env: { DATABASE: 'off', PROXY_LISTEN: `127.0.0.1:${httpPort}, 127.0.0.1:${tlsPort} ssl` },
    })
    ca.setProxyPort(httpPort)
  })
  after(async () => {
    await gw?.stop()
    await ca?.close()
  })

  it('refuses kong storage, issues an RSA certificate with shm storage and serves it by SNI', async () => {
    const config = (storage: string) => ({
      _format_version: '3.0',
      services: [
        {
          name: 'acme-dummy',
          url: 'http://127.0.0.1:1',
          routes: [{ name: 'acme-dummy', protocols: ['http'], paths: ['/.well-known/acme-challenge'] }],
        },
      ],
      plugins: [
        {
          name: 'acme',
          config: {
            account_email: 'ops@acme.test',
            tos_accepted: true,
            api_uri: ca.directory,
            domains: ['dbless.test'],
            rsa_key_size: 2048,
            storage,
          },
        },
      ],
    })
    let res = await request(gw.admin, 'POST', '/config', { json: config('kong') })
    assert.equal(res.status, 400)
    assert.match(res.text, /\\"kong\\" storage can't be used with dbless mode/)
    res = await request(gw.admin, 'POST', '/config', { json: config('shm') })
    assert.equal(res.status, 201, res.text)
    await until(async () => {
      const r = await send(`http://127.0.0.1:${httpPort}/.well-known/acme-challenge/x`, {
        headers: { host: 'dbless.test' },
      })
      return r.body === 'Not found\n'
    })
    res = await request(gw.admin, 'POST', '/acme', { json: { host: 'dbless.test' } })
    assert.equal(res.status, 201, res.text)
    // an RSA certificate (the default cert_type) wins over the node's default ECDSA certificate
    assert.deepEqual(await peerCertificate(tlsPort, 'dbless.test'), { subject: 'dbless.test', issuer: CA_CN })
  })
})
