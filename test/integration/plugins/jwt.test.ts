// jwt (plugins.md §6.4) through the real gateway and a real upstream: jwt_secrets and their
// endpoints, where tokens are found, every 401 body and WWW-Authenticate variant, every
// algorithm family, registered claims, anonymous, preflight, cache invalidation. Tokens are
// signed here with jose (and node:crypto for hand-made ones).
import assert from 'node:assert/strict'
import { createHmac, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import Database from 'better-sqlite3'
import { CompactSign } from 'jose'
import { type Gateway, request, startGateway } from '../../helpers/gateway.js'
import {
  addPlugin,
  addRoute,
  echoed,
  json,
  message,
  refused,
  routeWithPlugin,
  type TestRoute,
  untilProxy,
} from '../../helpers/plugins.js'
import { admin, type ProxyResponse, send } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

const b64 = (v: unknown): string =>
  Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url')
const now = (): number => Math.floor(Date.now() / 1000)

/** A token signed with jose: HMAC secrets as strings, asymmetric algorithms with a private key. */
async function sign(
  payload: Record<string, unknown>,
  key: string | Uint8Array | KeyObject,
  alg = 'HS256',
  header: Record<string, unknown> = {},
): Promise<string> {
  const k = typeof key === 'string' ? new TextEncoder().encode(key) : key
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ typ: 'JWT', ...header, alg })
    .sign(k)
}

/** A hand-made HS256 token (any header, even without a valid alg), signed with node:crypto. */
function handMade(header: unknown, payload: unknown, secret: string): string {
  const input = `${b64(header)}.${b64(payload)}`
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
}

function pem(k: KeyObject): string {
  return k.export({ type: 'spki', format: 'pem' }) as string
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })

function body(res: ProxyResponse): Record<string, unknown> {
  return JSON.parse(res.body) as Record<string, unknown>
}

/** A 401 of the plugin: exact JSON body (kong.response.exit, no request_id) and challenge. */
function assert401(
  res: ProxyResponse,
  expected: Record<string, unknown>,
  challenge: string | undefined,
): void {
  assert.equal(res.status, 401, res.body)
  assert.deepEqual(body(res), expected)
  assert.match(String(res.headers['content-type']), /^application\/json/)
  assert.equal(res.headers['www-authenticate'], challenge)
}

const INVALID = 'Bearer error="invalid_token"'

