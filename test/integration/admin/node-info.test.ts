// Node information and tooling endpoints: GET /, /status (and the Status API), /endpoints,
// /schemas/..., /schemas/.../validate, /plugins/enabled, /plugins/schema/{name}, log level,
// /timers, /status/dns, /config in DB mode, /cache, /clustering.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { type Gateway, request } from '../../helpers/gateway.js'
import { type Client, client, create, type Json, startAdmin, UUID_RE, uniq } from './helpers.js'

const VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
).version

/** Kong's /endpoints order: segment-wise, `/` the lowest character. */
const endpointOrder = (a: string, b: string) => {
  const x = a.replaceAll('/', '\u0000')
  const y = b.replaceAll('/', '\u0000')
  return x < y ? -1 : x > y ? 1 : 0
}

/** `{name: attributes}` of a /schemas `fields` array. */
const fieldMap = (fields: Json[]) => {
  const out: Record<string, Json> = {}
  for (const f of fields) {
    assert.equal(Object.keys(f).length, 1, 'each element of fields is a single-key object')
    const [name] = Object.keys(f)
    out[name] = f[name]
  }
  return out
}

/** The bundled plugins of issue 4 (plugins.md §6), sorted. */
const BUNDLED = [
  'acl',
  'acme',
  'ai-proxy',
  'basic-auth',
  'bot-detection',
  'correlation-id',
  'cors',
  'file-log',
  'hmac-auth',
  'http-log',
  'ip-restriction',
  'jwt',
  'key-auth',
  'ldap-auth',
  'oauth2',
  'post-function',
  'pre-function',
  'prometheus',
  'proxy-cache',
  'rate-limiting',
  'request-size-limiting',
  'request-termination',
  'request-transformer',
  'response-transformer',
  'statsd',
]

