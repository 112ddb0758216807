// Upstreams and targets: defaults (healthchecks fully expanded), name rules, hashing rules and the
// algorithm/hash_on normalization of entities.md §6.1, healthchecks merging, and the target
// endpoints under /upstreams/{u}/targets (normalization, listing order, numeric offsets, /all,
// PUT/PATCH update, DELETE, 405s, cascade, disabled top-level /targets).
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { Gateway } from '../../helpers/gateway.js'
import { RSA_CERT, RSA_KEY } from './fixtures.js'
import { type Client, client, create, type Json, startAdmin, UUID_RE, uniq } from './helpers.js'

const HEALTHCHECKS_DEFAULT = {
  threshold: 0,
  active: {
    type: 'http',
    timeout: 1,
    concurrency: 10,
    http_path: '/',
    https_sni: null,
    https_verify_certificate: true,
    headers: null,
    healthy: { interval: 0, http_statuses: [200, 302], successes: 0 },
    unhealthy: {
      interval: 0,
      http_statuses: [429, 404, 500, 501, 502, 503, 504, 505],
      tcp_failures: 0,
      timeouts: 0,
      http_failures: 0,
    },
  },
  passive: {
    type: 'http',
    healthy: {
      http_statuses: [
        200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308,
      ],
      successes: 0,
    },
    unhealthy: { http_statuses: [429, 500, 503], tcp_failures: 0, timeouts: 0, http_failures: 0 },
  },
}

const hashOf = (u: Json) => ({ algorithm: u.algorithm, hash_on: u.hash_on })

