// Routes: CRUD by id and name, protocol groups and per-protocol rules, hosts/paths/headers rules,
// foreign keys by name, /routes/{r}/service and /routes/{r}/plugins, cascades.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { Gateway } from '../../helpers/gateway.js'
import { type Client, client, create, type Json, startAdmin, UUID_RE, uniq, violation } from './helpers.js'

const ALL_PROTOCOLS = 'expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp'

describe('admin api: routes', () => {
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

  /** POSTs a route and returns the 400 body (asserting a code-2 schema violation). */
  const bad = async (body: Record<string, unknown>) => {
    const res = await api.post('/routes', body)
    assert.equal(res.status, 400, res.text)
    assert.equal(res.body.code, 2, res.text)
    assert.equal(res.body.name, 'schema violation')
    return res.body
  }

  describe('create', () => {
    it('POST applies every default and returns all fields', async () => {
      const s = await service()
      const res = await api.post('/routes', { hosts: ['example.com'], service: { id: s.id } })
      assert.equal(res.status, 201, res.text)
      const { id, created_at, updated_at, ...rest } = res.body
      assert.match(id, UUID_RE)
      assert.ok(Number.isInteger(created_at))
      assert.equal(updated_at, created_at)
      assert.deepEqual(rest, {
        name: null,
        protocols: ['http', 'https'],
        https_redirect_status_code: 426,
        strip_path: true,
        preserve_host: false,
        request_buffering: true,
        response_buffering: true,
        tags: null,
        service: { id: s.id },
        snis: null,
        sources: null,
        destinations: null,
        methods: null,
        hosts: ['example.com'],
        paths: null,
        headers: null,
        regex_priority: 0,
        path_handling: 'v0',
      })
    })

    it('a route without a service is allowed', async () => {
      const r = await route()
      assert.equal(r.service, null)
    })

    it('POST {} → must set one of ... when protocols is https', async () => {
      assert.deepEqual(await bad({}), {
        code: 2,
        name: 'schema violation',
        message:
          "schema violation (must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https')",
        fields: {
          '@entity': [
            "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'",
          ],
        },
      })
    })

    it('the same name twice → 409', async () => {
      const r = await route()
      const res = await api.post('/routes', { name: r.name, paths: ['/x'] })
      assert.equal(res.status, 409)
      assert.deepEqual(res.body, {
        code: 5,
        name: 'unique constraint violation',
        message: `UNIQUE violation detected on '{name="${r.name}"}'`,
        fields: { name: r.name },
      })
    })

    it('sets drop duplicates, arrays keep them', async () => {
      const r = await route({
        methods: ['GET', 'POST', 'GET'],
        hosts: ['a.test', 'a.test'],
        paths: ['/a', '/a'],
      })
      assert.deepEqual(r.methods, ['GET', 'POST'])
      assert.deepEqual(r.hosts, ['a.test', 'a.test'])
      assert.deepEqual(r.paths, ['/a', '/a'])
    })

    it('form-encoded: arrays, map entries headers[x-version]=v1, booleans and numbers', async () => {
      const res = await api.form(
        'POST',
        '/routes',
        'paths[]=/one&paths[]=/two&methods=GET&headers[x-version]=v1&headers[x-version]=v2&strip_path=false&regex_priority=3',
      )
      assert.equal(res.status, 201, res.text)
      assert.deepEqual(res.body.paths, ['/one', '/two'])
      assert.deepEqual(res.body.methods, ['GET'])
      assert.deepEqual(res.body.headers, { 'x-version': ['v1', 'v2'] })
      assert.equal(res.body.strip_path, false)
      assert.equal(res.body.regex_priority, 3)
    })
  })

  describe('protocols', () => {
    it('unknown protocol → per-element error with the full list', async () => {
      const body = await bad({ protocols: ['foo', 'http'] })
      assert.deepEqual(body.fields, { protocols: [ALL_PROTOCOLS] }, 'no trailing null for valid elements')
      assert.equal(body.message, `schema violation (protocols.1: ${ALL_PROTOCOLS})`)
      const second = await bad({ protocols: ['http', 'foo'] })
      assert.deepEqual(second.fields, { protocols: [null, ALL_PROTOCOLS] })
      assert.equal(second.message, `schema violation (protocols.2: ${ALL_PROTOCOLS})`)
    })

    it('groups are mutually exclusive', async () => {
      assert.deepEqual((await bad({ protocols: ['http', 'tcp'], paths: ['/a'] })).fields, {
        protocols: "these sets are mutually exclusive: ('http', 'https'), ('tcp', 'tls', 'udp')",
      })
      assert.deepEqual((await bad({ protocols: ['https', 'grpc'], paths: ['/a'] })).fields, {
        protocols: "these sets are mutually exclusive: ('http', 'https'), ('grpc', 'grpcs')",
      })
    })

    it('at least one protocol', async () => {
      const body = await bad({ protocols: [], paths: ['/a'] })
      assert.equal(body.fields.protocols, 'length must be at least 1')
    })

    it('http only: must set one of methods, hosts, headers, paths', async () => {
      assert.deepEqual((await bad({ protocols: ['http'] })).fields, {
        '@entity': ["must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'"],
      })
    })

    it('https: snis alone is enough', async () => {
      const r = await api.post('/routes', { protocols: ['https'], snis: ['sni.test'] })
      assert.equal(r.status, 201, r.text)
      assert.deepEqual(r.body.snis, ['sni.test'])
    })

    it('http routes cannot set sources or destinations', async () => {
      assert.deepEqual((await bad({ paths: ['/a'], sources: [{ ip: '10.0.0.1' }] })).fields, {
        sources: "cannot set 'sources' when 'protocols' is 'http' or 'https'",
      })
      assert.deepEqual((await bad({ paths: ['/a'], destinations: [{ port: 80 }] })).fields, {
        destinations: "cannot set 'destinations' when 'protocols' is 'http' or 'https'",
      })
    })

    it('stream routes: no methods/hosts/paths/headers, one of sources/destinations/snis', async () => {
      const stream = "'tcp', 'tls', 'tls_passthrough' or 'udp'"
      const body = await bad({ protocols: ['tcp'], paths: ['/a'] })
      assert.deepEqual(body, {
        code: 2,
        name: 'schema violation',
        message: violation(
          "must set one of 'sources', 'destinations', 'snis' when 'protocols' is 'tcp', 'tls' or 'udp'",
          `paths: cannot set 'paths' when 'protocols' is ${stream}`,
        ),
        fields: {
          paths: `cannot set 'paths' when 'protocols' is ${stream}`,
          '@entity': [
            "must set one of 'sources', 'destinations', 'snis' when 'protocols' is 'tcp', 'tls' or 'udp'",
          ],
        },
      })
      for (const field of ['methods', 'hosts', 'headers'] as const) {
        const value = field === 'headers' ? { 'x-a': ['b'] } : field === 'methods' ? ['GET'] : ['a.test']
        const b = await bad({ protocols: ['tcp'], sources: [{ ip: '10.0.0.1' }], [field]: value })
        assert.deepEqual(b.fields, { [field]: `cannot set '${field}' when 'protocols' is ${stream}` })
      }
      const ok = await api.post('/routes', {
        protocols: ['tcp', 'udp'],
        sources: [{ ip: '10.0.0.0/8', port: 1234 }],
        destinations: [{ port: 53 }],
      })
      assert.equal(ok.status, 201, ok.text)
      assert.deepEqual(ok.body.sources, [{ ip: '10.0.0.0/8', port: 1234 }])
      assert.deepEqual(ok.body.destinations, [{ ip: null, port: 53 }])
      assert.equal(ok.body.paths, null)
    })

    it('tls_passthrough needs snis', async () => {
      assert.deepEqual((await bad({ protocols: ['tls_passthrough'] })).fields, {
        '@entity': ["must set snis when 'protocols' is 'tls_passthrough'"],
      })
      const ok = await api.post('/routes', { protocols: ['tls_passthrough'], snis: ['pass.test'] })
      assert.equal(ok.status, 201, ok.text)
    })

    it('form-encoded sources[1].ip / sources[1].port are converted per element', async () => {
      const res = await api.form(
        'POST',
        '/routes',
        'protocols=tcp&sources[1].ip=10.0.0.1&sources[1].port=80&snis=',
      )
      assert.equal(res.status, 201, res.text)
      assert.deepEqual(res.body.sources, [{ ip: '10.0.0.1', port: 80 }])
      assert.equal(res.body.snis, null)
    })

    it('sources/destinations elements need an ip or a port, valid values', async () => {
      const empty = await bad({ protocols: ['tcp'], sources: [{}] })
      assert.deepEqual(empty.fields, {
        sources: [{ '@entity': ["at least one of these fields must be non-empty: 'ip', 'port'"] }],
      })
      const b = await bad({
        protocols: ['tcp'],
        sources: [{ ip: '1.2.3.0/24', port: 70000 }],
        destinations: [{ ip: 'x' }],
      })
      assert.deepEqual(b.fields, {
        sources: [{ port: 'value should be between 0 and 65535' }],
        destinations: [{ ip: "invalid ip or cidr range: 'x'" }],
      })
    })

    it('grpc: strip_path defaults to false and must not be true; no methods', async () => {
      const r = await api.post('/routes', { protocols: ['grpc'], paths: ['/svc.Greeter'] })
      assert.equal(r.status, 201, r.text)
      assert.equal(r.body.strip_path, false)
      assert.deepEqual((await bad({ protocols: ['grpc'], paths: ['/a'], strip_path: true })).fields, {
        strip_path: "cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'",
      })
      assert.deepEqual((await bad({ protocols: ['grpcs'], paths: ['/a'], methods: ['POST'] })).fields, {
        methods: "cannot set 'methods' when 'protocols' is 'grpc' or 'grpcs'",
      })
      assert.deepEqual((await bad({ protocols: ['grpc'], paths: ['/a'], sources: [{ port: 1 }] })).fields, {
        sources: "cannot set 'sources' when 'protocols' is 'grpc' or 'grpcs'",
      })
    })

    it('grpc/grpcs: must set one of', async () => {
      assert.deepEqual((await bad({ protocols: ['grpcs'] })).fields, {
        '@entity': ["must set one of 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'grpcs'"],
      })
      assert.deepEqual((await bad({ protocols: ['grpc'] })).fields, {
        '@entity': ["must set one of 'hosts', 'headers', 'paths' when 'protocols' is 'grpc'"],
      })
    })

    it('snis only with grpcs, https, tls or tls_passthrough', async () => {
      const body = await bad({ protocols: ['http'], paths: ['/a'], snis: ['a.test'] })
      assert.deepEqual(body.fields['@entity'], [
        "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'",
      ])
      assert.ok(
        body.message.includes(
          "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'",
        ),
      )
    })

    it('snis must be hostnames, not IPs; wildcards allowed', async () => {
      assert.deepEqual((await bad({ protocols: ['https'], snis: ['1.2.3.4'] })).fields, {
        snis: ['must not be an IP'],
      })
      const ok = await api.post('/routes', { protocols: ['tls'], snis: ['*.wild.test'] })
      assert.equal(ok.status, 201, ok.text)
    })
  })

  describe('hosts, paths, headers, methods', () => {
    it('hosts: wildcard rules, ports allowed, stored as given', async () => {
      assert.deepEqual((await bad({ hosts: ['*.a.*'] })).fields, {
        hosts: ['invalid wildcard: must have at most one wildcard'],
      })
      assert.deepEqual((await bad({ hosts: ['ok.test', 'a.*.b'] })).fields, {
        hosts: [null, 'invalid wildcard: must be placed at leftmost or rightmost label'],
      })
      const r = await route({ paths: null, hosts: ['Example.COM:8000', '*.x.test', 'x.*', '10.0.0.1'] })
      assert.deepEqual(r.hosts, ['Example.COM:8000', '*.x.test', 'x.*', '10.0.0.1'])
    })

    it('paths: prefix, empty segments, normalization, regex compilation', async () => {
      const body = await bad({ paths: ['a', '/ok', '/a//b', '/a/../b', '/%7Ea', '~/(a'] })
      assert.equal(body.fields.paths.length, 6)
      assert.deepEqual(body.fields.paths.slice(0, 5), [
        'should start with: / (fixed path) or ~/ (regex path)',
        null,
        'must not have empty segments',
        "non-normalized path, consider use '/b' instead",
        "non-normalized path, consider use '/~a' instead",
      ])
      assert.match(body.fields.paths[5], /^invalid regex: '\/\(a' \(PCRE returned: /)
      assert.ok(
        body.message.startsWith(
          '5 schema violations (paths.1: should start with: / (fixed path) or ~/ (regex path); paths.3: must not have empty segments; paths.4: ',
        ),
        body.message,
      )
    })

    it('paths: bad percent escapes; reserved escapes upper-cased, others decoded', async () => {
      assert.deepEqual((await bad({ paths: ['/a%zz'] })).fields, {
        paths: ["invalid url-encoded value: '%zz'"],
      })
      assert.deepEqual((await bad({ paths: ['/a%2fb', '/caf%C3%A9', '/%41'] })).fields, {
        paths: [
          "non-normalized path, consider use '/a%2Fb' instead",
          "non-normalized path, consider use '/café' instead",
          "non-normalized path, consider use '/A' instead",
        ],
      })
      const r = await route({ paths: ['/a%2Fb', '~/users/(?<id>\\d+)$', '/café'] })
      assert.deepEqual(r.paths, ['/a%2Fb', '~/users/(?<id>\\d+)$', '/café'])
    })

    it('regexes the router cannot execute → Router Expression failed validation (entity error)', async () => {
      for (const re of ['~/a\\Kb', '~/a++b']) {
        const body = await bad({ paths: [re] })
        assert.equal(body.fields['@entity'].length, 1, re)
        assert.match(body.fields['@entity'][0], /^Router Expression failed validation: /, re)
      }
    })

    it("headers: refuses 'host' in any case and bad header names", async () => {
      for (const h of ['host', 'Host', 'HOST']) {
        assert.deepEqual((await bad({ headers: { [h]: ['x'] } })).fields, {
          headers: "cannot contain 'host' header, which must be specified in the 'hosts' attribute",
        })
      }
      assert.deepEqual((await bad({ headers: { 'a b': ['x'] } })).fields, {
        headers: "bad header name 'a b', allowed characters are A-Z, a-z, 0-9, '_', and '-'",
      })
      const r = await route({ paths: null, headers: { 'X-Version': ['v1', 'v2'] } })
      assert.deepEqual(r.headers, { 'X-Version': ['v1', 'v2'] })
    })

    it('methods must be uppercase letters', async () => {
      assert.deepEqual((await bad({ methods: ['get'] })).fields, { methods: ['invalid value: get'] })
      assert.deepEqual((await bad({ methods: ['GET', 'PO ST'] })).fields, {
        methods: [null, 'invalid value: PO ST'],
      })
    })

    it('enumerated fields', async () => {
      const body = await bad({ paths: ['/'], https_redirect_status_code: 300, path_handling: 'v2' })
      assert.deepEqual(body.fields, {
        https_redirect_status_code: 'expected one of: 426, 301, 302, 307, 308',
        path_handling: 'expected one of: v0, v1',
      })
    })
  })

  describe('read, PUT, PATCH, DELETE', () => {
    it('GET by id and by name; missing → 404', async () => {
      const r = await route()
      assert.deepEqual((await api.get(`/routes/${r.id}`)).body, r)
      assert.deepEqual((await api.get(`/routes/${r.name}`)).body, r)
      const missing = await api.get(`/routes/${uniq('nope')}`)
      assert.equal(missing.status, 404)
      assert.deepEqual(missing.body, { message: 'Not found' })
    })

    it('PUT /routes/my-route with form paths[]=/x → 200 and name = my-route', async () => {
      const name = uniq('my-route')
      const res = await api.form('PUT', `/routes/${name}`, 'paths[]=/x')
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.name, name)
      assert.deepEqual(res.body.paths, ['/x'])
    })

    it('PUT replaces the whole route (defaults come back)', async () => {
      const r = await route({ strip_path: false, methods: ['GET'], tags: ['t'] })
      const res = await api.put(`/routes/${r.id}`, { hosts: ['h.test'] })
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.id, r.id)
      assert.equal(res.body.name, null)
      assert.equal(res.body.strip_path, true)
      assert.equal(res.body.methods, null)
      assert.equal(res.body.paths, null)
      assert.equal(res.body.tags, null)
      assert.deepEqual(res.body.hosts, ['h.test'])
    })

    it('PATCH merges; the "must set one of" text stays unchanged on update', async () => {
      const r = await route({ methods: ['GET'] })
      const ok = await api.patch(`/routes/${r.id}`, { paths: ['/new'] })
      assert.equal(ok.status, 200, ok.text)
      assert.deepEqual(ok.body.paths, ['/new'])
      assert.deepEqual(ok.body.methods, ['GET'])
      const res = await api.patch(`/routes/${r.id}`, { paths: null, methods: null })
      assert.equal(res.status, 400)
      assert.deepEqual(res.body.fields, {
        '@entity': [
          "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'",
        ],
      })
    })

    it('PATCH replaces maps (headers) as a whole', async () => {
      const r = await route({ headers: { 'x-a': ['1'], 'x-b': ['2'] } })
      const res = await api.patch(`/routes/${r.id}`, { headers: { 'x-c': ['3'] } })
      assert.equal(res.status, 200, res.text)
      assert.deepEqual(res.body.headers, { 'x-c': ['3'] })
    })

    it('PATCH changing protocols re-validates with the merged values', async () => {
      const r = await route()
      const res = await api.patch(`/routes/${r.id}`, { protocols: ['tcp'] })
      assert.equal(res.status, 400)
      assert.equal(
        res.body.fields.paths,
        "cannot set 'paths' when 'protocols' is 'tcp', 'tls', 'tls_passthrough' or 'udp'",
      )
    })

    it('PATCH of a missing route → 404 code 6', async () => {
      const name = uniq('nope')
      const res = await api.patch(`/routes/${name}`, { paths: ['/x'] })
      assert.equal(res.status, 404)
      assert.deepEqual(res.body, {
        code: 6,
        name: 'not found',
        message: `could not find the entity with '{name="${name}"}'`,
        fields: { name },
      })
    })

    it('DELETE by name and id; idempotent', async () => {
      const r = await route()
      assert.equal((await api.delete(`/routes/${r.name}`)).status, 204)
      assert.equal((await api.get(`/routes/${r.id}`)).status, 404)
      assert.equal((await api.delete(`/routes/${r.id}`)).status, 204)
    })

    it('deleting a route deletes its plugins', async () => {
      const r = await route()
      const p = await create(api, `/routes/${r.id}/plugins`, { name: 'key-auth' })
      assert.equal((await api.delete(`/routes/${r.id}`)).status, 204)
      assert.equal((await api.get(`/plugins/${p.id}`)).status, 404)
    })

    it('once its routes are gone the service can be deleted', async () => {
      const s = await service()
      const r = await route({ service: { id: s.id } })
      assert.equal((await api.delete(`/services/${s.id}`)).status, 400)
      assert.equal((await api.delete(`/routes/${r.id}`)).status, 204)
      assert.equal((await api.delete(`/services/${s.id}`)).status, 204)
    })
  })

  describe('foreign keys', () => {
    it('service: {name} is resolved to the id', async () => {
      const s = await service()
      const r = await route({ service: { name: s.name } })
      assert.deepEqual(r.service, { id: s.id })
    })

    it('form-encoded service.name= and service.id=', async () => {
      const s = await service()
      const byName = await api.form('POST', '/routes', { 'service.name': s.name, 'paths[]': '/f' })
      assert.equal(byName.status, 201, byName.text)
      assert.deepEqual(byName.body.service, { id: s.id })
      const byId = await api.form('POST', '/routes', { 'service.id': s.id, 'paths[]': '/f' })
      assert.equal(byId.status, 201, byId.text)
      assert.deepEqual(byId.body.service, { id: s.id })
    })

    it('an unresolvable name → 400 code 13', async () => {
      const name = uniq('ghost')
      const res = await api.post('/routes', { paths: ['/'], service: { name } })
      assert.equal(res.status, 400)
      const msg = `the foreign key cannot be resolved with '{name="${name}"}' for an existing 'services' entity`
      assert.deepEqual(res.body, {
        code: 13,
        name: 'foreign keys unresolved',
        message: `foreign key unresolved (service.name: ${msg})`,
        fields: { service: { name: msg } },
      })
    })

    it('an id that does not exist → 400 code 4', async () => {
      const id = randomUUID()
      const res = await api.post('/routes', { paths: ['/'], service: { id } })
      assert.equal(res.status, 400)
      assert.deepEqual(res.body, {
        code: 4,
        name: 'foreign key violation',
        message: `the foreign key '{id="${id}"}' does not reference an existing 'services' entity.`,
        fields: { service: { id } },
      })
    })

    it('an object without id or resolvable key → service.id: missing primary key', async () => {
      const body = await bad({ paths: ['/'], service: {} })
      assert.deepEqual(body.fields, { service: { id: 'missing primary key' } })
      assert.equal(body.message, 'schema violation (service.id: missing primary key)')
    })

    it('an invalid UUID in a foreign key', async () => {
      assert.deepEqual((await bad({ paths: ['/'], service: { id: 'bad' } })).fields, {
        service: { id: 'expected a valid UUID' },
      })
    })
  })

  describe('/routes/{r}/service', () => {
    it('GET returns the service; PATCH updates it; DELETE → 405', async () => {
      const s = await service()
      const r = await route({ service: { id: s.id } })
      const get = await api.get(`/routes/${r.name}/service`)
      assert.equal(get.status, 200)
      assert.deepEqual(get.body, s)
      const patch = await api.patch(`/routes/${r.id}/service`, { retries: 1 })
      assert.equal(patch.status, 200, patch.text)
      assert.equal(patch.body.id, s.id)
      assert.equal(patch.body.retries, 1)
      const del = await api.delete(`/routes/${r.id}/service`)
      assert.equal(del.status, 405)
      assert.deepEqual(del.body, { message: 'Method not allowed' })
      assert.equal((await api.get(`/services/${s.id}`)).status, 200)
    })

    it('PUT replaces the linked service', async () => {
      const s = await service()
      const r = await route({ service: { id: s.id } })
      const res = await api.put(`/routes/${r.id}/service`, { host: 'replaced.test' })
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.id, s.id)
      assert.equal(res.body.host, 'replaced.test')
      assert.equal(res.body.name, null)
    })

    it('without a service: GET/PATCH/DELETE → 404, PUT creates and links a new service', async () => {
      const r = await route()
      for (const method of ['GET', 'PATCH', 'DELETE']) {
        const res = await api.send(method, `/routes/${r.id}/service`, { json: { retries: 1 } })
        assert.equal(res.status, 404, method)
        assert.deepEqual(res.body, { message: 'Not found' })
      }
      const put = await api.put(`/routes/${r.id}/service`, { host: 'fresh.test' })
      assert.equal(put.status, 200, put.text)
      assert.match(put.body.id, UUID_RE)
      assert.equal(put.body.host, 'fresh.test')
      assert.deepEqual((await api.get(`/routes/${r.id}`)).body.service, { id: put.body.id })
    })

    it('a missing route → 404', async () => {
      assert.equal((await api.get(`/routes/${randomUUID()}/service`)).status, 404)
      assert.equal((await api.put(`/routes/${randomUUID()}/service`, { host: 'a.test' })).status, 404)
      assert.equal((await api.patch(`/routes/${randomUUID()}/service`, { retries: 1 })).status, 404)
      assert.equal((await api.delete(`/routes/${randomUUID()}/service`)).status, 404)
    })
  })

  describe('/routes/{r}/plugins', () => {
    it('POST, GET list, GET/PATCH/PUT/DELETE item', async () => {
      const r = await route()
      const p = await create(api, `/routes/${r.name}/plugins`, {
        name: 'key-auth',
        config: { hide_credentials: true },
      })
      assert.deepEqual(p.route, { id: r.id })
      assert.equal(p.service, null)
      assert.equal(p.config.hide_credentials, true)
      assert.deepEqual((await api.get(`/routes/${r.id}/plugins`)).body, { data: [p], next: null })
      assert.deepEqual((await api.get(`/routes/${r.id}/plugins/${p.id}`)).body, p)
      const patched = await api.patch(`/routes/${r.id}/plugins/${p.id}`, { config: { key_names: ['k'] } })
      assert.equal(patched.status, 200, patched.text)
      assert.deepEqual(patched.body.config.key_names, ['k'])
      assert.equal(patched.body.config.hide_credentials, true)
      const put = await api.put(`/routes/${r.id}/plugins/${p.id}`, { name: 'key-auth' })
      assert.equal(put.status, 200, put.text)
      assert.deepEqual(put.body.route, { id: r.id })
      assert.equal(put.body.config.hide_credentials, false)
      assert.equal((await api.delete(`/routes/${r.id}/plugins/${p.id}`)).status, 204)
      assert.equal((await api.get(`/routes/${r.id}/plugins/${p.id}`)).status, 404)
    })

    it('the tag filter is ignored on nested collections', async () => {
      const r = await route()
      const p = await create(api, `/routes/${r.id}/plugins`, { name: 'key-auth', tags: ['a'] })
      const res = await api.get(`/routes/${r.id}/plugins?tags=zzz`)
      assert.equal(res.status, 200)
      assert.deepEqual(
        res.body.data.map((x: Json) => x.id),
        [p.id],
      )
    })
  })
})
