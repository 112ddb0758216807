// Vaults: prefix rules and uniqueness, vault implementation names, the env vault config,
// addressing by prefix, PUT/PATCH/DELETE.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { Gateway } from '../../helpers/gateway.js'
import { type Client, client, create, startAdmin, UUID_RE } from './helpers.js'

let n = 0
/** A valid vault prefix: lowercase letters, digits and dashes. */
const prefix = () => `vault-${Date.now().toString(36)}-${++n}`

describe('admin api: vaults', () => {
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
    const res = await api.post('/vaults', body)
    assert.equal(res.status, 400, res.text)
    assert.equal(res.body.code, 2)
    return res.body
  }

  it('POST returns every field', async () => {
    const p = prefix()
    const res = await api.post('/vaults', { prefix: p, name: 'env', config: { prefix: 'SB_' } })
    assert.equal(res.status, 201, res.text)
    const { id, created_at, updated_at, ...rest } = res.body
    assert.match(id, UUID_RE)
    assert.equal(updated_at, created_at)
    assert.deepEqual(rest, {
      prefix: p,
      name: 'env',
      description: null,
      config: { prefix: 'SB_' },
      tags: null,
    })
  })

  it('prefix and name are required', async () => {
    assert.deepEqual((await bad({})).fields, { name: 'required field missing' })
    assert.deepEqual((await bad({ name: 'env' })).fields, { prefix: 'required field missing' })
  })

  it('prefix: lowercase letters/digits/dashes, starts with a letter, ends with a letter or digit, ≥ 2 chars', async () => {
    for (const p of ['A', 'Upper', 'a-', '1abc', 'a_b', 'a', 'a.b']) {
      const body = await bad({ prefix: p, name: 'env' })
      assert.deepEqual(body.fields, { prefix: `invalid value: ${p}` }, p)
    }
    const ok = await api.post('/vaults', { prefix: 'a1', name: 'env' })
    assert.equal(ok.status, 201, ok.text)
    await api.delete('/vaults/a1')
  })

  it('prefix must not equal a vault type name', async () => {
    assert.deepEqual((await bad({ prefix: 'env', name: 'env' })).fields, {
      prefix: 'must not be one of: env',
    })
  })

  it('an unknown vault implementation is not installed', async () => {
    assert.deepEqual(await bad({ prefix: prefix(), name: 'aws' }), {
      code: 2,
      name: 'schema violation',
      message: "schema violation (name: vault 'aws' is not installed)",
      fields: { name: "vault 'aws' is not installed" },
    })
  })

  it('env config: prefix pattern, unknown fields', async () => {
    const body = await bad({ prefix: prefix(), name: 'env', config: { prefix: '1x', foo: 1 } })
    assert.deepEqual(body.fields, { config: { prefix: 'invalid value: 1x', foo: 'unknown field' } })
    assert.equal(
      body.message,
      '2 schema violations (config.foo: unknown field; config.prefix: invalid value: 1x)',
    )
  })

  it('the same prefix twice → 409', async () => {
    const p = prefix()
    await create(api, '/vaults', { prefix: p, name: 'env' })
    const res = await api.post('/vaults', { prefix: p, name: 'env' })
    assert.equal(res.status, 409)
    assert.deepEqual(res.body, {
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{prefix="${p}"}'`,
      fields: { prefix: p },
    })
  })

  it('GET/PATCH/PUT/DELETE by prefix', async () => {
    const p = prefix()
    const v = await create(api, '/vaults', {
      prefix: p,
      name: 'env',
      description: 'd',
      config: { prefix: 'A_' },
    })
    assert.deepEqual((await api.get(`/vaults/${p}`)).body, v)
    const patch = await api.patch(`/vaults/${p}`, { config: { prefix: 'B_' } })
    assert.equal(patch.status, 200, patch.text)
    assert.deepEqual(patch.body.config, { prefix: 'B_' })
    assert.equal(patch.body.description, 'd')
    const put = await api.put(`/vaults/${p}`, { name: 'env' })
    assert.equal(put.status, 200, put.text)
    assert.equal(put.body.id, v.id)
    assert.equal(put.body.prefix, p)
    assert.equal(put.body.description, null)
    assert.equal((await api.delete(`/vaults/${p}`)).status, 204)
    assert.equal((await api.get(`/vaults/${v.id}`)).status, 404)
    assert.equal((await api.delete(`/vaults/${p}`)).status, 204)
  })

  it('PUT by a new prefix creates the vault with that prefix', async () => {
    const p = prefix()
    const res = await api.put(`/vaults/${p}`, { name: 'env' })
    assert.equal(res.status, 200, res.text)
    assert.equal(res.body.prefix, p)
    assert.match(res.body.id, UUID_RE)
  })

  it('PATCH of a missing vault → 404 code 6; GET → 404 Not found', async () => {
    const p = prefix()
    const res = await api.patch(`/vaults/${p}`, { description: 'x' })
    assert.equal(res.status, 404)
    assert.deepEqual(res.body, {
      code: 6,
      name: 'not found',
      message: `could not find the entity with '{prefix="${p}"}'`,
      fields: { prefix: p },
    })
    const get = await api.get(`/vaults/${randomUUID()}`)
    assert.equal(get.status, 404)
    assert.deepEqual(get.body, { message: 'Not found' })
  })
})