describe('admin api: upstreams and targets', () => {
  let gw: Gateway
  let api: Client
  before(async () => {
    gw = await startAdmin()
    api = client(gw)
  })
  after(async () => {
    await gw.stop()
  })

  const hostname = () => `${uniq('up')}.test`
  const upstream = (extra: Record<string, unknown> = {}) =>
    create(api, '/upstreams', { name: hostname(), ...extra })
  const bad = async (body: Record<string, unknown>) => {
    const res = await api.post('/upstreams', { name: hostname(), ...body })
    assert.equal(res.status, 400, res.text)
    assert.equal(res.body.code, 2)
    return res.body
  }
  const conditional = (field: string) => [`failed conditional validation given value of field '${field}'`]

  describe('upstreams', () => {
    it('POST applies every default; healthchecks fully expanded', async () => {
      const name = hostname()
      const res = await api.post('/upstreams', { name })
      assert.equal(res.status, 201, res.text)
      const { id, created_at, updated_at, ...rest } = res.body
      assert.match(id, UUID_RE)
      assert.ok(Number.isInteger(created_at))
      assert.equal(updated_at, created_at)
      assert.deepEqual(rest, {
        name,
        algorithm: 'round-robin',
        hash_on: 'none',
        hash_fallback: 'none',
        hash_on_header: null,
        hash_fallback_header: null,
        hash_on_cookie: null,
        hash_on_cookie_path: '/',
        hash_on_query_arg: null,
        hash_fallback_query_arg: null,
        hash_on_uri_capture: null,
        hash_fallback_uri_capture: null,
        slots: 10000,
        healthchecks: HEALTHCHECKS_DEFAULT,
        tags: null,
        host_header: null,
        client_certificate: null,
        use_srv_name: false,
      })
    })

    it('name must be a hostname: no IP, no port', async () => {
      const res = await api.post('/upstreams', {})
      assert.deepEqual(res.body.fields, { name: 'required field missing' })
      for (const [name, msg] of [
        ['1.2.3.4', "Invalid name ('1.2.3.4'); no ip addresses allowed"],
        ['a.test:80', "Invalid name ('a.test:80'); no port allowed"],
        ['a b', "Invalid name ('a b'); must be a valid hostname"],
      ]) {
        const r = await api.post('/upstreams', { name })
        assert.equal(r.status, 400, name)
        assert.deepEqual(r.body.fields, { name: msg })
      }
    })

    it('the same name twice → 409', async () => {
      const u = await upstream()
      const res = await api.post('/upstreams', { name: u.name })
      assert.equal(res.status, 409)
      assert.deepEqual(res.body, {
        code: 5,
        name: 'unique constraint violation',
        message: `UNIQUE violation detected on '{name="${u.name}"}'`,
        fields: { name: u.name },
      })
    })

    it('slots between 10 and 65536, algorithm enumeration', async () => {
      const body = await bad({ slots: 5, algorithm: 'random' })
      assert.deepEqual(body.fields, {
        slots: 'value should be between 10 and 65536',
        algorithm: 'expected one of: consistent-hashing, least-connections, round-robin, latency',
      })
    })

    it('hash_on = header needs hash_on_header', async () => {
      assert.deepEqual(await bad({ hash_on: 'header' }), {
        code: 2,
        name: 'schema violation',
        message:
          "2 schema violations (failed conditional validation given value of field 'hash_on'; hash_on_header: required field missing)",
        fields: { hash_on_header: 'required field missing', '@entity': conditional('hash_on') },
      })
    })

    it('hash_fallback = query_arg needs hash_fallback_query_arg', async () => {
      assert.deepEqual((await bad({ hash_on: 'ip', hash_fallback: 'query_arg' })).fields, {
        hash_fallback_query_arg: 'required field missing',
        '@entity': conditional('hash_fallback'),
      })
    })

    it('hash_on = cookie needs hash_on_cookie and forbids a fallback', async () => {
      assert.deepEqual((await bad({ hash_on: 'cookie', hash_on_cookie: 'c', hash_fallback: 'ip' })).fields, {
        hash_fallback: 'expected one of: none',
        '@entity': conditional('hash_on'),
      })
      assert.deepEqual((await bad({ hash_on: 'cookie' })).fields, {
        hash_on_cookie: 'required field missing',
        '@entity': conditional('hash_on'),
      })
    })

    it('hash_on = none forbids a fallback', async () => {
      assert.deepEqual((await bad({ hash_on: 'none', hash_fallback: 'ip' })).fields, {
        hash_fallback: 'expected one of: none',
        '@entity': conditional('hash_on'),
      })
    })

    it('hash_fallback must differ from hash_on (ip, consumer, path)', async () => {
      for (const v of ['ip', 'consumer', 'path']) {
        const body = await bad({ hash_on: v, hash_fallback: v })
        assert.equal(body.fields['@entity'][0], conditional('hash_on')[0], v)
        assert.match(body.fields.hash_fallback, /^expected one of: /)
        assert.ok(!body.fields.hash_fallback.split(': ')[1].split(', ').includes(v), v)
      }
    })

    it('header/query_arg/uri_capture names must be distinct', async () => {
      assert.deepEqual(
        (
          await bad({
            hash_on: 'header',
            hash_on_header: 'x-a',
            hash_fallback: 'header',
            hash_fallback_header: 'x-a',
          })
        ).fields,
        { '@entity': ["values of these fields must be distinct: 'hash_on_header', 'hash_fallback_header'"] },
      )
      assert.deepEqual(
        (
          await bad({
            hash_on: 'query_arg',
            hash_on_query_arg: 'q',
            hash_fallback: 'query_arg',
            hash_fallback_query_arg: 'q',
          })
        ).fields,
        {
          '@entity': [
            "values of these fields must be distinct: 'hash_on_query_arg', 'hash_fallback_query_arg'",
          ],
        },
      )
      const ok = await api.post('/upstreams', {
        name: hostname(),
        hash_on: 'header',
        hash_on_header: 'x-a',
        hash_fallback: 'header',
        hash_fallback_header: 'x-b',
      })
      assert.equal(ok.status, 201, ok.text)
      assert.equal(ok.body.algorithm, 'consistent-hashing')
    })

    it('hash_on_header must be a header name', async () => {
      assert.equal(
        (await bad({ hash_on: 'header', hash_on_header: 'a b' })).fields.hash_on_header,
        "bad header name 'a b', allowed characters are A-Z, a-z, 0-9, '_', and '-'",
      )
    })

    describe('algorithm / hash_on normalization (§6.1)', () => {
      it('a hash input selects consistent-hashing', async () => {
        assert.deepEqual(hashOf(await upstream({ hash_on: 'ip' })), {
          algorithm: 'consistent-hashing',
          hash_on: 'ip',
        })
      })

      it('least-connections / latency reset hash_on to none', async () => {
        assert.deepEqual(hashOf(await upstream({ algorithm: 'least-connections', hash_on: 'ip' })), {
          algorithm: 'least-connections',
          hash_on: 'none',
        })
        assert.deepEqual(hashOf(await upstream({ algorithm: 'latency', hash_on: 'none' })), {
          algorithm: 'latency',
          hash_on: 'none',
        })
      })

      it('hash_on: none switches the algorithm back to round-robin', async () => {
        assert.deepEqual(hashOf(await upstream({ algorithm: 'consistent-hashing', hash_on: 'none' })), {
          algorithm: 'round-robin',
          hash_on: 'none',
        })
        const u = await upstream({ hash_on: 'path' })
        const res = await api.patch(`/upstreams/${u.id}`, { hash_on: 'none' })
        assert.deepEqual(hashOf(res.body), { algorithm: 'round-robin', hash_on: 'none' })
      })

      it('hash_on: null becomes none without changing the algorithm', async () => {
        const res = await api.post('/upstreams', {
          name: hostname(),
          algorithm: 'consistent-hashing',
          hash_on: null,
        })
        assert.equal(res.status, 201, res.text)
        assert.deepEqual(hashOf(res.body), { algorithm: 'consistent-hashing', hash_on: 'none' })
        assert.deepEqual(hashOf((await api.get(`/upstreams/${res.body.id}`)).body), {
          algorithm: 'consistent-hashing',
          hash_on: 'none',
        })
      })

      it('PATCH of the algorithm alone leaves hash_on as stored (reads do not re-normalize)', async () => {
        const u = await upstream({ hash_on: 'ip' })
        const res = await api.patch(`/upstreams/${u.id}`, { algorithm: 'round-robin' })
        assert.equal(res.status, 200, res.text)
        assert.deepEqual(hashOf(res.body), { algorithm: 'round-robin', hash_on: 'ip' })
        assert.deepEqual(hashOf((await api.get(`/upstreams/${u.id}`)).body), {
          algorithm: 'round-robin',
          hash_on: 'ip',
        })
      })
    })

    describe('healthchecks', () => {
      it('partial input is completed with the defaults', async () => {
        const u = await upstream({ healthchecks: { active: { healthy: { interval: 5 } }, threshold: 25 } })
        assert.deepEqual(u.healthchecks, {
          ...HEALTHCHECKS_DEFAULT,
          threshold: 25,
          active: {
            ...HEALTHCHECKS_DEFAULT.active,
            healthy: { ...HEALTHCHECKS_DEFAULT.active.healthy, interval: 5 },
          },
        })
      })

      it('PATCH merges nested records key by key; arrays are replaced', async () => {
        const u = await upstream({ healthchecks: { active: { healthy: { interval: 5 } } } })
        const res = await api.patch(`/upstreams/${u.id}`, {
          healthchecks: { active: { healthy: { http_statuses: [200] }, http_path: '/health' } },
        })
        assert.equal(res.status, 200, res.text)
        assert.deepEqual(res.body.healthchecks.active.healthy, {
          interval: 5,
          http_statuses: [200],
          successes: 0,
        })
        assert.equal(res.body.healthchecks.active.http_path, '/health')
        assert.deepEqual(res.body.healthchecks.passive, HEALTHCHECKS_DEFAULT.passive)
      })

      it('form-encoded nested record fields are converted', async () => {
        const res = await api.form(
          'POST',
          '/upstreams',
          `name=${hostname()}&healthchecks.active.healthy.interval=5&healthchecks.threshold=10&healthchecks.active.https_verify_certificate=false`,
        )
        assert.equal(res.status, 201, res.text)
        assert.equal(res.body.healthchecks.active.healthy.interval, 5)
        assert.equal(res.body.healthchecks.threshold, 10)
        assert.equal(res.body.healthchecks.active.https_verify_certificate, false)
        assert.deepEqual(res.body.healthchecks.passive, HEALTHCHECKS_DEFAULT.passive)
      })

      it('validation inside healthchecks', async () => {
        const body = await bad({
          healthchecks: {
            threshold: 101,
            active: {
              type: 'udp',
              concurrency: 0,
              http_path: 'x',
              healthy: { successes: 256, http_statuses: [99] },
            },
          },
        })
        assert.deepEqual(body.fields, {
          healthchecks: {
            threshold: 'value should be between 0 and 100',
            active: {
              type: 'expected one of: tcp, http, https, grpc, grpcs',
              concurrency: 'value should be between 1 and 2147483648',
              http_path: 'should start with: /',
              healthy: {
                successes: 'value should be between 0 and 255',
                http_statuses: ['value should be between 100 and 999'],
              },
            },
          },
        })
      })
    })

    it('GET/PUT/PATCH/DELETE by name; PATCH of a missing upstream → 404 code 6', async () => {
      const u = await upstream({ slots: 100 })
      assert.deepEqual((await api.get(`/upstreams/${u.name}`)).body, u)
      const put = await api.put(`/upstreams/${u.name}`, {})
      assert.equal(put.status, 200, put.text)
      assert.equal(put.body.id, u.id)
      assert.equal(put.body.slots, 10000)
      const patch = await api.patch(`/upstreams/${u.name}`, { host_header: 'h.test:8080' })
      assert.equal(patch.status, 200, patch.text)
      assert.equal(patch.body.host_header, 'h.test:8080')
      const name = hostname()
      const missing = await api.patch(`/upstreams/${name}`, { slots: 20 })
      assert.equal(missing.status, 404)
      assert.deepEqual(missing.body, {
        code: 6,
        name: 'not found',
        message: `could not find the entity with '{name="${name}"}'`,
        fields: { name },
      })
      assert.equal((await api.delete(`/upstreams/${u.name}`)).status, 204)
      assert.equal((await api.get(`/upstreams/${u.id}`)).status, 404)
    })

    it('client_certificate: foreign-entity endpoint, /certificates/{c}/upstreams, delete restricted', async () => {
      const cert = await create(api, '/certificates', { cert: RSA_CERT, key: RSA_KEY })
      const u = await upstream({ client_certificate: { id: cert.id } })
      const get = await api.get(`/upstreams/${u.name}/client_certificate`)
      assert.equal(get.status, 200, get.text)
      assert.equal(get.body.id, cert.id)
      assert.equal((await api.delete(`/upstreams/${u.name}/client_certificate`)).status, 405)
      const listed = await api.get(`/certificates/${cert.id}/upstreams`)
      assert.equal(listed.status, 200)
      assert.deepEqual(
        listed.body.data.map((x: Json) => x.id),
        [u.id],
      )
      const del = await api.delete(`/certificates/${cert.id}`)
      assert.equal(del.status, 400)
      assert.deepEqual(del.body, {
        code: 4,
        name: 'foreign key violation',
        message: "an existing 'upstreams' entity references this 'certificates' entity",
        fields: { '@referenced_by': 'upstreams' },
      })
      const created = await api.post(`/certificates/${cert.id}/upstreams`, { name: hostname() })
      assert.equal(created.status, 201, created.text)
      assert.deepEqual(created.body.client_certificate, { id: cert.id })
    })

    it('/upstreams/{u}/client_certificate: 404 without one', async () => {
      const u = await upstream()
      const res = await api.get(`/upstreams/${u.id}/client_certificate`)
      assert.equal(res.status, 404)
      assert.deepEqual(res.body, { message: 'Not found' })
      assert.equal((await api.delete(`/upstreams/${u.id}/client_certificate`)).status, 404)
    })
  })

  describe('targets', () => {
    it('POST: 201, default weight 100, port 8000 appended, fractional timestamps', async () => {
      const u = await upstream()
      const res = await api.post(`/upstreams/${u.name}/targets`, { target: 'konghq.test' })
      assert.equal(res.status, 201, res.text)
      const { id, created_at, updated_at, ...rest } = res.body
      assert.match(id, UUID_RE)
      assert.equal(typeof created_at, 'number')
      assert.equal(updated_at, created_at)
      assert.ok(Math.abs(created_at * 1000 - Math.round(created_at * 1000)) < 1e-3, 'millisecond precision')
      assert.deepEqual(rest, { upstream: { id: u.id }, target: 'konghq.test:8000', weight: 100, tags: null })
    })

    it('normalizes IPv4 leading zeros and expands/brackets IPv6', async () => {
      const u = await upstream()
      const cases: [string, string][] = [
        ['010.000.0.1', '10.0.0.1:8000'],
        ['10.0.0.2:80', '10.0.0.2:80'],
        ['::1', '[0000:0000:0000:0000:0000:0000:0000:0001]:8000'],
        ['[::2]:99', '[0000:0000:0000:0000:0000:0000:0000:0002]:99'],
      ]
      for (const [input, stored] of cases) {
        const res = await api.post(`/upstreams/${u.id}/targets`, { target: input })
        assert.equal(res.status, 201, res.text)
        assert.equal(res.body.target, stored, input)
      }
    })

    it('invalid targets and weights', async () => {
      const u = await upstream()
      const res = await api.post(`/upstreams/${u.id}/targets`, { target: 'a b', weight: 70000 })
      assert.equal(res.status, 400)
      assert.deepEqual(res.body.fields, {
        target: "Invalid target ('a b'); not a valid hostname or ip address",
        weight: 'value should be between 0 and 65535',
      })
      const missing = await api.post(`/upstreams/${u.id}/targets`, {})
      assert.deepEqual(missing.body.fields, { target: 'required field missing' })
    })

    it('the same target twice (after normalization) → 409', async () => {
      const u = await upstream()
      await create(api, `/upstreams/${u.id}/targets`, { target: 'dup.test' })
      const res = await api.post(`/upstreams/${u.id}/targets`, { target: 'dup.test:8000' })
      assert.equal(res.status, 409)
      assert.deepEqual(res.body, {
        code: 5,
        name: 'unique constraint violation',
        message: `UNIQUE violation detected on '{target="dup.test:8000",upstream={id="${u.id}"}}'`,
        fields: { upstream: { id: u.id }, target: 'dup.test:8000' },
      })
      const other = await upstream()
      const ok = await api.post(`/upstreams/${other.id}/targets`, { target: 'dup.test' })
      assert.equal(ok.status, 201, 'the same target on another upstream is fine')
    })

    it('GET lists newest first, including weight 0, with numeric-string offsets', async () => {
      const u = await upstream()
      const created: Json[] = []
      for (let i = 0; i < 5; i++) {
        created.push(
          await create(api, `/upstreams/${u.id}/targets`, { target: `t${i}.test`, weight: i === 2 ? 0 : 10 }),
        )
        await new Promise((r) => setTimeout(r, 3))
      }
      const newest = [...created].reverse().map((t) => t.id)
      const all = await api.get(`/upstreams/${u.id}/targets`)
      assert.equal(all.status, 200)
      assert.deepEqual(
        all.body.data.map((t: Json) => t.id),
        newest,
      )
      assert.equal(all.body.next, null)
      assert.equal(Object.hasOwn(all.body, 'offset'), false)
      const p1 = await api.get(`/upstreams/${u.name}/targets?size=2`)
      assert.deepEqual(
        p1.body.data.map((t: Json) => t.id),
        newest.slice(0, 2),
      )
      assert.equal(p1.body.offset, '2')
      assert.equal(p1.body.next, `/upstreams/${u.name}/targets?offset=2`)
      const p2 = await api.get(`/upstreams/${u.name}/targets?size=2&offset=2`)
      assert.deepEqual(
        p2.body.data.map((t: Json) => t.id),
        newest.slice(2, 4),
      )
      const p3 = await api.get(`/upstreams/${u.name}/targets?size=2&offset=4`)
      assert.deepEqual(
        p3.body.data.map((t: Json) => t.id),
        newest.slice(4),
      )
      assert.equal(p3.body.next, null)
    })

    it('target listing size and offset errors (size 1..1000, code 9; malformed offset, code 7)', async () => {
      const u = await upstream()
      await create(api, `/upstreams/${u.id}/targets`, { target: 'sz.test' })
      for (const size of ['0', '1001', '5000']) {
        const res = await api.get(`/upstreams/${u.id}/targets?size=${size}`)
        assert.equal(res.status, 400, `size=${size}: ${res.text}`)
        assert.deepEqual(res.body, {
          code: 9,
          name: 'invalid size',
          message: 'size must be an integer between 1 and 1000',
        })
      }
      const nan = await api.get(`/upstreams/${u.id}/targets?size=x`)
      assert.equal(nan.status, 400)
      assert.deepEqual(nan.body, { code: 9, name: 'invalid size', message: 'size must be a number' })
      const off = await api.get(`/upstreams/${u.id}/targets?offset=abc`)
      assert.equal(off.status, 400)
      assert.equal(off.body.code, 7)
      assert.equal(off.body.name, 'invalid offset')
      assert.equal((await api.get(`/upstreams/${u.id}/targets?size=1000`)).status, 200)
    })

    it('/targets/all pages all rows like other collections (id order)', async () => {
      const u = await upstream()
      const ids: string[] = []
      for (let i = 0; i < 3; i++)
        ids.push((await create(api, `/upstreams/${u.id}/targets`, { target: `a${i}.test` })).id)
      ids.sort()
      const p1 = await api.get(`/upstreams/${u.id}/targets/all?size=2`)
      assert.equal(p1.status, 200)
      assert.deepEqual(
        p1.body.data.map((t: Json) => t.id),
        ids.slice(0, 2),
      )
      assert.equal(typeof p1.body.offset, 'string')
      assert.equal(
        p1.body.next,
        `/upstreams/${u.id}/targets/all?offset=${encodeURIComponent(p1.body.offset)}`,
      )
      const p2 = await api.get(p1.body.next)
      assert.deepEqual(
        p2.body.data.map((t: Json) => t.id),
        ids.slice(2),
      )
      assert.equal(p2.body.next, null)
    })

    it('GET by id and by host:port; targets of another upstream → 404', async () => {
      const u = await upstream()
      const other = await upstream()
      const t = await create(api, `/upstreams/${u.id}/targets`, { target: 'get.test:81' })
      assert.deepEqual((await api.get(`/upstreams/${u.id}/targets/${t.id}`)).body, t)
      assert.deepEqual((await api.get(`/upstreams/${u.name}/targets/get.test:81`)).body, t)
      for (const key of [t.id, 'get.test:81']) {
        const res = await api.get(`/upstreams/${other.id}/targets/${key}`)
        assert.equal(res.status, 404)
        assert.deepEqual(res.body, { message: 'Not found' })
      }
      assert.equal((await api.get(`/upstreams/${u.id}/targets/${randomUUID()}`)).status, 404)
    })

    it('PUT and PATCH update the existing target (no upsert)', async () => {
      const u = await upstream()
      const t = await create(api, `/upstreams/${u.id}/targets`, { target: 'upd.test', weight: 10 })
      const patch = await api.patch(`/upstreams/${u.id}/targets/${t.id}`, { weight: 0 })
      assert.equal(patch.status, 200, patch.text)
      assert.equal(patch.body.id, t.id)
      assert.equal(patch.body.weight, 0)
      assert.ok(patch.body.updated_at >= t.updated_at)
      const put = await api.put(`/upstreams/${u.id}/targets/upd.test:8000`, { weight: 7 })
      assert.equal(put.status, 200, put.text)
      assert.equal(put.body.id, t.id)
      assert.equal(put.body.weight, 7)
      const upsert = await api.put(`/upstreams/${u.id}/targets/nothere.test:80`, { weight: 5 })
      assert.equal(upsert.status, 404)
      assert.equal((await api.get(`/upstreams/${u.id}/targets/nothere.test:80`)).status, 404)
    })

    it('DELETE by host:port and by id; PUT/PATCH/DELETE on the collection → 405', async () => {
      const u = await upstream()
      const a = await create(api, `/upstreams/${u.id}/targets`, { target: 'del-a.test' })
      const b = await create(api, `/upstreams/${u.id}/targets`, { target: 'del-b.test' })
      assert.equal((await api.delete(`/upstreams/${u.id}/targets/del-a.test:8000`)).status, 204)
      assert.equal((await api.delete(`/upstreams/${u.id}/targets/${b.id}`)).status, 204)
      assert.equal((await api.get(`/upstreams/${u.id}/targets/${a.id}`)).status, 404)
      assert.deepEqual((await api.get(`/upstreams/${u.id}/targets`)).body, { data: [], next: null })
      for (const method of ['PUT', 'PATCH', 'DELETE']) {
        const res = await api.send(method, `/upstreams/${u.id}/targets`, { json: { target: 'x.test' } })
        assert.equal(res.status, 405, method)
        assert.deepEqual(res.body, { message: 'Method not allowed' })
      }
    })

    it('a missing upstream → 404 on every target path', async () => {
      const name = hostname()
      assert.equal((await api.get(`/upstreams/${name}/targets`)).status, 404)
      assert.equal((await api.get(`/upstreams/${name}/targets/all`)).status, 404)
      assert.equal((await api.post(`/upstreams/${name}/targets`, { target: 'a.test' })).status, 404)
      assert.equal((await api.get(`/upstreams/${name}/targets/a.test:8000`)).status, 404)
    })

    it('deleting an upstream deletes its targets', async () => {
      const u = await upstream()
      const t = await create(api, `/upstreams/${u.id}/targets`, { target: 'cascade.test' })
      assert.equal((await api.delete(`/upstreams/${u.id}`)).status, 204)
      const again = await create(api, '/upstreams', { name: u.name, id: u.id })
      assert.deepEqual((await api.get(`/upstreams/${again.id}/targets`)).body, { data: [], next: null })
      assert.equal((await api.get(`/upstreams/${again.id}/targets/${t.id}`)).status, 404)
    })

    it('top-level /targets paths are disabled (404)', async () => {
      const u = await upstream()
      const t = await create(api, `/upstreams/${u.id}/targets`, { target: 'top.test' })
      for (const path of ['/targets', `/targets/${t.id}`, `/targets/${t.id}/upstream`]) {
        const res = await api.get(path)
        assert.equal(res.status, 404, path)
        assert.deepEqual(res.body, { message: 'Not found' })
      }
      assert.equal((await api.post('/targets', { target: 'x.test', upstream: { id: u.id } })).status, 404)
    })
  })
})
