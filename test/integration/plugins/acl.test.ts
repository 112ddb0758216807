// acl (plugins.md §6.7) through the real gateway and a real upstream: the `acls` entity and its
// endpoints, the configuration rules, allow/deny decisions for consumers authenticated by
// key-auth (and anonymous ones), the 401/403 rules, the groups header and cache invalidation.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Gateway, request, startGateway } from '../../helpers/gateway.js'
import {
  addPlugin,
  addRoute,
  echoed,
  message,
  refused,
  type TestRoute,
  untilProxy,
} from '../../helpers/plugins.js'
import { admin, send, until } from '../../helpers/proxy.js'
import { startUpstream, type Upstream } from '../../helpers/upstream.js'

describe('acl', () => {
  let up: Upstream
  let gw: Gateway
  before(async () => {
    up = await startUpstream()
    gw = await startGateway({ proxy: true })
  })
  after(async () => {
    await gw.stop()
    await up.close()
  })

  let consumerSeq = 0
  /** A consumer with a key-auth key and the given groups. */
  async function consumer(groups: string[]): Promise<{ id: string; username: string; key: string }> {
    consumerSeq++
    const username = `acl-user-${consumerSeq}`
    const c = await admin(gw, 'POST', '/consumers', { username })
    const key = `${username}-key`
    await admin(gw, 'POST', `/consumers/${username}/key-auth`, { key })
    for (const group of groups) await admin(gw, 'POST', `/consumers/${username}/acls`, { group })
    return { id: c.id as string, username, key }
  }

  /**
   * A route behind key-auth (with `keyAuth` config; null: none) and acl (with `config`). acl is
   * added first: workers apply changes in order, so once key-auth answers, acl is active too.
   */
  async function guarded(
    config: Record<string, unknown>,
    keyAuth: Record<string, unknown> | null = {},
  ): Promise<TestRoute> {
    const r = await addRoute(gw, up.url)
    await addPlugin(gw, { name: 'acl', config }, `/routes/${r.routeId}`)
    if (keyAuth === null) {
      await untilProxy(r.url, 401)
      return r
    }
    await addPlugin(gw, { name: 'key-auth', config: keyAuth }, `/routes/${r.routeId}`)
    if (keyAuth.anonymous === undefined) {
      await until(async () => {
        const res = await send(r.url)
        return res.status === 401 && message(res) === 'No API key found in request'
      })
    }
    return r
  }

  function groupsOf(value: unknown): string[] {
    assert.equal(typeof value, 'string')
    return (value as string).split(', ').sort()
  }

  describe('acls entity', () => {
    it('POST /consumers/{c}/acls creates a group; the same group twice is a 409', async () => {
      const c = await admin(gw, 'POST', '/consumers', { username: 'ent-alice' })
      const acl = await admin(gw, 'POST', '/consumers/ent-alice/acls', { group: 'admin', tags: ['t1'] })
      assert.deepEqual(Object.keys(acl).sort(), ['consumer', 'created_at', 'group', 'id', 'tags'])
      assert.deepEqual(acl.consumer, { id: c.id })
      assert.equal(acl.group, 'admin')
      assert.deepEqual(acl.tags, ['t1'])
      const dup = await refused(gw, '/consumers/ent-alice/acls', { group: 'admin' })
      assert.equal(dup.status, 409)
      assert.equal(dup.body.name, 'unique constraint violation')
      // the same group for another consumer is fine
      await admin(gw, 'POST', '/consumers', { username: 'ent-bob' })
      await admin(gw, 'POST', '/consumers/ent-bob/acls', { group: 'admin' })
    })

    it('refuses a missing or mistyped group, and a top-level acl without consumer', async () => {
      await admin(gw, 'POST', '/consumers', { username: 'ent-carol' })
      const missing = await refused(gw, '/consumers/ent-carol/acls', {})
      assert.equal(missing.status, 400)
      assert.deepEqual(missing.body.fields, { group: 'required field missing' })
      const typed = await refused(gw, '/consumers/ent-carol/acls', { group: 123 })
      assert.deepEqual(typed.body.fields, { group: 'expected a string' })
      const orphan = await refused(gw, '/acls', { group: 'g' })
      assert.equal(orphan.status, 400)
      assert.equal(orphan.body.message, 'schema violation (consumer: required field missing)')
      const unknown = await refused(gw, '/consumers/nobody/acls', { group: 'g' })
      assert.equal(unknown.status, 404)
    })

    it("addresses a consumer's acl by id or by group name, only under its own consumer", async () => {
      const dave = await admin(gw, 'POST', '/consumers', { username: 'ent-dave' })
      await admin(gw, 'POST', '/consumers', { username: 'ent-erin' })
      const acl = await admin(gw, 'POST', '/consumers/ent-dave/acls', { group: 'readers' })
      const erinAcl = await admin(gw, 'POST', '/consumers/ent-erin/acls', { group: 'readers' })
      assert.equal((await admin(gw, 'GET', `/consumers/ent-dave/acls/${acl.id}`)).group, 'readers')
      assert.equal((await admin(gw, 'GET', '/consumers/ent-dave/acls/readers')).id, acl.id)
      assert.equal((await admin(gw, 'GET', '/consumers/ent-erin/acls/readers')).id, erinAcl.id)
      assert.equal((await request(gw.admin, 'GET', `/consumers/ent-erin/acls/${acl.id}`)).status, 404)
      assert.equal((await request(gw.admin, 'GET', '/consumers/ent-erin/acls/writers')).status, 404)
      const list = await admin(gw, 'GET', '/consumers/ent-dave/acls')
      assert.deepEqual(
        (list.data as { id: string }[]).map((a) => a.id),
        [acl.id],
      )
      const all = await admin(gw, 'GET', '/acls')
      const ids = (all.data as { id: string }[]).map((a) => a.id)
      assert.ok(ids.includes(acl.id as string) && ids.includes(erinAcl.id as string))
      assert.equal((await admin(gw, 'GET', `/acls/${acl.id}`)).group, 'readers')
      assert.equal((await admin(gw, 'GET', `/acls/${acl.id}/consumer`)).id, dave.id)
    })

    it('PUT by group name creates (group from the URL) or replaces; PATCH and DELETE by group', async () => {
      const frank = await admin(gw, 'POST', '/consumers', { username: 'ent-frank' })
      const created = await admin(gw, 'PUT', '/consumers/ent-frank/acls/pro', {})
      assert.equal(created.group, 'pro')
      assert.deepEqual(created.consumer, { id: frank.id })
      const again = await admin(gw, 'PUT', '/consumers/ent-frank/acls/pro', { tags: ['x'] })
      assert.equal(again.id, created.id)
      assert.deepEqual(again.tags, ['x'])
      const bad = await request(gw.admin, 'PUT', `/consumers/ent-frank/acls/${crypto.randomUUID()}`, {
        json: { group: 123 },
      })
      assert.equal(bad.status, 400)
      assert.deepEqual((bad.body as { fields: unknown }).fields, { group: 'expected a string' })
      const patched = await admin(gw, 'PATCH', '/consumers/ent-frank/acls/pro', { group: 'premium' })
      assert.equal(patched.id, created.id)
      assert.equal(patched.group, 'premium')
      assert.equal(
        (await request(gw.admin, 'PATCH', '/consumers/ent-frank/acls/pro', { json: {} })).status,
        404,
      )
      assert.equal((await request(gw.admin, 'DELETE', '/consumers/ent-frank/acls/blah')).status, 404)
      assert.equal(
        (await request(gw.admin, 'DELETE', '/consumers/ent-frank/acls/00000000-0000-0000-0000-000000000000'))
          .status,
        404,
      )
      assert.equal((await request(gw.admin, 'DELETE', '/consumers/ent-frank/acls/premium')).status, 204)
      assert.equal((await request(gw.admin, 'GET', `/acls/${created.id}`)).status, 404)
    })

    it('top-level PUT /acls/{id} needs a consumer; deleting the consumer deletes its acls', async () => {
      const gina = await admin(gw, 'POST', '/consumers', { username: 'ent-gina' })
      const id = crypto.randomUUID()
      const noConsumer = await request(gw.admin, 'PUT', `/acls/${id}`, { json: { group: 'g' } })
      assert.equal(noConsumer.status, 400)
      assert.equal(
        (noConsumer.body as { message: string }).message,
        'schema violation (consumer: required field missing)',
      )
      const acl = await admin(gw, 'PUT', `/acls/${id}`, { group: 'g', consumer: { id: gina.id } })
      assert.equal(acl.id, id)
      await admin(gw, 'DELETE', '/consumers/ent-gina')
      assert.equal((await request(gw.admin, 'GET', `/acls/${id}`)).status, 404)
    })
  })

  describe('plugin configuration', () => {
    it('fills the defaults of plugins.md §6.7', async () => {
      const r = await addRoute(gw, up.url)
      const p = await addPlugin(gw, { name: 'acl', config: { allow: ['a'] } }, `/routes/${r.routeId}`)
      assert.deepEqual(p.config, {
        allow: ['a'],
        deny: null,
        hide_groups_header: false,
        always_use_authenticated_groups: false,
      })
      assert.deepEqual(p.protocols, ['grpc', 'grpcs', 'http', 'https'])
    })

    it('needs exactly one of allow and deny', async () => {
      const exactly = "exactly one of these fields must be non-empty: 'config.allow', 'config.deny'"
      const atLeast = "at least one of these fields must be non-empty: 'config.allow', 'config.deny'"
      const both = await refused(gw, '/plugins', { name: 'acl', config: { allow: ['a'], deny: ['b'] } })
      assert.equal(both.status, 400)
      assert.equal(both.body.name, 'schema violation')
      assert.deepEqual(both.body.fields, { '@entity': [exactly] })
      const none = await refused(gw, '/plugins', { name: 'acl', config: {} })
      assert.equal(none.status, 400)
      assert.deepEqual(none.body.fields, { '@entity': [exactly, atLeast] })
      const empty = await refused(gw, '/plugins', { name: 'acl', config: { allow: [], deny: [] } })
      assert.equal(empty.status, 400)
      // an empty list next to a non-empty one is fine
      const r = await addRoute(gw, up.url)
      await addPlugin(gw, { name: 'acl', config: { allow: ['a'], deny: [] } }, `/routes/${r.routeId}`)
    })

    it('refuses bad types and consumer scoping', async () => {
      const allow = await refused(gw, '/plugins', { name: 'acl', config: { allow: 'admin' } })
      assert.equal(allow.status, 400)
      assert.deepEqual(allow.body.fields, { config: { allow: 'expected an array' } })
      const hide = await refused(gw, '/plugins', {
        name: 'acl',
        config: { allow: ['a'], hide_groups_header: 'yes' },
      })
      assert.deepEqual(hide.body.fields, { config: { hide_groups_header: 'expected a boolean' } })
      const always = await refused(gw, '/plugins', {
        name: 'acl',
        config: { allow: ['a'], always_use_authenticated_groups: 1 },
      })
      assert.deepEqual(always.body.fields, {
        config: { always_use_authenticated_groups: 'expected a boolean' },
      })
      const c = await admin(gw, 'POST', '/consumers', { username: 'cfg-scoped' })
      const scoped = await refused(gw, '/plugins', {
        name: 'acl',
        config: { allow: ['a'] },
        consumer: { id: c.id },
      })
      assert.equal(scoped.status, 400)
      assert.equal((scoped.body.fields as Record<string, unknown>).consumer, 'value must be null')
    })
  })

  describe('proxying', () => {
    it('401 Unauthorized when nobody is authenticated', async () => {
      const r = await guarded({ allow: ['admin'] }, null)
      const res = await send(r.url)
      assert.equal(res.status, 401)
      assert.equal(message(res), 'Unauthorized')
      assert.equal(res.headers['www-authenticate'], undefined)
      const deny = await guarded({ deny: ['admin'] }, null)
      const d = await send(deny.url)
      assert.equal(d.status, 401)
      assert.equal(message(d), 'Unauthorized')
    })

    it('allow: a consumer in a listed group passes and the upstream gets X-Consumer-Groups', async () => {
      const alice = await consumer(['admin', 'dev'])
      const r = await guarded({ allow: ['admin', 'ops'] })
      const e = echoed(await send(r.url, { headers: { apikey: alice.key } }))
      assert.deepEqual(groupsOf(e.headers['x-consumer-groups']), ['admin', 'dev'])
      assert.equal(e.headers['x-authenticated-groups'], undefined)
      assert.equal(e.headers['x-consumer-id'], alice.id)
    })

    it('allow: 403 "You cannot consume this service" for other groups and for a consumer without groups', async () => {
      const r = await guarded({ allow: ['admin'] })
      const dev = await consumer(['dev'])
      const res = await send(r.url, { headers: { apikey: dev.key } })
      assert.equal(res.status, 403)
      assert.equal(message(res), 'You cannot consume this service')
      const none = await consumer([])
      const n = await send(r.url, { headers: { apikey: none.key } })
      assert.equal(n.status, 403)
      assert.equal(message(n), 'You cannot consume this service')
    })

    it('deny: 403 for a listed group; other groups and consumers without groups pass', async () => {
      const r = await guarded({ deny: ['banned'] })
      const banned = await consumer(['dev', 'banned'])
      const res = await send(r.url, { headers: { apikey: banned.key } })
      assert.equal(res.status, 403)
      assert.equal(message(res), 'You cannot consume this service')
      const dev = await consumer(['dev'])
      assert.deepEqual(
        echoed(await send(r.url, { headers: { apikey: dev.key } })).headers['x-consumer-groups'],
        'dev',
      )
      // no group at all: passes, and a client-sent X-Consumer-Groups does not reach the upstream
      const none = await consumer([])
      const e = echoed(await send(r.url, { headers: { apikey: none.key, 'x-consumer-groups': 'forged' } }))
      assert.equal(e.headers['x-consumer-groups'], undefined)
    })

    it('X-Consumer-Groups replaces what the client sent', async () => {
      const r = await guarded({ allow: ['admin'] })
      const alice = await consumer(['admin'])
      const e = echoed(await send(r.url, { headers: { apikey: alice.key, 'x-consumer-groups': 'forged' } }))
      assert.equal(e.headers['x-consumer-groups'], 'admin')
    })

    it('hide_groups_header keeps the groups from the upstream', async () => {
      const r = await guarded({ allow: ['admin'], hide_groups_header: true })
      const alice = await consumer(['admin'])
      const e = echoed(await send(r.url, { headers: { apikey: alice.key } }))
      assert.equal(e.headers['x-consumer-groups'], undefined)
      const d = await guarded({ deny: ['banned'], hide_groups_header: true })
      assert.equal(
        echoed(await send(d.url, { headers: { apikey: alice.key } })).headers['x-consumer-groups'],
        undefined,
      )
    })

    it('an anonymous consumer (no credential): 401 without a listed group, its own groups otherwise', async () => {
      const anon = await consumer([])
      const r = await guarded({ allow: ['guests'] }, { anonymous: anon.username })
      // 401 either way: acl alone sees nobody; behind key-auth the anonymous consumer has no group
      const res = await untilProxy(r.url, 401)
      assert.equal(res.status, 401)
      assert.equal(message(res), 'Unauthorized')
      await admin(gw, 'POST', `/consumers/${anon.username}/acls`, { group: 'guests' })
      const ok = await untilProxy(r.url, 200)
      const e = echoed(ok)
      assert.equal(e.headers['x-consumer-groups'], 'guests')
      assert.equal(e.headers['x-anonymous-consumer'], 'true')
      // a real credential is still checked against the consumer's own groups
      const member = await consumer(['guests'])
      assert.equal((await send(r.url, { headers: { apikey: member.key } })).status, 200)
      const outsider = await consumer(['dev'])
      assert.equal((await send(r.url, { headers: { apikey: outsider.key } })).status, 403)
    })

    it('always_use_authenticated_groups falls back to the consumer groups when none were authenticated', async () => {
      const r = await guarded({ allow: ['admin'], always_use_authenticated_groups: true })
      const alice = await consumer(['admin'])
      const e = echoed(await send(r.url, { headers: { apikey: alice.key } }))
      assert.equal(e.headers['x-consumer-groups'], 'admin')
      const dev = await consumer(['dev'])
      assert.equal((await send(r.url, { headers: { apikey: dev.key } })).status, 403)
    })

    it('sees group changes at once (cache invalidation)', async () => {
      const r = await guarded({ allow: ['admin'] })
      const bob = await consumer(['dev'])
      // the (empty for this group) list is cached...
      assert.equal((await send(r.url, { headers: { apikey: bob.key } })).status, 403)
      // ...and invalidated when a group is added, renamed or removed
      const acl = await admin(gw, 'POST', `/consumers/${bob.username}/acls`, { group: 'admin' })
      const ok = await untilProxy(r.url, 200, { headers: { apikey: bob.key } })
      assert.deepEqual(groupsOf(echoed(ok).headers['x-consumer-groups']), ['admin', 'dev'])
      await admin(gw, 'PATCH', `/acls/${acl.id}`, { group: 'ops' })
      await untilProxy(r.url, 403, { headers: { apikey: bob.key } })
      await admin(gw, 'PUT', `/consumers/${bob.username}/acls/admin`, {})
      await untilProxy(r.url, 200, { headers: { apikey: bob.key } })
      await admin(gw, 'DELETE', `/consumers/${bob.username}/acls/admin`)
      const res = await untilProxy(r.url, 403, { headers: { apikey: bob.key } })
      assert.equal(message(res), 'You cannot consume this service')
    })
  })

  describe('authenticated groups (kong.ctx.shared.authenticated_groups, set here by pre-function)', () => {
    // Sets the groups from a test header, and marks the response so we know it ran.
    const SET_GROUPS = [
      "kong.response.setHeader('X-Pre', 'on')",
      "const g = kong.request.getHeader('x-test-groups')",
      "if (g !== null) kong.ctx.shared.authenticated_groups = g === '' ? [] : g.split(',')",
    ].join('\n')

    /** acl (+ key-auth) + pre-function, added in that order; waits until pre-function runs. */
    async function withGroups(
      config: Record<string, unknown>,
      keyAuth: Record<string, unknown> | null,
    ): Promise<TestRoute> {
      const r = await addRoute(gw, up.url)
      await addPlugin(gw, { name: 'acl', config }, `/routes/${r.routeId}`)
      if (keyAuth !== null) await addPlugin(gw, { name: 'key-auth', config: keyAuth }, `/routes/${r.routeId}`)
      await addPlugin(gw, { name: 'pre-function', config: { access: [SET_GROUPS] } }, `/routes/${r.routeId}`)
      await until(async () => (await send(r.url)).headers['x-pre'] === 'on')
      return r
    }

    function groups(value: string): { headers: Record<string, string> } {
      return { headers: { 'x-test-groups': value } }
    }

    it('without a consumer, decides on them and sends X-Authenticated-Groups', async () => {
      const r = await withGroups({ allow: ['sso'] }, null)
      const e = echoed(await send(r.url, groups('sso,staff')))
      assert.equal(e.headers['x-authenticated-groups'], 'sso, staff')
      assert.equal(e.headers['x-consumer-groups'], undefined)
      const other = await send(r.url, groups('staff'))
      assert.equal(other.status, 403)
      assert.equal(message(other), 'You cannot consume this service')
      const empty = await send(r.url, groups(''))
      assert.equal(empty.status, 403)
      const none = await send(r.url)
      assert.equal(none.status, 401)
      assert.equal(message(none), 'Unauthorized')
      const d = await withGroups({ deny: ['banned'] }, null)
      assert.equal((await send(d.url, groups('banned'))).status, 403)
      assert.equal(echoed(await send(d.url, groups('staff'))).headers['x-authenticated-groups'], 'staff')
      const hidden = await withGroups({ allow: ['sso'], hide_groups_header: true }, null)
      assert.equal(echoed(await send(hidden.url, groups('sso'))).headers['x-authenticated-groups'], undefined)
    })

    it('they replace the groups of an anonymous consumer', async () => {
      const anon = await consumer(['anon-group'])
      const r = await withGroups({ allow: ['sso'] }, { anonymous: anon.username })
      const e = echoed(await send(r.url, groups('sso')))
      assert.equal(e.headers['x-authenticated-groups'], 'sso')
      assert.equal(e.headers['x-anonymous-consumer'], 'true')
      assert.equal((await send(r.url)).status, 403)
    })

    it('a consumer with a credential keeps its own groups, unless always_use_authenticated_groups', async () => {
      const alice = await consumer(['admin'])
      const own = await withGroups({ allow: ['sso'] }, {})
      const res = await send(own.url, { headers: { apikey: alice.key, 'x-test-groups': 'sso' } })
      assert.equal(res.status, 403)
      assert.equal(message(res), 'You cannot consume this service')
      const always = await withGroups({ allow: ['sso'], always_use_authenticated_groups: true }, {})
      const e = echoed(await send(always.url, { headers: { apikey: alice.key, 'x-test-groups': 'sso' } }))
      assert.equal(e.headers['x-authenticated-groups'], 'sso')
      assert.equal(e.headers['x-consumer-groups'], undefined)
      // no authenticated groups: back to the consumer's own
      assert.equal((await send(always.url, { headers: { apikey: alice.key } })).status, 403)
      const adminRoute = await withGroups({ allow: ['admin'], always_use_authenticated_groups: true }, {})
      assert.equal(
        echoed(await send(adminRoute.url, { headers: { apikey: alice.key } })).headers['x-consumer-groups'],
        'admin',
      )
    })
  })

  describe('scopes', () => {
    it('applies on a service too, and runs after authentication', async () => {
      const r = await addRoute(gw, up.url)
      await addPlugin(gw, { name: 'acl', config: { allow: ['admin'] } }, `/services/${r.serviceId}`)
      await addPlugin(gw, { name: 'key-auth' }, `/services/${r.serviceId}`)
      // key-auth (priority 1250) answers first when there is no key
      await until(async () => {
        const res = await send(r.url)
        return res.status === 401 && message(res) === 'No API key found in request'
      })
      const alice = await consumer(['admin'])
      assert.equal((await send(r.url, { headers: { apikey: alice.key } })).status, 200)
      const dev = await consumer(['dev'])
      assert.equal((await send(r.url, { headers: { apikey: dev.key } })).status, 403)
    })
  })
})
