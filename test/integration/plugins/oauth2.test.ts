// oauth2 (plugins.md §6.6) through the real gateway (two proxy workers, a plain and a TLS
// listener) and a real upstream: the credential and token endpoints of the Admin API, every
// grant flow end to end (authorize → code → token → proxied request → refresh), PKCE, scopes,
// provision_key, expired and revoked tokens, hide_credentials, anonymous, the HTTPS requirement,
// global credentials, and DB-less mode (declared tokens work, issuing fails as in Kong).
import assert from 'node:assert/strict'
import { createHash, createHmac, randomBytes } from 'node:crypto'
import http, { type IncomingHttpHeaders } from 'node:http'
import https from 'node:https'
import { after, before, describe, it } from 'node:test'
import { freePort, type Gateway, request, startGateway } from '../../helpers/gateway.js'
import { addPlugin, addRoute, refused, type TestRoute } from '../../helpers/plugins.js'
import { admin, until } from '../../helpers/proxy.js'
import { type EchoBody, startUpstream, type Upstream } from '../../helpers/upstream.js'

interface Res {
  status: number
  headers: IncomingHttpHeaders
  body: string
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies of many shapes
  json: any
}

/** One request over HTTP or HTTPS (the gateway's self-signed certificate is accepted). */
function call(
  url: string,
  opts: {
    method?: string
    headers?: Record<string, string | string[]>
    form?: Record<string, string>
    json?: unknown
  } = {},
): Promise<Res> {
  const headers: Record<string, string | string[]> = { ...opts.headers }
  let body: string | undefined
  if (opts.form) {
    body = new URLSearchParams(opts.form).toString()
    headers['content-type'] ??= 'application/x-www-form-urlencoded'
  } else if (opts.json !== undefined) {
    body = JSON.stringify(opts.json)
    headers['content-type'] ??= 'application/json'
  }
  const u = new URL(url)
  const lib = u.protocol === 'https:' ? https : http
  return new Promise((resolve, reject) => {
    const req = lib.request(
      {
        host: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        method: opts.method ?? (body === undefined ? 'GET' : 'POST'),
        headers,
        agent: false,
        rejectUnauthorized: false,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString()
          let json: unknown
          try {
            json = JSON.parse(text)
          } catch {
            json = undefined
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json })
        })
        res.on('error', reject)
      },
    )
    req.setTimeout(15_000, () => req.destroy(new Error('request timed out')))
    req.on('error', reject)
    req.end(body)
  })
}

/** The request the echo upstream received. */
function upstreamSaw(res: Res): EchoBody {
  assert.equal(res.status, 200, res.body)
  return res.json as EchoBody
}

const basic = (id: string, secret: string): string =>
  `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`
const INVALID = 'Bearer error="invalid_token" error_description="The access token is invalid or has expired"'
const NO_MATCH = 'Invalid redirect_uri that does not match with any redirect_uri created with the application'

