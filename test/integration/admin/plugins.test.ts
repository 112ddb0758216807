// Plugins through the Admin API (key-auth as the example type): config defaults and validation,
// scopes, uniqueness of the scope, instance_name addressing, PATCH without name (JSON and form),
// protocol compatibility with routes, and the /plugins/{p}/route|service|consumer endpoints.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { Gateway } from '../../helpers/gateway.js'
import { type Client, client, create, type Json, startAdmin, UUID_RE, uniq } from './helpers.js'

const KEY_AUTH_DEFAULT_CONFIG = {
  key_names: ['apikey'],
  hide_credentials: false,
  anonymous: null,
  key_in_header: true,
  key_in_query: true,
  key_in_body: false,
  run_on_preflight: true,
  realm: null,
}

describe('admin api: plugins', () => {
  let gw: Gateway
  let api: Client
  before(async () => {
    gw = await startAdmin()
    api = client(gw)
  })
  after(async () => {
    await gw.stop()
  })

  const service = () => create(api, '/services', { name: uniq('svc'), host: 'upstream.test' })
  const route = (extra: Record<string, unknown> = {}) =>
    create(api, '/routes', { name: uniq('route'), paths: ['/p'], ...extra })
  /** A key-auth plugin on a fresh route (each route admits one key-auth). */
  const plugin = async (extra: Record<string, unknown> = {}) => {
    const r = await route()
    return create(api, '/plugins', { name: 'key-auth', route: { id: r.id }, ...extra })
  }

  describe('create', () => {
    it('POST fills every default, including the whole config', async () => {
      const r = await route()
      const res = await api.post('/plugins', { name: 'key-auth', route: { id: r.id } })
      assert.equal(res.status, 201, res.text)
      const { id, created_at, updated_at, ...rest } = res.body
      assert.match(id, UUID_RE)
      assert.ok(Number.isInteger(created_at))
      assert.equal(updated_at, created_at)
      assert.deepEqual(rest, {
        name: 'key-auth',
        instance_name: null,
        route: { id: r.id },
        service: null,
        consumer: null,
        config: KEY_AUTH_DEFAULT_CONFIG,
        protocols: ['grpc', 'grpcs', 'http', 'https'],
        enabled: true,
        tags: null,
      })
    })

    it('a global plugin, then a second global key-auth → 409 listing all scope fields', async () => {
      const p = await create(api, '/plugins', { name: 'key-auth' })
      try {
        assert.equal(p.route, null)
        assert.equal(p.service, null)
        assert.equal(p.consumer, null)
        const res = await api.post('/plugins', { name: 'key-auth' })
        assert.equal(res.status, 409)
        assert.deepEqual(res.body, {
          code: 5,
          name: 'unique constraint violation',
          message: `UNIQUE violation detected on '{consumer=null,name="key-auth",route=null,service=null}'`,
          fields: { name: 'key-auth', route: null, service: null, consumer: null },
        })
      } finally {
        await api.delete(`/plugins/${p.id}`)
      }
    })

    it('a second key-auth on the same service → 409 (checklist 12)', async () => {
      const s = await service()
      await create(api, `/services/${s.id}/plugins`, { name: 'key-auth' })
      const res = await api.post(`/services/${s.id}/plugins`, { name: 'key-auth' })
      assert.equal(res.status, 409)
      assert.deepEqual(res.body, {
        code: 5,
        name: 'unique constraint violation',
        message: `UNIQUE violation detected on '{consumer=null,name="key-auth",route=null,service={id="${s.id}"}}'`,
        fields: { name: 'key-auth', route: null, service: { id: s.id }, consumer: null },
      })
    })

    it('the same plugin on a route and on its service is allowed (different scopes)', async () => {
      const s = await service()
      const r = await route({ service: { id: s.id } })
      await create(api, '/plugins', { name: 'key-auth', service: { id: s.id } })
      const both = await api.post('/plugins', {
        name: 'key-auth',
        service: { id: s.id },
        route: { id: r.id },
      })
      assert.equal(both.status, 201, both.text)
      const routeOnly = await api.post('/plugins', { name: 'key-auth', route: { id: r.id } })
      assert.equal(routeOnly.status, 201, routeOnly.text)
    })

    it('scope by name: route {name}, service {name}', async () => {
      const s = await service()
      const r = await route()
      const p = await create(api, '/plugins', {
        name: 'key-auth',
        service: { name: s.name },
        route: { name: r.name },
      })
      assert.deepEqual(p.service, { id: s.id })
      assert.deepEqual(p.route, { id: r.id })
    })

    it('name is required; an unknown plugin is not enabled', async () => {
      const missing = await api.post('/plugins', {})
      assert.equal(missing.status, 400)
      assert.deepEqual(missing.body, {
        code: 2,
        name: 'schema violation',
        message: 'schema violation (name: required field missing)',
        fields: { name: 'required field missing' },
      })
      const unknown = await api.post('/plugins', { name: 'zipkin' })
      assert.equal(unknown.status, 400)
      assert.deepEqual(unknown.body.fields, {
        name: "plugin 'zipkin' not enabled; add it to the 'plugins' configuration property",
      })
    })

    it('config: unknown fields, element validation, required fields, protocols of the plugin', async () => {
      const r = await route()
      const res = await api.post('/plugins', {
        name: 'key-auth',
        route: { id: r.id },
        config: { foo: 1, key_names: ['ok', 'a b'], hide_credentials: null },
        protocols: ['tcp'],
      })
      assert.equal(res.status, 400)
      assert.deepEqual(res.body.fields, {
        config: {
          foo: 'unknown field',
          key_names: [null, "bad header name 'a b', allowed characters are A-Z, a-z, 0-9, '_', and '-'"],
          hide_credentials: 'required field missing',
        },
        protocols: ['expected one of: grpc, grpcs, http, https'],
      })
    })

    it('config partial input is completed with defaults', async () => {
      const p = await plugin({ config: { key_names: ['x-key'], key_in_body: true } })
      assert.deepEqual(p.config, { ...KEY_AUTH_DEFAULT_CONFIG, key_names: ['x-key'], key_in_body: true })
    })

    it('form-encoded config.key_names[1]= and booleans', async () => {
      const r = await route()
      const res = await api.form(
        'POST',
        '/plugins',
        `name=key-auth&route.id=${r.id}&config.key_names[1]=apikey&config.key_names[2]=x-api-key&config.hide_credentials=true&protocols=http`,
      )
      assert.equal(res.status, 201, res.text)
      assert.deepEqual(res.body.config.key_names, ['apikey', 'x-api-key'])
      assert.equal(res.body.config.hide_credentials, true)
      assert.deepEqual(res.body.protocols, ['http'])
    })

    it('instance_name is a unique utf8 name', async () => {
      const name = uniq('inst')
      await plugin({ instance_name: name })
      const dup = await api.post('/plugins', { name: 'key-auth', instance_name: name, service: null })
      assert.equal(dup.status, 409)
      assert.deepEqual(dup.body, {
        code: 5,
        name: 'unique constraint violation',
        message: `UNIQUE violation detected on '{instance_name="${name}"}'`,
        fields: { instance_name: name },
      })
      const bad = await api.post('/plugins', { name: 'key-auth', instance_name: 'a b' })
      assert.equal(bad.status, 400)
      assert.deepEqual(bad.body.fields, {
        instance_name:
          "invalid value 'a b': the only accepted ascii characters are alphanumerics or ., -, _, and ~",
      })
    })

    it('a non-existent route id → code 4', async () => {
      const id = randomUUID()
      const res = await api.post('/plugins', { name: 'key-auth', route: { id } })
      assert.equal(res.status, 400)
      assert.deepEqual(res.body, {
        code: 4,
        name: 'foreign key violation',
        message: `the foreign key '{id="${id}"}' does not reference an existing 'routes' entity.`,
        fields: { route: { id } },
      })
    })
  })

  describe('protocol compatibility', () => {
    it("with a route: plugin protocols must intersect the route's", async () => {
      const r = await route({ protocols: ['http'] })
      const res = await api.post('/plugins', { name: 'key-auth', route: { id: r.id }, protocols: ['https'] })
      assert.equal(res.status, 400)
      assert.deepEqual(res.body, {
        code: 2,
        name: 'schema violation',
        message: "schema violation (protocols: must match the associated route's protocols)",
        fields: { protocols: "must match the associated route's protocols" },
      })
      const ok = await api.post('/plugins', {
        name: 'key-auth',
        route: { id: r.id },
        protocols: ['http', 'grpc'],
      })
      assert.equal(ok.status, 201, ok.text)
    })

    it('with a service: must intersect at least one of its routes (no routes: passes)', async () => {
      const empty = await service()
      const ok = await api.post('/plugins', {
        name: 'key-auth',
        service: { id: empty.id },
        protocols: ['grpc'],
      })
      assert.equal(ok.status, 201, ok.text)
      const s = await service()
      await route({ service: { id: s.id }, protocols: ['http'] })
      const res = await api.post('/plugins', {
        name: 'key-auth',
        service: { id: s.id },
        protocols: ['grpcs'],
      })
      assert.equal(res.status, 400)
      assert.deepEqual(res.body.fields, {
        protocols: "must match the protocols of at least one route pointing to this Plugin's service",
      })
    })

    it('PATCH changing protocols is checked too', async () => {
      const r = await route({ protocols: ['https'] })
      const p = await create(api, '/plugins', { name: 'key-auth', route: { id: r.id }, protocols: ['https'] })
      const res = await api.patch(`/plugins/${p.id}`, { protocols: ['http'] })
      assert.equal(res.status, 400)
      assert.deepEqual(res.body.fields, { protocols: "must match the associated route's protocols" })
    })
  })

  describe('read, PUT, PATCH, DELETE', () => {
    it('GET by id and by instance_name', async () => {
      const p = await plugin({ instance_name: uniq('inst') })
      assert.deepEqual((await api.get(`/plugins/${p.id}`)).body, p)
      assert.deepEqual((await api.get(`/plugins/${p.instance_name}`)).body, p)
      const missing = await api.get(`/plugins/${uniq('nope')}`)
      assert.equal(missing.status, 404)
      assert.deepEqual(missing.body, { message: 'Not found' })
    })

    it('PATCH without name merges config key by key; arrays replaced', async () => {
      const p = await plugin({ config: { key_names: ['a', 'b'], hide_credentials: true } })
      const res = await api.patch(`/plugins/${p.id}`, { config: { key_names: ['c'] } })
      assert.equal(res.status, 200, res.text)
      assert.deepEqual(res.body.config, {
        ...KEY_AUTH_DEFAULT_CONFIG,
        key_names: ['c'],
        hide_credentials: true,
      })
      assert.equal(res.body.name, 'key-auth')
      assert.deepEqual(res.body.route, p.route)
    })

    it('form-encoded PATCH without name uses the stored plugin schema for conversion', async () => {
      const p = await plugin()
      const res = await api.form(
        'PATCH',
        `/plugins/${p.id}`,
        'config.key_names[1]=x&config.key_names[2]=y&config.hide_credentials=true&enabled=false',
      )
      assert.equal(res.status, 200, res.text)
      assert.deepEqual(res.body.config.key_names, ['x', 'y'])
      assert.equal(res.body.config.hide_credentials, true)
      assert.equal(res.body.enabled, false)
    })

    it('PATCH config.anonymous with an empty form value sets null', async () => {
      const p = await plugin({ config: { anonymous: 'anon-user' } })
      assert.equal(p.config.anonymous, 'anon-user')
      const res = await api.form('PATCH', `/plugins/${p.id}`, 'config.anonymous=')
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.config.anonymous, null)
    })

    it('PATCH of a missing plugin → 404 code 6', async () => {
      const id = randomUUID()
      const res = await api.patch(`/plugins/${id}`, { enabled: false })
      assert.equal(res.status, 404)
      assert.deepEqual(res.body, {
        code: 6,
        name: 'not found',
        message: `could not find the entity with primary key '{id="${id}"}'`,
        fields: { id },
      })
    })

    it('PUT by instance_name creates then replaces (config back to defaults)', async () => {
      const r = await route()
      const name = uniq('inst')
      const first = await api.put(`/plugins/${name}`, {
        name: 'key-auth',
        route: { id: r.id },
        config: { hide_credentials: true },
      })
      assert.equal(first.status, 200, first.text)
      assert.equal(first.body.instance_name, name)
      assert.equal(first.body.config.hide_credentials, true)
      const second = await api.put(`/plugins/${name}`, { name: 'key-auth', route: { id: r.id } })
      assert.equal(second.status, 200, second.text)
      assert.equal(second.body.id, first.body.id)
      assert.deepEqual(second.body.config, KEY_AUTH_DEFAULT_CONFIG)
    })

    it('DELETE by instance_name, idempotent', async () => {
      const p = await plugin({ instance_name: uniq('inst') })
      assert.equal((await api.delete(`/plugins/${p.instance_name}`)).status, 204)
      assert.equal((await api.get(`/plugins/${p.id}`)).status, 404)
      assert.equal((await api.delete(`/plugins/${p.id}`)).status, 204)
    })
  })

  describe('/plugins/{p}/route, /service, /consumer', () => {
    it('GET returns the scoped entity; 404 when the scope is null', async () => {
      const s = await service()
      const r = await route()
      const p = await create(api, '/plugins', {
        name: 'key-auth',
        route: { id: r.id },
        service: { id: s.id },
      })
      assert.deepEqual((await api.get(`/plugins/${p.id}/route`)).body, r)
      assert.deepEqual((await api.get(`/plugins/${p.id}/service`)).body, s)
      const consumer = await api.get(`/plugins/${p.id}/consumer`)
      assert.equal(consumer.status, 404)
      assert.deepEqual(consumer.body, { message: 'Not found' })
      assert.equal((await api.get(`/plugins/${randomUUID()}/route`)).status, 404)
    })

    it('PATCH updates the referenced entity; DELETE → 405', async () => {
      const r = await route()
      const p = await create(api, '/plugins', { name: 'key-auth', route: { id: r.id } })
      const patched = await api.patch(`/plugins/${p.id}/route`, { paths: ['/patched'] })
      assert.equal(patched.status, 200, patched.text)
      assert.equal(patched.body.id, r.id)
      assert.deepEqual(patched.body.paths, ['/patched'])
      const del = await api.delete(`/plugins/${p.id}/route`)
      assert.equal(del.status, 405)
      assert.deepEqual(del.body, { message: 'Method not allowed' })
      const none = await api.delete(`/plugins/${p.id}/service`)
      assert.equal(none.status, 404)
    })

    it('PUT on a null scope creates the entity and links the plugin', async () => {
      const p = await plugin()
      const res = await api.put(`/plugins/${p.id}/service`, { host: 'linked.test' })
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.host, 'linked.test')
      const after = await api.get(`/plugins/${p.id}`)
      assert.deepEqual(after.body.service, { id: res.body.id })
    })
  })

  describe('listing', () => {
    it('/plugins lists global and scoped plugins', async () => {
      const a = await plugin({ tags: [uniq('tag')] })
      const res = await api.get(`/plugins?tags=${a.tags[0]}`)
      assert.equal(res.status, 200)
      assert.deepEqual(
        res.body.data.map((x: Json) => x.id),
        [a.id],
      )
    })
  })
})
