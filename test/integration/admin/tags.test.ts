// Tags: tag validation on entities, the ?tags= filter (AND/OR, errors), and the read-only
// /tags and /tags/{tag} index. This file owns its gateway, so /tags contents are exact.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Gateway } from '../../helpers/gateway.js'
import { RSA_CERT, RSA_KEY } from './fixtures.js'
import { type Client, client, create, type Json, startAdmin, uniq } from './helpers.js'

const INVALID_TAG = (t: string) =>
  `invalid tag '${t}': expected printable ascii (except \`,\` and \`/\`) or valid utf-8 sequences`

const ids = (res: { body: Json }) => res.body.data.map((e: Json) => e.id).sort()

describe('admin api: tags', () => {
  let gw: Gateway
  let api: Client
  before(async () => {
    gw = await startAdmin()
    api = client(gw)
  })
  after(async () => {
    await gw.stop()
  })

  describe('tags on entities', () => {
    it('a set: duplicates removed, order kept; printable ASCII, spaces and UTF-8 allowed', async () => {
      const s = await create(api, '/services', {
        host: 'a.test',
        tags: ['b', 'a', 'b', 'with space', 'ünïcødé', '!#$%&()*+-.:;<=>?@[]^_`{|}~'],
      })
      assert.deepEqual(s.tags, ['b', 'a', 'with space', 'ünïcødé', '!#$%&()*+-.:;<=>?@[]^_`{|}~'])
    })

    it("',' and '/' are refused, empty tags too", async () => {
      const res = await api.post('/services', { host: 'a.test', tags: ['a,b', 'ok', 'a/b', ''] })
      assert.equal(res.status, 400)
      assert.deepEqual(res.body.fields, {
        tags: [INVALID_TAG('a,b'), null, INVALID_TAG('a/b'), 'length must be at least 1'],
      })
      assert.equal(
        res.body.message,
        `3 schema violations (tags.1: ${INVALID_TAG('a,b')}; tags.3: ${INVALID_TAG('a/b')}; tags.4: length must be at least 1)`,
      )
    })

    it('control characters are refused', async () => {
      const res = await api.post('/consumers', { username: uniq('u'), tags: ['a\u0001'] })
      assert.equal(res.status, 400)
      assert.deepEqual(res.body.fields, { tags: [INVALID_TAG('a\u0001')] })
    })

    it('form-encoded tags: a single value is wrapped, tags[] works', async () => {
      const one = await api.form('POST', '/consumers', { username: uniq('u'), tags: 'solo' })
      assert.equal(one.status, 201, one.text)
      assert.deepEqual(one.body.tags, ['solo'])
      const many = await api.form('POST', '/consumers', `username=${uniq('u')}&tags[]=x&tags[]=y`)
      assert.equal(many.status, 201, many.text)
      assert.deepEqual(many.body.tags, ['x', 'y'])
    })
  })

  describe('?tags= filter', () => {
    let a: Json
    let ab: Json
    let b: Json
    let c: Json
    const t = {
      a: uniq('ta'),
      b: uniq('tb'),
      c: uniq('tc'),
    }
    before(async () => {
      a = await create(api, '/consumers', { username: uniq('u'), tags: [t.a] })
      ab = await create(api, '/consumers', { username: uniq('u'), tags: [t.a, t.b] })
      b = await create(api, '/consumers', { username: uniq('u'), tags: [t.b] })
      c = await create(api, '/consumers', { username: uniq('u'), tags: [t.c] })
    })

    it('?tags=a → entities having a', async () => {
      assert.deepEqual(ids(await api.get(`/consumers?tags=${t.a}`)), [a.id, ab.id].sort())
    })

    it('?tags=a,b → having all (AND)', async () => {
      assert.deepEqual(ids(await api.get(`/consumers?tags=${t.a},${t.b}`)), [ab.id])
    })

    it('?tags=a/b → having any (OR)', async () => {
      assert.deepEqual(ids(await api.get(`/consumers?tags=${t.a}/${t.c}`)), [a.id, ab.id, c.id].sort())
      assert.deepEqual(ids(await api.get(`/consumers?tags=${t.b}/${t.c}`)), [ab.id, b.id, c.id].sort())
    })

    it('an unknown tag → empty data', async () => {
      const res = await api.get(`/consumers?tags=${uniq('none')}`)
      assert.deepEqual(res.body, { data: [], next: null })
    })

    it('works on other collections too (upstreams, certificates, plugins)', async () => {
      const tag = uniq('multi')
      const u = await create(api, '/upstreams', { name: `${uniq('u')}.test`, tags: [tag] })
      const cert = await create(api, '/certificates', { cert: RSA_CERT, key: RSA_KEY, tags: [tag] })
      assert.deepEqual(ids(await api.get(`/upstreams?tags=${tag}`)), [u.id])
      assert.deepEqual(ids(await api.get(`/certificates?tags=${tag}`)), [cert.id])
      assert.deepEqual(ids(await api.get(`/plugins?tags=${tag}`)), [])
    })

    it('mixing , and / → 400 code 11 invalid filter syntax', async () => {
      const res = await api.get('/consumers?tags=a,b/c')
      assert.equal(res.status, 400)
      assert.deepEqual(res.body, {
        code: 11,
        name: 'invalid options',
        message: 'invalid option (tags: invalid filter syntax)',
        options: { tags: 'invalid filter syntax' },
      })
    })

    it('empty ?tags= → cannot be null', async () => {
      const res = await api.get('/services?tags=')
      assert.equal(res.status, 400)
      assert.deepEqual(res.body, {
        code: 11,
        name: 'invalid options',
        message: 'invalid option (tags: cannot be null)',
        options: { tags: 'cannot be null' },
      })
    })

    it('more than 5 tags → cannot query more than 5 tags', async () => {
      const res = await api.get('/services?tags=a,b,c,d,e,f')
      assert.equal(res.status, 400)
      assert.deepEqual(res.body, {
        code: 11,
        name: 'invalid options',
        message: 'invalid option (tags: cannot query more than 5 tags)',
        options: { tags: 'cannot query more than 5 tags' },
      })
      assert.equal((await api.get('/services?tags=a/b/c/d/e/f')).status, 400)
      assert.equal((await api.get('/services?tags=a,b,c,d,e')).status, 200)
    })

    it('invalid characters → invalid filter syntax', async () => {
      for (const q of ['a%01', 'a,,b', ',a']) {
        const res = await api.get(`/services?tags=${q}`)
        assert.equal(res.status, 400, q)
        assert.deepEqual(res.body.options, { tags: 'invalid filter syntax' }, q)
      }
    })

    it('invalid UTF-8 → invalid filter syntax', async () => {
      const res = await api.get('/services?tags=%FF')
      assert.equal(res.status, 400, res.text)
      assert.deepEqual(res.body, {
        code: 11,
        name: 'invalid options',
        message: 'invalid option (tags: invalid filter syntax)',
        options: { tags: 'invalid filter syntax' },
      })
    })

    it('UTF-8 tags can be queried', async () => {
      const tag = `ü-${uniq('t')}`
      const s = await create(api, '/services', { host: 'a.test', tags: [tag] })
      assert.deepEqual(ids(await api.get(`/services?tags=${encodeURIComponent(tag)}`)), [s.id])
    })
  })

  describe('/tags and /tags/{tag}', () => {
    it('/tags lists one row per (entity, tag) across entity types', async () => {
      const tag = uniq('idx')
      const s = await create(api, '/services', { name: uniq('s'), host: 'a.test', tags: [tag, 'second'] })
      const r = await create(api, '/routes', { paths: ['/t'], tags: [tag] })
      const ks = await create(api, '/key-sets', { tags: [tag] })
      const res = await api.get(`/tags/${tag}`)
      assert.equal(res.status, 200)
      const rows = [...res.body.data].sort((x: Json, y: Json) => x.entity_name.localeCompare(y.entity_name))
      assert.deepEqual(rows, [
        { tag, entity_name: 'key_sets', entity_id: ks.id },
        { tag, entity_name: 'routes', entity_id: r.id },
        { tag, entity_name: 'services', entity_id: s.id },
      ])
      assert.equal(res.body.next, null)
      const all = await api.get('/tags?size=1000')
      assert.equal(all.status, 200)
      assert.ok(all.body.data.some((row: Json) => row.tag === 'second' && row.entity_id === s.id))
      assert.ok(
        all.body.data.every((row: Json) => Object.keys(row).sort().join() === 'entity_id,entity_name,tag'),
      )
    })

    it('rows follow entity updates and deletes', async () => {
      const tag = uniq('live')
      const c = await create(api, '/consumers', { username: uniq('u'), tags: [tag] })
      assert.equal((await api.get(`/tags/${tag}`)).body.data.length, 1)
      await api.patch(`/consumers/${c.id}`, { tags: ['other-tag'] })
      assert.deepEqual((await api.get(`/tags/${tag}`)).body, { data: [], next: null })
      await api.patch(`/consumers/${c.id}`, { tags: [tag] })
      await api.delete(`/consumers/${c.id}`)
      assert.deepEqual((await api.get(`/tags/${tag}`)).body, { data: [], next: null })
    })

    it('an unknown tag → empty data', async () => {
      const res = await api.get(`/tags/${uniq('unknown')}`)
      assert.equal(res.status, 200)
      assert.deepEqual(res.body, { data: [], next: null })
    })

    it('pagination of /tags/{tag}: size, offset, next = /tags/<tag>?offset=…', async () => {
      const tag = uniq('pg')
      for (let i = 0; i < 5; i++) await create(api, '/consumers', { username: uniq('u'), tags: [tag] })
      const first = await api.get(`/tags/${tag}?size=2`)
      assert.equal(first.status, 200)
      assert.equal(first.body.data.length, 2)
      assert.equal(first.body.next, `/tags/${tag}?offset=${encodeURIComponent(first.body.offset)}`)
      const seen = first.body.data.map((row: Json) => row.entity_id)
      let path: string | null = `${first.body.next}&size=2`
      while (path) {
        const page = await api.get(path)
        assert.equal(page.status, 200, page.text)
        seen.push(...page.body.data.map((row: Json) => row.entity_id))
        path = page.body.next ? `${page.body.next}&size=2` : null
      }
      assert.equal(seen.length, 5)
      assert.equal(new Set(seen).size, 5)
    })

    it('pagination of /tags: next = /tags?offset=…', async () => {
      const res = await api.get('/tags?size=1')
      assert.equal(res.status, 200)
      assert.equal(res.body.data.length, 1)
      assert.equal(res.body.next, `/tags?offset=${encodeURIComponent(res.body.offset)}`)
      const bad = await api.get('/tags?size=0')
      assert.equal(bad.status, 400)
      assert.equal(bad.body.code, 9)
      const off = await api.get('/tags?offset=x')
      assert.equal(off.status, 400)
      assert.equal(off.body.code, 7)
    })

    it('?tags= is ignored on /tags', async () => {
      const plain = await api.get('/tags?size=3')
      const filtered = await api.get('/tags?size=3&tags=zzz-nothing')
      assert.equal(filtered.status, 200)
      assert.deepEqual(filtered.body.data, plain.body.data)
      assert.equal((await api.get('/tags?tags=a,b/c')).status, 200)
    })

    it('a tag with invalid UTF-8 → 400 code 10 mentioning invalid utf-8', async () => {
      const res = await api.get('/tags/%FF')
      assert.equal(res.status, 400, res.text)
      assert.equal(res.body.code, 10)
      assert.equal(res.body.name, 'invalid unique tag')
      assert.match(res.body.message, /invalid utf-8/)
    })

    it('writes are refused: POST /tags → 400 code 2; PUT/PATCH/DELETE /tags/{tag} → 405', async () => {
      const post = await api.post('/tags', { tag: 'x' })
      assert.equal(post.status, 400)
      assert.deepEqual(post.body, {
        code: 2,
        name: 'schema violation',
        message: 'schema violation (tags: does not support insert/upsert/update/delete operations)',
        fields: { tags: 'does not support insert/upsert/update/delete operations' },
      })
      const tag = uniq('keep')
      const c = await create(api, '/consumers', { username: uniq('u'), tags: [tag] })
      for (const method of ['PUT', 'PATCH', 'DELETE']) {
        const res = await api.send(method, `/tags/${tag}`, { json: {} })
        assert.equal(res.status, 405, method)
        assert.deepEqual(res.body, { message: 'Method not allowed' })
      }
      assert.deepEqual((await api.get(`/tags/${tag}`)).body.data, [
        { tag, entity_name: 'consumers', entity_id: c.id },
      ])
    })
  })
})
