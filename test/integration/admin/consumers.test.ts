// Consumers: username/custom_id rules and uniqueness, addressing by username, ?custom_id=,
// PUT/PATCH/DELETE semantics, /consumers/{c}/plugins.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { Gateway } from '../../helpers/gateway.js'
import { type Client, client, create, startAdmin, UUID_RE, uniq } from './helpers.js'

const AT_LEAST_ONE = "at least one of these fields must be non-empty: 'custom_id', 'username'"

describe('admin api: consumers', () => {
  let gw: Gateway
  let api: Client
  before(async () => {
    gw = await startAdmin()
    api = client(gw)
  })
  after(async () => {
    await gw.stop()
  })

  const consumer = (extra: Record<string, unknown> = {}) =>
    create(api, '/consumers', { username: uniq('user'), ...extra })

  it('POST returns every field', async () => {
    const username = uniq('user')
    const res = await api.post('/consumers', { username })
    assert.equal(res.status, 201, res.text)
    const { id, created_at, updated_at, ...rest } = res.body
    assert.match(id, UUID_RE)
    assert.ok(Number.isInteger(created_at))
    assert.equal(updated_at, created_at)
    assert.deepEqual(rest, { username, custom_id: null, tags: null })
  })

  it('POST {} → 400 code 2 with the at-least-one entity error', async () => {
    const res = await api.post('/consumers', {})
    assert.equal(res.status, 400)
    assert.deepEqual(res.body, {
      code: 2,
      name: 'schema violation',
      message: `schema violation (${AT_LEAST_ONE})`,
      fields: { '@entity': [AT_LEAST_ONE] },
    })
  })

  it('custom_id alone is enough; any non-empty string is a valid username', async () => {
    const c = await create(api, '/consumers', { custom_id: uniq('cid') })
    assert.equal(c.username, null)
    const odd = await create(api, '/consumers', { username: `${uniq('u')} with spaces/and:colons` })
    assert.match(odd.username, / with spaces\/and:colons$/)
    const empty = await api.post('/consumers', { username: '' })
    assert.equal(empty.status, 400)
    assert.equal(empty.body.fields.username, 'length must be at least 1')
  })

  it('the same username twice → 409', async () => {
    const c = await consumer()
    const res = await api.post('/consumers', { username: c.username })
    assert.equal(res.status, 409)
    assert.deepEqual(res.body, {
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{username="${c.username}"}'`,
      fields: { username: c.username },
    })
  })

  it('the same custom_id twice → 409', async () => {
    const c = await consumer({ custom_id: uniq('cid') })
    const res = await api.post('/consumers', { custom_id: c.custom_id })
    assert.equal(res.status, 409)
    assert.deepEqual(res.body, {
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{custom_id="${c.custom_id}"}'`,
      fields: { custom_id: c.custom_id },
    })
  })

  it('GET by id and by username (percent-encoded); 404 otherwise', async () => {
    const c = await consumer({ username: `${uniq('u')} é` })
    assert.deepEqual((await api.get(`/consumers/${c.id}`)).body, c)
    const byName = await api.get(`/consumers/${encodeURIComponent(c.username)}`)
    assert.equal(byName.status, 200)
    assert.deepEqual(byName.body, c)
    const missing = await api.get(`/consumers/${uniq('ghost')}`)
    assert.equal(missing.status, 404)
    assert.deepEqual(missing.body, { message: 'Not found' })
  })

  it('the custom_id is not an endpoint key', async () => {
    const c = await create(api, '/consumers', { custom_id: uniq('cid') })
    assert.equal((await api.get(`/consumers/${c.custom_id}`)).status, 404)
  })

  describe('?custom_id=', () => {
    it('finds exactly the consumer with that custom id', async () => {
      const c = await consumer({ custom_id: uniq('cid') })
      await consumer({ custom_id: uniq('cid') })
      const res = await api.get(`/consumers?custom_id=${encodeURIComponent(c.custom_id)}`)
      assert.equal(res.status, 200)
      assert.deepEqual(res.body, { data: [c], next: null })
    })

    it('no match → empty data', async () => {
      const res = await api.get(`/consumers?custom_id=${uniq('none')}`)
      assert.equal(res.status, 200)
      assert.deepEqual(res.body, { data: [], next: null })
    })

    it('empty value → 400 custom_id must be an unempty string', async () => {
      const res = await api.get('/consumers?custom_id=')
      assert.equal(res.status, 400)
      assert.deepEqual(res.body, { message: 'custom_id must be an unempty string' })
    })
  })

  describe('PUT / PATCH / DELETE', () => {
    it('PUT by username creates it; PUT again replaces (custom_id reset)', async () => {
      const username = uniq('put')
      const first = await api.put(`/consumers/${username}`, { custom_id: uniq('cid'), tags: ['a'] })
      assert.equal(first.status, 200, first.text)
      assert.equal(first.body.username, username)
      const second = await api.put(`/consumers/${username}`, {})
      assert.equal(second.status, 200, second.text)
      assert.equal(second.body.id, first.body.id)
      assert.equal(second.body.username, username)
      assert.equal(second.body.custom_id, null)
      assert.equal(second.body.tags, null)
    })

    it('PUT by id with an empty body fails the at-least-one check', async () => {
      const res = await api.put(`/consumers/${randomUUID()}`, {})
      assert.equal(res.status, 400)
      assert.deepEqual(res.body.fields, { '@entity': [AT_LEAST_ONE] })
    })

    it('PATCH merges and uses the "when updating" message', async () => {
      const c = await consumer()
      const ok = await api.patch(`/consumers/${c.username}`, { custom_id: 'patched-cid-' + c.id })
      assert.equal(ok.status, 200, ok.text)
      assert.equal(ok.body.username, c.username)
      assert.equal(ok.body.custom_id, 'patched-cid-' + c.id)
      const only = await consumer()
      const res = await api.patch(`/consumers/${only.id}`, { username: null })
      assert.equal(res.status, 400)
      assert.deepEqual(res.body, {
        code: 2,
        name: 'schema violation',
        message: `schema violation (when updating, ${AT_LEAST_ONE})`,
        fields: { '@entity': [`when updating, ${AT_LEAST_ONE}`] },
      })
    })

    it('PATCH of a missing consumer by username → 404 code 6', async () => {
      const username = uniq('ghost')
      const res = await api.patch(`/consumers/${username}`, { custom_id: 'x' })
      assert.equal(res.status, 404)
      assert.deepEqual(res.body, {
        code: 6,
        name: 'not found',
        message: `could not find the entity with '{username="${username}"}'`,
        fields: { username },
      })
    })

    it('DELETE by username, idempotent', async () => {
      const c = await consumer()
      assert.equal((await api.delete(`/consumers/${c.username}`)).status, 204)
      assert.equal((await api.get(`/consumers/${c.id}`)).status, 404)
      assert.equal((await api.delete(`/consumers/${c.username}`)).status, 204)
    })
  })

  describe('/consumers/{c}/plugins', () => {
    it('GET lists the (empty) plugins of the consumer; missing consumer → 404', async () => {
      const c = await consumer()
      const res = await api.get(`/consumers/${c.username}/plugins`)
      assert.equal(res.status, 200)
      assert.deepEqual(res.body, { data: [], next: null })
      const missing = await api.get(`/consumers/${uniq('ghost')}/plugins`)
      assert.equal(missing.status, 404)
      assert.deepEqual(missing.body, { message: 'Not found' })
    })

    it('key-auth cannot be scoped to a consumer (consumer: value must be null)', async () => {
      const c = await consumer()
      const res = await api.post(`/consumers/${c.id}/plugins`, { name: 'key-auth' })
      assert.equal(res.status, 400)
      assert.deepEqual(res.body, {
        code: 2,
        name: 'schema violation',
        message: 'schema violation (consumer: value must be null)',
        fields: { consumer: 'value must be null' },
      })
    })

    it('a nested plugin that is not the consumer’s → 404', async () => {
      const c = await consumer()
      const p = await create(api, '/plugins', { name: 'key-auth', service: null, tags: [uniq('t')] })
      try {
        for (const method of ['GET', 'PATCH', 'DELETE']) {
          const res = await api.send(method, `/consumers/${c.id}/plugins/${p.id}`, { json: {} })
          assert.equal(res.status, 404, method)
        }
      } finally {
        await api.delete(`/plugins/${p.id}`)
      }
    })
  })
})
