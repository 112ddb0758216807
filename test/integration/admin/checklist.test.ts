// admin-api.md §10, the behaviour checklist, item by item (each test is named after its item).
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { Gateway } from '../../helpers/gateway.js'
import { type Client, client, create, startAdmin, uniq } from './helpers.js'

describe('admin api: behaviour checklist (admin-api.md §10)', () => {
  let gw: Gateway
  let api: Client
  before(async () => {
    gw = await startAdmin()
    api = client(gw)
  })
  after(async () => {
    await gw.stop()
  })

  it('1. GET /services on an empty DB → {"data":[],"next":null} exactly', async () => {
    const res = await api.get('/services')
    assert.equal(res.status, 200)
    assert.equal(res.text, '{"data":[],"next":null}')
    assert.ok(Array.isArray(res.body.data))
  })

  it('2. POST /consumers {} → 400 code 2 with the @entity at-least-one error', async () => {
    const res = await api.post('/consumers', {})
    assert.equal(res.status, 400)
    assert.equal(res.body.code, 2)
    assert.deepEqual(res.body.fields['@entity'], [
      "at least one of these fields must be non-empty: 'custom_id', 'username'",
    ])
  })

  it('3. the same username twice → 409 UNIQUE violation detected on {username="x"}', async () => {
    const username = uniq('x')
    await create(api, '/consumers', { username })
    const res = await api.post('/consumers', { username })
    assert.equal(res.status, 409)
    assert.equal(res.body.message, `UNIQUE violation detected on '{username="${username}"}'`)
  })

  it("4. POST /routes {} → 400 schema violation (must set one of … when 'protocols' is 'https')", async () => {
    const res = await api.post('/routes', {})
    assert.equal(res.status, 400)
    assert.equal(
      res.body.message,
      "schema violation (must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https')",
    )
  })

  it('5. protocols ["foo","http"] → fields.protocols = ["expected one of: …"]', async () => {
    const res = await api.post('/routes', { protocols: ['foo', 'http'], paths: ['/'] })
    assert.equal(res.status, 400)
    assert.equal(
      res.body.fields.protocols[0],
      'expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp',
    )
    assert.ok(res.body.fields.protocols.slice(1).every((e: unknown) => e === null))
  })

  it('6. GET /routes?size=x → code 9 size must be a number; ?offset=x → code 7 bad base64 encoding', async () => {
    const size = await api.get('/routes?size=x')
    assert.equal(size.status, 400)
    assert.equal(size.body.code, 9)
    assert.equal(size.body.message, 'size must be a number')
    const offset = await api.get('/routes?offset=x')
    assert.equal(offset.status, 400)
    assert.equal(offset.body.code, 7)
    assert.equal(offset.body.message, "'x' is not a valid offset: bad base64 encoding")
  })

  it('7. DELETE /services/<unknown> → 204; GET → 404 {"message":"Not found"}', async () => {
    for (const key of [randomUUID(), uniq('unknown')]) {
      assert.equal((await api.delete(`/services/${key}`)).status, 204)
      const get = await api.get(`/services/${key}`)
      assert.equal(get.status, 404)
      assert.deepEqual(get.body, { message: 'Not found' })
    }
  })

  it('8. POST /services form url=https://svc.test/ → https, 443, /', async () => {
    const res = await api.form('POST', '/services', 'url=https://svc.test/')
    assert.equal(res.status, 201, res.text)
    assert.equal(res.body.protocol, 'https')
    assert.equal(res.body.port, 443)
    assert.equal(res.body.path, '/')
  })

  it('9. PUT /routes/my-route with paths[]=/x → 200, name = "my-route"', async () => {
    const res = await api.form('PUT', '/routes/my-route', 'paths[]=/x')
    assert.equal(res.status, 200, res.text)
    assert.equal(res.body.name, 'my-route')
    assert.deepEqual(res.body.paths, ['/x'])
  })

  it('10. OPTIONS /routes → 204, Allow: GET, HEAD, OPTIONS, POST', async () => {
    const res = await api.options('/routes')
    assert.equal(res.status, 204)
    assert.equal(res.headers.get('allow'), 'GET, HEAD, OPTIONS, POST')
  })

  it('11. Content-Type: invalid → 415; malformed JSON → 400 Cannot parse JSON body', async () => {
    const ct = await api.send('POST', '/consumers', {
      raw: 'username=x',
      headers: { 'content-type': 'invalid' },
    })
    assert.equal(ct.status, 415)
    const json = await api.send('POST', '/consumers', {
      raw: '{"username":',
      headers: { 'content-type': 'application/json' },
    })
    assert.equal(json.status, 400)
    assert.deepEqual(json.body, { message: 'Cannot parse JSON body' })
  })

  it('12. a second key-auth plugin on a service → 409 with fields consumer, name, route, service', async () => {
    const s = await create(api, '/services', { name: uniq('svc'), host: 'a.test' })
    await create(api, `/services/${s.id}/plugins`, { name: 'key-auth' })
    const res = await api.post(`/services/${s.id}/plugins`, { name: 'key-auth' })
    assert.equal(res.status, 409)
    assert.deepEqual(Object.keys(res.body.fields).sort(), ['consumer', 'name', 'route', 'service'])
    assert.deepEqual(res.body.fields, {
      consumer: null,
      name: 'key-auth',
      route: null,
      service: { id: s.id },
    })
  })
})