describe('jwt', () => {
  let up: Upstream
  let gw: Gateway
  let alice: Record<string, unknown>
  /** alice's HS256 credential. */
  let cred: { id: string; key: string; secret: string }
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
  const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' })
  const ed = generateKeyPairSync('ed25519')

  before(async () => {
    up = await startUpstream()
    gw = await startGateway({ proxy: true })
    alice = await admin(gw, 'POST', '/consumers', { username: 'alice', custom_id: 'c-alice' })
    const c = await admin(gw, 'POST', '/consumers/alice/jwt', { key: 'alice-iss', secret: 'alice-secret' })
    cred = { id: c.id as string, key: c.key as string, secret: c.secret as string }
  })
  after(async () => {
    await gw.stop()
    await up.close()
  })

  const protectedRoute = (config: Record<string, unknown> = {}, status = 401): Promise<TestRoute> =>
    routeWithPlugin(gw, up.url, 'jwt', config, status)

  describe('credentials (jwt_secrets)', () => {
    it('POST /consumers/{c}/jwt generates key and secret; defaults of entities.md §16.4', async () => {
      const gen = await admin(gw, 'POST', '/consumers/alice/jwt', {})
      assert.deepEqual(Object.keys(gen).sort(), [
        'algorithm',
        'consumer',
        'created_at',
        'id',
        'key',
        'rsa_public_key',
        'secret',
        'tags',
      ])
      assert.match(gen.key as string, /^[0-9a-zA-Z]{32}$/)
      assert.match(gen.secret as string, /^[0-9a-zA-Z]{32}$/)
      assert.notEqual(gen.key, gen.secret)
      assert.equal(gen.algorithm, 'HS256')
      assert.equal(gen.rsa_public_key, null)
      assert.deepEqual(gen.consumer, { id: alice.id })
      assert.equal(typeof gen.created_at, 'number')
      const tagged = await admin(gw, 'POST', '/consumers/alice/jwt', { tags: ['tag1', 'tag2'] })
      assert.deepEqual(tagged.tags, ['tag1', 'tag2'])
    })

    it('takes the given key and secret; a duplicate key is a 409, a shared secret is fine', async () => {
      await admin(gw, 'POST', '/consumers', { username: 'bob' })
      const given = await admin(gw, 'POST', '/consumers/bob/jwt', { key: 'bob2', secret: 'tooshort' })
      assert.equal(given.key, 'bob2')
      assert.equal(given.secret, 'tooshort')
      const same = await admin(gw, 'POST', '/consumers/alice/jwt', { key: 'alice-2', secret: 'tooshort' })
      assert.equal(same.secret, 'tooshort')
      const dup = await refused(gw, '/consumers/alice/jwt', { key: 'bob2' })
      assert.equal(dup.status, 409)
      assert.equal(dup.body.name, 'unique constraint violation')
      assert.equal(dup.body.message, 'UNIQUE violation detected on \'{key="bob2"}\'')
    })

    it('RS256, PS256 and EdDSA need an rsa_public_key that parses ("invalid key")', async () => {
      for (const algorithm of ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA']) {
        const missing = await refused(gw, '/consumers/bob/jwt', { algorithm })
        assert.equal(missing.status, 400, algorithm)
        assert.equal(missing.body.name, 'schema violation')
        assert.deepEqual(missing.body.fields, {
          rsa_public_key: 'required field missing',
          '@entity': ["failed conditional validation given value of field 'algorithm'"],
        })
        const bad = await refused(gw, '/consumers/bob/jwt', { algorithm, rsa_public_key: 'test' })
        assert.equal(bad.status, 400)
        assert.deepEqual(bad.body.fields, {
          rsa_public_key: 'invalid key',
          '@entity': ["failed conditional validation given value of field 'algorithm'"],
        })
      }
      const ok = await admin(gw, 'POST', '/consumers/bob/jwt', {
        algorithm: 'RS256',
        rsa_public_key: pem(rsa.publicKey),
      })
      assert.equal(ok.algorithm, 'RS256')
      assert.equal(ok.rsa_public_key, pem(rsa.publicKey))
      const edOk = await admin(gw, 'POST', '/consumers/bob/jwt', {
        algorithm: 'EdDSA',
        rsa_public_key: pem(ed.publicKey),
      })
      assert.equal(edOk.algorithm, 'EdDSA')
      // a private key loads too (its public half is used), as with OpenSSL in Kong
      const priv = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
      assert.equal(
        (await admin(gw, 'POST', '/consumers/bob/jwt', { algorithm: 'PS256', rsa_public_key: priv }))
          .algorithm,
        'PS256',
      )
    })

    it('accepts a PEM posted form-urlencoded with CRLF line ends', async () => {
      const crlf = pem(rsa.publicKey).replace(/\n/g, '\r\n')
      const res = await request(gw.admin, 'POST', '/consumers/bob/jwt', {
        form: { key: 'bob-form', algorithm: 'RS256', rsa_public_key: crlf },
      })
      assert.equal(res.status, 201, res.text)
      assert.equal((res.body as { key: string }).key, 'bob-form')
    })

    it('ES* and HS* do not require rsa_public_key; unknown algorithms are refused', async () => {
      const es = await admin(gw, 'POST', '/consumers/bob/jwt', { algorithm: 'ES256' })
      assert.equal(es.rsa_public_key, null)
      const hs = await admin(gw, 'POST', '/consumers/bob/jwt', { key: 'bob5', algorithm: 'HS512' })
      assert.match(hs.secret as string, /^[0-9a-zA-Z]{32}$/)
      const bad = await refused(gw, '/consumers/bob/jwt', { algorithm: 'none' })
      assert.equal(bad.status, 400)
      assert.deepEqual(bad.body.fields, {
        algorithm:
          'expected one of: HS256, HS384, HS512, RS256, RS384, RS512, ES256, ES384, ES512, PS256, PS384, PS512, EdDSA',
      })
    })

    it('lists and reads through /jwts and the nested endpoints, by id or key; PUT, PATCH, DELETE', async () => {
      await admin(gw, 'POST', '/consumers', { username: 'carol' })
      const c = await admin(gw, 'POST', '/consumers/carol/jwt', { key: 'carol-key' })
      const list = await admin(gw, 'GET', '/jwts')
      assert.ok((list.data as { key: string }[]).some((x) => x.key === 'carol-key'))
      const page = await admin(gw, 'GET', '/jwts?size=1')
      assert.equal((page.data as unknown[]).length, 1)
      assert.equal(typeof page.offset, 'string')
      const nested = await admin(gw, 'GET', '/consumers/carol/jwt')
      assert.deepEqual(
        (nested.data as { id: string }[]).map((x) => x.id),
        [c.id],
      )
      assert.equal((await admin(gw, 'GET', `/jwts/${c.id}`)).key, 'carol-key')
      assert.equal((await admin(gw, 'GET', '/jwts/carol-key')).id, c.id)
      assert.equal((await admin(gw, 'GET', '/consumers/carol/jwt/carol-key')).id, c.id)
      assert.equal((await admin(gw, 'GET', `/consumers/carol/jwt/${c.id}`)).key, 'carol-key')
      assert.equal((await admin(gw, 'GET', '/jwts/carol-key/consumer')).username, 'carol')
      assert.equal((await request(gw.admin, 'GET', '/jwts/no-such-key')).status, 404)
      assert.equal((await request(gw.admin, 'GET', '/jwts/no-such-key/consumer')).status, 404)
      assert.equal((await refused(gw, '/consumers/nobody/jwt', {})).status, 404)
      // PUT by key creates; PATCH by key or id updates
      const put = await request(gw.admin, 'PUT', '/consumers/carol/jwt/abcd', { json: {} })
      assert.equal(put.status, 200, put.text)
      assert.equal((put.body as { key: string }).key, 'abcd')
      const patched = await admin(gw, 'PATCH', '/consumers/carol/jwt/carol-key', { secret: 'newsecret' })
      assert.equal(patched.secret, 'newsecret')
      const byId = await admin(gw, 'PATCH', `/jwts/${c.id}`, { secret: 'newsecret2' })
      assert.equal(byId.secret, 'newsecret2')
      assert.equal((await request(gw.admin, 'DELETE', '/consumers/carol/jwt/abcd')).status, 204)
      assert.equal((await request(gw.admin, 'GET', '/jwts/abcd')).status, 404)
      assert.equal((await request(gw.admin, 'DELETE', '/consumers/carol/jwt/blah')).status, 404)
    })

    it('top-level POST and PUT need a consumer', async () => {
      const r = await refused(gw, '/jwts', { key: 'orphan' })
      assert.equal(r.status, 400)
      assert.equal(r.body.message, 'schema violation (consumer: required field missing)')
      const put = await request(gw.admin, 'PUT', '/jwts/orphan', { json: {} })
      assert.equal(put.status, 400)
      assert.equal(
        (put.body as { message: string }).message,
        'schema violation (consumer: required field missing)',
      )
      const ok = await admin(gw, 'POST', '/jwts', { key: 'top-level', consumer: { id: alice.id } })
      assert.equal(ok.key, 'top-level')
      const t = await refused(gw, '/consumers/alice/jwt', { secret: 12 })
      assert.deepEqual(t.body.fields, { secret: 'expected a string' })
    })

    it('deleting the consumer deletes its secrets', async () => {
      await admin(gw, 'POST', '/consumers', { username: 'short-lived' })
      const c = await admin(gw, 'POST', '/consumers/short-lived/jwt', {})
      await admin(gw, 'DELETE', '/consumers/short-lived')
      assert.equal((await request(gw.admin, 'GET', `/jwts/${c.id}`)).status, 404)
    })
  })

  describe('plugin configuration', () => {
    it('fills the defaults of plugins.md §6.4', async () => {
      const r = await addRoute(gw, up.url)
      const p = await addPlugin(gw, { name: 'jwt' }, `/routes/${r.routeId}`)
      assert.deepEqual(p.config, {
        uri_param_names: ['jwt'],
        cookie_names: [],
        key_claim_name: 'iss',
        secret_is_base64: false,
        claims_to_verify: null,
        anonymous: null,
        run_on_preflight: true,
        maximum_expiration: 0,
        header_names: ['authorization'],
        realm: null,
      })
      assert.deepEqual(p.protocols, ['grpc', 'grpcs', 'http', 'https'])
    })

    it('maximum_expiration: 0..31536000, and only with exp in claims_to_verify', async () => {
      for (const v of [-1, 31536001]) {
        const r = await refused(gw, '/plugins', {
          name: 'jwt',
          config: { maximum_expiration: v, claims_to_verify: ['exp', 'nbf'] },
        })
        assert.equal(r.status, 400)
        assert.deepEqual(r.body.fields, {
          config: { maximum_expiration: 'value should be between 0 and 31536000' },
        })
      }
      const noExp = await refused(gw, '/plugins', {
        name: 'jwt',
        config: { maximum_expiration: 60, claims_to_verify: ['nbf'] },
      })
      assert.equal(noExp.status, 400)
      assert.deepEqual(noExp.body.fields, {
        config: { claims_to_verify: 'expected to contain: exp' },
        '@entity': ["failed conditional validation given value of field 'config.maximum_expiration'"],
      })
      const r = await addRoute(gw, up.url)
      const ok = await addPlugin(
        gw,
        { name: 'jwt', config: { maximum_expiration: 60, claims_to_verify: ['exp', 'nbf'] } },
        `/routes/${r.routeId}`,
      )
      assert.equal((ok.config as { maximum_expiration: number }).maximum_expiration, 60)
    })

    it('refuses bad field values and consumer scoping', async () => {
      const claims = await refused(gw, '/plugins', { name: 'jwt', config: { claims_to_verify: ['iat'] } })
      assert.equal(claims.status, 400)
      assert.deepEqual(claims.body.fields, { config: { claims_to_verify: ['expected one of: exp, nbf'] } })
      const flag = await refused(gw, '/plugins', { name: 'jwt', config: { secret_is_base64: 'yes' } })
      assert.deepEqual(flag.body.fields, { config: { secret_is_base64: 'expected a boolean' } })
      const names = await refused(gw, '/plugins', { name: 'jwt', config: { header_names: 'authorization' } })
      assert.equal(names.status, 400)
      assert.deepEqual(names.body.fields, { config: { header_names: 'expected a set' } })
      const scoped = await refused(gw, '/plugins', { name: 'jwt', consumer: { id: alice.id } })
      assert.equal(scoped.status, 400)
      assert.equal((scoped.body.fields as Record<string, unknown>).consumer, 'value must be null')
      const proto = await refused(gw, '/plugins', { name: 'jwt', protocols: ['tcp'] })
      assert.equal(proto.status, 400)
    })
  })

  describe('proxying', () => {
    it('401 {"message":"Unauthorized"} with WWW-Authenticate: Bearer when no token is found', async () => {
      const r = await protectedRoute()
      assert401(await send(r.url), { message: 'Unauthorized' }, 'Bearer')
      // an empty query value, a non-Bearer header and an empty Bearer are no token either
      assert401(await send(`${r.url}?jwt=`), { message: 'Unauthorized' }, 'Bearer')
      assert401(
        await send(r.url, { headers: { authorization: 'Basic abc' } }),
        { message: 'Unauthorized' },
        'Bearer',
      )
      assert401(
        await send(r.url, { headers: { authorization: 'Bearer' } }),
        { message: 'Unauthorized' },
        'Bearer',
      )
    })

    it('realm goes into every WWW-Authenticate variant', async () => {
      const r = await protectedRoute({ realm: 'silverback' })
      assert401(await send(r.url), { message: 'Unauthorized' }, 'Bearer realm="silverback"')
      const bad = await send(r.url, { headers: bearer('not-a-token') })
      assert401(
        bad,
        { message: 'Bad token; invalid JSON' },
        'Bearer realm="silverback", error="invalid_token"',
      )
    })

    it('authenticates from the Authorization header; consumer headers go upstream; the token stays', async () => {
      const r = await protectedRoute()
      const token = await sign({ iss: cred.key }, cred.secret)
      const e = echoed(await send(r.url, { headers: bearer(token) }))
      assert.equal(e.headers['x-consumer-id'], alice.id)
      assert.equal(e.headers['x-consumer-username'], 'alice')
      assert.equal(e.headers['x-consumer-custom-id'], 'c-alice')
      assert.equal(e.headers['x-credential-identifier'], cred.key)
      assert.equal(e.headers['x-anonymous-consumer'], undefined)
      assert.equal(e.headers.authorization, `Bearer ${token}`)
      // lower-case "bearer", and "Bearer" anywhere in the value (Kong's unanchored match)
      assert.equal((await send(r.url, { headers: { authorization: `bearer ${token}` } })).status, 200)
      assert.equal((await send(r.url, { headers: { authorization: `Token Bearer ${token}` } })).status, 200)
    })

    it('kong.ctx.shared.authenticated_jwt_token holds the raw token for later plugins', async () => {
      const r = await addRoute(gw, up.url)
      await addPlugin(gw, { name: 'jwt' }, `/routes/${r.routeId}`)
      await addPlugin(
        gw,
        {
          name: 'post-function',
          config: {
            access: [
              "kong.service.request.setHeader('x-jwt-token', String(kong.ctx.shared.authenticated_jwt_token))",
            ],
          },
        },
        `/routes/${r.routeId}`,
      )
      await untilProxy(r.url, 401)
      const token = await sign({ iss: cred.key }, cred.secret)
      assert.equal(echoed(await send(`${r.url}?jwt=${token}`)).headers['x-jwt-token'], token)
    })

    it('clients cannot forge the consumer headers', async () => {
      const r = await protectedRoute()
      const token = await sign({ iss: cred.key }, cred.secret)
      const e = echoed(
        await send(r.url, {
          headers: {
            ...bearer(token),
            'x-consumer-id': 'forged',
            'x-credential-identifier': 'forged',
            'x-anonymous-consumer': 'true',
          },
        }),
      )
      assert.equal(e.headers['x-consumer-id'], alice.id)
      assert.equal(e.headers['x-credential-identifier'], cred.key)
      assert.equal(e.headers['x-anonymous-consumer'], undefined)
    })

    it('uri_param_names: the jwt query argument by default, custom names, none at all', async () => {
      const token = await sign({ iss: cred.key }, cred.secret)
      const r = await protectedRoute()
      const e = echoed(await send(`${r.url}?jwt=${token}`))
      assert.equal(e.headers['x-credential-identifier'], cred.key)
      assert.equal(e.url, `/?jwt=${token}`)
      const custom = await protectedRoute({ uri_param_names: ['token', 'jwt'] })
      assert.equal((await send(`${custom.url}?token=${token}`)).status, 200)
      assert.equal((await send(`${custom.url}?jwt=${token}`)).status, 200)
      const none = await protectedRoute({ uri_param_names: [] })
      assert401(await send(`${none.url}?jwt=${token}`), { message: 'Unauthorized' }, 'Bearer')
    })

    it('a valueless query argument is an unrecognizable token (as in Kong)', async () => {
      const r = await protectedRoute()
      assert401(await send(`${r.url}?jwt`), { message: 'Unrecognizable token' }, INVALID)
    })

    it('cookie_names: tokens in cookies, with the realm in the challenge', async () => {
      const r = await protectedRoute({ cookie_names: ['silly', 'crumble'], realm: 'test-jwt' })
      const token = await sign({ iss: cred.key }, cred.secret)
      for (const name of ['crumble', 'silly']) {
        const res = await send(r.url, {
          headers: { cookie: `other=1; ${name}=${token}; path=/;domain=.jwt9.test` },
        })
        assert.equal(echoed(res).headers['x-credential-identifier'], cred.key)
      }
      const wrong = await sign({ iss: 'incorrect-issuer' }, cred.secret)
      assert401(
        await send(r.url, { headers: { cookie: `silly=${wrong}` } }),
        { message: "No credentials found for given 'iss'" },
        'Bearer realm="test-jwt", error="invalid_token"',
      )
      assert401(
        await send(r.url, { headers: { cookie: `silly=no-way-this-works${token}` } }),
        { message: 'Bad token; invalid JSON' },
        'Bearer realm="test-jwt", error="invalid_token"',
      )
      // the header still works next to cookies; no cookie and no header → the plain challenge
      assert.equal((await send(r.url, { headers: bearer(token) })).status, 200)
      assert401(
        await send(r.url, { headers: { cookie: 'unrelated=1' } }),
        { message: 'Unauthorized' },
        'Bearer realm="test-jwt"',
      )
    })

    it('header_names: custom headers, first occurrence of a repeated header; authorization is then ignored', async () => {
      const r = await protectedRoute({ header_names: ['CustomAuthorization'] })
      const token = await sign({ iss: cred.key }, cred.secret)
      assert.equal((await send(r.url, { headers: { customauthorization: `Bearer ${token}` } })).status, 200)
      assert.equal(
        (await send(r.url, { headers: { CustomAuthorization: [`Bearer ${token}`, 'Bearer other-token'] } }))
          .status,
        200,
      )
      assert401(await send(r.url, { headers: bearer(token) }), { message: 'Unauthorized' }, 'Bearer')
    })

    it('401 "Multiple tokens provided" for distinct tokens; the same token twice is fine', async () => {
      const r = await protectedRoute({ cookie_names: ['jwt'] })
      const token = await sign({ iss: cred.key }, cred.secret)
      assert401(
        await send(`${r.url}?jwt=${token}`, { headers: { authorization: 'Bearer invalid.jwt.token' } }),
        { message: 'Multiple tokens provided' },
        INVALID,
      )
      assert401(
        await send(`${r.url}?jwt=${token}&jwt=other`),
        { message: 'Multiple tokens provided' },
        INVALID,
      )
      assert.equal(
        (await send(`${r.url}?jwt=${token}`, { headers: { ...bearer(token), cookie: `jwt=${token}` } }))
          .status,
        200,
      )
    })

    it('401 "Bad token; ..." when the token cannot be decoded', async () => {
      const r = await protectedRoute()
      const cases: [string, string][] = [
        ['no-way-this-works', 'invalid JSON'],
        ['abc.def', 'invalid JSON'],
        [`${b64('not json')}.${b64({ iss: cred.key })}.sig`, 'invalid JSON'],
        [`${b64({ alg: 'HS256' })}.${b64('{')}.sig`, 'invalid JSON'],
        [`${b64({ alg: 'HS256' })}.a+b.sig`, 'invalid JSON'],
        [handMade({ typ: 'JWT' }, { iss: cred.key }, cred.secret), 'invalid alg'],
        [handMade({ alg: 'none' }, { iss: cred.key }, cred.secret), 'invalid alg'],
        [handMade({ alg: 256 }, { iss: cred.key }, cred.secret), 'invalid alg'],
        [handMade(['HS256'], { iss: cred.key }, cred.secret), 'invalid alg'],
        [`${b64({ alg: 'HS256' })}.${b64({ iss: cred.key })}.a+b`, 'invalid signature'],
        [`${b64({ alg: 'HS256' })}.${b64({ iss: cred.key })}.sig.extra`, 'invalid signature'],
      ]
      for (const [token, error] of cases) {
        assert401(await send(r.url, { headers: bearer(token) }), { message: `Bad token; ${error}` }, INVALID)
      }
    })

    it('401 when the key claim is missing or empty', async () => {
      const r = await protectedRoute()
      assert401(
        await send(r.url, { headers: bearer(await sign({ sub: 'x' }, cred.secret)) }),
        { message: "No mandatory 'iss' in claims" },
        INVALID,
      )
      assert401(
        await send(r.url, { headers: bearer(await sign({ iss: false }, cred.secret)) }),
        { message: "No mandatory 'iss' in claims" },
        INVALID,
      )
      assert401(
        await send(r.url, { headers: bearer(await sign({ iss: '' }, cred.secret)) }),
        { message: "Invalid 'iss' in claims" },
        INVALID,
      )
      // a claims part that is JSON but not an object has no claims
      assert401(
        await send(r.url, { headers: bearer(handMade({ alg: 'HS256' }, ['x'], cred.secret)) }),
        { message: "No mandatory 'iss' in claims" },
        INVALID,
      )
    })

    it('401 "No credentials found for given \'<claim>\'" for an unknown key', async () => {
      const r = await protectedRoute()
      for (const iss of ['nobody', 42, null, { a: 1 }]) {
        assert401(
          await send(r.url, { headers: bearer(await sign({ iss }, cred.secret)) }),
          { message: "No credentials found for given 'iss'" },
          INVALID,
        )
      }
    })

    it('key_claim_name: read from the payload first, then from the JWT header', async () => {
      const r = await protectedRoute({ key_claim_name: 'aud' })
      assert.equal(
        (await send(r.url, { headers: bearer(await sign({ aud: cred.key }, cred.secret)) })).status,
        200,
      )
      assert401(
        await send(r.url, { headers: bearer(await sign({ iss: cred.key }, cred.secret)) }),
        { message: "No mandatory 'aud' in claims" },
        INVALID,
      )
      const kid = await protectedRoute({ key_claim_name: 'kid' })
      const inHeader = await sign({ sub: 'x' }, cred.secret, 'HS256', { kid: cred.key })
      assert.equal(
        echoed(await send(kid.url, { headers: bearer(inHeader) })).headers['x-credential-identifier'],
        cred.key,
      )
      // the payload wins over the header
      const both = await sign({ kid: 'unknown-key' }, cred.secret, 'HS256', { kid: cred.key })
      assert401(
        await send(kid.url, { headers: bearer(both) }),
        { message: "No credentials found for given 'kid'" },
        INVALID,
      )
    })

    it('401 "Invalid algorithm" when the token alg differs from the credential', async () => {
      const r = await protectedRoute()
      assert401(
        await send(r.url, { headers: bearer(await sign({ iss: cred.key }, cred.secret, 'HS512')) }),
        { message: 'Invalid algorithm' },
        INVALID,
      )
    })

    it('401 "Invalid signature" for a wrong secret or a tampered token', async () => {
      const r = await protectedRoute()
      assert401(
        await send(r.url, { headers: bearer(await sign({ iss: cred.key }, 'wrong-secret')) }),
        { message: 'Invalid signature' },
        INVALID,
      )
      const token = await sign({ iss: cred.key, admin: false }, cred.secret)
      const [h, , s] = token.split('.')
      const tampered = `${h}.${b64({ iss: cred.key, admin: true })}.${s}`
      assert401(await send(r.url, { headers: bearer(tampered) }), { message: 'Invalid signature' }, INVALID)
      const empty = `${h}.${b64({ iss: cred.key })}.`
      assert401(await send(r.url, { headers: bearer(empty) }), { message: 'Invalid signature' }, INVALID)
    })

    it('secret_is_base64: the stored secret is base64url-decoded; undecodable → "Invalid key/secret"', async () => {
      await admin(gw, 'POST', '/consumers', { username: 'b64' })
      const original = 'my original secret!'
      const encoded = Buffer.from(original).toString('base64url')
      await admin(gw, 'POST', '/consumers/b64/jwt', { key: 'b64-key', secret: encoded })
      await admin(gw, 'POST', '/consumers/b64/jwt', { key: 'b64-bad', secret: 'a+b/c==' })
      const r = await protectedRoute({ secret_is_base64: true })
      const e = echoed(await send(r.url, { headers: bearer(await sign({ iss: 'b64-key' }, original)) }))
      assert.equal(e.headers['x-consumer-username'], 'b64')
      assert.equal(e.headers['x-credential-identifier'], 'b64-key')
      assert401(
        await send(r.url, { headers: bearer(await sign({ iss: 'b64-key' }, encoded)) }),
        { message: 'Invalid signature' },
        INVALID,
      )
      assert401(
        await send(r.url, { headers: bearer(await sign({ iss: 'b64-bad' }, 'a+b/c==')) }),
        { message: 'Invalid key/secret' },
        INVALID,
      )
      // without the flag the secret is used as is
      const plain = await protectedRoute()
      assert.equal(
        (await send(plain.url, { headers: bearer(await sign({ iss: 'b64-key' }, encoded)) })).status,
        200,
      )
    })

    it('HS256, HS384 and HS512', async () => {
      const r = await protectedRoute()
      for (const algorithm of ['HS256', 'HS384', 'HS512']) {
        const c = await admin(gw, 'POST', '/consumers/alice/jwt', { algorithm })
        const token = await sign({ iss: c.key }, c.secret as string, algorithm)
        assert.equal(
          echoed(await send(r.url, { headers: bearer(token) })).headers['x-credential-identifier'],
          c.key,
        )
        assert401(
          await send(r.url, { headers: bearer(await sign({ iss: c.key }, 'not-it', algorithm)) }),
          { message: 'Invalid signature' },
          INVALID,
        )
      }
    })

    it('RS256/384/512, PS256/384/512, ES256/384/512 and EdDSA verify with the public key', async () => {
      await admin(gw, 'POST', '/consumers', { username: 'asym' })
      const r = await protectedRoute()
      const pairs: [string, { publicKey: KeyObject; privateKey: KeyObject }][] = [
        ['RS256', rsa],
        ['RS384', rsa],
        ['RS512', rsa],
        ['PS256', rsa],
        ['PS384', rsa],
        ['PS512', rsa],
        ['ES256', p256],
        ['ES384', p384],
        ['ES512', p521],
        ['EdDSA', ed],
      ]
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
      for (const [algorithm, pair] of pairs) {
        const key = `asym-${algorithm}`
        await admin(gw, 'POST', '/consumers/asym/jwt', {
          key,
          algorithm,
          rsa_public_key: pem(pair.publicKey),
        })
        const token = await sign({ iss: key }, pair.privateKey, algorithm)
        const e = echoed(await send(r.url, { headers: bearer(token) }))
        assert.equal(e.headers['x-consumer-username'], 'asym', algorithm)
        assert.equal(e.headers['x-credential-identifier'], key)
        // a token signed by another key, or carrying another algorithm's signature
        if (algorithm.startsWith('RS') || algorithm.startsWith('PS')) {
          assert401(
            await send(r.url, { headers: bearer(await sign({ iss: key }, other.privateKey, algorithm)) }),
            { message: 'Invalid signature' },
            INVALID,
          )
        }
        const [h, c] = token.split('.')
        const forged = `${h}.${c}.${createHmac('sha256', 'x').update(`${h}.${c}`).digest('base64url')}`
        assert401(await send(r.url, { headers: bearer(forged) }), { message: 'Invalid signature' }, INVALID)
      }
      // the HMAC "secret" of an RS256 credential is not a key for it: alg must match
      const rs = await admin(gw, 'GET', '/jwts/asym-RS256')
      assert401(
        await send(r.url, { headers: bearer(await sign({ iss: 'asym-RS256' }, rs.secret as string)) }),
        { message: 'Invalid algorithm' },
        INVALID,
      )
    })

    it('an ES256 credential without a public key → "Invalid key/secret"; with one that does not load → 500', async () => {
      await admin(gw, 'POST', '/consumers/bob/jwt', { key: 'es-no-key', algorithm: 'ES256' })
      const r = await protectedRoute()
      const token = await sign({ iss: 'es-no-key' }, p256.privateKey, 'ES256')
      assert401(await send(r.url, { headers: bearer(token) }), { message: 'Invalid key/secret' }, INVALID)
      // ES* keys are not validated on write (Kong's entity check skips them); one that does not
      // load is a server-side error, as in Kong
      await admin(gw, 'POST', '/consumers/bob/jwt', {
        key: 'es-bad-key',
        algorithm: 'ES256',
        rsa_public_key: 'nope',
      })
      const broken = await send(r.url, {
        headers: bearer(await sign({ iss: 'es-bad-key' }, p256.privateKey, 'ES256')),
      })
      assert.equal(broken.status, 500)
      assert.equal(message(broken), 'An unexpected error occurred')
    })

    it('claims_to_verify: exp and nbf must be numbers, not expired, already valid (error map body)', async () => {
      const r = await protectedRoute({ claims_to_verify: ['exp', 'nbf'] })
      const go = async (claims: Record<string, unknown>) =>
        send(r.url, { headers: bearer(await sign({ iss: cred.key, ...claims }, cred.secret)) })
      assert401(await go({}), { exp: 'must be a number', nbf: 'must be a number' }, INVALID)
      assert401(await go({ exp: String(now() + 60), nbf: now() - 10 }), { exp: 'must be a number' }, INVALID)
      assert401(await go({ exp: now() - 10, nbf: now() - 10 }), { exp: 'token expired' }, INVALID)
      assert401(await go({ exp: now() + 60, nbf: now() + 60 }), { nbf: 'token not valid yet' }, INVALID)
      assert401(
        await go({ exp: now() - 10, nbf: now() + 60 }),
        { exp: 'token expired', nbf: 'token not valid yet' },
        INVALID,
      )
      assert.equal((await go({ exp: now() + 60, nbf: now() - 10 })).status, 200)
      // without claims_to_verify, an expired token passes
      const lax = await protectedRoute()
      assert.equal(
        (
          await send(lax.url, {
            headers: bearer(await sign({ iss: cred.key, exp: now() - 10 }, cred.secret)),
          })
        ).status,
        200,
      )
      // with a realm
      const realm = await protectedRoute({ claims_to_verify: ['exp'], realm: 'r' })
      assert401(
        await send(realm.url, { headers: bearer(await sign({ iss: cred.key, exp: 1 }, cred.secret)) }),
        { exp: 'token expired' },
        'Bearer realm="r", error="invalid_token"',
      )
    })

    it('maximum_expiration: a token living longer is refused', async () => {
      const r = await protectedRoute({ claims_to_verify: ['nbf', 'exp'], maximum_expiration: 300 })
      const go = async (exp: number) =>
        send(`${r.url}?jwt=${await sign({ iss: cred.key, exp, nbf: now() - 30 }, cred.secret)}`)
      assert401(await go(now() + 3600), { exp: 'exceeds maximum allowed expiration' }, INVALID)
      assert.equal((await go(now() + 270)).status, 200)
    })

    it('401 "Could not find consumer for \'<claim>=<key>\'" without a challenge when the consumer is gone', async () => {
      const ghost = await admin(gw, 'POST', '/consumers', { username: 'ghost-owner' })
      await admin(gw, 'POST', '/consumers/ghost-owner/jwt', { key: 'ghost-key', secret: 'ghost-secret' })
      // remove the consumer behind the store's back, without the cascade
      const db = new Database(join(gw.prefix, 'silverback.db'))
      try {
        db.pragma('busy_timeout = 5000')
        db.pragma('foreign_keys = OFF')
        db.prepare('DELETE FROM consumers WHERE id = ?').run(ghost.id)
      } finally {
        db.close()
      }
      const r = await protectedRoute()
      const res = await send(r.url, { headers: bearer(await sign({ iss: 'ghost-key' }, 'ghost-secret')) })
      assert401(res, { message: "Could not find consumer for 'iss=ghost-key'" }, undefined)
    })

    it('run_on_preflight = false lets OPTIONS through unauthenticated', async () => {
      const on = await protectedRoute()
      assert401(await send(on.url, { method: 'OPTIONS' }), { message: 'Unauthorized' }, 'Bearer')
      const off = await protectedRoute({ run_on_preflight: false })
      const e = echoed(await send(off.url, { method: 'OPTIONS' }))
      assert.equal(e.method, 'OPTIONS')
      assert.equal(e.headers['x-consumer-id'], undefined)
      assert401(await send(off.url), { message: 'Unauthorized' }, 'Bearer')
    })

    it('anonymous: by id or username on failure; the real consumer with a valid token; 500 when missing', async () => {
      const missing = await protectedRoute({ anonymous: 'ghost' }, 500)
      const res = await send(missing.url)
      assert.equal(res.status, 500)
      assert.equal(message(res), "anonymous consumer ghost is configured but doesn't exist")
      const anon = await admin(gw, 'POST', '/consumers', { username: 'no-body' })
      const token = await sign({ iss: cred.key }, cred.secret)
      for (const anonymous of [anon.id, 'no-body']) {
        const r = await protectedRoute({ anonymous }, 200)
        for (const headers of [{}, bearer('garbage'), bearer(await sign({ iss: cred.key }, 'wrong'))]) {
          const e = echoed(await send(r.url, { headers }))
          assert.equal(e.headers['x-consumer-id'], anon.id)
          assert.equal(e.headers['x-consumer-username'], 'no-body')
          assert.equal(e.headers['x-anonymous-consumer'], 'true')
          assert.equal(e.headers['x-credential-identifier'], undefined)
        }
        const e = echoed(await send(r.url, { headers: bearer(token) }))
        assert.equal(e.headers['x-consumer-id'], alice.id)
        assert.equal(e.headers['x-credential-identifier'], cred.key)
        assert.equal(e.headers['x-anonymous-consumer'], undefined)
      }
    })

    it('with key-auth and no anonymous (logical AND), both credentials are needed', async () => {
      await admin(gw, 'POST', '/consumers/alice/key-auth', { key: 'alice-api-key' })
      const r = await addRoute(gw, up.url)
      await addPlugin(gw, { name: 'jwt' }, `/routes/${r.routeId}`)
      await addPlugin(gw, { name: 'key-auth' }, `/routes/${r.routeId}`)
      await untilProxy(r.url, 401)
      const token = await sign({ iss: cred.key }, cred.secret)
      assert.equal(
        (await send(r.url, { headers: { ...bearer(token), apikey: 'alice-api-key' } })).status,
        200,
      )
      assert401(
        await send(r.url, { headers: { apikey: 'alice-api-key' } }),
        { message: 'Unauthorized' },
        'Bearer',
      )
      const onlyJwt = await send(r.url, { headers: bearer(token) })
      assert.equal(onlyJwt.status, 401)
      assert.equal(onlyJwt.headers['www-authenticate'], 'Key')
    })

    it('sees secret changes at once (cache invalidation), including negative entries', async () => {
      const r = await protectedRoute()
      const token = await sign({ iss: 'late-key' }, 'late-secret')
      assert401(
        await send(r.url, { headers: bearer(token) }),
        { message: "No credentials found for given 'iss'" },
        INVALID,
      )
      const c = await admin(gw, 'POST', '/consumers/alice/jwt', { key: 'late-key', secret: 'late-secret' })
      await untilProxy(r.url, 200, { headers: bearer(token) })
      await admin(gw, 'PATCH', `/jwts/${c.id}`, { secret: 'rotated' })
      const after = await untilProxy(r.url, 401, { headers: bearer(token) })
      assert.deepEqual(json(after), { message: 'Invalid signature' })
      await untilProxy(r.url, 200, { headers: bearer(await sign({ iss: 'late-key' }, 'rotated')) })
      await admin(gw, 'DELETE', `/jwts/${c.id}`)
      await untilProxy(r.url, 401, { headers: bearer(await sign({ iss: 'late-key' }, 'rotated')) })
    })

    it('a plugin on the service protects its routes; disabling it opens them', async () => {
      const r = await addRoute(gw, up.url)
      const p = await addPlugin(gw, { name: 'jwt' }, `/services/${r.serviceId}`)
      await untilProxy(r.url, 401)
      assert.equal(
        (await send(r.url, { headers: bearer(await sign({ iss: cred.key }, cred.secret)) })).status,
        200,
      )
      await admin(gw, 'PATCH', `/plugins/${p.id}`, { enabled: false })
      await untilProxy(r.url, 200)
    })
  })
})
