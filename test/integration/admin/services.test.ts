// Services: CRUD by id and name, Kong's PUT/PATCH/DELETE semantics, the `url` shorthand,
// validation messages, restrict/cascade rules, nested and foreign-entity endpoints.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { Gateway } from '../../helpers/gateway.js'
import { RSA_CERT, RSA_KEY } from './fixtures.js'
import { type Client, client, create, type Json, startAdmin, UUID_RE, uniq, violation } from './helpers.js'

const SERVICE_FIELDS = [
  'id',
  'created_at',
  'updated_at',
  'name',
  'retries',
  'protocol',
  'host',
  'port',
  'path',
  'connect_timeout',
  'write_timeout',
  'read_timeout',
  'tags',
  'client_certificate',
  'tls_verify',
  'tls_verify_depth',
  'ca_certificates',
  'enabled',
].sort()

describe('admin api: services', () => {
  let gw: Gateway
  let api: Client
  before(async () => {
    gw = await startAdmin()
    api = client(gw)
  })
  after(async () => {
    await gw.stop()
  })

  const svc = (extra: Record<string, unknown> = {}) =>
    create(api, '/services', { name: uniq('svc'), host: 'upstream.test', ...extra })

  describe('create', () => {
    it('POST applies every default and returns all fields', async () => {
      const name = uniq('svc')
      const res = await api.post('/services', { name, host: 'billing.internal' })
      assert.equal(res.status, 201, res.text)
      assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8')
      const s = res.body
      assert.deepEqual(Object.keys(s).sort(), SERVICE_FIELDS)
      assert.match(s.id, UUID_RE)
      assert.ok(Number.isInteger(s.created_at))
      assert.equal(s.updated_at, s.created_at)
      assert.ok(Math.abs(s.created_at - Date.now() / 1000) < 60)
      const { id: _id, created_at: _c, updated_at: _u, ...rest } = s
      assert.deepEqual(rest, {
        name,
        retries: 5,
        protocol: 'http',
        host: 'billing.internal',
        port: 80,
        path: null,
        connect_timeout: 60000,
        write_timeout: 60000,
        read_timeout: 60000,
        tags: null,
        client_certificate: null,
        tls_verify: null,
        tls_verify_depth: null,
        ca_certificates: null,
        enabled: true,
      })
    })

    it('a client-supplied id and created_at are kept; updated_at is ignored', async () => {
      const id = randomUUID()
      const res = await api.post('/services', {
        id,
        created_at: 1000,
        updated_at: 'not even validated',
        host: 'x.test',
      })
      assert.equal(res.status, 201, res.text)
      assert.equal(res.body.id, id)
      assert.equal(res.body.created_at, 1000)
      assert.ok(Number.isInteger(res.body.updated_at))
      assert.ok(res.body.updated_at > 1000)
    })

    it('a duplicate id is a primary key violation (code 3)', async () => {
      const s = await svc()
      const res = await api.post('/services', { id: s.id, host: 'x.test' })
      assert.equal(res.status, 400)
      assert.deepEqual(res.body, {
        code: 3,
        name: 'primary key violation',
        message: `primary key violation on key '{id="${s.id}"}'`,
        fields: { id: s.id },
      })
    })

    it('an invalid id in the body is a schema violation', async () => {
      const res = await api.post('/services', { id: 'nope', host: 'x.test' })
      assert.equal(res.status, 400)
      assert.equal(res.body.code, 2)
      assert.deepEqual(res.body.fields, { id: 'expected a valid UUID' })
    })

    it('the same name twice is a 409 unique violation', async () => {
      const s = await svc()
      const res = await api.post('/services', { name: s.name, host: 'other.test' })
      assert.equal(res.status, 409)
      assert.deepEqual(res.body, {
        code: 5,
        name: 'unique constraint violation',
        message: `UNIQUE violation detected on '{name="${s.name}"}'`,
        fields: { name: s.name },
      })
    })

    it('accepts non-ASCII names and finds them through percent-encoded paths', async () => {
      const name = `円-${uniq('n')}`
      await create(api, '/services', { name, host: 'yen.test' })
      const res = await api.get(`/services/${encodeURIComponent(name)}`)
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.name, name)
    })

    it('finds /services/%E5%86%86 (the service named 円)', async () => {
      await api.delete('/services/%E5%86%86')
      await create(api, '/services', { name: '円', host: 'yen.test' })
      const res = await api.get('/services/%E5%86%86')
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.name, '円')
      assert.equal((await api.delete('/services/%E5%86%86')).status, 204)
    })
  })

  describe('url shorthand', () => {
    const viaUrl = async (url: string, extra: Record<string, unknown> = {}) => {
      const res = await api.post('/services', { url, ...extra })
      assert.equal(res.status, 201, res.text)
      const { protocol, host, port, path } = res.body
      assert.equal(Object.hasOwn(res.body, 'url'), false, 'url is input only')
      return { protocol, host, port, path }
    }

    it('http://example.test:443 → http, port 443, path null', async () => {
      assert.deepEqual(await viaUrl('http://example.test:443'), {
        protocol: 'http',
        host: 'example.test',
        port: 443,
        path: null,
      })
    })

    it('https://example2.test:80/ → https, port 80, path /', async () => {
      assert.deepEqual(await viaUrl('https://example2.test:80/'), {
        protocol: 'https',
        host: 'example2.test',
        port: 80,
        path: '/',
      })
    })

    it('default ports: 80 for http, 443 for https, 80 for anything else (grpcs://h)', async () => {
      assert.equal((await viaUrl('http://a.test/x')).port, 80)
      assert.equal((await viaUrl('https://a.test')).port, 443)
      assert.deepEqual(await viaUrl('grpcs://grpc.test'), {
        protocol: 'grpcs',
        host: 'grpc.test',
        port: 80,
        path: null,
      })
    })

    it('a URL path is kept as sent', async () => {
      assert.equal((await viaUrl('http://a.test/some/path')).path, '/some/path')
    })

    it('url overrides explicit protocol, host, port and path in the same payload', async () => {
      assert.deepEqual(
        await viaUrl('http://url.test/u', {
          protocol: 'https',
          host: 'explicit.test',
          port: 9000,
          path: '/p',
        }),
        { protocol: 'http', host: 'url.test', port: 80, path: '/u' },
      )
    })

    it('a service with both url and port: the url wins', async () => {
      assert.deepEqual(await viaUrl('https://both.test', { port: 8443 }), {
        protocol: 'https',
        host: 'both.test',
        port: 443,
        path: null,
      })
    })

    it('form-encoded url=https://svc.test/ → https, 443, /', async () => {
      const res = await api.form('POST', '/services', { url: 'https://svc.test/' })
      assert.equal(res.status, 201, res.text)
      assert.equal(res.body.protocol, 'https')
      assert.equal(res.body.host, 'svc.test')
      assert.equal(res.body.port, 443)
      assert.equal(res.body.path, '/')
    })

    it('PATCH with a url without path clears the path', async () => {
      const s = await svc({ path: '/old' })
      const res = await api.patch(`/services/${s.id}`, { url: 'https://new.test:8443' })
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.protocol, 'https')
      assert.equal(res.body.host, 'new.test')
      assert.equal(res.body.port, 8443)
      assert.equal(res.body.path, null)
      assert.equal(res.body.name, s.name)
    })
  })

  describe('validation', () => {
    const bad = async (body: Record<string, unknown>) => {
      const res = await api.post('/services', body)
      assert.equal(res.status, 400, res.text)
      assert.equal(res.body.code, 2)
      assert.equal(res.body.name, 'schema violation')
      return res.body
    }

    it('reports several violations sorted by field name, JSON strings are not coerced', async () => {
      assert.deepEqual(await bad({ connect_timeout: '80' }), {
        code: 2,
        name: 'schema violation',
        message: '2 schema violations (connect_timeout: expected an integer; host: required field missing)',
        fields: { connect_timeout: 'expected an integer', host: 'required field missing' },
      })
    })

    it('form-encoded numbers are converted', async () => {
      const res = await api.form('POST', '/services', { host: 'f.test', connect_timeout: '80', retries: '0' })
      assert.equal(res.status, 201, res.text)
      assert.equal(res.body.connect_timeout, 80)
      assert.equal(res.body.retries, 0)
    })

    it('ranges and enumerations', async () => {
      const body = await bad({ host: 'a.test', retries: -1, port: 70000, protocol: 'ftp' })
      assert.deepEqual(body.fields, {
        retries: 'value should be between 0 and 32767',
        port: 'value should be between 0 and 65535',
        protocol: 'expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp',
      })
      assert.equal(
        body.message,
        violation(
          'port: value should be between 0 and 65535',
          'protocol: expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp',
          'retries: value should be between 0 and 32767',
        ),
      )
    })

    it('timeouts must be between 1 and 2147483646', async () => {
      const body = await bad({
        host: 'a.test',
        read_timeout: 0,
        write_timeout: 2147483647,
        connect_timeout: 1.5,
      })
      assert.deepEqual(body.fields, {
        read_timeout: 'value should be between 1 and 2147483646',
        write_timeout: 'value should be between 1 and 2147483646',
        connect_timeout: 'expected an integer',
      })
    })

    it('wrong types', async () => {
      const body = await bad({ host: 'a.test', enabled: 'yes', tags: 'a', name: 5 })
      assert.deepEqual(body.fields, {
        enabled: 'expected a boolean',
        tags: 'expected a set',
        name: 'expected a string',
      })
    })

    it('created_at, when sent, must be an integer', async () => {
      assert.deepEqual((await bad({ host: 'a.test', created_at: 'x' })).fields, {
        created_at: 'expected an integer',
      })
    })

    it('an empty string is invalid', async () => {
      assert.deepEqual((await bad({ host: 'a.test', name: '' })).fields, {
        name: 'length must be at least 1',
      })
    })

    it('unknown fields are rejected', async () => {
      const body = await bad({ host: 'a.test', foo: 1 })
      assert.deepEqual(body.fields, { foo: 'unknown field' })
      assert.equal(body.message, 'schema violation (foo: unknown field)')
    })

    it('names allow only alphanumerics, ., -, _ and ~', async () => {
      assert.deepEqual((await bad({ host: 'a.test', name: 'a b' })).fields, {
        name: "invalid value 'a b': the only accepted ascii characters are alphanumerics or ., -, _, and ~",
      })
      const ok = await api.post('/services', { host: 'a.test', name: `A-z_0.9~${uniq('n')}` })
      assert.equal(ok.status, 201, ok.text)
    })

    it('host: no port, must be a hostname or IP', async () => {
      assert.deepEqual((await bad({ host: 'a.test:80' })).fields, { host: 'must not have a port' })
      assert.deepEqual((await bad({ host: 'a b.test' })).fields, { host: 'invalid value: a b.test' })
      const ip = await api.post('/services', { host: '10.0.0.1' })
      assert.equal(ip.status, 201, ip.text)
    })

    it('path rules', async () => {
      assert.deepEqual((await bad({ host: 'a.test', path: 'x' })).fields, { path: 'should start with: /' })
      assert.deepEqual((await bad({ host: 'a.test', path: '/a//b' })).fields, {
        path: 'must not have empty segments',
      })
      assert.deepEqual((await bad({ host: 'a.test', path: '/a b' })).fields, {
        path: "invalid path: '/a b' (characters outside of the reserved list of RFC 3986 found)",
      })
      assert.deepEqual((await bad({ host: 'a.test', path: '/a%zz' })).fields, {
        path: "invalid url-encoded value: '%zz'",
      })
      const ok = await api.post('/services', { host: 'a.test', path: '/a%20b/~c' })
      assert.equal(ok.status, 201, ok.text)
    })

    it('path must be null for tcp/tls/udp/grpc/grpcs', async () => {
      for (const protocol of ['tcp', 'tls', 'udp', 'grpc', 'grpcs']) {
        const body = await bad({ host: 'a.test', protocol, path: '/a' })
        assert.deepEqual(body, {
          code: 2,
          name: 'schema violation',
          message: violation(
            "failed conditional validation given value of field 'protocol'",
            'path: value must be null',
          ),
          fields: {
            path: 'value must be null',
            '@entity': ["failed conditional validation given value of field 'protocol'"],
          },
        })
      }
    })

    it('TLS fields only with https or tls', async () => {
      for (const [field, value] of [
        ['tls_verify', true],
        ['tls_verify_depth', 1],
        ['ca_certificates', [randomUUID()]],
        ['client_certificate', { id: randomUUID() }],
      ] as const) {
        const body = await bad({ host: 'a.test', protocol: 'http', [field]: value })
        assert.deepEqual(body.fields, {
          [field]: 'value must be null',
          '@entity': ["failed conditional validation given value of field 'protocol'"],
        })
      }
      const ok = await api.post('/services', {
        host: 'a.test',
        protocol: 'tls',
        tls_verify: true,
        tls_verify_depth: 3,
      })
      assert.equal(ok.status, 201, ok.text)
      assert.equal(ok.body.tls_verify, true)
      assert.equal(ok.body.tls_verify_depth, 3)
    })

    it('tls_verify_depth is limited to 0..64 and ca_certificates must be UUIDs', async () => {
      const body = await bad({
        host: 'a.test',
        protocol: 'https',
        tls_verify_depth: 65,
        ca_certificates: ['x'],
      })
      assert.deepEqual(body.fields, {
        tls_verify_depth: 'value should be between 0 and 64',
        ca_certificates: ['expected a valid UUID'],
      })
    })
  })

  describe('read', () => {
    it('GET by id and by name', async () => {
      const s = await svc()
      const byId = await api.get(`/services/${s.id}`)
      assert.equal(byId.status, 200)
      assert.deepEqual(byId.body, s)
      const byName = await api.get(`/services/${s.name}`)
      assert.equal(byName.status, 200)
      assert.deepEqual(byName.body, s)
      const upper = await api.get(`/services/${s.id.toUpperCase()}`)
      assert.equal(upper.status, 200, 'UUIDs in paths are case-insensitive')
      assert.equal(upper.body.id, s.id)
    })

    it('GET of a missing entity is a plain 404', async () => {
      for (const key of [randomUUID(), uniq('missing')]) {
        const res = await api.get(`/services/${key}`)
        assert.equal(res.status, 404)
        assert.deepEqual(res.body, { message: 'Not found' })
      }
    })

    it('an endpoint key that fails validation is 400 code 10', async () => {
      const res = await api.get('/services/a%20b')
      assert.equal(res.status, 400)
      assert.deepEqual(res.body, {
        code: 10,
        name: 'invalid unique name',
        message:
          "invalid value 'a b': the only accepted ascii characters are alphanumerics or ., -, _, and ~",
      })
    })

    it('a name that is a valid UUID can be stored but not addressed by name', async () => {
      const name = randomUUID()
      const s = await svc({ name })
      assert.equal(s.name, name)
      assert.equal((await api.get(`/services/${name}`)).status, 404, 'the segment is taken as an id')
      assert.equal((await api.get(`/services/${s.id}`)).body.name, name)
    })

    it('a trailing slash is accepted', async () => {
      const s = await svc()
      const res = await api.get(`/services/${s.name}/`)
      assert.equal(res.status, 200)
      assert.equal(res.body.id, s.id)
    })
  })

  describe('PUT (upsert)', () => {
    it('PUT by name creates the service with that name (200, never 201)', async () => {
      const name = uniq('put')
      const res = await api.put(`/services/${name}`, { host: 'put.test' })
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.name, name)
      assert.match(res.body.id, UUID_RE)
      assert.equal((await api.get(`/services/${name}`)).body.id, res.body.id)
    })

    it('PUT by id creates with that id', async () => {
      const id = randomUUID()
      const res = await api.put(`/services/${id}`, { host: 'put.test', name: uniq('put') })
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.id, id)
    })

    it('PUT fully replaces: absent fields go back to defaults, the id is kept', async () => {
      const s = await svc({ retries: 9, path: '/p', tags: ['a'], connect_timeout: 5, enabled: false })
      const res = await api.put(`/services/${s.id}`, { name: s.name, host: 'replaced.test' })
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.id, s.id)
      assert.equal(res.body.host, 'replaced.test')
      assert.equal(res.body.retries, 5)
      assert.equal(res.body.path, null)
      assert.equal(res.body.tags, null)
      assert.equal(res.body.connect_timeout, 60000)
      assert.equal(res.body.enabled, true)
    })

    it('PUT without name by id clears the name', async () => {
      const s = await svc()
      const res = await api.put(`/services/${s.id}`, { host: 'noname.test' })
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.name, null)
    })

    it('the URL identifier wins over the body', async () => {
      const name = uniq('url')
      const res = await api.put(`/services/${name}`, { name: uniq('body'), host: 'a.test' })
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.name, name)
      const id = randomUUID()
      const res2 = await api.put(`/services/${id}`, { id: randomUUID(), host: 'a.test' })
      assert.equal(res2.status, 200, res2.text)
      assert.equal(res2.body.id, id)
    })

    it('PUT by name of an existing service keeps its id', async () => {
      const s = await svc()
      const res = await api.put(`/services/${s.name}`, { host: 'again.test' })
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.id, s.id)
      assert.equal(res.body.host, 'again.test')
    })

    it('PUT without created_at resets created_at (Kong writes every column on upsert)', async () => {
      const s = await svc({ created_at: 1000 })
      assert.equal(s.created_at, 1000)
      const res = await api.put(`/services/${s.id}`, { host: 'a.test' })
      assert.equal(res.status, 200, res.text)
      assert.ok(res.body.created_at > 1000)
      const kept = await api.put(`/services/${s.id}`, { host: 'a.test', created_at: 2000 })
      assert.equal(kept.body.created_at, 2000)
    })

    it('updated_at is refreshed by PATCH and PUT, created_at kept by PATCH', async () => {
      const s = await svc()
      await new Promise((r) => setTimeout(r, 1100))
      const patched = await api.patch(`/services/${s.id}`, { retries: 1 })
      assert.equal(patched.body.created_at, s.created_at)
      assert.ok(patched.body.updated_at > s.updated_at, 'PATCH bumps updated_at')
      assert.equal((await api.get(`/services/${s.id}`)).body.updated_at, patched.body.updated_at)
      const put = await api.put(`/services/${s.id}`, { host: 'a.test', created_at: s.created_at })
      assert.ok(put.body.updated_at > s.updated_at, 'PUT bumps updated_at')
    })

    it('PUT validates like POST', async () => {
      const res = await api.put(`/services/${uniq('v')}`, {})
      assert.equal(res.status, 400)
      assert.deepEqual(res.body.fields, { host: 'required field missing' })
    })

    it('PUT to a name taken by another service through the body of an id PUT → 409', async () => {
      const a = await svc()
      const res = await api.put(`/services/${randomUUID()}`, { name: a.name, host: 'a.test' })
      assert.equal(res.status, 409)
      assert.equal(res.body.code, 5)
      assert.equal(res.body.message, `UNIQUE violation detected on '{name="${a.name}"}'`)
    })

    it('a non-UUID segment in a PUT URL is the name', async () => {
      // A non-UUID segment is the endpoint key (name), so this creates a service named like that.
      const name = 'not-a-uuid-but-a-name'
      await api.delete(`/services/${name}`)
      const res = await api.put(`/services/${name}`, { host: 'a.test' })
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.name, name)
    })
  })

  describe('PATCH (update)', () => {
    it('changes only the given fields and bumps nothing else', async () => {
      const s = await svc({ retries: 9, path: '/p', tags: ['t1'] })
      const res = await api.patch(`/services/${s.name}`, { retries: 1 })
      assert.equal(res.status, 200, res.text)
      assert.deepEqual({ ...res.body, updated_at: s.updated_at }, { ...s, retries: 1 })
      assert.ok(res.body.updated_at >= s.updated_at)
    })

    it('null clears an optional field; clearing a required one fails', async () => {
      const s = await svc({ path: '/p' })
      const res = await api.patch(`/services/${s.id}`, { path: null })
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.path, null)
      const bad = await api.patch(`/services/${s.id}`, { host: null })
      assert.equal(bad.status, 400)
      assert.deepEqual(bad.body.fields, { host: 'required field missing' })
    })

    it('arrays are replaced', async () => {
      const s = await svc({ tags: ['a', 'b'] })
      const res = await api.patch(`/services/${s.id}`, { tags: ['c'] })
      assert.deepEqual(res.body.tags, ['c'])
    })

    it('entity checks use the merged entity', async () => {
      const s = await svc({ protocol: 'https', tls_verify: true })
      const res = await api.patch(`/services/${s.id}`, { protocol: 'http' })
      assert.equal(res.status, 400)
      assert.deepEqual(res.body.fields, {
        tls_verify: 'value must be null',
        '@entity': ["failed conditional validation given value of field 'protocol'"],
      })
    })

    it('PATCH of a missing service is a structured 404 (code 6), by id and by name', async () => {
      const id = randomUUID()
      const byId = await api.patch(`/services/${id}`, { retries: 1 })
      assert.equal(byId.status, 404)
      assert.deepEqual(byId.body, {
        code: 6,
        name: 'not found',
        message: `could not find the entity with primary key '{id="${id}"}'`,
        fields: { id },
      })
      const name = uniq('missing')
      const byName = await api.patch(`/services/${name}`, { retries: 1 })
      assert.equal(byName.status, 404)
      assert.deepEqual(byName.body, {
        code: 6,
        name: 'not found',
        message: `could not find the entity with '{name="${name}"}'`,
        fields: { name },
      })
    })

    it('PATCH to a name used by another service → 409', async () => {
      const a = await svc()
      const b = await svc()
      const res = await api.patch(`/services/${b.id}`, { name: a.name })
      assert.equal(res.status, 409)
      assert.deepEqual(res.body.fields, { name: a.name })
    })

    it('Kong Manager sends the whole entity back (id, created_at, updated_at): accepted', async () => {
      const s = await svc({ created_at: 1234 })
      const res = await api.patch(`/services/${s.id}`, { ...s, retries: 2, updated_at: 1 })
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.retries, 2)
      assert.equal(res.body.id, s.id)
      assert.equal(res.body.created_at, 1234)
      assert.ok(res.body.updated_at > 1)
    })
  })

  describe('DELETE', () => {
    it('deletes by id and by name, 204 with an empty body, idempotent', async () => {
      const a = await svc()
      const b = await svc()
      const r1 = await api.delete(`/services/${a.id}`)
      assert.equal(r1.status, 204)
      assert.equal(r1.text, '')
      assert.equal((await api.delete(`/services/${b.name}`)).status, 204)
      assert.equal((await api.get(`/services/${a.id}`)).status, 404)
      assert.equal((await api.get(`/services/${b.id}`)).status, 404)
      assert.equal((await api.delete(`/services/${a.id}`)).status, 204)
      assert.equal((await api.delete(`/services/${uniq('never')}`)).status, 204)
    })

    it('a service referenced by routes cannot be deleted (400 code 4)', async () => {
      const s = await svc()
      await create(api, `/services/${s.id}/routes`, { paths: ['/x'] })
      const res = await api.delete(`/services/${s.id}`)
      assert.equal(res.status, 400)
      assert.deepEqual(res.body, {
        code: 4,
        name: 'foreign key violation',
        message: "an existing 'routes' entity references this 'services' entity",
        fields: { '@referenced_by': 'routes' },
      })
      assert.equal((await api.get(`/services/${s.id}`)).status, 200)
    })

    it('deleting a service deletes the plugins scoped to it', async () => {
      const s = await svc()
      const p = await create(api, `/services/${s.id}/plugins`, { name: 'key-auth' })
      assert.equal((await api.delete(`/services/${s.id}`)).status, 204)
      assert.equal((await api.get(`/plugins/${p.id}`)).status, 404)
    })
  })

  describe('nested routes: /services/{s}/routes', () => {
    it('POST forces the service, GET lists only its routes', async () => {
      const s = await svc()
      const other = await svc()
      const r = await create(api, `/services/${s.name}/routes`, {
        paths: ['/a'],
        service: { id: other.id },
      })
      assert.deepEqual(r.service, { id: s.id })
      await create(api, `/services/${other.id}/routes`, { paths: ['/b'] })
      const list = await api.get(`/services/${s.name}/routes`)
      assert.equal(list.status, 200)
      assert.deepEqual(list.body, { data: [r], next: null })
    })

    it('a missing parent is 404 Not found', async () => {
      for (const method of ['GET', 'POST'] as const) {
        const res = await api.send(method, `/services/${uniq('nope')}/routes`, { json: { paths: ['/x'] } })
        assert.equal(res.status, 404)
        assert.deepEqual(res.body, { message: 'Not found' })
      }
    })

    it('GET/PATCH/DELETE of a route only if it belongs to the service', async () => {
      const s = await svc()
      const other = await svc()
      const r = await create(api, `/services/${s.id}/routes`, { name: uniq('r'), paths: ['/a'] })
      const get = await api.get(`/services/${s.name}/routes/${r.name}`)
      assert.equal(get.status, 200)
      assert.deepEqual(get.body, r)
      assert.equal((await api.get(`/services/${s.id}/routes/${r.id}`)).status, 200)
      for (const method of ['GET', 'PATCH', 'DELETE']) {
        const res = await api.send(method, `/services/${other.id}/routes/${r.id}`, {
          json: { paths: ['/z'] },
        })
        assert.equal(res.status, 404, `${method} via another service`)
        assert.deepEqual(res.body, { message: 'Not found' })
      }
      const patched = await api.patch(`/services/${s.id}/routes/${r.id}`, { paths: ['/b'] })
      assert.equal(patched.status, 200, patched.text)
      assert.deepEqual(patched.body.paths, ['/b'])
      assert.deepEqual(patched.body.service, { id: s.id })
      assert.equal((await api.delete(`/services/${s.id}/routes/${r.name}`)).status, 204)
      assert.equal((await api.get(`/routes/${r.id}`)).status, 404)
    })

    it('PUT upserts the route with the service forced', async () => {
      const s = await svc()
      const name = uniq('r')
      const res = await api.put(`/services/${s.id}/routes/${name}`, { paths: ['/put'] })
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.name, name)
      assert.deepEqual(res.body.service, { id: s.id })
    })

    it('PATCH keeps the service unless the body sets it (then the route moves)', async () => {
      const s = await svc()
      const other = await svc()
      const r = await create(api, `/services/${s.id}/routes`, { paths: ['/m'] })
      const keep = await api.patch(`/services/${s.id}/routes/${r.id}`, { paths: ['/k'] })
      assert.deepEqual(keep.body.service, { id: s.id })
      const moved = await api.patch(`/services/${s.id}/routes/${r.id}`, { service: { id: other.id } })
      assert.equal(moved.status, 200, moved.text)
      assert.deepEqual(moved.body.service, { id: other.id })
      assert.equal((await api.get(`/services/${s.id}/routes/${r.id}`)).status, 404)
      assert.equal((await api.get(`/services/${other.id}/routes/${r.id}`)).status, 200)
    })

    it('PATCH of a missing nested route is 404', async () => {
      const s = await svc()
      const res = await api.patch(`/services/${s.id}/routes/${randomUUID()}`, { paths: ['/x'] })
      assert.equal(res.status, 404)
    })
  })

  describe('nested plugins: /services/{s}/plugins', () => {
    it('POST scopes the plugin, GET lists them, nested item endpoints work', async () => {
      const s = await svc()
      const p = await create(api, `/services/${s.name}/plugins`, { name: 'key-auth' })
      assert.deepEqual(p.service, { id: s.id })
      assert.equal(p.route, null)
      assert.equal(p.consumer, null)
      const list = await api.get(`/services/${s.id}/plugins`)
      assert.deepEqual(list.body, { data: [p], next: null })
      assert.deepEqual((await api.get(`/services/${s.id}/plugins/${p.id}`)).body, p)
      const patched = await api.patch(`/services/${s.id}/plugins/${p.id}`, { enabled: false })
      assert.equal(patched.status, 200, patched.text)
      assert.equal(patched.body.enabled, false)
      assert.deepEqual(patched.body.service, { id: s.id })
      assert.equal((await api.delete(`/services/${s.id}/plugins/${p.id}`)).status, 204)
      assert.deepEqual((await api.get(`/services/${s.id}/plugins`)).body, { data: [], next: null })
    })

    it('a plugin of another service is not reachable through this one', async () => {
      const s = await svc()
      const other = await svc()
      const p = await create(api, `/services/${other.id}/plugins`, { name: 'key-auth' })
      assert.equal((await api.get(`/services/${s.id}/plugins/${p.id}`)).status, 404)
    })
  })

  describe('foreign-entity endpoint: /services/{s}/client_certificate', () => {
    it('404 when the service has no client certificate (GET, PATCH, DELETE)', async () => {
      const s = await svc()
      for (const method of ['GET', 'PATCH', 'DELETE']) {
        const res = await api.send(method, `/services/${s.id}/client_certificate`, { json: {} })
        assert.equal(res.status, 404, method)
        assert.deepEqual(res.body, { message: 'Not found' })
      }
    })

    it('GET returns the certificate; PATCH updates it; DELETE is 405', async () => {
      const cert = await create(api, '/certificates', { cert: RSA_CERT, key: RSA_KEY })
      const s = await svc({ protocol: 'https', client_certificate: { id: cert.id } })
      const get = await api.get(`/services/${s.name}/client_certificate`)
      assert.equal(get.status, 200, get.text)
      assert.equal(get.body.id, cert.id)
      assert.equal(get.body.cert, RSA_CERT)
      const patched = await api.patch(`/services/${s.name}/client_certificate`, { tags: ['client'] })
      assert.equal(patched.status, 200, patched.text)
      assert.equal(patched.body.id, cert.id)
      assert.deepEqual(patched.body.tags, ['client'])
      const del = await api.delete(`/services/${s.name}/client_certificate`)
      assert.equal(del.status, 405)
      assert.deepEqual(del.body, { message: 'Method not allowed' })
      assert.equal((await api.get(`/certificates/${cert.id}`)).status, 200)
    })

    it('PUT without a linked certificate creates one and links the service to it', async () => {
      const s = await svc({ protocol: 'https' })
      const res = await api.put(`/services/${s.id}/client_certificate`, { cert: RSA_CERT, key: RSA_KEY })
      assert.equal(res.status, 200, res.text)
      assert.match(res.body.id, UUID_RE)
      const after = await api.get(`/services/${s.id}`)
      assert.deepEqual(after.body.client_certificate, { id: res.body.id })
    })

    it('a certificate used as client certificate cannot be deleted (code 4)', async () => {
      const cert = await create(api, '/certificates', { cert: RSA_CERT, key: RSA_KEY })
      await svc({ protocol: 'https', client_certificate: { id: cert.id } })
      const res = await api.delete(`/certificates/${cert.id}`)
      assert.equal(res.status, 400)
      assert.deepEqual(res.body, {
        code: 4,
        name: 'foreign key violation',
        message: "an existing 'services' entity references this 'certificates' entity",
        fields: { '@referenced_by': 'services' },
      })
    })

    it('POST /certificates/{c}/services creates a service using it as client certificate', async () => {
      const cert = await create(api, '/certificates', { cert: RSA_CERT, key: RSA_KEY })
      const res = await api.post(`/certificates/${cert.id}/services`, { host: 'cc.test', protocol: 'https' })
      assert.equal(res.status, 201, res.text)
      assert.deepEqual(res.body.client_certificate, { id: cert.id })
    })

    it('/certificates/{c}/services lists the services using it', async () => {
      const cert = await create(api, '/certificates', { cert: RSA_CERT, key: RSA_KEY })
      const s = await svc({ protocol: 'https', client_certificate: { id: cert.id } })
      const res = await api.get(`/certificates/${cert.id}/services`)
      assert.equal(res.status, 200, res.text)
      assert.deepEqual(
        res.body.data.map((x: Json) => x.id),
        [s.id],
      )
    })

    it('a client_certificate pointing nowhere is a foreign key violation (code 4)', async () => {
      const id = randomUUID()
      const res = await api.post('/services', {
        host: 'a.test',
        protocol: 'https',
        client_certificate: { id },
      })
      assert.equal(res.status, 400)
      assert.deepEqual(res.body, {
        code: 4,
        name: 'foreign key violation',
        message: `the foreign key '{id="${id}"}' does not reference an existing 'certificates' entity.`,
        fields: { client_certificate: { id } },
      })
    })
  })
})
