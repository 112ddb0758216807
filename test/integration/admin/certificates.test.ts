// Certificates and SNIs: PEM validation and pair checks, the transient `snis` list (sorted,
// duplicated, already associated, replaced on PUT, kept on PATCH), addressing certificates by SNI
// name, nested /certificates/{c}/snis, /snis CRUD, cascades.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { Gateway } from '../../helpers/gateway.js'
import { EC_CERT, EC_KEY, EC2_KEY, RSA_CERT, RSA_KEY, RSA2_CERT, RSA2_KEY } from './fixtures.js'
import { type Client, client, create, type Json, startAdmin, UUID_RE, uniq } from './helpers.js'

const PAIR = { cert: RSA_CERT, key: RSA_KEY }

describe('admin api: certificates and snis', () => {
  let gw: Gateway
  let api: Client
  before(async () => {
    gw = await startAdmin()
    api = client(gw)
  })
  after(async () => {
    await gw.stop()
  })

  const host = (p = 'sni') => `${uniq(p)}.test`
  const certificate = (extra: Record<string, unknown> = {}) =>
    create(api, '/certificates', { ...PAIR, ...extra })
  const sniNames = async (certId: string) =>
    (await api.get(`/certificates/${certId}/snis`)).body.data.map((s: Json) => s.name).sort()

  /** POSTs a certificate and returns the 400 body (a code-2 schema violation). */
  const bad = async (body: Record<string, unknown>) => {
    const res = await api.post('/certificates', body)
    assert.equal(res.status, 400, res.text)
    assert.equal(res.body.code, 2)
    return res.body
  }

  describe('certificates', () => {
    it('POST returns every field, snis [] when none', async () => {
      const res = await api.post('/certificates', PAIR)
      assert.equal(res.status, 201, res.text)
      const { id, created_at, updated_at, ...rest } = res.body
      assert.match(id, UUID_RE)
      assert.ok(Number.isInteger(created_at))
      assert.equal(updated_at, created_at)
      assert.deepEqual(rest, {
        cert: RSA_CERT,
        key: RSA_KEY,
        cert_alt: null,
        key_alt: null,
        tags: null,
        snis: [],
      })
    })

    it('cert and key are required and must parse', async () => {
      assert.deepEqual((await bad({})).fields, {
        cert: 'required field missing',
        key: 'required field missing',
      })
      const body = await bad({ cert: 'garbage', key: 'garbage' })
      assert.match(body.fields.cert, /^invalid certificate: /)
      assert.match(body.fields.key, /^invalid key: /)
    })

    it('cert and key may be vault references', async () => {
      const res = await api.post('/certificates', { cert: '{vault://env/cert}', key: '{vault://env/key}' })
      assert.equal(res.status, 201, res.text)
      assert.equal(res.body.cert, '{vault://env/cert}')
      assert.equal(res.body.key, '{vault://env/key}')
    })

    it('certificate does not match key', async () => {
      const body = await bad({ cert: RSA_CERT, key: RSA2_KEY })
      assert.deepEqual(body, {
        code: 2,
        name: 'schema violation',
        message: 'schema violation (certificate does not match key)',
        fields: { '@entity': ['certificate does not match key'] },
      })
    })

    it('cert_alt and key_alt: all or none, must match, different key types', async () => {
      assert.deepEqual((await bad({ ...PAIR, cert_alt: EC_CERT })).fields, {
        '@entity': ["all or none of these fields must be set: 'cert_alt', 'key_alt'"],
      })
      assert.deepEqual((await bad({ ...PAIR, cert_alt: EC_CERT, key_alt: EC2_KEY })).fields, {
        '@entity': ['alternative certificate does not match key'],
      })
      assert.deepEqual((await bad({ ...PAIR, cert_alt: RSA2_CERT, key_alt: RSA2_KEY })).fields, {
        '@entity': [
          'certificate and alternative certificate need to have different type (e.g. RSA and ECDSA), the provided certificates were both of the same type',
        ],
      })
      const ok = await api.post('/certificates', { ...PAIR, cert_alt: EC_CERT, key_alt: EC_KEY })
      assert.equal(ok.status, 201, ok.text)
      assert.equal(ok.body.cert_alt, EC_CERT)
      assert.equal(ok.body.key_alt, EC_KEY)
    })

    it('snis are created as SNI entities and returned sorted everywhere', async () => {
      const [a, b, c] = [host('a'), host('b'), host('c')]
      const cert = await certificate({ snis: [c, a, b] })
      assert.deepEqual(cert.snis, [a, b, c].sort())
      assert.deepEqual((await api.get(`/certificates/${cert.id}`)).body.snis, [a, b, c].sort())
      const tag = uniq('tag')
      await api.patch(`/certificates/${cert.id}`, { tags: [tag] })
      const list = await api.get(`/certificates?tags=${tag}`)
      assert.deepEqual(list.body.data[0].snis, [a, b, c].sort())
      for (const name of [a, b, c]) {
        const sni = await api.get(`/snis/${name}`)
        assert.equal(sni.status, 200, sni.text)
        assert.deepEqual(sni.body.certificate, { id: cert.id })
      }
    })

    it('a duplicated sni is refused', async () => {
      const a = host()
      assert.deepEqual((await bad({ ...PAIR, snis: [a, host(), a] })).fields, { snis: `${a} is duplicated` })
    })

    it('an sni already owned by another certificate is refused', async () => {
      const a = host()
      const owner = await certificate({ snis: [a] })
      const body = await bad({ ...PAIR, snis: [a] })
      assert.deepEqual(body, {
        code: 2,
        name: 'schema violation',
        message: `schema violation (snis: ${a} already associated with existing certificate '${owner.id}')`,
        fields: { snis: `${a} already associated with existing certificate '${owner.id}'` },
      })
    })

    it('sni names must be valid wildcard hosts, not IPs', async () => {
      assert.deepEqual((await bad({ ...PAIR, snis: ['1.2.3.4', '*.a.*'] })).fields, {
        snis: ['must not be an IP', 'only one wildcard must be specified'],
      })
      const ok = await certificate({ snis: [`*.${host('wild')}`] })
      assert.equal(ok.snis.length, 1)
    })

    it('form-encoded snis: a single value and snis[]', async () => {
      const a = host()
      const single = await api.form('POST', '/certificates', { ...PAIR, snis: a })
      assert.equal(single.status, 201, single.text)
      assert.deepEqual(single.body.snis, [a])
      const [b, c] = [host('b'), host('c')]
      const many = await api.form(
        'POST',
        '/certificates',
        `cert=${encodeURIComponent(RSA_CERT)}&key=${encodeURIComponent(RSA_KEY)}&snis[]=${c}&snis[]=${b}`,
      )
      assert.equal(many.status, 201, many.text)
      assert.deepEqual(many.body.snis, [b, c].sort())
    })

    it('PATCH without snis keeps them; PATCH with snis replaces the set', async () => {
      const [a, b, c] = [host('a'), host('b'), host('c')]
      const cert = await certificate({ snis: [a, b] })
      const keep = await api.patch(`/certificates/${cert.id}`, { tags: ['x'] })
      assert.equal(keep.status, 200, keep.text)
      assert.deepEqual(keep.body.snis, [a, b].sort())
      const replace = await api.patch(`/certificates/${cert.id}`, { snis: [c, b] })
      assert.equal(replace.status, 200, replace.text)
      assert.deepEqual(replace.body.snis, [b, c].sort())
      assert.deepEqual(await sniNames(cert.id), [b, c].sort())
      assert.equal((await api.get(`/snis/${a}`)).status, 404)
    })

    it('PUT without snis (or with null) removes all of them', async () => {
      const [a, b] = [host('a'), host('b')]
      const cert = await certificate({ snis: [a] })
      const res = await api.put(`/certificates/${cert.id}`, PAIR)
      assert.equal(res.status, 200, res.text)
      assert.deepEqual(res.body.snis, [])
      assert.equal((await api.get(`/snis/${a}`)).status, 404)
      await api.patch(`/certificates/${cert.id}`, { snis: [b] })
      const withNull = await api.put(`/certificates/${cert.id}`, { ...PAIR, snis: null })
      assert.equal(withNull.status, 200, withNull.text)
      assert.deepEqual(withNull.body.snis, [])
      assert.deepEqual(await sniNames(cert.id), [])
    })

    it('PUT by SNI name keeps that name in the snis list', async () => {
      const [a, b] = [host('a'), host('b')]
      const cert = await certificate({ snis: [a] })
      const res = await api.put(`/certificates/${a}`, { ...PAIR, snis: [b] })
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.id, cert.id)
      assert.deepEqual(res.body.snis, [a, b].sort())
      const bare = await api.put(`/certificates/${a}`, PAIR)
      assert.equal(bare.status, 200, bare.text)
      assert.deepEqual(bare.body.snis, [a])
    })

    it('PUT by an unknown SNI name creates a certificate with that SNI', async () => {
      const a = host()
      const res = await api.put(`/certificates/${a}`, { cert: EC_CERT, key: EC_KEY })
      assert.equal(res.status, 200, res.text)
      assert.match(res.body.id, UUID_RE)
      assert.deepEqual(res.body.snis, [a])
      assert.equal((await api.get(`/certificates/${a}`)).body.id, res.body.id)
    })

    it('GET/PATCH/DELETE by SNI name; unknown SNI name → 404 SNI not found', async () => {
      const a = host()
      const cert = await certificate({ snis: [a] })
      const get = await api.get(`/certificates/${a}`)
      assert.equal(get.status, 200)
      assert.deepEqual(get.body, cert)
      const patch = await api.patch(`/certificates/${a}`, { tags: ['p'] })
      assert.equal(patch.status, 200, patch.text)
      assert.deepEqual(patch.body.tags, ['p'])
      assert.deepEqual(patch.body.snis, [a])
      for (const method of ['GET', 'PATCH']) {
        const res = await api.send(method, `/certificates/${host('unknown')}`, { json: { tags: ['x'] } })
        assert.equal(res.status, 404, method)
        assert.deepEqual(res.body, { message: 'SNI not found' })
      }
      assert.equal((await api.delete(`/certificates/${a}`)).status, 204)
      assert.equal((await api.get(`/certificates/${cert.id}`)).status, 404)
    })

    it('deleting a certificate deletes its SNIs', async () => {
      const [a, b] = [host('a'), host('b')]
      const cert = await certificate({ snis: [a, b] })
      assert.equal((await api.delete(`/certificates/${cert.id}`)).status, 204)
      assert.equal((await api.get(`/snis/${a}`)).status, 404)
      assert.equal((await api.get(`/snis/${b}`)).status, 404)
    })

    it('PATCH of a missing certificate id → 404 code 6; DELETE → 204', async () => {
      const id = randomUUID()
      const res = await api.patch(`/certificates/${id}`, { tags: ['x'] })
      assert.equal(res.status, 404)
      assert.equal(res.body.code, 6)
      assert.equal((await api.delete(`/certificates/${id}`)).status, 204)
    })
  })

  describe('/certificates/{c}/snis', () => {
    it('POST creates an SNI for the certificate; GET lists them', async () => {
      const cert = await certificate()
      const name = host()
      const sni = await create(api, `/certificates/${cert.id}/snis`, { name })
      assert.deepEqual(sni.certificate, { id: cert.id })
      const list = await api.get(`/certificates/${cert.id}/snis`)
      assert.equal(list.status, 200)
      assert.deepEqual(list.body, { data: [sni], next: null })
      assert.deepEqual((await api.get(`/certificates/${cert.id}`)).body.snis, [name])
    })

    it('the certificate may be given by SNI name; unknown name → 404 SNI not found', async () => {
      const a = host()
      const cert = await certificate({ snis: [a] })
      const b = host()
      const sni = await create(api, `/certificates/${a}/snis`, { name: b })
      assert.deepEqual(sni.certificate, { id: cert.id })
      const got = await api.get(`/certificates/${a}/snis/${b}`)
      assert.equal(got.status, 200, got.text)
      assert.equal(got.body.id, sni.id)
      const unknown = await api.get(`/certificates/${host('nope')}/snis`)
      assert.equal(unknown.status, 404)
      assert.deepEqual(unknown.body, { message: 'SNI not found' })
    })

    it('nested item endpoints only for SNIs of that certificate', async () => {
      const one = await certificate()
      const two = await certificate()
      const name = host()
      const sni = await create(api, `/certificates/${one.id}/snis`, { name })
      assert.equal((await api.get(`/certificates/${two.id}/snis/${sni.id}`)).status, 404)
      assert.equal((await api.delete(`/certificates/${two.id}/snis/${name}`)).status, 404)
      const patched = await api.patch(`/certificates/${one.id}/snis/${name}`, { tags: ['t'] })
      assert.equal(patched.status, 200, patched.text)
      assert.deepEqual(patched.body.tags, ['t'])
      const renamed = host('renamed')
      const put = await api.put(`/certificates/${one.id}/snis/${sni.id}`, { name: renamed })
      assert.equal(put.status, 200, put.text)
      assert.equal(put.body.name, renamed)
      assert.deepEqual(put.body.certificate, { id: one.id })
      assert.equal((await api.delete(`/certificates/${one.id}/snis/${renamed}`)).status, 204)
      assert.deepEqual((await api.get(`/certificates/${one.id}`)).body.snis, [])
    })
  })

  describe('/snis', () => {
    it('POST needs name and certificate; returns every field', async () => {
      const missing = await api.post('/snis', {})
      assert.equal(missing.status, 400)
      assert.deepEqual(missing.body.fields, {
        name: 'required field missing',
        certificate: 'required field missing',
      })
      const cert = await certificate()
      const name = host()
      const res = await api.post('/snis', { name, certificate: { id: cert.id } })
      assert.equal(res.status, 201, res.text)
      const { id, created_at, updated_at, ...rest } = res.body
      assert.match(id, UUID_RE)
      assert.equal(updated_at, created_at)
      assert.deepEqual(rest, { name, certificate: { id: cert.id }, tags: null })
    })

    it('the same name twice → 409', async () => {
      const cert = await certificate()
      const name = host()
      await create(api, '/snis', { name, certificate: { id: cert.id } })
      const res = await api.post('/snis', { name, certificate: { id: cert.id } })
      assert.equal(res.status, 409)
      assert.deepEqual(res.body, {
        code: 5,
        name: 'unique constraint violation',
        message: `UNIQUE violation detected on '{name="${name}"}'`,
        fields: { name },
      })
    })

    it('GET/PATCH/PUT/DELETE by name', async () => {
      const cert = await certificate()
      const other = await certificate()
      const name = host()
      const sni = await create(api, '/snis', { name, certificate: { id: cert.id } })
      assert.deepEqual((await api.get(`/snis/${name}`)).body, sni)
      const moved = await api.patch(`/snis/${name}`, { certificate: { id: other.id } })
      assert.equal(moved.status, 200, moved.text)
      assert.deepEqual(moved.body.certificate, { id: other.id })
      assert.deepEqual((await api.get(`/certificates/${other.id}`)).body.snis, [name])
      const put = await api.put(`/snis/${name}`, { certificate: { id: cert.id } })
      assert.equal(put.status, 200, put.text)
      assert.equal(put.body.id, sni.id)
      assert.equal(put.body.name, name)
      assert.equal((await api.delete(`/snis/${name}`)).status, 204)
      assert.equal((await api.get(`/snis/${sni.id}`)).status, 404)
    })

    it('an sni pointing to a missing certificate → code 4', async () => {
      const id = randomUUID()
      const res = await api.post('/snis', { name: host(), certificate: { id } })
      assert.equal(res.status, 400)
      assert.deepEqual(res.body, {
        code: 4,
        name: 'foreign key violation',
        message: `the foreign key '{id="${id}"}' does not reference an existing 'certificates' entity.`,
        fields: { certificate: { id } },
      })
    })

    it('/snis/{s}/certificate is disabled (404)', async () => {
      const name = host()
      await certificate({ snis: [name] })
      for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
        const res = await api.send(method, `/snis/${name}/certificate`, { json: PAIR })
        assert.equal(res.status, 404, method)
        assert.deepEqual(res.body, { message: 'Not found' })
      }
    })
  })
})
