// basic-auth (plugins.md §6.3) through the real gateway and a real upstream: credentials and their
// endpoints (hashed passwords), every 401, Proxy-Authorization preference, hide_credentials,
// anonymous, consumer headers and cache invalidation.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { type Gateway, request, startGateway } from '../../helpers/gateway.js'
import {
  addPlugin,
  addRoute,
  echoed,
  message,
  refused,
  routeWithPlugin,
  type TestRoute,
  untilProxy,
} from '../../helpers/plugins.js'
import { admin, send } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex')
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

describe('basic-auth', () => {
  let up: Upstream
  let gw: Gateway
  let alice: Record<string, unknown>
  before(async () => {
    up = await startUpstream()
    gw = await startGateway({ proxy: true })
    alice = await admin(gw, 'POST', '/consumers', { username: 'alice', custom_id: 'c-alice' })
  })
  after(async () => {
    await gw.stop()
    await up.close()
  })

  const protectedRoute = (config: Record<string, unknown> = {}, status = 401): Promise<TestRoute> =>
    routeWithPlugin(gw, up.url, 'basic-auth', config, status)

  describe('credentials', () => {
    it('POST /consumers/{c}/basic-auth stores and returns the SHA-1 of password .. consumer_id', async () => {
      const c = await admin(gw, 'POST', '/consumers/alice/basic-auth', {
        username: 'alice-1',
        password: 'kong',
      })
      assert.deepEqual(c.consumer, { id: alice.id })
      assert.equal(c.username, 'alice-1')
      assert.equal(c.password, sha1(`kong${alice.id}`))
      assert.equal(c.tags, null)
      assert.equal(typeof c.created_at, 'number')
      // whitespace is kept; a form body works too
      const spaced = await admin(gw, 'POST', '/consumers/alice/basic-auth', {
        username: 'alice-2',
        password: ' kong ',
      })
      assert.equal(spaced.password, sha1(` kong ${alice.id}`))
      const form = await request(gw.admin, 'POST', '/consumers/alice/basic-auth', {
        form: { username: 'alice-form', password: 's3cret' },
      })
      assert.equal(form.status, 201, form.text)
      assert.equal((form.body as Record<string, unknown>).password, sha1(`s3cret${alice.id}`))
      // reads never show the password in clear either
      const read = await admin(gw, 'GET', '/basic-auths/alice-form')
      assert.equal(read.password, sha1(`s3cret${alice.id}`))
      assert.ok(!JSON.stringify(await admin(gw, 'GET', '/basic-auths')).includes('s3cret'))
    })

    it('refuses missing fields, duplicates and a credential without a consumer, in Kong format', async () => {
      const empty = await refused(gw, '/consumers/alice/basic-auth', {})
      assert.equal(empty.status, 400)
      assert.equal(empty.body.name, 'schema violation')
      assert.deepEqual(empty.body.fields, {
        username: 'required field missing',
        password: 'required field missing',
      })
      await admin(gw, 'POST', '/consumers/alice/basic-auth', { username: 'dup', password: 'x' })
      const dup = await refused(gw, '/consumers/alice/basic-auth', { username: 'dup', password: 'y' })
      assert.equal(dup.status, 409)
      assert.equal(dup.body.message, 'UNIQUE violation detected on \'{username="dup"}\'')
      const orphan = await refused(gw, '/basic-auths', { username: 'orphan' })
      assert.equal(orphan.status, 400)
      assert.equal(
        orphan.body.message,
        '2 schema violations (consumer: required field missing; password: required field missing)',
      )
      const put = await request(gw.admin, 'PUT', '/basic-auths/orphan', { json: {} })
      assert.equal(put.status, 400)
      assert.equal(
        (put.body as Record<string, unknown>).message,
        '2 schema violations (consumer: required field missing; password: required field missing)',
      )
      const types = await request(
        gw.admin,
        'PUT',
        '/consumers/alice/basic-auth/b59d82f6-c839-4a60-b491-c6cdff4cd5d3',
        {
          json: { username: 123 },
        },
      )
      assert.equal(types.status, 400)
      assert.deepEqual((types.body as Record<string, unknown>).fields, {
        username: 'expected a string',
        password: 'required field missing',
      })
      const missingConsumer = await refused(gw, '/consumers/nobody/basic-auth', {
        username: 'n',
        password: 'p',
      })
      assert.equal(missingConsumer.status, 404)
    })

    it('reads credentials by id or username, top-level, nested and through /consumer', async () => {
      const c = await admin(gw, 'POST', '/consumers/alice/basic-auth', {
        username: 'alice-read',
        password: 'p',
      })
      assert.equal((await admin(gw, 'GET', `/basic-auths/${c.id}`)).username, 'alice-read')
      assert.equal((await admin(gw, 'GET', '/basic-auths/alice-read')).id, c.id)
      assert.equal((await admin(gw, 'GET', `/consumers/alice/basic-auth/${c.id}`)).id, c.id)
      assert.equal((await admin(gw, 'GET', '/consumers/alice/basic-auth/alice-read')).id, c.id)
      const nested = await admin(gw, 'GET', '/consumers/alice/basic-auth')
      assert.ok((nested.data as { id: string }[]).some((x) => x.id === c.id))
      assert.equal((await admin(gw, 'GET', '/basic-auths/alice-read/consumer')).username, 'alice')
      assert.equal((await request(gw.admin, 'GET', '/basic-auths/nobody')).status, 404)
      assert.equal((await request(gw.admin, 'GET', '/basic-auths/nobody/consumer')).status, 404)
      // a credential is not reachable under another consumer
      await admin(gw, 'POST', '/consumers', { username: 'other-reader' })
      assert.equal((await request(gw.admin, 'GET', `/consumers/other-reader/basic-auth/${c.id}`)).status, 404)
      assert.equal(
        (await request(gw.admin, 'DELETE', `/consumers/other-reader/basic-auth/${c.id}`)).status,
        404,
      )
    })

    it('PUT/PATCH re-hash a given password and keep the hash otherwise', async () => {
      const put = await admin(gw, 'PUT', '/consumers/alice/basic-auth/alice-put', { password: 'one' })
      assert.equal(put.username, 'alice-put')
      assert.equal(put.password, sha1(`one${alice.id}`))
      const renamed = await admin(gw, 'PATCH', `/consumers/alice/basic-auth/${put.id}`, {
        username: 'alice-put2',
      })
      assert.equal(renamed.username, 'alice-put2')
      assert.equal(renamed.password, put.password)
      const changed = await admin(gw, 'PATCH', '/consumers/alice/basic-auth/alice-put2', { password: 'two' })
      assert.equal(changed.password, sha1(`two${alice.id}`))
      const top = await admin(gw, 'PUT', '/basic-auths/alice-put2', {
        password: 'three',
        consumer: { id: alice.id },
      })
      assert.equal(top.password, sha1(`three${alice.id}`))
      const bad = await request(gw.admin, 'PATCH', `/consumers/alice/basic-auth/${put.id}`, {
        json: { username: 123 },
      })
      assert.equal(bad.status, 400)
      assert.deepEqual((bad.body as Record<string, unknown>).fields, { username: 'expected a string' })
    })

    it('moving a credential to another consumer needs the password (the hash is salted with the consumer)', async () => {
      const john = await admin(gw, 'POST', '/consumers', { username: 'john' })
      await admin(gw, 'POST', '/consumers/alice/basic-auth', { username: 'alice-move', password: 'pw' })
      const res = await request(gw.admin, 'PATCH', '/basic-auths/alice-move', {
        json: { consumer: { id: john.id } },
      })
      assert.equal(res.status, 400)
      assert.equal(
        (res.body as Record<string, unknown>).message,
        "schema violation (all or none of these fields must be set: 'password', 'consumer.id')",
      )
      const moved = await admin(gw, 'PATCH', '/basic-auths/alice-move', {
        password: 'pw',
        consumer: { id: john.id },
      })
      assert.deepEqual(moved.consumer, { id: john.id })
      assert.equal(moved.password, sha1(`pw${john.id}`))
    })

    it('deleting the consumer deletes its credentials', async () => {
      await admin(gw, 'POST', '/consumers', { username: 'short-lived' })
      const c = await admin(gw, 'POST', '/consumers/short-lived/basic-auth', {
        username: 'sl',
        password: 'p',
      })
      await admin(gw, 'DELETE', '/consumers/short-lived')
      assert.equal((await request(gw.admin, 'GET', `/basic-auths/${c.id}`)).status, 404)
      assert.equal((await request(gw.admin, 'DELETE', '/basic-auths/sl')).status, 204)
    })
  })

  describe('plugin configuration', () => {
    it('fills the defaults of plugins.md §6.3', async () => {
      const r = await addRoute(gw, up.url)
      const p = await addPlugin(gw, { name: 'basic-auth' }, `/routes/${r.routeId}`)
      assert.deepEqual(p.config, { anonymous: null, hide_credentials: false, realm: 'service' })
      assert.deepEqual(p.protocols, ['grpc', 'grpcs', 'http', 'https'])
    })

    it('refuses bad configurations with 400 and the field at fault', async () => {
      const flag = await refused(gw, '/plugins', { name: 'basic-auth', config: { hide_credentials: 'yes' } })
      assert.equal(flag.status, 400)
      assert.equal(flag.body.name, 'schema violation')
      assert.deepEqual(flag.body.fields, { config: { hide_credentials: 'expected a boolean' } })
      const realm = await refused(gw, '/plugins', { name: 'basic-auth', config: { realm: 12 } })
      assert.deepEqual(realm.body.fields, { config: { realm: 'expected a string' } })
      const anon = await refused(gw, '/plugins', { name: 'basic-auth', config: { anonymous: '' } })
      assert.deepEqual(anon.body.fields, { config: { anonymous: 'length must be at least 1' } })
      const unknown = await refused(gw, '/plugins', { name: 'basic-auth', config: { nope: true } })
      assert.deepEqual(unknown.body.fields, { config: { nope: 'unknown field' } })
      const scoped = await refused(gw, '/plugins', { name: 'basic-auth', consumer: { id: alice.id } })
      assert.equal(scoped.status, 400)
      assert.equal((scoped.body.fields as Record<string, unknown>).consumer, 'value must be null')
      const tcp = await refused(gw, '/plugins', { name: 'basic-auth', protocols: ['tcp'] })
      assert.equal(tcp.status, 400)
    })
  })

  describe('proxying', () => {
    let credId: string
    before(async () => {
      const c = await admin(gw, 'POST', '/consumers/alice/basic-auth', {
        username: 'user123',
        password: 'password123',
      })
      credId = c.id as string
      await admin(gw, 'POST', '/consumers/alice/basic-auth', {
        username: 'user321',
        password: 'password:123',
      })
    })

    it('401 Unauthorized with WWW-Authenticate: Basic realm="service" without credentials; realm is configurable', async () => {
      const r = await protectedRoute()
      const res = await send(r.url)
      assert.equal(res.status, 401)
      assert.equal(message(res), 'Unauthorized')
      assert.equal(res.headers['www-authenticate'], 'Basic realm="service"')
      const custom = await protectedRoute({ realm: 'test-realm' })
      const res2 = await send(custom.url)
      assert.equal(res2.status, 401)
      assert.equal(res2.headers['www-authenticate'], 'Basic realm="test-realm"')
    })

    it('401 Unauthorized for malformed headers, partial credentials, unknown users and wrong passwords', async () => {
      const r = await protectedRoute({ realm: 'test-realm' })
      for (const headers of [
        { authorization: 'foobar' },
        { 'proxy-authorization': 'foobar' },
        { authorization: 'Basic a29uZw==' }, // "kong": password only
        { authorization: 'Basic Ym9i' }, // "bob": username only
        { authorization: 'Basic adXNlcjEyMzpwYXNzd29yZDEyMw==' }, // not the base64 of user:password
        { authorization: basic('', 'password123') }, // empty user
        { authorization: 'Basic !!!!' },
        { authorization: basic('nobody', 'password123') },
        { authorization: basic('user123', 'wrong') },
        { authorization: basic('user123', 'password12') },
        { authorization: `Bearer ${Buffer.from('user123:password123').toString('base64')}` },
      ] as Record<string, string>[]) {
        const res = await send(r.url, { headers })
        assert.equal(res.status, 401, JSON.stringify(headers))
        assert.equal(message(res), 'Unauthorized')
        assert.equal(res.headers['www-authenticate'], 'Basic realm="test-realm"')
      }
    })

    it('authenticates Authorization: Basic and tells the upstream who the consumer is', async () => {
      const r = await protectedRoute()
      const e = echoed(await send(r.url, { headers: { authorization: basic('user123', 'password123') } }))
      assert.equal(e.headers['x-consumer-id'], alice.id)
      assert.equal(e.headers['x-consumer-username'], 'alice')
      assert.equal(e.headers['x-consumer-custom-id'], 'c-alice')
      assert.equal(e.headers['x-credential-identifier'], 'user123')
      assert.equal(e.headers['x-anonymous-consumer'], undefined)
      // not hidden by default
      assert.equal(e.headers.authorization, basic('user123', 'password123'))
      // the password may contain ':'; the scheme is case-insensitive on its first letter
      const colon = echoed(
        await send(r.url, { headers: { authorization: basic('user321', 'password:123') } }),
      )
      assert.equal(colon.headers['x-credential-identifier'], 'user321')
      const lower = await send(r.url, {
        headers: { authorization: `basic ${Buffer.from('user123:password123').toString('base64')}` },
      })
      assert.equal(lower.status, 200)
      assert.notEqual(credId, undefined)
    })

    it('clients cannot forge the consumer headers', async () => {
      const r = await protectedRoute()
      const e = echoed(
        await send(r.url, {
          headers: {
            authorization: basic('user123', 'password123'),
            'x-consumer-id': 'forged',
            'x-credential-identifier': 'forged',
            'x-anonymous-consumer': 'true',
          },
        }),
      )
      assert.equal(e.headers['x-consumer-id'], alice.id)
      assert.equal(e.headers['x-credential-identifier'], 'user123')
      assert.equal(e.headers['x-anonymous-consumer'], undefined)
    })

    it('prefers Proxy-Authorization, falling back to Authorization when it names no credential', async () => {
      const r = await protectedRoute()
      const viaProxy = echoed(
        await send(r.url, {
          headers: { 'proxy-authorization': basic('user123', 'password123'), authorization: 'hello' },
        }),
      )
      assert.equal(viaProxy.headers['x-credential-identifier'], 'user123')
      assert.equal(viaProxy.headers.authorization, 'hello')
      assert.equal(viaProxy.headers['proxy-authorization'], basic('user123', 'password123'))
      // an unknown or unparsable Proxy-Authorization: Authorization is used
      for (const proxy of ['foobar', basic('nobody', 'x')]) {
        const e = echoed(
          await send(r.url, {
            headers: { 'proxy-authorization': proxy, authorization: basic('user321', 'password:123') },
          }),
        )
        assert.equal(e.headers['x-credential-identifier'], 'user321')
      }
      // a known user with a wrong password in Proxy-Authorization fails, whatever Authorization holds
      const wrong = await send(r.url, {
        headers: {
          'proxy-authorization': basic('user123', 'bad'),
          authorization: basic('user321', 'password:123'),
        },
      })
      assert.equal(wrong.status, 401)
      assert.equal(message(wrong), 'Unauthorized')
    })

    it('hide_credentials removes the header(s) read before proxying', async () => {
      const r = await protectedRoute({ hide_credentials: true })
      const e = echoed(
        await send(r.url, { headers: { authorization: basic('user123', 'password123'), other: 'kept' } }),
      )
      assert.equal(e.headers.authorization, undefined)
      assert.equal(e.headers.other, 'kept')
      assert.equal(e.headers['x-credential-identifier'], 'user123')
      // Proxy-Authorization used: it goes, Authorization (not read) stays
      const p = echoed(
        await send(r.url, {
          headers: { 'proxy-authorization': basic('user123', 'password123'), authorization: 'keep-me' },
        }),
      )
      assert.equal(p.headers['proxy-authorization'], undefined)
      assert.equal(p.headers.authorization, 'keep-me')
      // Proxy-Authorization naming no credential: both were read, both go
      const both = echoed(
        await send(r.url, {
          headers: { 'proxy-authorization': 'junk', authorization: basic('user123', 'password123') },
        }),
      )
      assert.equal(both.headers['proxy-authorization'], undefined)
      assert.equal(both.headers.authorization, undefined)
    })

    it('anonymous: a missing consumer is a 500, an existing one is let through as anonymous', async () => {
      const missing = await protectedRoute({ anonymous: 'ghost' }, 500)
      const res = await send(missing.url)
      assert.equal(res.status, 500)
      assert.equal(message(res), "anonymous consumer ghost is configured but doesn't exist")
      const anon = await admin(gw, 'POST', '/consumers', { username: 'no-body' })
      const r = await protectedRoute({ anonymous: 'no-body' }, 200)
      const e = echoed(await send(r.url, { headers: { authorization: basic('user123', 'wrong') } }))
      assert.equal(e.headers['x-consumer-id'], anon.id)
      assert.equal(e.headers['x-consumer-username'], 'no-body')
      assert.equal(e.headers['x-anonymous-consumer'], 'true')
      assert.equal(e.headers['x-credential-identifier'], undefined)
      const byId = await protectedRoute({ anonymous: anon.id }, 200)
      assert.equal(echoed(await send(byId.url)).headers['x-consumer-id'], anon.id)
      const real = echoed(
        await send(byId.url, { headers: { authorization: basic('user123', 'password123') } }),
      )
      assert.equal(real.headers['x-consumer-id'], alice.id)
      assert.equal(real.headers['x-credential-identifier'], 'user123')
      assert.equal(real.headers['x-anonymous-consumer'], undefined)
    })

    it('with key-auth: logical AND without anonymous, logical OR with it', async () => {
      const bob = await admin(gw, 'POST', '/consumers', { username: 'bob-multi' })
      await admin(gw, 'POST', '/consumers/bob-multi/key-auth', { key: 'bob-multi-key' })
      const anon = await admin(gw, 'POST', '/consumers', { username: 'anon-multi' })
      // AND: key-auth (1250) runs first, basic-auth (1100) must succeed too
      const and = await addRoute(gw, up.url)
      await addPlugin(gw, { name: 'key-auth' }, `/routes/${and.routeId}`)
      await addPlugin(gw, { name: 'basic-auth' }, `/routes/${and.routeId}`)
      await untilProxy(and.url, 401, { headers: { apikey: 'bob-multi-key' } })
      const onlyKey = await send(and.url, { headers: { apikey: 'bob-multi-key' } })
      assert.equal(onlyKey.headers['www-authenticate'], 'Basic realm="service"')
      const both = echoed(
        await send(and.url, {
          headers: { apikey: 'bob-multi-key', authorization: basic('user123', 'password123') },
        }),
      )
      assert.equal(both.headers['x-consumer-id'], alice.id)
      // OR: the first success wins, anonymous when none succeeds
      const or = await addRoute(gw, up.url)
      await addPlugin(gw, { name: 'key-auth', config: { anonymous: anon.id } }, `/routes/${or.routeId}`)
      await addPlugin(gw, { name: 'basic-auth', config: { anonymous: anon.id } }, `/routes/${or.routeId}`)
      await untilProxy(or.url, 200)
      const k = echoed(
        await send(or.url, { headers: { apikey: 'bob-multi-key', authorization: basic('user123', 'x') } }),
      )
      assert.equal(k.headers['x-consumer-id'], bob.id)
      const b = echoed(await send(or.url, { headers: { authorization: basic('user123', 'password123') } }))
      assert.equal(b.headers['x-consumer-id'], alice.id)
      assert.equal(b.headers['x-anonymous-consumer'], undefined)
      const none = echoed(await send(or.url))
      assert.equal(none.headers['x-consumer-id'], anon.id)
      assert.equal(none.headers['x-anonymous-consumer'], 'true')
    })

    it('sees credential and consumer changes at once (cache invalidation), including negative entries', async () => {
      const r = await protectedRoute()
      const auth = (u: string, p: string) => ({ headers: { authorization: basic(u, p) } })
      // a miss is cached, then invalidated when the credential is created
      assert.equal((await send(r.url, auth('late', 'pw1'))).status, 401)
      const carol = await admin(gw, 'POST', '/consumers', { username: 'carol' })
      const c = await admin(gw, 'POST', '/consumers/carol/basic-auth', { username: 'late', password: 'pw1' })
      await untilProxy(r.url, 200, auth('late', 'pw1'))
      // password change
      await admin(gw, 'PATCH', `/consumers/carol/basic-auth/${c.id}`, { password: 'pw2' })
      await untilProxy(r.url, 200, auth('late', 'pw2'))
      assert.equal((await send(r.url, auth('late', 'pw1'))).status, 401)
      // username change
      await admin(gw, 'PATCH', `/basic-auths/${c.id}`, { username: 'later' })
      await untilProxy(r.url, 200, auth('later', 'pw2'))
      assert.equal((await send(r.url, auth('late', 'pw2'))).status, 401)
      // consumer change
      await admin(gw, 'PATCH', `/consumers/${carol.id}`, { username: 'caroline' })
      await untilProxy(r.url, 200, auth('later', 'pw2'))
      let last = ''
      for (let i = 0; i < 100 && last !== 'caroline'; i++) {
        last = echoed(await send(r.url, auth('later', 'pw2'))).headers['x-consumer-username'] as string
      }
      assert.equal(last, 'caroline')
      // credential deleted
      await admin(gw, 'DELETE', `/basic-auths/${c.id}`)
      await untilProxy(r.url, 401, auth('later', 'pw2'))
      // consumer deleted (its credentials go with it)
      await admin(gw, 'POST', '/consumers/caroline/basic-auth', { username: 'again', password: 'pw' })
      await untilProxy(r.url, 200, auth('again', 'pw'))
      await admin(gw, 'DELETE', `/consumers/${carol.id}`)
      await untilProxy(r.url, 401, auth('again', 'pw'))
    })

    it('a plugin on the service protects every route of the service; disabling it opens them', async () => {
      const r = await addRoute(gw, up.url)
      const p = await addPlugin(gw, { name: 'basic-auth' }, `/services/${r.serviceId}`)
      await untilProxy(r.url, 401)
      assert.equal(
        (await send(r.url, { headers: { authorization: basic('user123', 'password123') } })).status,
        200,
      )
      await admin(gw, 'PATCH', `/plugins/${p.id}`, { enabled: false })
      await untilProxy(r.url, 200)
    })
  })
})