describe('oauth2', () => {
  let up: Upstream
  let gw: Gateway
  let plainPort: number
  let tlsPort: number
  let bob: Record<string, unknown>
  /** A confidential client of bob's (secret in clear) and a public one. */
  let app: { id: string; client_id: string; client_secret: string }
  let pub: { id: string; client_id: string }

  before(async () => {
    up = await startUpstream()
    plainPort = await freePort()
    tlsPort = await freePort()
    gw = await startGateway({
      workers: 2,
      env: {
        PROXY_LISTEN: `127.0.0.1:${plainPort}, 127.0.0.1:${tlsPort} ssl`,
        TRUSTED_IPS: '127.0.0.1',
      },
    })
    bob = await admin(gw, 'POST', '/consumers', { username: 'bob', custom_id: 'c-bob' })
    await admin(gw, 'POST', '/consumers', { username: 'anon' })
    app = (await admin(gw, 'POST', '/consumers/bob/oauth2', {
      name: 'Bob app',
      redirect_uris: ['http://app.test/cb', 'http://app.test/other?keep=1'],
    })) as typeof app
    pub = (await admin(gw, 'POST', '/consumers/bob/oauth2', {
      name: 'Bob SPA',
      client_type: 'public',
      redirect_uris: ['http://spa.test/cb'],
    })) as typeof pub
  })
  after(async () => {
    await gw.stop()
    await up.close()
  })

  interface Protected {
    route: TestRoute
    plugin: Record<string, unknown>
    provisionKey: string
    /** Base URLs of the route on the TLS and the plain listener. */
    tls: string
    plain: string
  }

  /** A fresh service and route with oauth2 on its service, once the proxy enforces it. */
  async function protect(config: Record<string, unknown>, status = 401): Promise<Protected> {
    const route = await addRoute(gw, up.url)
    const plugin = await addPlugin(gw, { name: 'oauth2', config }, `/services/${route.serviceId}`)
    const plain = `http://127.0.0.1:${plainPort}${route.path}`
    // both workers have the configuration once a few answers in a row agree
    let streak = 0
    await until(async () => {
      streak = (await call(plain)).status === status ? streak + 1 : 0
      return streak >= 4
    })
    return {
      route,
      plugin,
      provisionKey: (plugin.config as { provision_key: string }).provision_key,
      tls: `https://127.0.0.1:${tlsPort}${route.path}`,
      plain,
    }
  }

  const ALL = {
    enable_authorization_code: true,
    enable_implicit_grant: true,
    enable_client_credentials: true,
    enable_password_grant: true,
  }

  /** POSTs the token endpoint of a route (over TLS) with form parameters. */
  const token = (p: Protected, form: Record<string, string>, headers: Record<string, string> = {}) =>
    call(`${p.tls}/oauth2/token`, { form, headers })

  async function authorizeCode(p: Protected, form: Record<string, string> = {}): Promise<string> {
    const res = await call(`${p.tls}/oauth2/authorize`, {
      form: {
        response_type: 'code',
        client_id: app.client_id,
        provision_key: p.provisionKey,
        authenticated_userid: 'user-7',
        ...form,
      },
    })
    assert.equal(res.status, 200, res.body)
    const code = new URL(res.json.redirect_uri).searchParams.get('code')
    assert.match(code ?? '', /^[A-Za-z0-9]{32}$/)
    return code!
  }

  describe('credentials (Admin API)', () => {
    it('POST /consumers/{c}/oauth2 generates client_id and client_secret, and takes given ones', async () => {
      assert.match(app.client_id, /^[A-Za-z0-9]{32}$/)
      assert.match(app.client_secret, /^[A-Za-z0-9]{32}$/)
      const cred = await admin(gw, 'GET', `/oauth2/${app.id}`)
      assert.deepEqual(cred.consumer, { id: bob.id })
      assert.equal(cred.hash_secret, false)
      assert.equal(cred.client_type, 'confidential')
      assert.deepEqual(cred.redirect_uris, ['http://app.test/cb', 'http://app.test/other?keep=1'])
      const given = await admin(gw, 'POST', '/oauth2', {
        consumer: { username: 'bob' },
        name: 'given',
        client_id: 'given-client',
        client_secret: 'given-secret',
        tags: ['t1'],
      })
      assert.equal(given.client_id, 'given-client')
      assert.equal(given.client_secret, 'given-secret')
      assert.equal(given.redirect_uris, null)
      assert.deepEqual(given.tags, ['t1'])
      const dup = await refused(gw, '/consumers/bob/oauth2', { name: 'dup', client_id: 'given-client' })
      assert.equal(dup.status, 409)
    })

    it('refuses a missing name, bad redirect URIs and a missing consumer in Kong format', async () => {
      const noName = await refused(gw, '/consumers/bob/oauth2', {})
      assert.equal(noName.status, 400)
      assert.deepEqual(noName.body.fields, { name: 'required field missing' })
      const bad = await refused(gw, '/consumers/bob/oauth2', { name: 'x', redirect_uris: ['not-valid'] })
      assert.deepEqual(bad.body.fields, { redirect_uris: ["cannot parse 'not-valid'"] })
      const frag = await refused(gw, '/consumers/bob/oauth2', {
        name: 'x',
        redirect_uris: ['http://valid.test', 'http://test.test/#with-fragment'],
      })
      assert.deepEqual(frag.body.fields, {
        redirect_uris: [null, "fragment not allowed in 'http://test.test/#with-fragment'"],
      })
      const type = await refused(gw, '/consumers/bob/oauth2', { name: 'x', client_type: 'secret' })
      assert.deepEqual(type.body.fields, { client_type: 'expected one of: confidential, public' })
      const orphan = await refused(gw, '/oauth2', { name: 'x' })
      assert.equal(orphan.status, 400)
      assert.equal(orphan.body.message, 'schema violation (consumer: required field missing)')
    })

    it('hash_secret stores the secret as PBKDF2, and secret changes must carry both fields', async () => {
      const hashed = await admin(gw, 'POST', '/consumers/bob/oauth2', {
        name: 'hashed',
        client_id: 'hashed-client',
        client_secret: 'test',
        hash_secret: true,
      })
      assert.equal(hashed.hash_secret, true)
      assert.match(hashed.client_secret as string, /^\$pbkdf2-sha512\$i=10000,l=32\$[^$]+\$[^$]+$/)
      for (const body of [{ client_secret: 'other' }, { hash_secret: true }]) {
        const res = await request(gw.admin, 'PATCH', '/oauth2/hashed-client', { json: body })
        assert.equal(res.status, 400)
        assert.deepEqual((res.body as { fields: unknown }).fields, {
          '@entity': ["all or none of these fields must be set: 'hash_secret', 'client_secret'"],
        })
      }
      const renamed = await admin(gw, 'PATCH', '/oauth2/hashed-client', { name: 'renamed' })
      assert.equal(renamed.client_secret, hashed.client_secret)
      const rehashed = await admin(gw, 'PATCH', '/oauth2/hashed-client', {
        client_secret: 'new',
        hash_secret: true,
      })
      assert.notEqual(rehashed.client_secret, hashed.client_secret)
      assert.match(rehashed.client_secret as string, /^\$pbkdf2-sha512\$/)
    })

    it('reads, lists and deletes credentials by id or client_id, top-level and under the consumer', async () => {
      const cred = await admin(gw, 'POST', '/consumers/bob/oauth2', {
        name: 'listed',
        client_id: 'listed-client',
      })
      assert.equal((await admin(gw, 'GET', '/oauth2/listed-client')).id, cred.id)
      assert.equal((await admin(gw, 'GET', `/consumers/bob/oauth2/${cred.id}`)).client_id, 'listed-client')
      assert.equal((await admin(gw, 'GET', '/consumers/bob/oauth2/listed-client')).id, cred.id)
      assert.equal((await admin(gw, 'GET', '/oauth2/listed-client/consumer')).username, 'bob')
      const all = await admin(gw, 'GET', '/oauth2')
      assert.ok((all.data as { id: string }[]).some((c) => c.id === cred.id))
      const nested = await admin(gw, 'GET', '/consumers/bob/oauth2')
      assert.ok((nested.data as { id: string }[]).some((c) => c.id === cred.id))
      assert.equal((await request(gw.admin, 'GET', '/consumers/anon/oauth2/listed-client')).status, 404)
      assert.equal((await request(gw.admin, 'DELETE', '/consumers/bob/oauth2/listed-client')).status, 204)
      assert.equal((await request(gw.admin, 'GET', '/oauth2/listed-client')).status, 404)
      // authorization codes have no endpoints
      assert.equal((await request(gw.admin, 'GET', '/oauth2_authorization_codes')).status, 404)
    })

    it('tokens: created, read by id or access_token, listed per credential and service, updated, deleted', async () => {
      const svc = await admin(gw, 'POST', '/services', { name: 'token-svc', url: up.url })
      const missing = await refused(gw, '/oauth2_tokens', {})
      assert.deepEqual(missing.body.fields, {
        credential: 'required field missing',
        expires_in: 'required field missing',
      })
      const t = await admin(gw, 'POST', '/oauth2_tokens', {
        credential: { id: app.id },
        service: { id: svc.id },
        expires_in: 10,
        ttl: 600,
      })
      assert.match(t.access_token as string, /^[A-Za-z0-9]{32}$/)
      assert.equal(t.token_type, 'bearer')
      assert.equal(t.refresh_token, null)
      assert.equal(t.ttl, 600)
      assert.equal((await admin(gw, 'GET', `/oauth2_tokens/${t.access_token}`)).id, t.id)
      assert.ok(
        ((await admin(gw, 'GET', `/oauth2/${app.client_id}/oauth2_tokens`)).data as Row[]).some(
          (x) => x.id === t.id,
        ),
      )
      assert.ok(
        ((await admin(gw, 'GET', '/services/token-svc/oauth2_tokens')).data as Row[]).some(
          (x) => x.id === t.id,
        ),
      )
      const patched = await admin(gw, 'PATCH', `/oauth2_tokens/${t.id}`, {
        access_token: 'foobar',
        expires_in: 20,
      })
      assert.equal(patched.access_token, 'foobar')
      const wrong = await request(gw.admin, 'PATCH', '/oauth2_tokens/foobar', { json: { expires_in: 'x' } })
      assert.deepEqual((wrong.body as { fields: unknown }).fields, { expires_in: 'expected an integer' })
      assert.equal((await request(gw.admin, 'DELETE', '/oauth2_tokens/foobar')).status, 204)
      assert.equal((await request(gw.admin, 'GET', `/oauth2_tokens/${t.id}`)).status, 404)
    })

    it('deleting a consumer deletes its credentials and their tokens', async () => {
      await admin(gw, 'POST', '/consumers', { username: 'short-lived' })
      const cred = await admin(gw, 'POST', '/consumers/short-lived/oauth2', { name: 'x' })
      const t = await admin(gw, 'POST', '/oauth2_tokens', { credential: { id: cred.id }, expires_in: 10 })
      await admin(gw, 'DELETE', '/consumers/short-lived')
      assert.equal((await request(gw.admin, 'GET', `/oauth2/${cred.id}`)).status, 404)
      assert.equal((await request(gw.admin, 'GET', `/oauth2_tokens/${t.id}`)).status, 404)
    })
  })

  describe('plugin configuration', () => {
    it("fills Kong's defaults and generates a provision_key", async () => {
      const r = await addRoute(gw, up.url)
      const p = await addPlugin(
        gw,
        { name: 'oauth2', config: { enable_password_grant: true } },
        `/routes/${r.routeId}`,
      )
      const { provision_key: key, ...rest } = p.config as Record<string, unknown>
      assert.match(key as string, /^[A-Za-z0-9]{32}$/)
      assert.deepEqual(rest, {
        scopes: null,
        mandatory_scope: false,
        token_expiration: 7200,
        enable_authorization_code: false,
        enable_implicit_grant: false,
        enable_client_credentials: false,
        enable_password_grant: true,
        hide_credentials: false,
        accept_http_if_already_terminated: false,
        anonymous: null,
        global_credentials: false,
        auth_header_name: 'authorization',
        refresh_token_ttl: 1209600,
        reuse_refresh_token: false,
        pkce: 'lax',
        realm: null,
      })
    })

    it('refuses bad configurations with 400 and the fields at fault', async () => {
      const none = await refused(gw, '/plugins', { name: 'oauth2', config: {} })
      assert.equal(none.status, 400)
      assert.equal(none.body.name, 'schema violation')
      assert.deepEqual(none.body.fields, {
        config:
          'at least one of these fields must be true: enable_authorization_code, enable_implicit_grant, enable_client_credentials, enable_password_grant',
      })
      const scopes = await refused(gw, '/plugins', {
        name: 'oauth2',
        config: { enable_password_grant: true, mandatory_scope: true },
      })
      assert.deepEqual(scopes.body.fields, {
        config: {
          '@entity': ["failed conditional validation given value of field 'mandatory_scope'"],
          scopes: 'required field missing',
        },
      })
      const values = await refused(gw, '/plugins', {
        name: 'oauth2',
        config: { enable_password_grant: true, pkce: 'plain', refresh_token_ttl: -1, token_expiration: 'x' },
      })
      assert.deepEqual(values.body.fields, {
        config: {
          pkce: 'expected one of: none, lax, strict',
          refresh_token_ttl: 'value should be between 0 and 100000000',
          token_expiration: 'expected a number',
        },
      })
      const scoped = await refused(gw, '/plugins', {
        name: 'oauth2',
        consumer: { id: bob.id },
        config: { enable_password_grant: true },
      })
      assert.deepEqual(scoped.body.fields, { consumer: 'value must be null' })
    })
  })

  describe('authorization code flow', () => {
    let p: Protected
    before(async () => {
      p = await protect({ ...ALL, scopes: ['email', 'profile'] })
    })

    it('authorize → code → token → proxied request → refresh', async () => {
      const auth = await call(`${p.tls}/oauth2/authorize`, {
        form: {
          response_type: 'code',
          client_id: app.client_id,
          provision_key: p.provisionKey,
          authenticated_userid: 'user-7',
          scope: 'email profile',
          state: 'st-1',
        },
      })
      assert.equal(auth.status, 200)
      assert.equal(auth.headers['cache-control'], 'no-store')
      assert.equal(auth.headers.pragma, 'no-cache')
      assert.match(auth.json.redirect_uri, /^http:\/\/app\.test\/cb\?code=[A-Za-z0-9]{32}&state=st%2d1$/)
      const code = new URL(auth.json.redirect_uri).searchParams.get('code')!

      const issued = await token(p, {
        grant_type: 'authorization_code',
        code,
        client_id: app.client_id,
        client_secret: app.client_secret,
        state: 'st-2',
      })
      assert.equal(issued.status, 200, issued.body)
      assert.equal(issued.headers['cache-control'], 'no-store')
      assert.deepEqual(Object.keys(issued.json).sort(), [
        'access_token',
        'expires_in',
        'refresh_token',
        'state',
        'token_type',
      ])
      assert.equal(issued.json.token_type, 'bearer')
      assert.equal(issued.json.expires_in, 7200)
      assert.equal(issued.json.state, 'st-2')

      const seen = upstreamSaw(
        await call(`${p.plain}/resource`, {
          headers: { authorization: `Bearer ${issued.json.access_token}`, 'x-consumer-id': 'forged' },
        }),
      )
      assert.equal(seen.headers['x-consumer-id'], bob.id)
      assert.equal(seen.headers['x-consumer-username'], 'bob')
      assert.equal(seen.headers['x-consumer-custom-id'], 'c-bob')
      assert.equal(seen.headers['x-credential-identifier'], app.client_id)
      assert.equal(seen.headers['x-authenticated-scope'], 'email profile')
      assert.equal(seen.headers['x-authenticated-userid'], 'user-7')
      assert.equal(seen.headers['x-anonymous-consumer'], undefined)
      // not hidden by default
      assert.equal(seen.headers.authorization, `Bearer ${issued.json.access_token}`)

      // the code is gone once used
      const again = await token(p, {
        grant_type: 'authorization_code',
        code,
        client_id: app.client_id,
        client_secret: app.client_secret,
      })
      assert.equal(again.status, 400)
      assert.deepEqual(again.json, { error: 'invalid_request', error_description: 'Invalid code' })

      const refreshed = await token(p, {
        grant_type: 'refresh_token',
        refresh_token: issued.json.refresh_token,
        client_id: app.client_id,
        client_secret: app.client_secret,
      })
      assert.equal(refreshed.status, 200, refreshed.body)
      assert.notEqual(refreshed.json.access_token, issued.json.access_token)
      assert.notEqual(refreshed.json.refresh_token, issued.json.refresh_token)
      const stored = await admin(gw, 'GET', `/oauth2_tokens/${refreshed.json.access_token}`)
      assert.equal(stored.scope, 'email profile')
      assert.equal(stored.authenticated_userid, 'user-7')
      assert.deepEqual(stored.service, { id: p.route.serviceId })
      assert.ok(typeof stored.ttl === 'number' && stored.ttl > 1209000)

      // the old access and refresh tokens are revoked at once, on every worker
      for (let i = 0; i < 4; i++) {
        const old = await call(`${p.plain}/resource`, {
          headers: { authorization: `Bearer ${issued.json.access_token}` },
        })
        assert.equal(old.status, 401)
        assert.equal(old.headers['www-authenticate'], INVALID)
        assert.deepEqual(old.json, {
          error: 'invalid_token',
          error_description: 'The access token is invalid or has expired',
        })
        const ok = await call(`${p.plain}/resource`, {
          headers: { authorization: `bearer ${refreshed.json.access_token}` },
        })
        assert.equal(ok.status, 200)
      }
      const reused = await token(p, {
        grant_type: 'refresh_token',
        refresh_token: issued.json.refresh_token,
        client_id: app.client_id,
        client_secret: app.client_secret,
      })
      assert.deepEqual(reused.json, { error: 'invalid_request', error_description: 'Invalid refresh_token' })
    })

    it('keeps the redirect URI query, and checks the redirect_uri parameter against the registered ones', async () => {
      const kept = await call(`${p.tls}/oauth2/authorize`, {
        form: {
          response_type: 'code',
          client_id: app.client_id,
          provision_key: p.provisionKey,
          authenticated_userid: 'u',
          redirect_uri: 'http://app.test/other?keep=1',
        },
      })
      assert.match(kept.json.redirect_uri, /^http:\/\/app\.test\/other\?code=[A-Za-z0-9]{32}&keep=1$/)
      const other = await call(`${p.tls}/oauth2/authorize`, {
        form: {
          response_type: 'code',
          client_id: app.client_id,
          provision_key: p.provisionKey,
          authenticated_userid: 'u',
          redirect_uri: 'http://evil.test/cb',
        },
      })
      assert.equal(other.status, 400)
      assert.equal(
        other.json.redirect_uri,
        'http://app.test/cb?error=invalid_request&error_description=Invalid%20redirect_uri%20that%20does%20not%20match%20with%20any%20redirect_uri%20created%20with%20the%20application',
      )
      // the token endpoint checks it too
      const code = await authorizeCode(p)
      const res = await token(p, {
        grant_type: 'authorization_code',
        code,
        client_id: app.client_id,
        client_secret: app.client_secret,
        redirect_uri: 'http://evil.test/cb',
      })
      assert.deepEqual(res.json, { error: 'invalid_request', error_description: NO_MATCH })
    })

    it('answers the errors of the authorization endpoint', async () => {
      const base = {
        response_type: 'code',
        client_id: app.client_id,
        provision_key: p.provisionKey,
        authenticated_userid: 'u',
      }
      const cases: [Record<string, string>, number, unknown][] = [
        [
          { ...base, provision_key: 'wrong' },
          400,
          { error: 'invalid_provision_key', error_description: 'Invalid provision_key' },
        ],
        [
          { ...base, authenticated_userid: ' ' },
          400,
          {
            error: 'invalid_authenticated_userid',
            error_description: 'Missing authenticated_userid parameter',
          },
        ],
        [
          { ...base, client_id: 'nobody', state: 's' },
          400,
          { error: 'invalid_client', error_description: 'Invalid client authentication', state: 's' },
        ],
        [
          { ...base, response_type: 'other', state: 'somestate' },
          400,
          {
            redirect_uri:
              'http://app.test/cb?error=unsupported_response_type&error_description=Invalid%20response_type&state=somestate',
          },
        ],
        [
          { ...base, scope: 'wot' },
          400,
          {
            redirect_uri:
              'http://app.test/cb?error=invalid_scope&error_description=%22wot%22%20is%20an%20invalid%20scope',
          },
        ],
        [
          { ...base, code_challenge_method: 'plain', code_challenge: 'abc', state: 'hello' },
          400,
          {
            redirect_uri:
              'http://app.test/cb?error=invalid_request&error_description=code_challenge_method%20is%20not%20supported%2c%20must%20be%20S256&state=hello',
          },
        ],
        [
          { ...base, code_challenge_method: 'S256' },
          400,
          {
            redirect_uri:
              'http://app.test/cb?error=invalid_request&error_description=code_challenge%20is%20required%20when%20code_method%20is%20present',
          },
        ],
      ]
      for (const [form, status, body] of cases) {
        const res = await call(`${p.tls}/oauth2/authorize`, { form })
        assert.equal(res.status, status, JSON.stringify(form))
        assert.deepEqual(res.json, body, JSON.stringify(form))
      }
      // parameters may come in the query string, the JSON body overriding them
      const json = await call(`${p.tls}/oauth2/authorize?response_type=code&provision_key=wrong`, {
        json: { ...base, response_type: undefined, provision_key: p.provisionKey },
      })
      assert.equal(json.status, 200, json.body)
      const get = await call(`${p.tls}/oauth2/authorize`)
      assert.equal(get.status, 405)
      assert.deepEqual(get.json, {
        error: 'invalid_method',
        error_description: 'The HTTP method GET is invalid for the authorization endpoint',
      })
      assert.equal(
        get.headers['www-authenticate'],
        'Bearer error="invalid_method" error_description="The HTTP method GET is invalid for the authorization endpoint"',
      )
      const put = await call(`${p.tls}/oauth2/token/`, { method: 'PUT' })
      assert.equal(put.status, 405)
      assert.equal(put.json.error_description, 'The HTTP method PUT is invalid for the token endpoint')
    })

    it('a code is only good for its client, its service, and with the right secret', async () => {
      const code = await authorizeCode(p)
      const wrongSecret = await token(p, {
        grant_type: 'authorization_code',
        code,
        client_id: app.client_id,
        client_secret: 'nope',
      })
      assert.equal(wrongSecret.status, 400)
      assert.deepEqual(wrongSecret.json, {
        error: 'invalid_client',
        error_description: 'Invalid client authentication',
      })
      // a wrong secret in Basic credentials is a 401 with a challenge
      const header = await token(
        p,
        { grant_type: 'authorization_code', code },
        { authorization: basic(app.client_id, 'nope') },
      )
      assert.equal(header.status, 401)
      assert.equal(header.headers['www-authenticate'], 'Basic realm="OAuth2.0"')
      const other = await protect({ enable_authorization_code: true })
      const elsewhere = await token(other, {
        grant_type: 'authorization_code',
        code,
        client_id: app.client_id,
        client_secret: app.client_secret,
      })
      assert.deepEqual(elsewhere.json, { error: 'invalid_request', error_description: 'Invalid code' })
      const given = await admin(gw, 'POST', '/consumers/bob/oauth2', {
        name: 'second',
        client_id: 'second-app',
        client_secret: 'second-secret',
        redirect_uris: ['http://app.test/cb'],
      })
      const foreign = await token(p, {
        grant_type: 'authorization_code',
        code,
        client_id: given.client_id as string,
        client_secret: 'second-secret',
      })
      assert.deepEqual(foreign.json, { error: 'invalid_request', error_description: 'Invalid code' })
      // still unused: Basic credentials work
      const ok = await token(
        p,
        { grant_type: 'authorization_code', code },
        { authorization: basic(app.client_id, app.client_secret) },
      )
      assert.equal(ok.status, 200, ok.body)
    })
  })

  describe('PKCE', () => {
    const verifier = randomBytes(48).toString('base64url')
    const challenge = createHash('sha256').update(verifier).digest('base64url')

    it('public clients must use it (pkce = lax), and may not send a secret', async () => {
      const p = await protect({ enable_authorization_code: true })
      const base = {
        response_type: 'code',
        client_id: pub.client_id,
        provision_key: p.provisionKey,
        authenticated_userid: 'u',
        state: 'hello',
      }
      const refusedAuth = await call(`${p.tls}/oauth2/authorize`, { form: base })
      assert.equal(refusedAuth.status, 400)
      assert.equal(
        refusedAuth.json.redirect_uri,
        'http://spa.test/cb?error=invalid_request&error_description=code_challenge%20is%20required%20for%20public%20clients&state=hello',
      )
      const auth = await call(`${p.tls}/oauth2/authorize`, {
        form: { ...base, code_challenge: challenge, code_challenge_method: 'S256' },
      })
      assert.equal(auth.status, 200)
      const code = new URL(auth.json.redirect_uri).searchParams.get('code')!
      const exchange = (extra: Record<string, string>) =>
        token(p, { grant_type: 'authorization_code', code, client_id: pub.client_id, ...extra })
      assert.deepEqual((await exchange({})).json, {
        error: 'invalid_request',
        error_description: 'code_verifier is required for PKCE authorization requests',
      })
      assert.deepEqual((await exchange({ code_verifier: 'short' })).json, {
        error: 'invalid_request',
        error_description: 'code_verifier must be between 43 and 128 characters',
      })
      assert.deepEqual((await exchange({ code_verifier: 'x'.repeat(50) })).json, {
        error: 'invalid_grant',
        error_description: 'Invalid code',
      })
      assert.deepEqual((await exchange({ code_verifier: verifier, client_secret: 'some' })).json, {
        error: 'invalid_request',
        error_description: 'client_secret is disallowed for public clients',
      })
      const ok = await exchange({ code_verifier: verifier })
      assert.equal(ok.status, 200, ok.body)
      assert.ok(ok.json.refresh_token)
    })

    it('pkce = strict requires it from confidential clients; a code made with a challenge always needs the verifier', async () => {
      const strict = await protect({ enable_authorization_code: true, pkce: 'strict' })
      const res = await call(`${strict.tls}/oauth2/authorize`, {
        form: {
          response_type: 'code',
          client_id: app.client_id,
          provision_key: strict.provisionKey,
          authenticated_userid: 'u',
        },
      })
      assert.match(res.json.redirect_uri, /code_challenge%20is%20required%20for%20confidential%20clients/)
      const lax = await protect({ enable_authorization_code: true })
      const code = await authorizeCode(lax, { code_challenge: challenge })
      const noVerifier = await token(lax, {
        grant_type: 'authorization_code',
        code,
        client_id: app.client_id,
        client_secret: app.client_secret,
      })
      assert.equal(
        noVerifier.json.error_description,
        'code_verifier is required for PKCE authorization requests',
      )
      const ok = await token(lax, {
        grant_type: 'authorization_code',
        code,
        client_id: app.client_id,
        client_secret: app.client_secret,
        code_verifier: verifier,
      })
      assert.equal(ok.status, 200, ok.body)
    })
  })

  describe('implicit grant', () => {
    it('returns the token in the fragment of the redirect URI, without refresh token', async () => {
      const p = await protect({ enable_implicit_grant: true })
      const res = await call(`${p.tls}/oauth2/authorize`, {
        form: {
          response_type: 'token',
          client_id: app.client_id,
          provision_key: p.provisionKey,
          authenticated_userid: 'u-imp',
          state: 'wot',
        },
      })
      assert.equal(res.status, 200, res.body)
      const m =
        /^http:\/\/app\.test\/cb#access_token=([A-Za-z0-9]{32})&expires_in=7200&state=wot&token_type=bearer$/.exec(
          res.json.redirect_uri,
        )
      assert.ok(m, res.json.redirect_uri)
      const seen = upstreamSaw(await call(p.plain, { headers: { authorization: `Bearer ${m[1]}` } }))
      assert.equal(seen.headers['x-authenticated-userid'], 'u-imp')
      assert.equal((await admin(gw, 'GET', `/oauth2_tokens/${m[1]}`)).refresh_token, null)
      // code flow not enabled on this plugin
      const code = await call(`${p.tls}/oauth2/authorize`, {
        form: {
          response_type: 'code',
          client_id: app.client_id,
          provision_key: p.provisionKey,
          authenticated_userid: 'u',
        },
      })
      assert.match(code.json.redirect_uri, /error=unsupported_response_type/)
    })
  })

  describe('client credentials', () => {
    let p: Protected
    before(async () => {
      p = await protect({ enable_client_credentials: true, scopes: ['read', 'write'] })
    })

    it('issues a token without refresh token, from parameters or Basic credentials', async () => {
      const res = await token(p, {
        grant_type: 'client_credentials',
        client_id: app.client_id,
        client_secret: app.client_secret,
        scope: 'read',
      })
      assert.equal(res.status, 200, res.body)
      assert.deepEqual(Object.keys(res.json).sort(), ['access_token', 'expires_in', 'token_type'])
      const seen = upstreamSaw(
        await call(p.plain, { headers: { authorization: `Token ${res.json.access_token}` } }),
      )
      assert.equal(seen.headers['x-authenticated-scope'], 'read')
      assert.equal(seen.headers['x-authenticated-userid'], undefined)
      const viaHeader = await token(
        p,
        { grant_type: 'client_credentials' },
        { authorization: basic(app.client_id, app.client_secret) },
      )
      assert.equal(viaHeader.status, 200, viaHeader.body)
    })

    it('refuses bad secrets, scopes, grant types and a user without provision_key', async () => {
      const creds = { client_id: app.client_id, client_secret: app.client_secret }
      const cases: [Record<string, string>, number, unknown][] = [
        [
          { grant_type: 'client_credentials', client_id: app.client_id, client_secret: 'x' },
          400,
          { error: 'invalid_client', error_description: 'Invalid client authentication' },
        ],
        [
          { grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'x' },
          400,
          { error: 'invalid_client', error_description: 'Invalid client authentication' },
        ],
        [
          { grant_type: 'client_credentials', ...creds, scope: 'read admin' },
          400,
          { error: 'invalid_scope', error_description: '"admin" is an invalid scope' },
        ],
        [
          { grant_type: 'password', ...creds, state: 'x' },
          400,
          { error: 'unsupported_grant_type', error_description: 'Invalid grant_type', state: 'x' },
        ],
        [
          { grant_type: 'client_credentials', ...creds, authenticated_userid: 'u' },
          400,
          { error: 'invalid_provision_key', error_description: 'Invalid provision_key' },
        ],
      ]
      for (const [form, status, body] of cases) {
        const res = await token(p, form)
        assert.equal(res.status, status, JSON.stringify(form))
        assert.deepEqual(res.json, body, JSON.stringify(form))
      }
      const user = await token(p, {
        grant_type: 'client_credentials',
        ...creds,
        authenticated_userid: 'u',
        provision_key: p.provisionKey,
      })
      assert.equal(user.status, 200)
      const get = await call(`${p.tls}/oauth2/token`)
      assert.equal(get.status, 405)
    })

    it('verifies hashed secrets', async () => {
      const hashed = await admin(gw, 'POST', '/consumers/bob/oauth2', {
        name: 'hashed cc',
        client_secret: 'hashed-secret',
        hash_secret: true,
      })
      const ok = await token(p, {
        grant_type: 'client_credentials',
        client_id: hashed.client_id as string,
        client_secret: 'hashed-secret',
      })
      assert.equal(ok.status, 200, ok.body)
      const bad = await token(p, {
        grant_type: 'client_credentials',
        client_id: hashed.client_id as string,
        client_secret: 'other',
      })
      assert.equal(bad.json.error, 'invalid_client')
    })
  })

  describe('password grant', () => {
    it('needs the provision_key and a user; issues a refreshable token', async () => {
      const p = await protect({ enable_password_grant: true, scopes: ['email'], mandatory_scope: true })
      const base = {
        grant_type: 'password',
        client_id: app.client_id,
        client_secret: app.client_secret,
        provision_key: p.provisionKey,
        authenticated_userid: 'pw-user',
        scope: 'email',
      }
      const cases: [Record<string, string>, unknown][] = [
        [
          { ...base, provision_key: 'wrong' },
          { error: 'invalid_provision_key', error_description: 'Invalid provision_key' },
        ],
        [
          { ...base, authenticated_userid: '' },
          {
            error: 'invalid_authenticated_userid',
            error_description: 'Missing authenticated_userid parameter',
          },
        ],
        [
          { ...base, scope: undefined as unknown as string },
          { error: 'invalid_scope', error_description: 'You must specify a scope' },
        ],
      ]
      for (const [form, body] of cases) {
        const clean = Object.fromEntries(Object.entries(form).filter(([, v]) => v !== undefined))
        const res = await token(p, clean)
        assert.equal(res.status, 400)
        assert.deepEqual(res.json, body, JSON.stringify(form))
      }
      const ok = await token(p, base)
      assert.equal(ok.status, 200, ok.body)
      assert.ok(ok.json.refresh_token)
      const seen = upstreamSaw(
        await call(p.plain, { headers: { authorization: `Bearer ${ok.json.access_token}` } }),
      )
      assert.equal(seen.headers['x-authenticated-userid'], 'pw-user')
      assert.equal(seen.headers['x-authenticated-scope'], 'email')
      // a client without redirect URIs cannot use the grant (Kong checks them for every grant but client_credentials)
      const bare = await admin(gw, 'POST', '/consumers/bob/oauth2', {
        name: 'bare',
        client_secret: 'bare-secret',
      })
      const res = await token(p, {
        ...base,
        client_id: bare.client_id as string,
        client_secret: 'bare-secret',
      })
      assert.deepEqual(res.json, {
        error: 'invalid_client',
        error_description: 'Invalid client authentication',
      })
    })

    it('reuse_refresh_token keeps the refresh token; token_expiration 0 issues tokens that never expire', async () => {
      const p = await protect({ enable_password_grant: true, reuse_refresh_token: true })
      const form = {
        grant_type: 'password',
        client_id: app.client_id,
        client_secret: app.client_secret,
        provision_key: p.provisionKey,
        authenticated_userid: 'u',
      }
      const first = await token(p, form)
      const refresh = () =>
        token(p, {
          grant_type: 'refresh_token',
          refresh_token: first.json.refresh_token,
          client_id: app.client_id,
          client_secret: app.client_secret,
        })
      const second = await refresh()
      assert.equal(second.status, 200, second.body)
      assert.equal(second.json.refresh_token, first.json.refresh_token)
      assert.notEqual(second.json.access_token, first.json.access_token)
      assert.equal(
        (await call(p.plain, { headers: { authorization: `Bearer ${first.json.access_token}` } })).status,
        401,
      )
      assert.equal(
        (await call(p.plain, { headers: { authorization: `Bearer ${second.json.access_token}` } })).status,
        200,
      )
      assert.equal((await refresh()).status, 200)

      const forever = await protect({ enable_password_grant: true, token_expiration: 0 })
      const t = await token(forever, { ...form, provision_key: forever.provisionKey })
      assert.equal(t.status, 200, t.body)
      assert.deepEqual(Object.keys(t.json).sort(), ['access_token', 'token_type'])
      assert.equal((await admin(gw, 'GET', `/oauth2_tokens/${t.json.access_token}`)).ttl, null)
    })
  })

  describe('protected requests', () => {
    let p: Protected
    let access: string
    before(async () => {
      p = await protect({ enable_client_credentials: true, realm: 'api' })
      const res = await token(p, {
        grant_type: 'client_credentials',
        client_id: app.client_id,
        client_secret: app.client_secret,
      })
      access = res.json.access_token
    })

    it('401 without a token, and with an unknown one, with the Bearer challenges', async () => {
      const none = await call(p.plain)
      assert.equal(none.status, 401)
      assert.deepEqual(none.json, {
        error: 'invalid_request',
        error_description: 'The access token is missing',
      })
      assert.equal(none.headers['www-authenticate'], 'Bearer realm="api"')
      const unknown = await call(p.plain, { headers: { authorization: 'Bearer nope' } })
      assert.equal(unknown.status, 401)
      assert.deepEqual(unknown.json, {
        error: 'invalid_token',
        error_description: 'The access token is invalid or has expired',
      })
      assert.equal(
        unknown.headers['www-authenticate'],
        'Bearer realm="api" error="invalid_token" error_description="The access token is invalid or has expired"',
      )
    })

    it('takes the token from the query string or a form or JSON body', async () => {
      assert.equal((await call(`${p.plain}?access_token=${access}`)).status, 200)
      const form = upstreamSaw(await call(p.plain, { form: { access_token: access, a: '1' } }))
      assert.equal(form.body, `access_token=${access}&a=1`)
      assert.equal((await call(p.plain, { json: { access_token: access } })).status, 200)
    })

    it('refuses expired tokens, tokens of other services and global tokens', async () => {
      const past = Math.floor(Date.now() / 1000) - 100
      const expired = await admin(gw, 'POST', '/oauth2_tokens', {
        credential: { id: app.id },
        service: { id: p.route.serviceId },
        expires_in: 10,
        created_at: past,
      })
      const res = await call(p.plain, { headers: { authorization: `Bearer ${expired.access_token}` } })
      assert.equal(res.status, 401)
      assert.equal(res.json.error, 'invalid_token')
      const other = await admin(gw, 'POST', '/services', { name: 'elsewhere', url: up.url })
      const foreign = await admin(gw, 'POST', '/oauth2_tokens', {
        credential: { id: app.id },
        service: { id: other.id },
        expires_in: 0,
      })
      assert.equal(
        (await call(p.plain, { headers: { authorization: `Bearer ${foreign.access_token}` } })).status,
        401,
      )
      const global = await admin(gw, 'POST', '/oauth2_tokens', { credential: { id: app.id }, expires_in: 0 })
      const g = await call(p.plain, { headers: { authorization: `Bearer ${global.access_token}` } })
      assert.equal(g.status, 401)
      assert.deepEqual(g.json, {
        error: 'invalid_token',
        error_description:
          "The access token is global, but the current plugin is configured without 'global_credentials'",
      })
    })

    it('a token deleted through the Admin API stops working at once', async () => {
      const t = await admin(gw, 'POST', '/oauth2_tokens', {
        credential: { id: app.id },
        service: { id: p.route.serviceId },
        expires_in: 0,
      })
      for (let i = 0; i < 4; i++)
        assert.equal(
          (await call(p.plain, { headers: { authorization: `Bearer ${t.access_token}` } })).status,
          200,
        )
      await admin(gw, 'DELETE', `/oauth2_tokens/${t.id}`)
      for (let i = 0; i < 4; i++)
        assert.equal(
          (await call(p.plain, { headers: { authorization: `Bearer ${t.access_token}` } })).status,
          401,
        )
    })

    it('hide_credentials removes the token from the header, the query string or the form body', async () => {
      const h = await protect({ enable_client_credentials: true, hide_credentials: true })
      const t = (
        await token(h, {
          grant_type: 'client_credentials',
          client_id: app.client_id,
          client_secret: app.client_secret,
        })
      ).json.access_token
      const header = upstreamSaw(await call(h.plain, { headers: { authorization: `Bearer ${t}` } }))
      assert.equal(header.headers.authorization, undefined)
      const query = upstreamSaw(await call(`${h.plain}/x?a=1&access_token=${t}`))
      assert.equal(query.url, '/x?a=1')
      const form = upstreamSaw(await call(h.plain, { form: { a: '1', access_token: t } }))
      assert.equal(form.body, 'a=1')
      const custom = await protect({
        enable_client_credentials: true,
        hide_credentials: true,
        auth_header_name: 'x-token',
      })
      const t3 = (
        await token(
          custom,
          { grant_type: 'client_credentials' },
          { 'x-token': basic(app.client_id, app.client_secret) },
        )
      ).json.access_token
      const seen = upstreamSaw(
        await call(custom.plain, { headers: { 'x-token': `bearer ${t3}`, authorization: 'kept' } }),
      )
      assert.equal(seen.headers['x-token'], undefined)
      assert.equal(seen.headers.authorization, 'kept')
    })

    it('anonymous: a request without valid token goes on as the anonymous consumer; a missing one is a 500', async () => {
      const a = await protect({ enable_client_credentials: true, anonymous: 'anon' }, 200)
      const seen = upstreamSaw(
        await call(a.plain, { headers: { authorization: 'Bearer nope', 'x-authenticated-scope': 'forged' } }),
      )
      assert.equal(seen.headers['x-consumer-username'], 'anon')
      assert.equal(seen.headers['x-anonymous-consumer'], 'true')
      assert.equal(seen.headers['x-credential-identifier'], undefined)
      assert.equal(seen.headers['x-authenticated-scope'], undefined)
      const t = (
        await token(a, {
          grant_type: 'client_credentials',
          client_id: app.client_id,
          client_secret: app.client_secret,
        })
      ).json.access_token
      const real = upstreamSaw(await call(a.plain, { headers: { authorization: `Bearer ${t}` } }))
      assert.equal(real.headers['x-consumer-username'], 'bob')
      assert.equal(real.headers['x-anonymous-consumer'], undefined)
      const ghost = await protect({ enable_client_credentials: true, anonymous: 'ghost' }, 500)
      const res = await call(ghost.plain)
      assert.equal(res.status, 500)
      assert.equal(res.json.message, "anonymous consumer ghost is configured but doesn't exist")
    })
  })

  describe('with another authentication plugin (logical OR)', () => {
    it('does nothing but drop the scope headers when jwt (priority 1450) authenticated the request', async () => {
      await admin(gw, 'POST', '/consumers/anon/jwt', { key: 'anon-iss', secret: 'anon-jwt-secret' })
      const p = await protect({ enable_client_credentials: true, anonymous: 'anon' }, 200)
      await addPlugin(gw, { name: 'jwt', config: { anonymous: 'anon' } }, `/routes/${p.route.routeId}`)
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
      const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iss: 'anon-iss' })}`
      const sig = createHmac('sha256', 'anon-jwt-secret').update(unsigned).digest('base64url')
      const headers = {
        authorization: `Bearer ${unsigned}.${sig}`,
        'x-authenticated-scope': 'forged',
        'x-authenticated-userid': 'forged',
      }
      let seen: EchoBody | undefined
      await until(async () => {
        const res = await call(p.plain, { headers })
        seen = res.status === 200 ? (res.json as EchoBody) : undefined
        return seen?.headers['x-credential-identifier'] === 'anon-iss'
      })
      assert.equal(seen?.headers['x-consumer-username'], 'anon')
      assert.equal(seen?.headers['x-anonymous-consumer'], undefined)
      assert.equal(seen?.headers['x-authenticated-scope'], undefined)
      assert.equal(seen?.headers['x-authenticated-userid'], undefined)
    })
  })

  describe('HTTPS requirement', () => {
    it('the endpoints refuse plain HTTP unless a trusted proxy terminated TLS', async () => {
      const strict = await protect({ enable_client_credentials: true })
      const form = {
        grant_type: 'client_credentials',
        client_id: app.client_id,
        client_secret: app.client_secret,
      }
      const plain = await call(`${strict.plain}/oauth2/token`, {
        form,
        headers: { 'x-forwarded-proto': 'https' },
      })
      assert.equal(plain.status, 400)
      assert.deepEqual(plain.json, { error: 'access_denied', error_description: 'You must use HTTPS' })
      const auth = await call(`${strict.plain}/oauth2/authorize`, { form: { state: 's' } })
      assert.deepEqual(auth.json, {
        error: 'access_denied',
        error_description: 'You must use HTTPS',
        state: 's',
      })

      const terminated = await protect({
        enable_client_credentials: true,
        accept_http_if_already_terminated: true,
      })
      const ok = await call(`${terminated.plain}/oauth2/token`, {
        form,
        headers: { 'x-forwarded-proto': 'https' },
      })
      assert.equal(ok.status, 200, ok.body)
      const httpProto = await call(`${terminated.plain}/oauth2/token`, {
        form,
        headers: { 'x-forwarded-proto': 'http' },
      })
      assert.equal(httpProto.json.error_description, 'You must use HTTPS')
      const two = await call(`${terminated.plain}/oauth2/token`, {
        form,
        headers: { 'x-forwarded-proto': ['https', 'https'] },
      })
      assert.deepEqual(two.json, {
        error: 'access_denied',
        error_description: 'Only one X-Forwarded-Proto header allowed',
      })
    })
  })

  describe('global credentials', () => {
    it('tokens work on every service whose plugin has global_credentials; codes stay with their plugin', async () => {
      const a = await protect({ enable_authorization_code: true, global_credentials: true })
      const b = await protect({ enable_authorization_code: true, global_credentials: true })
      const code = await authorizeCode(a)
      const elsewhere = await token(b, {
        grant_type: 'authorization_code',
        code,
        client_id: app.client_id,
        client_secret: app.client_secret,
      })
      assert.deepEqual(elsewhere.json, { error: 'invalid_request', error_description: 'Invalid code' })
      const issued = await token(a, {
        grant_type: 'authorization_code',
        code,
        client_id: app.client_id,
        client_secret: app.client_secret,
      })
      assert.equal(issued.status, 200, issued.body)
      assert.equal((await admin(gw, 'GET', `/oauth2_tokens/${issued.json.access_token}`)).service, null)
      for (const p of [a, b])
        assert.equal(
          (await call(p.plain, { headers: { authorization: `Bearer ${issued.json.access_token}` } })).status,
          200,
        )
    })
  })
})

type Row = Record<string, unknown>

describe('oauth2 in DB-less mode', () => {
  let up: Upstream
  let gw: Gateway
  before(async () => {
    up = await startUpstream()
    gw = await startGateway({ proxy: true, env: { DATABASE: 'off' } })
  })
  after(async () => {
    await gw.stop()
    await up.close()
  })

  it('declared credentials and tokens authenticate; issuing tokens fails as in Kong', async () => {
    const config = {
      _format_version: '3.0',
      services: [
        {
          name: 'svc',
          url: up.url,
          routes: [{ name: 'r', paths: ['/api'] }],
          plugins: [
            {
              name: 'oauth2',
              config: {
                enable_client_credentials: true,
                enable_authorization_code: true,
                provision_key: 'pk',
                accept_http_if_already_terminated: true,
              },
            },
          ],
        },
      ],
      consumers: [
        {
          username: 'dora',
          oauth2_credentials: [
            {
              name: 'app',
              client_id: 'dora-app',
              client_secret: 'dora-secret',
              hash_secret: true,
              redirect_uris: ['http://dora.test/cb'],
              oauth2_tokens: [{ access_token: 'declared-token', expires_in: 0, service: 'svc' }],
            },
          ],
        },
      ],
    }
    const loaded = await request(gw.admin, 'POST', '/config', { json: config })
    assert.equal(loaded.status, 201, loaded.text)
    const stored = await admin(gw, 'GET', '/oauth2/dora-app')
    assert.match(stored.client_secret as string, /^\$pbkdf2-sha512\$/)
    await until(async () => (await call(`${gw.proxy}/api`)).status === 401)
    const seen = upstreamSaw(
      await call(`${gw.proxy}/api`, { headers: { authorization: 'Bearer declared-token' } }),
    )
    assert.equal(seen.headers['x-consumer-username'], 'dora')
    assert.equal(seen.headers['x-credential-identifier'], 'dora-app')
    // the peer is not a trusted proxy: its X-Forwarded-Proto does not count
    const untrusted = await call(`${gw.proxy}/api/oauth2/token`, {
      form: { grant_type: 'client_credentials' },
      headers: { 'x-forwarded-proto': 'https' },
    })
    assert.deepEqual(untrusted.json, { error: 'access_denied', error_description: 'You must use HTTPS' })
  })

  it('the token and authorization endpoints answer 500 once they would write', async () => {
    const restarted = await startGateway({ proxy: true, env: { DATABASE: 'off', TRUSTED_IPS: '127.0.0.1' } })
    try {
      const config = {
        _format_version: '3.0',
        services: [{ name: 'svc', url: up.url, routes: [{ paths: ['/api'] }] }],
        plugins: [
          {
            name: 'oauth2',
            config: {
              enable_client_credentials: true,
              enable_authorization_code: true,
              provision_key: 'pk',
              accept_http_if_already_terminated: true,
            },
          },
        ],
        consumers: [
          {
            username: 'dora',
            oauth2_credentials: [
              { name: 'app', client_id: 'c', client_secret: 's', redirect_uris: ['http://dora.test/cb'] },
            ],
          },
        ],
      }
      assert.equal((await request(restarted.admin, 'POST', '/config', { json: config })).status, 201)
      await until(async () => (await call(`${restarted.proxy}/api`)).status === 401)
      const headers = { 'x-forwarded-proto': 'https' }
      const issue = await call(`${restarted.proxy}/api/oauth2/token`, {
        form: { grant_type: 'client_credentials', client_id: 'c', client_secret: 's' },
        headers,
      })
      assert.equal(issue.status, 500)
      assert.equal(issue.json.message, 'An unexpected error occurred')
      const authorize = await call(`${restarted.proxy}/api/oauth2/authorize`, {
        form: { response_type: 'code', client_id: 'c', provision_key: 'pk', authenticated_userid: 'u' },
        headers,
      })
      assert.equal(authorize.status, 500)
      // what does not write still answers
      const badSecret = await call(`${restarted.proxy}/api/oauth2/token`, {
        form: { grant_type: 'client_credentials', client_id: 'c', client_secret: 'x' },
        headers,
      })
      assert.equal(badSecret.json.error, 'invalid_client')
      assert.match(restarted.errorLog(), /cannot create 'oauth2_tokens' entities when not using a database/)
    } finally {
      await restarted.stop()
    }
  })
})
