// ldap-auth (Kong's bundled plugin) through the real gateway, a real upstream and a small LDAP
// server on 127.0.0.1: binds as <attribute>=<user>,<base_dn>, every 401, Proxy-Authorization
// first, header_type, hide_credentials, anonymous, the per-worker cache, LDAPS and StartTLS, an
// unreachable or silent directory (500), and configuration errors in Kong's format.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Gateway, startGateway } from '../../helpers/gateway.js'
import { type LdapServer, startLdapServer } from '../../helpers/ldap-server.js'
import { echoed, message, refused, routeWithPlugin, type TestRoute } from '../../helpers/plugins.js'
import { admin, send } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'
import { RSA_CERT, RSA_KEY } from '../admin/fixtures.js'

const BASE_DN = 'ou=users,dc=example,dc=com'
const USERS = {
  [`uid=einstein,${BASE_DN}`]: 'password',
  [`uid=curie,${BASE_DN}`]: 'pass:word',
}
const b64 = (s: string) => Buffer.from(s).toString('base64')
const ldap = (user: string, password: string, scheme = 'ldap') => `${scheme} ${b64(`${user}:${password}`)}`

describe('ldap-auth', () => {
  let up: Upstream
  let gw: Gateway
  let dir: LdapServer
  let ldaps: LdapServer
  let startTls: LdapServer
  before(async () => {
    up = await startUpstream()
    dir = await startLdapServer({ users: USERS })
    ldaps = await startLdapServer({ users: USERS, tls: { cert: RSA_CERT, key: RSA_KEY } })
    startTls = await startLdapServer({ users: USERS, startTls: { cert: RSA_CERT, key: RSA_KEY } })
    gw = await startGateway({ proxy: true })
  })
  after(async () => {
    await gw.stop()
    await up.close()
    await dir.close()
    await ldaps.close()
    await startTls.close()
  })

  const conf = (extra: Record<string, unknown> = {}) => ({
    ldap_host: '127.0.0.1',
    ldap_port: dir.port,
    base_dn: BASE_DN,
    attribute: 'uid',
    ...extra,
  })
  const protectedRoute = (config: Record<string, unknown> = {}, status = 401): Promise<TestRoute> =>
    routeWithPlugin(gw, up.url, 'ldap-auth', conf(config), status)

  it('fills in Kong 3.9 defaults', async () => {
    const p = await admin(gw, 'POST', '/plugins', { name: 'ldap-auth', config: conf(), enabled: false })
    assert.deepEqual(p.config, {
      ldap_host: '127.0.0.1',
      ldap_port: dir.port,
      ldaps: false,
      start_tls: false,
      verify_ldap_host: false,
      base_dn: BASE_DN,
      attribute: 'uid',
      cache_ttl: 60,
      hide_credentials: false,
      timeout: 10000,
      keepalive: 60000,
      anonymous: null,
      header_type: 'ldap',
      realm: null,
    })
    await admin(gw, 'DELETE', `/plugins/${p.id}`)
  })

  it('refuses bad configurations with Kong fields', async () => {
    const missing = await refused(gw, '/plugins', { name: 'ldap-auth', config: {} })
    assert.equal(missing.status, 400)
    assert.equal(missing.body.name, 'schema violation')
    assert.deepEqual(missing.body.fields, {
      config: {
        ldap_host: 'required field missing',
        base_dn: 'required field missing',
        attribute: 'required field missing',
      },
    })
    const both = await refused(gw, '/plugins', {
      name: 'ldap-auth',
      config: conf({ ldaps: true, start_tls: true }),
    })
    assert.equal(both.status, 400)
    assert.deepEqual(both.body.fields, {
      config: {
        start_tls: 'value must be false',
        '@entity': ["'ldaps' and 'start_tls' cannot be enabled simultaneously"],
      },
    })
    const port = await refused(gw, '/plugins', { name: 'ldap-auth', config: conf({ ldap_port: 70000 }) })
    assert.deepEqual(port.body.fields, { config: { ldap_port: 'value should be between 0 and 65535' } })
    const host = await refused(gw, '/plugins', {
      name: 'ldap-auth',
      config: conf({ ldap_host: 'not a host!' }),
    })
    assert.equal(host.status, 400)
    assert.equal(typeof (host.body.fields as { config: Record<string, unknown> }).config.ldap_host, 'string')
    const flag = await refused(gw, '/plugins', {
      name: 'ldap-auth',
      config: conf({ hide_credentials: 'yes' }),
    })
    assert.deepEqual(flag.body.fields, { config: { hide_credentials: 'expected a boolean' } })
    const consumer = await admin(gw, 'POST', '/consumers', { username: 'scoped' })
    const scoped = await refused(gw, '/plugins', {
      name: 'ldap-auth',
      config: conf(),
      consumer: { id: consumer.id },
    })
    assert.equal(scoped.status, 400)
    assert.deepEqual(scoped.body.fields, { consumer: 'value must be null' })
  })

  it('answers 401 Unauthorized with WWW-Authenticate when credentials are missing or wrong', async () => {
    const r = await protectedRoute()
    const none = await send(r.url)
    assert.equal(none.status, 401)
    assert.equal(message(none), 'Unauthorized')
    assert.equal(none.headers['www-authenticate'], 'LDAP')
    for (const headers of [
      { authorization: ldap('einstein', 'wrong') },
      { authorization: ldap('nobody', 'password') },
      { authorization: ldap('einstein', '') },
      { authorization: `ldap ${b64('einstein')}` },
      { authorization: 'ldap !!!' },
      { authorization: ldap('einstein', 'password', 'Basic') },
      { 'proxy-authorization': ldap('einstein', 'wrong') },
    ] as Record<string, string>[]) {
      const res = await send(r.url, { headers })
      assert.equal(res.status, 401, JSON.stringify(headers))
      assert.equal(message(res), 'Unauthorized')
      assert.equal(res.headers['www-authenticate'], 'LDAP')
    }
    const realm = await protectedRoute({ realm: 'kong' })
    const res = await send(realm.url, { headers: { authorization: ldap('einstein', 'wrong') } })
    assert.equal(res.status, 401)
    assert.equal(res.headers['www-authenticate'], 'LDAP realm="kong"')
  })

  it('binds as <attribute>=<user>,<base_dn> and names the credential to the upstream', async () => {
    const r = await protectedRoute({ cache_ttl: 0.001 })
    const e = echoed(
      await send(r.url, {
        headers: {
          authorization: ldap('einstein', 'password'),
          'x-consumer-id': 'forged',
          'x-anonymous-consumer': 'true',
        },
      }),
    )
    assert.equal(e.headers['x-credential-identifier'], 'einstein')
    assert.equal(e.headers['x-consumer-id'], undefined)
    assert.equal(e.headers['x-consumer-username'], undefined)
    assert.equal(e.headers['x-anonymous-consumer'], undefined)
    assert.equal(e.headers.authorization, ldap('einstein', 'password'))
    assert.deepEqual(dir.binds.at(-1), { dn: `uid=einstein,${BASE_DN}`, password: 'password' })
    // the password may contain ':'; the scheme is case-insensitive and may follow blanks
    const colon = echoed(
      await send(r.url, { headers: { authorization: `  LDAP  ${b64('curie:pass:word')}` } }),
    )
    assert.equal(colon.headers['x-credential-identifier'], 'curie')
  })

  it('tries Proxy-Authorization first, then Authorization', async () => {
    const r = await protectedRoute()
    const viaProxy = echoed(
      await send(r.url, {
        headers: {
          'proxy-authorization': ldap('curie', 'pass:word'),
          authorization: ldap('einstein', 'password'),
        },
      }),
    )
    assert.equal(viaProxy.headers['x-credential-identifier'], 'curie')
    const fallback = echoed(
      await send(r.url, {
        headers: { 'proxy-authorization': ldap('curie', 'bad'), authorization: ldap('einstein', 'password') },
      }),
    )
    assert.equal(fallback.headers['x-credential-identifier'], 'einstein')
  })

  it('reads the scheme named by header_type and announces it', async () => {
    const r = await protectedRoute({ header_type: 'basic', realm: 'corp' })
    const e = echoed(await send(r.url, { headers: { authorization: ldap('einstein', 'password', 'Basic') } }))
    assert.equal(e.headers['x-credential-identifier'], 'einstein')
    const wrongScheme = await send(r.url, { headers: { authorization: ldap('einstein', 'password') } })
    assert.equal(wrongScheme.status, 401)
    assert.equal(wrongScheme.headers['www-authenticate'], 'basic realm="corp"')
  })

  it('hide_credentials removes both headers on success', async () => {
    const r = await protectedRoute({ hide_credentials: true })
    const e = echoed(
      await send(r.url, {
        headers: { 'proxy-authorization': ldap('einstein', 'password'), authorization: 'something else' },
      }),
    )
    assert.equal(e.headers['x-credential-identifier'], 'einstein')
    assert.equal(e.headers.authorization, undefined)
    assert.equal(e.headers['proxy-authorization'], undefined)
  })

  it('anonymous: a failure authenticates the anonymous consumer, a success only the credential', async () => {
    const anon = await admin(gw, 'POST', '/consumers', { username: 'ldap-anon', custom_id: 'anon-1' })
    const r = await protectedRoute({ anonymous: 'ldap-anon' }, 200)
    for (const headers of [{}, { authorization: ldap('einstein', 'wrong') }] as Record<string, string>[]) {
      const e = echoed(await send(r.url, { headers }))
      assert.equal(e.headers['x-consumer-id'], anon.id)
      assert.equal(e.headers['x-consumer-username'], 'ldap-anon')
      assert.equal(e.headers['x-consumer-custom-id'], 'anon-1')
      assert.equal(e.headers['x-anonymous-consumer'], 'true')
      assert.equal(e.headers['x-credential-identifier'], undefined)
    }
    const ok = echoed(await send(r.url, { headers: { authorization: ldap('einstein', 'password') } }))
    assert.equal(ok.headers['x-credential-identifier'], 'einstein')
    assert.equal(ok.headers['x-anonymous-consumer'], undefined)
    assert.equal(ok.headers['x-consumer-id'], undefined)

    const missing = await protectedRoute({ anonymous: 'no-such-consumer' }, 500)
    const res = await send(missing.url)
    assert.equal(message(res), "anonymous consumer no-such-consumer is configured but doesn't exist")
  })

  it('caches answers for cache_ttl: one bind for repeated requests, none of them in clear', async () => {
    const own = await startLdapServer({ users: USERS })
    try {
      const r = await routeWithPlugin(gw, up.url, 'ldap-auth', conf({ ldap_port: own.port, cache_ttl: 3600 }))
      for (let i = 0; i < 5; i++) {
        const res = await send(r.url, { headers: { authorization: ldap('einstein', 'password') } })
        assert.equal(res.status, 200)
      }
      assert.equal(own.binds.length, 1)
      // refusals are cached too; another password is another key
      for (let i = 0; i < 3; i++) {
        const res = await send(r.url, { headers: { authorization: ldap('einstein', 'nope') } })
        assert.equal(res.status, 401)
      }
      assert.equal(own.binds.length, 2)
    } finally {
      await own.close()
    }
  })

  it('binds over LDAPS and after StartTLS', async () => {
    const overTls = await protectedRoute({ ldap_port: ldaps.port, ldaps: true })
    const e = echoed(await send(overTls.url, { headers: { authorization: ldap('einstein', 'password') } }))
    assert.equal(e.headers['x-credential-identifier'], 'einstein')
    assert.equal(ldaps.binds.length, 1)
    const wrong = await send(overTls.url, { headers: { authorization: ldap('curie', 'bad') } })
    assert.equal(wrong.status, 401)

    const upgraded = await protectedRoute({ ldap_port: startTls.port, start_tls: true })
    const s = echoed(await send(upgraded.url, { headers: { authorization: ldap('curie', 'pass:word') } }))
    assert.equal(s.headers['x-credential-identifier'], 'curie')
    assert.equal(startTls.binds.length, 1)

    // the test certificate is not trusted: verify_ldap_host refuses the server (500, not cached)
    const verified = await protectedRoute({ ldap_port: ldaps.port, ldaps: true, verify_ldap_host: true })
    const bindsBefore = ldaps.binds.length
    for (let i = 0; i < 2; i++) {
      const res = await send(verified.url, { headers: { authorization: ldap('einstein', 'password') } })
      assert.equal(res.status, 500)
      assert.equal(message(res), 'An unexpected error occurred')
    }
    assert.equal(ldaps.binds.length, bindsBefore)
  })

  it('answers 500 when the directory cannot be reached or does not answer in time', async () => {
    const gone = await startLdapServer({ users: USERS })
    const port = gone.port
    await gone.close()
    const down = await protectedRoute({ ldap_port: port })
    const res = await send(down.url, { headers: { authorization: ldap('einstein', 'password') } })
    assert.equal(res.status, 500)
    assert.equal(message(res), 'An unexpected error occurred')
    // still 401 without credentials: the directory is not asked
    assert.equal((await send(down.url)).status, 401)

    const hung = await startLdapServer({ users: USERS })
    hung.silent = true
    try {
      const slow = await protectedRoute({ ldap_port: hung.port, timeout: 200 })
      const timedOut = await send(slow.url, { headers: { authorization: ldap('einstein', 'password') } })
      assert.equal(timedOut.status, 500)
      // not cached: once the directory answers, the same credentials pass
      hung.silent = false
      const later = await send(slow.url, { headers: { authorization: ldap('einstein', 'password') } })
      assert.equal(later.status, 200)
    } finally {
      await hung.close()
    }
  })
})
