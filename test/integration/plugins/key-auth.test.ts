// key-auth (plugins.md §6.2) through the real gateway and a real upstream: credentials and their
// endpoints, where keys are read, every 401, hide_credentials, anonymous, cache invalidation.
import assert from 'node:assert/strict'
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

describe('key-auth', () => {
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
    routeWithPlugin(gw, up.url, 'key-auth', config, status)

  describe('credentials', () => {
    it('POST /consumers/{c}/key-auth generates a key or takes the given one; 409 on a duplicate', async () => {
      const gen = await admin(gw, 'POST', '/consumers/alice/key-auth', {})
      assert.match(gen.key as string, /^[0-9a-zA-Z]{32}$/)
      assert.deepEqual(gen.consumer, { id: alice.id })
      assert.equal(gen.ttl ?? null, null)
      const given = await admin(gw, 'POST', '/consumers/alice/key-auth', { key: 'alice-key-1', tags: ['t'] })
      assert.equal(given.key, 'alice-key-1')
      const dup = await refused(gw, '/consumers/alice/key-auth', { key: 'alice-key-1' })
      assert.equal(dup.status, 409)
      assert.equal(dup.body.name, 'unique constraint violation')
      assert.equal(dup.body.message, 'UNIQUE violation detected on \'{key="alice-key-1"}\'')
    })

    it('lists and reads credentials through /key-auths and the nested endpoints, by id or key', async () => {
      const cred = await admin(gw, 'POST', '/consumers/alice/key-auth', { key: 'alice-list-key' })
      const list = await admin(gw, 'GET', '/key-auths')
      assert.ok((list.data as { key: string }[]).some((c) => c.key === 'alice-list-key'))
      const nested = await admin(gw, 'GET', '/consumers/alice/key-auth')
      assert.ok((nested.data as { id: string }[]).some((c) => c.id === cred.id))
      assert.equal((await admin(gw, 'GET', `/key-auths/${cred.id}`)).key, 'alice-list-key')
      assert.equal((await admin(gw, 'GET', '/key-auths/alice-list-key')).id, cred.id)
      assert.equal((await admin(gw, 'GET', `/consumers/alice/key-auth/${cred.id}`)).key, 'alice-list-key')
      assert.equal((await admin(gw, 'GET', '/key-auths/alice-list-key/consumer')).username, 'alice')
      const missing = await request(gw.admin, 'GET', '/key-auths/no-such-key')
      assert.equal(missing.status, 404)
      const noConsumer = await refused(gw, '/consumers/nobody/key-auth', {})
      assert.equal(noConsumer.status, 404)
    })

    it('refuses a credential without a consumer, and bad field types, in Kong format', async () => {
      const r = await refused(gw, '/key-auths', { key: 'orphan' })
      assert.equal(r.status, 400)
      assert.equal(r.body.name, 'schema violation')
      assert.deepEqual(r.body.fields, { consumer: 'required field missing' })
      const t = await refused(gw, '/consumers/alice/key-auth', { key: 12 })
      assert.equal(t.status, 400)
      assert.deepEqual(t.body.fields, { key: 'expected a string' })
    })

    it('deleting the consumer deletes its credentials', async () => {
      await admin(gw, 'POST', '/consumers', { username: 'short-lived' })
      const cred = await admin(gw, 'POST', '/consumers/short-lived/key-auth', {})
      await admin(gw, 'DELETE', '/consumers/short-lived')
      assert.equal((await request(gw.admin, 'GET', `/key-auths/${cred.id}`)).status, 404)
    })
  })

  describe('plugin configuration', () => {
    it('fills the defaults of plugins.md §6.2', async () => {
      const r = await addRoute(gw, up.url)
      const p = await addPlugin(gw, { name: 'key-auth' }, `/routes/${r.routeId}`)
      assert.deepEqual(p.config, {
        key_names: ['apikey'],
        hide_credentials: false,
        anonymous: null,
        key_in_header: true,
        key_in_query: true,
        key_in_body: false,
        run_on_preflight: true,
        realm: null,
      })
    })

    it('refuses bad configurations with 400 and the field at fault', async () => {
      const names = await refused(gw, '/plugins', { name: 'key-auth', config: { key_names: ['bad name'] } })
      assert.equal(names.status, 400)
      assert.equal(names.body.name, 'schema violation')
      assert.ok((names.body.fields as { config: { key_names: unknown } }).config.key_names)
      const flag = await refused(gw, '/plugins', { name: 'key-auth', config: { hide_credentials: 'yes' } })
      assert.deepEqual(flag.body.fields, { config: { hide_credentials: 'expected a boolean' } })
      const scoped = await refused(gw, '/plugins', { name: 'key-auth', consumer: { id: alice.id } })
      assert.equal(scoped.status, 400)
      assert.deepEqual((scoped.body.fields as Record<string, unknown>).consumer, 'value must be null')
    })
  })

  describe('proxying', () => {
    let key: string
    let credId: string
    before(async () => {
      const cred = await admin(gw, 'POST', '/consumers/alice/key-auth', { key: 'alice-proxy-key' })
      key = cred.key as string
      credId = cred.id as string
    })

    it('401 "No API key found in request" with WWW-Authenticate: Key', async () => {
      const r = await protectedRoute()
      const res = await send(r.url)
      assert.equal(res.status, 401)
      assert.equal(message(res), 'No API key found in request')
      assert.equal(res.headers['www-authenticate'], 'Key')
      const empty = await send(r.url, { headers: { apikey: '' } })
      assert.equal(empty.status, 401)
      assert.equal(message(empty), 'No API key found in request')
    })

    it('401 "Unauthorized" for an unknown key; the realm goes into WWW-Authenticate', async () => {
      const r = await protectedRoute({ realm: 'silverback' })
      const res = await send(r.url, { headers: { apikey: 'nope' } })
      assert.equal(res.status, 401)
      assert.equal(message(res), 'Unauthorized')
      assert.equal(res.headers['www-authenticate'], 'Key realm="silverback"')
    })

    it('accepts the key in a header or the query, and tells the upstream who the consumer is', async () => {
      const r = await protectedRoute()
      for (const res of [
        await send(r.url, { headers: { apikey: key } }),
        await send(`${r.url}?apikey=${key}`),
      ]) {
        const e = echoed(res)
        assert.equal(e.headers['x-consumer-id'], alice.id)
        assert.equal(e.headers['x-consumer-username'], 'alice')
        assert.equal(e.headers['x-consumer-custom-id'], 'c-alice')
        assert.equal(e.headers['x-credential-identifier'], credId)
        assert.equal(e.headers['x-anonymous-consumer'], undefined)
        // not hidden by default
        assert.ok(e.headers.apikey === key || e.url.includes(`apikey=${key}`))
      }
    })

    it('clients cannot forge the consumer headers', async () => {
      const r = await protectedRoute()
      const e = echoed(
        await send(r.url, {
          headers: {
            apikey: key,
            'x-consumer-id': 'forged',
            'x-anonymous-consumer': 'true',
            'x-consumer-custom-id': 'x',
          },
        }),
      )
      assert.equal(e.headers['x-consumer-id'], alice.id)
      assert.equal(e.headers['x-anonymous-consumer'], undefined)
      assert.equal(e.headers['x-consumer-custom-id'], 'c-alice')
    })

    it('key_names are tried in order; key_in_header/key_in_query switch the sources off', async () => {
      const r = await protectedRoute({ key_names: ['x-key', 'token'], key_in_query: false })
      assert.equal((await send(r.url, { headers: { token: key } })).status, 200)
      assert.equal((await send(r.url, { headers: { 'X-Key': key } })).status, 200)
      const q = await send(`${r.url}?token=${key}`)
      assert.equal(q.status, 401)
      assert.equal(message(q), 'No API key found in request')
      const h = await protectedRoute({ key_in_header: false })
      assert.equal((await send(h.url, { headers: { apikey: key } })).status, 401)
      assert.equal((await send(`${h.url}?apikey=${key}`)).status, 200)
    })

    it('key_in_body reads form, JSON and multipart bodies', async () => {
      const r = await protectedRoute({ key_in_body: true })
      const form = await send(r.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `apikey=${key}&a=1`,
      })
      assert.equal(echoed(form).body, `apikey=${key}&a=1`)
      const j = await send(r.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ apikey: key }),
      })
      assert.equal(j.status, 200)
      const boundary = 'XyZ'
      const multipart = `--${boundary}\r\nContent-Disposition: form-data; name="apikey"\r\n\r\n${key}\r\n--${boundary}--\r\n`
      const m = await send(r.url, {
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        body: multipart,
      })
      assert.equal(m.status, 200)
      const off = await protectedRoute()
      const notRead = await send(off.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `apikey=${key}`,
      })
      assert.equal(notRead.status, 401)
    })

    it('401 "Duplicate API key found" when a name carries several values', async () => {
      const r = await protectedRoute()
      const res = await send(`${r.url}?apikey=${key}&apikey=other`)
      assert.equal(res.status, 401)
      assert.equal(message(res), 'Duplicate API key found')
      const h = await send(r.url, { headers: { apikey: [key, key] } })
      assert.equal(h.status, 401)
      assert.equal(message(h), 'Duplicate API key found')
    })

    it('hide_credentials strips the key from headers, the query and the body', async () => {
      const r = await protectedRoute({ hide_credentials: true, key_in_body: true })
      const h = echoed(await send(`${r.url}?a=1`, { headers: { apikey: key, other: 'kept' } }))
      assert.equal(h.headers.apikey, undefined)
      assert.equal(h.headers.other, 'kept')
      const q = echoed(await send(`${r.url}?apikey=${key}&a=1`))
      assert.equal(q.url, `/?a=1`)
      const b = echoed(
        await send(r.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ apikey: key, keep: 1 }),
        }),
      )
      assert.deepEqual(JSON.parse(b.body), { keep: 1 })
    })

    it('run_on_preflight = false lets OPTIONS through unauthenticated', async () => {
      const on = await protectedRoute()
      assert.equal((await send(on.url, { method: 'OPTIONS' })).status, 401)
      const off = await protectedRoute({ run_on_preflight: false })
      const e = echoed(await send(off.url, { method: 'OPTIONS' }))
      assert.equal(e.method, 'OPTIONS')
      assert.equal(e.headers['x-consumer-id'], undefined)
    })

    it('anonymous: a missing consumer is a 500, an existing one is let through as anonymous', async () => {
      const missing = await protectedRoute({ anonymous: 'ghost' }, 500)
      const res = await send(missing.url)
      assert.equal(res.status, 500)
      assert.equal(message(res), "anonymous consumer ghost is configured but doesn't exist")
      const anon = await admin(gw, 'POST', '/consumers', { username: 'anon' })
      const r = await protectedRoute({ anonymous: 'anon' }, 200)
      const e = echoed(await send(r.url, { headers: { apikey: 'wrong' } }))
      assert.equal(e.headers['x-consumer-id'], anon.id)
      assert.equal(e.headers['x-consumer-username'], 'anon')
      assert.equal(e.headers['x-anonymous-consumer'], 'true')
      assert.equal(e.headers['x-credential-identifier'], undefined)
      // by id too; a valid key still authenticates the real consumer
      const byId = await protectedRoute({ anonymous: anon.id }, 200)
      assert.equal(echoed(await send(byId.url)).headers['x-consumer-id'], anon.id)
      assert.equal(
        echoed(await send(byId.url, { headers: { apikey: key } })).headers['x-consumer-id'],
        alice.id,
      )
    })

    it('sees credential and consumer changes at once (cache invalidation), including negative entries', async () => {
      const r = await protectedRoute()
      // a miss is cached...
      assert.equal((await send(r.url, { headers: { apikey: 'late-key' } })).status, 401)
      // ...and invalidated when the key is created
      const bob = await admin(gw, 'POST', '/consumers', { username: 'bob' })
      const cred = await admin(gw, 'POST', '/consumers/bob/key-auth', { key: 'late-key' })
      await untilProxy(r.url, 200, { headers: { apikey: 'late-key' } })
      await admin(gw, 'PATCH', `/consumers/${bob.id}`, { username: 'robert' })
      let last = ''
      for (let i = 0; i < 100 && last !== 'robert'; i++) {
        last = echoed(await send(r.url, { headers: { apikey: 'late-key' } })).headers[
          'x-consumer-username'
        ] as string
      }
      assert.equal(last, 'robert')
      await admin(gw, 'DELETE', `/key-auths/${cred.id}`)
      await untilProxy(r.url, 401, { headers: { apikey: 'late-key' } })
    })

    it('expiring keys (ttl) stop working when they expire', async () => {
      const r = await protectedRoute()
      const cred = await admin(gw, 'POST', '/consumers/alice/key-auth', { key: 'short-ttl', ttl: 1 })
      assert.equal(cred.ttl, 1)
      assert.equal((await send(r.url, { headers: { apikey: 'short-ttl' } })).status, 200)
      await new Promise((res) => setTimeout(res, 1500))
      const res = await send(r.url, { headers: { apikey: 'short-ttl' } })
      assert.equal(res.status, 401)
      assert.equal(message(res), 'Unauthorized')
    })

    it('a plugin on the service protects every route of the service; disabling it opens them', async () => {
      const r = await addRoute(gw, up.url)
      const p = await addPlugin(gw, { name: 'key-auth' }, `/services/${r.serviceId}`)
      await untilProxy(r.url, 401)
      assert.equal((await send(r.url, { headers: { apikey: key } })).status, 200)
      await admin(gw, 'PATCH', `/plugins/${p.id}`, { enabled: false })
      await untilProxy(r.url, 200)
    })
  })
})
