// Key sets and keys: CRUD by id and name, jwk/pem rules, (kid, set) uniqueness, nested
// /key-sets/{ks}/keys, /keys/{k}/set, and the cascade from a key set to its keys.
import assert from 'node:assert/strict'
import { generateKeyPairSync, randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { Gateway } from '../../helpers/gateway.js'
import { type Client, client, create, type Json, startAdmin, UUID_RE, uniq } from './helpers.js'

function ecPair() {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return {
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    jwk: (kid: string) => JSON.stringify({ ...publicKey.export({ format: 'jwk' }), kid }),
  }
}

describe('admin api: key sets and keys', () => {
  let gw: Gateway
  let api: Client
  before(async () => {
    gw = await startAdmin()
    api = client(gw)
  })
  after(async () => {
    await gw.stop()
  })

  const keySet = () => create(api, '/key-sets', { name: uniq('ks') })
  const pemKey = (extra: Record<string, unknown> = {}) =>
    create(api, '/keys', {
      kid: uniq('kid'),
      name: uniq('key'),
      pem: { public_key: ecPair().publicPem },
      ...extra,
    })
  const bad = async (body: Record<string, unknown>) => {
    const res = await api.post('/keys', body)
    assert.equal(res.status, 400, res.text)
    assert.equal(res.body.code, 2)
    return res.body
  }

  describe('key sets', () => {
    it('POST returns every field; name is optional and unique', async () => {
      const name = uniq('ks')
      const res = await api.post('/key-sets', { name })
      assert.equal(res.status, 201, res.text)
      const { id, created_at, updated_at, ...rest } = res.body
      assert.match(id, UUID_RE)
      assert.equal(updated_at, created_at)
      assert.deepEqual(rest, { name, tags: null })
      const anon = await api.post('/key-sets', {})
      assert.equal(anon.status, 201, anon.text)
      assert.equal(anon.body.name, null)
      const dup = await api.post('/key-sets', { name })
      assert.equal(dup.status, 409)
      assert.deepEqual(dup.body, {
        code: 5,
        name: 'unique constraint violation',
        message: `UNIQUE violation detected on '{name="${name}"}'`,
        fields: { name },
      })
    })

    it('GET/PUT/PATCH/DELETE by name', async () => {
      const ks = await keySet()
      assert.deepEqual((await api.get(`/key-sets/${ks.name}`)).body, ks)
      const patch = await api.patch(`/key-sets/${ks.name}`, { tags: ['a'] })
      assert.equal(patch.status, 200, patch.text)
      assert.deepEqual(patch.body.tags, ['a'])
      const put = await api.put(`/key-sets/${ks.name}`, {})
      assert.equal(put.status, 200, put.text)
      assert.equal(put.body.id, ks.id)
      assert.equal(put.body.tags, null)
      const name = uniq('ks')
      const created = await api.put(`/key-sets/${name}`, {})
      assert.equal(created.status, 200, created.text)
      assert.equal(created.body.name, name)
      assert.equal((await api.delete(`/key-sets/${ks.name}`)).status, 204)
      assert.equal((await api.get(`/key-sets/${ks.id}`)).status, 404)
    })

    it('deleting a key set deletes its keys', async () => {
      const ks = await keySet()
      const k = await pemKey({ set: { id: ks.id } })
      assert.equal((await api.delete(`/key-sets/${ks.id}`)).status, 204)
      assert.equal((await api.get(`/keys/${k.id}`)).status, 404)
    })
  })

  describe('keys', () => {
    it('POST with a jwk returns every field', async () => {
      const kid = uniq('kid')
      const jwk = ecPair().jwk(kid)
      const res = await api.post('/keys', { kid, jwk })
      assert.equal(res.status, 201, res.text)
      const { id, created_at, updated_at, ...rest } = res.body
      assert.match(id, UUID_RE)
      assert.equal(updated_at, created_at)
      assert.deepEqual(rest, { set: null, name: null, kid, jwk, pem: null, tags: null })
    })

    it('POST with a pem pair; the set by name', async () => {
      const ks = await keySet()
      const pair = ecPair()
      const k = await create(api, '/keys', {
        kid: uniq('kid'),
        set: { name: ks.name },
        pem: { public_key: pair.publicPem, private_key: pair.privatePem },
      })
      assert.deepEqual(k.set, { id: ks.id })
      assert.deepEqual(k.pem, { public_key: pair.publicPem, private_key: pair.privatePem })
    })

    it('exactly one of jwk / pem', async () => {
      assert.deepEqual((await bad({ kid: 'k' })).fields, {
        '@entity': ["at least one of these fields must be non-empty: 'jwk', 'pem'"],
      })
      const pair = ecPair()
      const both = await bad({ kid: 'k', jwk: pair.jwk('k'), pem: { public_key: pair.publicPem } })
      assert.ok(both.fields['@entity'].includes("only one or none of these fields must be set: 'jwk', 'pem'"))
    })

    it('kid is required; jwk.kid must equal kid; jwk must load', async () => {
      assert.equal((await bad({ jwk: ecPair().jwk('x') })).fields.kid, 'required field missing')
      assert.deepEqual((await bad({ kid: 'a', jwk: ecPair().jwk('b') })).fields, {
        '@entity': ['kid in jwk.kid must be equal to keys.kid'],
      })
      assert.deepEqual((await bad({ kid: 'a', jwk: '{bad' })).fields, {
        '@entity': ['could not json decode jwk string'],
      })
      assert.deepEqual((await bad({ kid: 'a', jwk: JSON.stringify({ kid: 'a', kty: 'RSA' }) })).fields, {
        '@entity': ['could not load JWK, likely not a valid key'],
      })
      assert.deepEqual((await bad({ kid: 'a', jwk: { kid: 'a' } })).fields, { jwk: 'expected a string' })
    })

    it('pem: at least one key; the public key must match the private key', async () => {
      assert.deepEqual((await bad({ kid: 'a', pem: {} })).fields, {
        pem: { '@entity': ["at least one of these fields must be non-empty: 'private_key', 'public_key'"] },
      })
      assert.deepEqual(
        (await bad({ kid: 'a', pem: { public_key: ecPair().publicPem, private_key: ecPair().privatePem } }))
          .fields,
        { pem: 'public key does not match private key' },
      )
    })

    it('(kid, set) is unique, also with no set (null printed as null)', async () => {
      const ks = await keySet()
      const kid = uniq('kid')
      await pemKey({ kid, set: { id: ks.id } })
      const dup = await api.post('/keys', {
        kid,
        set: { id: ks.id },
        pem: { public_key: ecPair().publicPem },
      })
      assert.equal(dup.status, 409)
      assert.deepEqual(dup.body, {
        code: 5,
        name: 'unique constraint violation',
        message: `UNIQUE violation detected on '{kid="${kid}",set={id="${ks.id}"}}'`,
        fields: { kid, set: { id: ks.id } },
      })
      const other = await api.post('/keys', { kid, pem: { public_key: ecPair().publicPem } })
      assert.equal(other.status, 201, 'same kid in another (no) set')
      const dupNull = await api.post('/keys', { kid, pem: { public_key: ecPair().publicPem } })
      assert.equal(dupNull.status, 409)
      assert.equal(dupNull.body.message, `UNIQUE violation detected on '{kid="${kid}",set=null}'`)
      assert.deepEqual(dupNull.body.fields, { kid, set: null })
    })

    it('PATCH clearing the only key material → when updating, at least one of', async () => {
      const kid = uniq('kid')
      const k = await create(api, '/keys', { kid, jwk: ecPair().jwk(kid) })
      const res = await api.patch(`/keys/${k.id}`, { jwk: null })
      assert.equal(res.status, 400)
      assert.deepEqual(res.body, {
        code: 2,
        name: 'schema violation',
        message:
          "schema violation (when updating, at least one of these fields must be non-empty: 'jwk', 'pem')",
        fields: {
          '@entity': ["when updating, at least one of these fields must be non-empty: 'jwk', 'pem'"],
        },
      })
    })

    it('name is unique', async () => {
      const k = await pemKey()
      const res = await api.post('/keys', {
        kid: uniq('kid'),
        name: k.name,
        pem: { public_key: ecPair().publicPem },
      })
      assert.equal(res.status, 409)
      assert.deepEqual(res.body.fields, { name: k.name })
    })

    it('GET/PATCH/PUT/DELETE by name', async () => {
      const k = await pemKey({ tags: ['a'] })
      assert.deepEqual((await api.get(`/keys/${k.name}`)).body, k)
      const patch = await api.patch(`/keys/${k.name}`, { tags: ['b'] })
      assert.equal(patch.status, 200, patch.text)
      assert.deepEqual(patch.body.tags, ['b'])
      assert.deepEqual(patch.body.pem, k.pem)
      const kid = uniq('kid')
      const put = await api.put(`/keys/${k.name}`, { kid, jwk: ecPair().jwk(kid) })
      assert.equal(put.status, 200, put.text)
      assert.equal(put.body.id, k.id)
      assert.equal(put.body.pem, null)
      assert.equal(put.body.tags, null)
      const missing = await api.patch(`/keys/${randomUUID()}`, { tags: ['x'] })
      assert.equal(missing.status, 404)
      assert.equal(missing.body.code, 6)
      assert.equal((await api.delete(`/keys/${k.name}`)).status, 204)
      assert.equal((await api.get(`/keys/${k.id}`)).status, 404)
    })

    it('a set pointing nowhere → code 4; an unknown set name → code 13', async () => {
      const id = randomUUID()
      const res = await api.post('/keys', { kid: 'a', set: { id }, pem: { public_key: ecPair().publicPem } })
      assert.equal(res.status, 400)
      assert.deepEqual(res.body, {
        code: 4,
        name: 'foreign key violation',
        message: `the foreign key '{id="${id}"}' does not reference an existing 'key_sets' entity.`,
        fields: { set: { id } },
      })
      const name = uniq('ghost')
      const unresolved = await api.post('/keys', {
        kid: 'a',
        set: { name },
        pem: { public_key: ecPair().publicPem },
      })
      assert.equal(unresolved.status, 400)
      assert.equal(unresolved.body.code, 13)
      assert.equal(
        unresolved.body.message,
        `foreign key unresolved (set.name: the foreign key cannot be resolved with '{name="${name}"}' for an existing 'key_sets' entity)`,
      )
    })
  })

  describe('nested and foreign-entity endpoints', () => {
    it('/key-sets/{ks}/keys: POST sets the set, GET lists only its keys', async () => {
      const ks = await keySet()
      const other = await keySet()
      const k = await create(api, `/key-sets/${ks.name}/keys`, {
        kid: uniq('kid'),
        pem: { public_key: ecPair().publicPem },
      })
      assert.deepEqual(k.set, { id: ks.id })
      await create(api, `/key-sets/${other.id}/keys`, {
        kid: uniq('kid'),
        pem: { public_key: ecPair().publicPem },
      })
      assert.deepEqual((await api.get(`/key-sets/${ks.id}/keys`)).body, { data: [k], next: null })
      assert.equal((await api.get(`/key-sets/${uniq('ghost')}/keys`)).status, 404)
    })

    it('/key-sets/{ks}/keys/{k}: only keys of that set', async () => {
      const ks = await keySet()
      const other = await keySet()
      const k = await pemKey({ set: { id: ks.id } })
      assert.deepEqual((await api.get(`/key-sets/${ks.id}/keys/${k.name}`)).body, k)
      assert.equal((await api.get(`/key-sets/${other.id}/keys/${k.id}`)).status, 404)
      const patch = await api.patch(`/key-sets/${ks.id}/keys/${k.id}`, { tags: ['n'] })
      assert.equal(patch.status, 200, patch.text)
      assert.deepEqual(patch.body.set, { id: ks.id })
      assert.equal((await api.delete(`/key-sets/${other.id}/keys/${k.id}`)).status, 404)
      assert.equal((await api.delete(`/key-sets/${ks.id}/keys/${k.id}`)).status, 204)
      assert.equal((await api.get(`/keys/${k.id}`)).status, 404)
    })

    it('/keys/{k}/set: GET, PATCH, DELETE → 405; 404 without a set', async () => {
      const ks = await keySet()
      const k = await pemKey({ set: { id: ks.id } })
      assert.deepEqual((await api.get(`/keys/${k.name}/set`)).body, ks)
      const patch = await api.patch(`/keys/${k.id}/set`, { tags: ['s'] })
      assert.equal(patch.status, 200, patch.text)
      assert.equal(patch.body.id, ks.id)
      assert.deepEqual(patch.body.tags, ['s'])
      const del = await api.delete(`/keys/${k.id}/set`)
      assert.equal(del.status, 405)
      assert.deepEqual(del.body, { message: 'Method not allowed' })
      const loose = await pemKey()
      const none = await api.get(`/keys/${loose.id}/set`)
      assert.equal(none.status, 404)
      assert.deepEqual(none.body, { message: 'Not found' })
    })

    it('/keys/{k}/set PUT without a set creates one and links the key', async () => {
      const k = await pemKey()
      const name = uniq('ks')
      const res = await api.put(`/keys/${k.id}/set`, { name })
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.name, name)
      assert.deepEqual((await api.get(`/keys/${k.id}`)).body.set, { id: res.body.id })
      const listed = (await api.get(`/key-sets/${name}/keys`)).body.data.map((x: Json) => x.id)
      assert.deepEqual(listed, [k.id])
    })
  })
})
