// CA certificates: CA checks (one certificate, not expired, CA basic constraint), the computed
// cert_digest and its uniqueness, id-only addressing, PUT/PATCH/DELETE, and the delete restriction
// while a service lists the CA in ca_certificates (code 19).
import assert from 'node:assert/strict'
import { createHash, randomUUID, X509Certificate } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { Gateway } from '../../helpers/gateway.js'
import { CA_CERT, CA2_CERT, CA3_CERT, CA4_CERT, CA5_CERT, EXPIRED_CA_CERT, RSA_CERT } from './fixtures.js'
import { type Client, client, create, startAdmin, UUID_RE, uniq } from './helpers.js'

const digest = (pem: string) => createHash('sha256').update(new X509Certificate(pem).raw).digest('hex')

describe('admin api: ca_certificates', () => {
  let gw: Gateway
  let api: Client
  before(async () => {
    gw = await startAdmin()
    api = client(gw)
  })
  after(async () => {
    await gw.stop()
  })

  const bad = async (body: Record<string, unknown>) => {
    const res = await api.post('/ca_certificates', body)
    assert.equal(res.status, 400, res.text)
    assert.equal(res.body.code, 2)
    return res.body
  }

  it('POST returns every field with the computed cert_digest; the same CA twice → 409', async () => {
    const res = await api.post('/ca_certificates', { cert: CA_CERT })
    assert.equal(res.status, 201, res.text)
    const { id, created_at, updated_at, ...rest } = res.body
    assert.match(id, UUID_RE)
    assert.ok(Number.isInteger(created_at))
    assert.equal(updated_at, created_at)
    assert.deepEqual(rest, { cert: CA_CERT, cert_digest: digest(CA_CERT), tags: null })
    assert.match(rest.cert_digest, /^[0-9a-f]{64}$/)

    const dup = await api.post('/ca_certificates', { cert: CA_CERT })
    assert.equal(dup.status, 409)
    assert.deepEqual(dup.body, {
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{cert_digest="${digest(CA_CERT)}"}'`,
      fields: { cert_digest: digest(CA_CERT) },
    })
    assert.equal((await api.delete(`/ca_certificates/${id}`)).status, 204)
    assert.equal((await api.get(`/ca_certificates/${id}`)).status, 404)
  })

  it('a client-supplied cert_digest is replaced by the computed one', async () => {
    const ca = await create(api, '/ca_certificates', { cert: CA2_CERT, cert_digest: 'abc' })
    assert.equal(ca.cert_digest, digest(CA2_CERT))
    const patched = await api.patch(`/ca_certificates/${ca.id}`, { cert: CA3_CERT })
    assert.equal(patched.status, 200, patched.text)
    assert.equal(patched.body.cert, CA3_CERT)
    assert.equal(patched.body.cert_digest, digest(CA3_CERT), 'digest recomputed on update')
    const tagged = await api.patch(`/ca_certificates/${ca.id}`, { tags: ['ca'] })
    assert.equal(tagged.status, 200, tagged.text)
    assert.deepEqual(tagged.body.tags, ['ca'])
    assert.equal(tagged.body.cert_digest, digest(CA3_CERT))
    assert.equal((await api.delete(`/ca_certificates/${ca.id}`)).status, 204)
  })

  it('not a CA → missing the "CA" basic constraint', async () => {
    assert.deepEqual(await bad({ cert: RSA_CERT }), {
      code: 2,
      name: 'schema violation',
      message:
        'schema violation (certificate does not appear to be a CA because it is missing the "CA" basic constraint)',
      fields: {
        '@entity': ['certificate does not appear to be a CA because it is missing the "CA" basic constraint'],
      },
    })
  })

  it('expired → "Not After" time is in the past', async () => {
    assert.deepEqual((await bad({ cert: EXPIRED_CA_CERT })).fields, {
      '@entity': ['certificate expired, "Not After" time is in the past'],
    })
  })

  it('more than one certificate → please submit only one certificate at a time', async () => {
    assert.deepEqual((await bad({ cert: `${CA4_CERT}\n${CA5_CERT}` })).fields, {
      '@entity': ['please submit only one certificate at a time'],
    })
  })

  it('cert is required and must parse', async () => {
    assert.deepEqual((await bad({})).fields, { cert: 'required field missing' })
    assert.match((await bad({ cert: 'junk' })).fields.cert, /^invalid certificate: /)
  })

  it('addressable by id only: a non-UUID segment → 400 code 1', async () => {
    for (const method of ['GET', 'PATCH', 'PUT', 'DELETE']) {
      const res = await api.send(method, '/ca_certificates/not-an-id', { json: { cert: CA4_CERT } })
      assert.equal(res.status, 400, method)
      assert.deepEqual(res.body, {
        code: 1,
        name: 'invalid primary key',
        message: `invalid primary key: '{id="expected a valid UUID"}'`,
        fields: { id: 'expected a valid UUID' },
      })
    }
  })

  it('PUT by id creates then replaces; PATCH of a missing id → 404 code 6', async () => {
    const id = randomUUID()
    const first = await api.put(`/ca_certificates/${id}`, { cert: CA4_CERT, tags: ['a'] })
    assert.equal(first.status, 200, first.text)
    assert.equal(first.body.id, id)
    assert.equal(first.body.cert_digest, digest(CA4_CERT))
    const second = await api.put(`/ca_certificates/${id}`, { cert: CA4_CERT })
    assert.equal(second.status, 200, second.text)
    assert.equal(second.body.tags, null)
    const missing = randomUUID()
    const patch = await api.patch(`/ca_certificates/${missing}`, { tags: ['x'] })
    assert.equal(patch.status, 404)
    assert.deepEqual(patch.body, {
      code: 6,
      name: 'not found',
      message: `could not find the entity with primary key '{id="${missing}"}'`,
      fields: { id: missing },
    })
    assert.equal((await api.delete(`/ca_certificates/${id}`)).status, 204)
    assert.equal((await api.delete(`/ca_certificates/${id}`)).status, 204)
  })

  it('a CA listed in a service’s ca_certificates cannot be deleted (400 code 19)', async () => {
    const ca = await create(api, '/ca_certificates', { cert: CA5_CERT })
    const svc = await create(api, '/services', {
      name: uniq('svc'),
      url: 'https://tls.test',
      tls_verify: true,
      ca_certificates: [ca.id],
    })
    const res = await api.delete(`/ca_certificates/${ca.id}`)
    assert.equal(res.status, 400)
    assert.deepEqual(res.body, {
      code: 19,
      name: 'referenced by others',
      message: `ca certificate ${ca.id} is still referenced by services (id = ${svc.id})`,
    })
    assert.equal((await api.get(`/ca_certificates/${ca.id}`)).status, 200)
    assert.equal((await api.patch(`/services/${svc.id}`, { ca_certificates: null })).status, 200)
    assert.equal((await api.delete(`/ca_certificates/${ca.id}`)).status, 204)
  })
})