describe('admin api: node information', () => {
  let gw: Gateway
  let api: Client
  before(async () => {
    gw = await startAdmin({ env: { PG_PASSWORD: 'very-secret', PG_RO_PASSWORD: 'also-secret' } })
    api = client(gw)
  })
  after(async () => {
    await gw.stop()
  })

  describe('GET /', () => {
    it('reports the Kong version it is compatible with and its own version', async () => {
      const res = await api.get('/')
      assert.equal(res.status, 200)
      const b = res.body
      assert.equal(b.tagline, 'Welcome to kong')
      assert.equal(b.version, '3.9.1')
      assert.equal(b.edition, 'community')
      assert.equal(b.silverback_version, VERSION)
      assert.equal(typeof b.hostname, 'string')
      assert.ok(b.hostname.length > 0)
      assert.match(b.node_id, UUID_RE)
      assert.equal(typeof b.lua_version, 'string')
      assert.equal(typeof b.timers.running, 'number')
      assert.equal(typeof b.timers.pending, 'number')
      assert.equal(typeof b.pids.master, 'number')
      assert.ok(Array.isArray(b.pids.workers) && b.pids.workers.length > 0)
      for (const key of [
        'tagline',
        'version',
        'edition',
        'hostname',
        'node_id',
        'lua_version',
        'timers',
        'pids',
        'plugins',
        'configuration',
      ])
        assert.ok(Object.hasOwn(b, key), key)
    })

    it('the node id is stable across requests', async () => {
      assert.equal((await api.get('/')).body.node_id, (await api.get('/')).body.node_id)
    })

    it('plugins: available_on_server with version and priority; enabled_in_cluster follows plugin entities', async () => {
      const before = await api.get('/')
      assert.deepEqual(before.body.plugins.available_on_server['key-auth'], {
        version: '3.9.1',
        priority: 1250,
      })
      assert.deepEqual(before.body.plugins.enabled_in_cluster, [])
      const r = await create(api, '/routes', { paths: ['/x'] })
      const p = await create(api, `/routes/${r.id}/plugins`, { name: 'key-auth' })
      assert.deepEqual((await api.get('/')).body.plugins.enabled_in_cluster, ['key-auth'])
      await api.delete(`/plugins/${p.id}`)
      assert.deepEqual((await api.get('/')).body.plugins.enabled_in_cluster, [])
    })

    it('configuration: parsed values, secrets masked', async () => {
      const conf = (await api.get('/')).body.configuration
      assert.equal(conf.database, process.env.SILVERBACK_TEST_DATABASE ?? 'sqlite')
      assert.equal(conf.log_level, 'notice')
      assert.ok(Array.isArray(conf.admin_listen))
      assert.equal(conf.admin_listen[0], `127.0.0.1:${gw.adminPort}`)
      assert.equal(typeof conf.anonymous_reports, 'boolean')
      assert.equal(conf.pg_password, '******')
      assert.equal(conf.pg_ro_password, '******')
      assert.ok(!JSON.stringify(conf).includes('very-secret'))
      assert.ok(!JSON.stringify(conf).includes('also-secret'))
    })
  })

  describe('GET /status', () => {
    it('database, server and memory, default unit MiB with 2 decimals', async () => {
      const res = await api.get('/status')
      assert.equal(res.status, 200)
      assert.deepEqual(Object.keys(res.body).sort(), ['database', 'memory', 'server'])
      assert.deepEqual(res.body.database, { reachable: true })
      assert.deepEqual(Object.keys(res.body.server).sort(), [
        'connections_accepted',
        'connections_active',
        'connections_handled',
        'connections_reading',
        'connections_waiting',
        'connections_writing',
        'total_requests',
      ])
      for (const v of Object.values(res.body.server)) assert.ok(Number.isInteger(v))
      assert.ok(res.body.server.total_requests >= 1)
      const mem = res.body.memory
      assert.deepEqual(Object.keys(mem).sort(), ['lua_shared_dicts', 'workers_lua_vms'])
      assert.ok(mem.workers_lua_vms.length >= 1)
      assert.match(mem.workers_lua_vms[0].http_allocated_gc, /^\d+\.\d{2} MiB$/)
      assert.equal(typeof mem.workers_lua_vms[0].pid, 'number')
      for (const dict of Object.values(mem.lua_shared_dicts) as Json[]) {
        assert.match(dict.allocated_slabs, /^\d+\.\d{2} MiB$/)
        assert.match(dict.capacity, /^\d+\.\d{2} MiB$/)
      }
    })

    it('?unit=b gives numbers; k/K KiB, g/G GiB; ?scale= sets the decimals', async () => {
      const b = (await api.get('/status?unit=b')).body.memory
      assert.equal(typeof b.workers_lua_vms[0].http_allocated_gc, 'number')
      for (const dict of Object.values(b.lua_shared_dicts) as Json[])
        assert.equal(typeof dict.capacity, 'number')
      for (const [unit, suffix] of [
        ['k', 'KiB'],
        ['K', 'KiB'],
        ['m', 'MiB'],
        ['M', 'MiB'],
        ['g', 'GiB'],
        ['G', 'GiB'],
      ]) {
        const m = (await api.get(`/status?unit=${unit}`)).body.memory
        assert.match(m.workers_lua_vms[0].http_allocated_gc, new RegExp(`^\\d+\\.\\d{2} ${suffix}$`), unit)
      }
      const s0 = (await api.get('/status?unit=k&scale=0')).body.memory
      assert.match(s0.workers_lua_vms[0].http_allocated_gc, /^\d+ KiB$/)
      const s4 = (await api.get('/status?scale=4')).body.memory
      assert.match(s4.workers_lua_vms[0].http_allocated_gc, /^\d+\.\d{4} MiB$/)
    })

    it('an invalid unit → 400 with the exact message', async () => {
      const res = await api.get('/status?unit=V')
      assert.equal(res.status, 400)
      assert.deepEqual(res.body, { message: "invalid unit 'V' (expected 'k/K', 'm/M', or 'g/G')" })
    })

    it('the Status API serves /status and /status/ready', async () => {
      const status = await request(gw.status, 'GET', '/status')
      assert.equal(status.status, 200)
      assert.deepEqual((status.body as Json).database, { reachable: true })
      const ready = await request(gw.status, 'GET', '/status/ready')
      assert.equal(ready.status, 200)
      assert.deepEqual(ready.body, { message: 'ready' })
    })

    it('the Status API is read-only: no entity endpoints', async () => {
      const res = await request(gw.status, 'GET', '/services')
      assert.equal(res.status, 404)
      const post = await request(gw.status, 'POST', '/services', { json: { host: 'a.test' } })
      assert.notEqual(post.status, 201)
    })
  })

  describe('GET /endpoints', () => {
    it('lists every path, {name} parameters, sorted segment-wise', async () => {
      const res = await api.get('/endpoints')
      assert.equal(res.status, 200)
      const data: string[] = res.body.data
      assert.deepEqual(data, [...data].sort(endpointOrder))
      assert.equal(new Set(data).size, data.length)
      for (const path of [
        '/',
        '/services',
        '/services/{services}',
        '/services/{services}/routes',
        '/services/{services}/routes/{routes}',
        '/services/{services}/plugins/{plugins}',
        '/services/{services}/client_certificate',
        '/routes/{routes}/service',
        '/routes/{routes}/plugins',
        '/consumers/{consumers}/plugins',
        '/plugins/enabled',
        '/plugins/{plugins}/route',
        '/plugins/{plugins}/service',
        '/plugins/{plugins}/consumer',
        '/certificates/{certificates}/snis',
        '/certificates/{certificates}/snis/{snis}',
        '/snis/{snis}',
        '/ca_certificates/{ca_certificates}',
        '/upstreams/{upstreams}/targets',
        '/upstreams/{upstreams}/targets/all',
        '/upstreams/{upstreams}/targets/{targets}',
        '/key-sets/{key_sets}/keys',
        '/keys/{keys}/set',
        '/vaults/{vaults}',
        '/tags',
        '/tags/{tags}',
        '/status',
        '/endpoints',
        '/schemas/{name}',
        '/debug/node/log-level',
      ]) {
        assert.ok(data.includes(path), path)
      }
      for (const path of [
        '/targets',
        '/targets/{targets}',
        '/targets/{targets}/upstream',
        '/snis/{snis}/certificate',
      ]) {
        assert.ok(!data.includes(path), `${path} is disabled`)
      }
      assert.ok(
        data.every((p) => !p.includes(':')),
        'parameters rendered as {name}',
      )
    })
  })

  describe('/schemas', () => {
    it('/schemas/services: fields as single-key objects, attributes, entity_checks', async () => {
      const res = await api.get('/schemas/services')
      assert.equal(res.status, 200)
      assert.deepEqual(Object.keys(res.body).sort(), ['entity_checks', 'fields'])
      assert.ok(Array.isArray(res.body.fields))
      const fields = fieldMap(res.body.fields)
      assert.deepEqual(Object.keys(fields), [
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
      ])
      assert.equal(fields.id.type, 'string')
      assert.equal(fields.id.uuid, true)
      assert.equal(fields.id.auto, true)
      assert.equal(fields.name.unique, true)
      assert.equal(fields.retries.default, 5)
      assert.deepEqual(fields.retries.between, [0, 32767])
      assert.equal(fields.protocol.required, true)
      assert.equal(fields.protocol.default, 'http')
      assert.deepEqual(fields.protocol.one_of, [
        'grpc',
        'grpcs',
        'http',
        'https',
        'tcp',
        'tls',
        'tls_passthrough',
        'udp',
      ])
      assert.equal(fields.client_certificate.type, 'foreign')
      assert.equal(fields.client_certificate.reference, 'certificates')
      assert.equal(fields.client_certificate.fields, undefined, 'the referenced schema is not embedded')
      assert.equal(fields.tags.type, 'set')
      assert.equal(fields.port.default, 80)
      assert.ok(!JSON.stringify(res.body).includes('"url"'), 'the url shorthand is not a field')
      assert.ok(Array.isArray(res.body.entity_checks))
      assert.equal(res.body.entity_checks.length, 5)
      assert.equal(res.body.entity_checks[0].conditional.if_field, 'protocol')
      assert.equal(res.body.entity_checks[0].conditional.then_field, 'path')
    })

    it('/schemas/{entity} for the other entities; unknown → 404 No entity named', async () => {
      for (const name of [
        'routes',
        'consumers',
        'plugins',
        'certificates',
        'snis',
        'ca_certificates',
        'upstreams',
        'targets',
        'key_sets',
        'keys',
        'vaults',
      ]) {
        const res = await api.get(`/schemas/${name}`)
        assert.equal(res.status, 200, name)
        const fields = fieldMap(res.body.fields)
        assert.ok(Object.hasOwn(fields, 'id'), name)
      }
      const consumers = await api.get('/schemas/consumers')
      assert.deepEqual(consumers.body.entity_checks, [{ at_least_one_of: ['custom_id', 'username'] }])
      const routes = fieldMap((await api.get('/schemas/routes')).body.fields)
      assert.deepEqual(routes.protocols.default, ['http', 'https'])
      assert.equal(routes.service.reference, 'services')
      const missing = await api.get('/schemas/nope')
      assert.equal(missing.status, 404)
      assert.deepEqual(missing.body, { message: "No entity named 'nope'" })
    })

    it('/schemas/plugins/key-auth: consumer, protocols and config as restricted by the plugin', async () => {
      const res = await api.get('/schemas/plugins/key-auth')
      assert.equal(res.status, 200)
      const fields = fieldMap(res.body.fields)
      assert.ok(Object.hasOwn(fields, 'config'))
      assert.ok(Object.hasOwn(fields, 'protocols'))
      assert.ok(Object.hasOwn(fields, 'consumer'))
      assert.equal(fields.consumer.type, 'foreign')
      assert.equal(fields.config.type, 'record')
      const config = fieldMap(fields.config.fields)
      assert.deepEqual(Object.keys(config).sort(), [
        'anonymous',
        'hide_credentials',
        'key_in_body',
        'key_in_header',
        'key_in_query',
        'key_names',
        'realm',
        'run_on_preflight',
      ])
      assert.deepEqual(config.key_names.default, ['apikey'])
      assert.equal(config.key_names.type, 'array')
      assert.deepEqual(fields.protocols.default, ['grpc', 'grpcs', 'http', 'https'])
    })

    it('unknown plugin / vault names → 404 with the exact messages', async () => {
      const plugin = await api.get('/schemas/plugins/zipkin')
      assert.equal(plugin.status, 404)
      assert.deepEqual(plugin.body, { message: "No plugin named 'zipkin'" })
      const vault = await api.get('/schemas/vaults/aws')
      assert.equal(vault.status, 404)
      assert.deepEqual(vault.body, { message: "No vault named 'aws'" })
    })

    it('/schemas/vaults/env', async () => {
      const res = await api.get('/schemas/vaults/env')
      assert.equal(res.status, 200)
      const fields = fieldMap(res.body.fields)
      assert.equal(fields.config.type, 'record')
      assert.ok(Object.hasOwn(fieldMap(fields.config.fields), 'prefix'))
    })

    it('/plugins/schema/key-auth (deprecated): the config record only', async () => {
      const res = await api.get('/plugins/schema/key-auth')
      assert.equal(res.status, 200)
      const fields = fieldMap(res.body.fields)
      assert.ok(Object.hasOwn(fields, 'key_names'))
      assert.ok(!Object.hasOwn(fields, 'config'))
      assert.equal((await api.get('/plugins/schema/nope')).status, 404)
    })
  })

  describe('/schemas/.../validate', () => {
    it('200 schema validation successful for a valid new entity', async () => {
      const res = await api.post('/schemas/services/validate', { host: 'a.test' })
      assert.equal(res.status, 200)
      assert.deepEqual(res.body, { message: 'schema validation successful' })
    })

    it('400 code 2 with the usual body for an invalid one', async () => {
      const res = await api.post('/schemas/services/validate', { connect_timeout: '80' })
      assert.equal(res.status, 400)
      assert.deepEqual(res.body, {
        code: 2,
        name: 'schema violation',
        message: '2 schema violations (connect_timeout: expected an integer; host: required field missing)',
        fields: { connect_timeout: 'expected an integer', host: 'required field missing' },
      })
      const route = await api.post('/schemas/routes/validate', {})
      assert.equal(route.status, 400)
      assert.deepEqual(route.body.fields, {
        '@entity': [
          "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'",
        ],
      })
    })

    it('no database access: no uniqueness or reference checks, nothing created', async () => {
      const c = await create(api, '/consumers', { username: uniq('u') })
      const dup = await api.post('/schemas/consumers/validate', { username: c.username })
      assert.equal(dup.status, 200, dup.text)
      const ref = await api.post('/schemas/routes/validate', { paths: ['/'], service: { id: randomUUID() } })
      assert.equal(ref.status, 200, ref.text)
      const name = uniq('svc')
      await api.post('/schemas/services/validate', { name, host: 'a.test' })
      assert.equal((await api.get(`/services/${name}`)).status, 404)
    })

    it('form-encoded bodies are converted before validation', async () => {
      const res = await api.form('POST', '/schemas/services/validate', { host: 'a.test', port: '8080' })
      assert.equal(res.status, 200, res.text)
    })

    it('plugins and vaults validate against their own schemas', async () => {
      assert.equal((await api.post('/schemas/plugins/validate', { name: 'key-auth' })).status, 200)
      const badPlugin = await api.post('/schemas/plugins/validate', { name: 'key-auth', config: { foo: 1 } })
      assert.equal(badPlugin.status, 400)
      assert.deepEqual(badPlugin.body.fields, { config: { foo: 'unknown field' } })
      const unknown = await api.post('/schemas/plugins/validate', { name: 'nope' })
      assert.equal(unknown.status, 400)
      assert.deepEqual(unknown.body.fields, {
        name: "plugin 'nope' not enabled; add it to the 'plugins' configuration property",
      })
      assert.deepEqual(
        (await api.post('/schemas/vaults/validate', { prefix: 'my-vault', name: 'env' })).body,
        {
          message: 'schema validation successful',
        },
      )
      const badVault = await api.post('/schemas/vaults/validate', { prefix: 'env', name: 'env' })
      assert.equal(badVault.status, 400)
      assert.deepEqual(badVault.body.fields, { prefix: 'must not be one of: env' })
    })

    it('unknown entity → 404 No entity named', async () => {
      const res = await api.post('/schemas/nope/validate', {})
      assert.equal(res.status, 404)
      assert.deepEqual(res.body, { message: "No entity named 'nope'" })
    })
  })

  describe('other node endpoints', () => {
    it('GET /plugins/enabled lists the loaded plugins', async () => {
      const res = await api.get('/plugins/enabled')
      assert.equal(res.status, 200)
      assert.deepEqual(Object.keys(res.body), ['enabled_plugins'])
      assert.deepEqual([...res.body.enabled_plugins].sort(), BUNDLED)
    })

    it('GET /schemas/plugins/{name} answers the schema of every bundled plugin, config defaults included', async () => {
      for (const name of BUNDLED) {
        const res = await api.get(`/schemas/plugins/${name}`)
        assert.equal(res.status, 200, name)
        const fields = fieldMap(res.body.fields)
        assert.equal(fields.config.type, 'record', name)
      }
      const rl = fieldMap(
        fieldMap((await api.get('/schemas/plugins/rate-limiting')).body.fields).config.fields,
      )
      assert.equal(rl.error_message.default, 'API rate limit exceeded')
      assert.deepEqual(rl.limit_by.one_of, ['consumer', 'credential', 'ip', 'service', 'header', 'path'])
    })

    it('GET /timers', async () => {
      const res = await api.get('/timers')
      assert.equal(res.status, 200)
      assert.deepEqual(res.body.worker, { id: 0, count: 1 })
      assert.equal(typeof res.body.stats, 'object')
    })

    it('GET /status/dns → 501 with the legacy DNS client', async () => {
      const res = await api.get('/status/dns')
      assert.equal(res.status, 501)
      assert.deepEqual(res.body, { message: 'not implemented with the legacy DNS client' })
    })

    it('/config is only for DB-less mode → 400', async () => {
      const msg = { message: 'this endpoint is only available when Kong is configured to not use a database' }
      const get = await api.get('/config')
      assert.equal(get.status, 400)
      assert.deepEqual(get.body, msg)
      const post = await api.post('/config', { _format_version: '3.0' })
      assert.equal(post.status, 400)
      assert.deepEqual(post.body, msg)
    })

    it('/cache: unknown key → 404; DELETE → 204', async () => {
      const res = await api.get('/cache/some-key')
      assert.equal(res.status, 404)
      assert.deepEqual(res.body, { message: 'Not found' })
      assert.equal((await api.delete('/cache/some-key')).status, 204)
      assert.equal((await api.delete('/cache')).status, 204)
    })

    it('/clustering/data-planes outside a control plane → 400', async () => {
      const res = await api.get('/clustering/data-planes')
      assert.equal(res.status, 400)
      assert.deepEqual(res.body, {
        message:
          'this endpoint is only available when Kong is configured to run as Control Plane for the cluster',
      })
    })
  })

  describe('/debug/node/log-level', () => {
    it('GET reports the configured level', async () => {
      const res = await api.get('/debug/node/log-level')
      assert.equal(res.status, 200)
      assert.deepEqual(res.body, { message: 'log level: notice' })
    })

    it('PUT changes it; again → already; GET and / reflect it', async () => {
      try {
        const changed = await api.put('/debug/node/log-level/debug')
        assert.equal(changed.status, 200)
        assert.deepEqual(changed.body, { message: 'log level changed' })
        assert.deepEqual((await api.get('/debug/node/log-level')).body, { message: 'log level: debug' })
        assert.equal((await api.get('/')).body.configuration.log_level, 'debug')
        const already = await api.put('/debug/node/log-level/debug')
        assert.equal(already.status, 200)
        assert.deepEqual(already.body, { message: 'log level is already debug' })
      } finally {
        await api.put('/debug/node/log-level/notice')
      }
      assert.deepEqual((await api.get('/debug/node/log-level')).body, { message: 'log level: notice' })
    })

    it('unknown level → 400; negative timeout → 400', async () => {
      const unknown = await api.put('/debug/node/log-level/verbose')
      assert.equal(unknown.status, 400)
      assert.deepEqual(unknown.body, { message: 'unknown log level: verbose' })
      const negative = await api.put('/debug/node/log-level/info?timeout=-1')
      assert.equal(negative.status, 400)
      assert.deepEqual(negative.body, { message: 'timeout must be greater than or equal to 0' })
      assert.deepEqual((await api.get('/debug/node/log-level')).body, { message: 'log level: notice' })
    })

    it('every documented level is accepted', async () => {
      try {
        for (const level of ['debug', 'info', 'warn', 'error', 'crit', 'alert', 'emerg', 'notice']) {
          const res = await api.put(`/debug/node/log-level/${level}`)
          assert.equal(res.status, 200, level)
        }
      } finally {
        await api.put('/debug/node/log-level/notice')
      }
    })

    it('?timeout= reverts to the configured level afterwards', async () => {
      const res = await api.put('/debug/node/log-level/warn?timeout=1')
      assert.equal(res.status, 200)
      assert.deepEqual((await api.get('/debug/node/log-level')).body, { message: 'log level: warn' })
      await sleep(1500)
      assert.deepEqual((await api.get('/debug/node/log-level')).body, { message: 'log level: notice' })
    })

    it('/debug/cluster/log-level/{level} behaves the same', async () => {
      try {
        const res = await api.put('/debug/cluster/log-level/info')
        assert.equal(res.status, 200)
        assert.deepEqual(res.body, { message: 'log level changed' })
        assert.deepEqual((await api.get('/debug/node/log-level')).body, { message: 'log level: info' })
        const bad = await api.put('/debug/cluster/log-level/nope')
        assert.deepEqual(bad.body, { message: 'unknown log level: nope' })
      } finally {
        await api.put('/debug/node/log-level/notice')
      }
    })
  })
})

describe('status api: draining', () => {
  let gw: Gateway
  before(async () => {
    gw = await startAdmin()
  })
  after(async () => {
    await gw.stop()
  })

  it('POST /status/ready {"status":"draining"} → 204, then ready answers 503 draining', async () => {
    const bad = await request(gw.status, 'POST', '/status/ready', { json: { status: 'nope' } })
    assert.equal(bad.status, 400)
    assert.equal((await request(gw.status, 'GET', '/status/ready')).status, 200)
    const drain = await request(gw.status, 'POST', '/status/ready', { json: { status: 'draining' } })
    assert.equal(drain.status, 204)
    const ready = await request(gw.status, 'GET', '/status/ready')
    assert.equal(ready.status, 503)
    assert.deepEqual(ready.body, { message: 'draining' })
  })
})
