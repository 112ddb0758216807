// Pagination (admin-api.md §6): default and maximum size, size/offset errors, offset tokens and
// `next` links for top-level (tags and size carried) and nested collections (not carried), and
// walking every page. This file owns its gateway, so collection sizes are exact.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Gateway } from '../../helpers/gateway.js'
import { type Client, client, create, type Json, startAdmin, uniq } from './helpers.js'

const TOTAL = 105

describe('admin api: pagination', () => {
  let gw: Gateway
  let api: Client
  let ids: string[]
  before(async () => {
    gw = await startAdmin()
    api = client(gw)
    const created = await Promise.all(
      Array.from({ length: TOTAL }, (_, i) =>
        create(api, '/consumers', {
          username: uniq('page'),
          tags: i % 2 === 0 ? ['even', 'all'] : ['odd', 'all'],
        }),
      ),
    )
    ids = created.map((c: Json) => c.id).sort()
  })
  after(async () => {
    await gw.stop()
  })

  it('an empty collection is {"data":[],"next":null} exactly', async () => {
    const res = await api.get('/services')
    assert.equal(res.status, 200)
    assert.equal(res.text, '{"data":[],"next":null}')
  })

  it('default page size is 100, ordered by id, with offset and next', async () => {
    const res = await api.get('/consumers')
    assert.equal(res.status, 200)
    assert.equal(res.body.data.length, 100)
    assert.deepEqual(
      res.body.data.map((c: Json) => c.id),
      ids.slice(0, 100),
    )
    assert.equal(typeof res.body.offset, 'string')
    assert.equal(res.body.next, `/consumers?offset=${encodeURIComponent(res.body.offset)}`)
    const rest = await api.get(res.body.next)
    assert.deepEqual(
      rest.body.data.map((c: Json) => c.id),
      ids.slice(100),
    )
    assert.equal(rest.body.next, null)
    assert.equal(Object.hasOwn(rest.body, 'offset'), false, 'no offset on the last page')
  })

  it('size=1000 returns everything on one page', async () => {
    const res = await api.get('/consumers?size=1000')
    assert.equal(res.status, 200)
    assert.equal(res.body.data.length, TOTAL)
    assert.equal(res.body.next, null)
    assert.equal(Object.hasOwn(res.body, 'offset'), false)
  })

  it('walking pages of 7 returns every entity exactly once, in id order; next carries size', async () => {
    const seen: string[] = []
    let path: string | null = '/consumers?size=7'
    let pages = 0
    while (path) {
      const res = await api.get(path)
      assert.equal(res.status, 200, res.text)
      assert.ok(res.body.data.length <= 7)
      seen.push(...res.body.data.map((c: Json) => c.id))
      if (res.body.next !== null) {
        assert.equal(res.body.next, `/consumers?offset=${encodeURIComponent(res.body.offset)}&size=7`)
      }
      path = res.body.next
      pages++
    }
    assert.equal(pages, Math.ceil(TOTAL / 7))
    assert.deepEqual(seen, ids)
  })

  it('next carries the tag filter and the size', async () => {
    const res = await api.get('/consumers?tags=even&size=10')
    assert.equal(res.status, 200)
    assert.equal(res.body.data.length, 10)
    assert.ok(res.body.data.every((c: Json) => c.tags.includes('even')))
    assert.equal(res.body.next, `/consumers?offset=${encodeURIComponent(res.body.offset)}&tags=even&size=10`)
    const seen: string[] = []
    let path: string | null = '/consumers?tags=even&size=10'
    while (path) {
      const page = await api.get(path)
      seen.push(...page.body.data.map((c: Json) => c.id))
      path = page.body.next
    }
    assert.equal(seen.length, Math.ceil(TOTAL / 2))
    assert.deepEqual(seen, [...seen].sort())
  })

  it('an escaped tag filter is escaped in next', async () => {
    const res = await api.get('/consumers?tags=even/odd&size=100')
    assert.equal(res.body.data.length, 100)
    assert.equal(
      res.body.next,
      `/consumers?offset=${encodeURIComponent(res.body.offset)}&tags=even%2Fodd&size=100`,
    )
  })

  it('size errors: not a number, out of range, not an integer (code 9)', async () => {
    const nan = await api.get('/consumers?size=x')
    assert.equal(nan.status, 400)
    assert.deepEqual(nan.body, { code: 9, name: 'invalid size', message: 'size must be a number' })
    for (const size of ['0', '1001', '-1', '1.5']) {
      const res = await api.get(`/consumers?size=${size}`)
      assert.equal(res.status, 400, size)
      assert.deepEqual(res.body, {
        code: 9,
        name: 'invalid size',
        message: 'size must be an integer between 1 and 1000',
      })
    }
  })

  it('offset errors: bad base64, bad json (code 7)', async () => {
    const b64 = await api.get('/routes?offset=x')
    assert.equal(b64.status, 400)
    assert.deepEqual(b64.body, {
      code: 7,
      name: 'invalid offset',
      message: "'x' is not a valid offset: bad base64 encoding",
    })
    const notJson = Buffer.from('abc').toString('base64')
    const json = await api.get(`/consumers?offset=${notJson}`)
    assert.equal(json.status, 400)
    assert.deepEqual(json.body, {
      code: 7,
      name: 'invalid offset',
      message: `'${notJson}' is not a valid offset: bad json encoding`,
    })
  })

  it("an offset token from Kong's format (base64 of the last id) continues after that id", async () => {
    const token = Buffer.from(JSON.stringify([ids[9]]))
      .toString('base64')
      .replace(/=+$/, '')
    const res = await api.get(`/consumers?offset=${encodeURIComponent(token)}&size=3`)
    assert.equal(res.status, 200, res.text)
    assert.deepEqual(
      res.body.data.map((c: Json) => c.id),
      ids.slice(10, 13),
    )
  })

  describe('nested collections', () => {
    let service: Json
    let routeIds: string[]
    before(async () => {
      service = await create(api, '/services', { name: uniq('svc'), host: 'nested.test' })
      const routes = []
      for (let i = 0; i < 5; i++) {
        routes.push(await create(api, `/services/${service.name}/routes`, { paths: [`/r${i}`], tags: ['r'] }))
      }
      routeIds = routes.map((r) => r.id).sort()
    })

    it('next is /<parents>/<parent as given>/<children>?offset=… without size or tags', async () => {
      const byName = await api.get(`/services/${service.name}/routes?size=2`)
      assert.equal(byName.status, 200)
      assert.deepEqual(
        byName.body.data.map((r: Json) => r.id),
        routeIds.slice(0, 2),
      )
      assert.equal(
        byName.body.next,
        `/services/${service.name}/routes?offset=${encodeURIComponent(byName.body.offset)}`,
      )
      const byId = await api.get(`/services/${service.id}/routes?size=2&tags=r`)
      assert.equal(
        byId.body.next,
        `/services/${service.id}/routes?offset=${encodeURIComponent(byId.body.offset)}`,
      )
    })

    it('walking nested pages returns every child once', async () => {
      const seen: string[] = []
      let path: string | null = `/services/${service.id}/routes?size=2`
      while (path) {
        const res = await api.get(path)
        assert.equal(res.status, 200, res.text)
        seen.push(...res.body.data.map((r: Json) => r.id))
        // `next` does not carry the size: later pages use the default size.
        path = res.body.next ? `${res.body.next}&size=2` : null
      }
      assert.deepEqual(seen, routeIds)
    })

    it('nested size/offset errors', async () => {
      const res = await api.get(`/services/${service.id}/routes?size=0`)
      assert.equal(res.status, 400)
      assert.equal(res.body.code, 9)
      const off = await api.get(`/services/${service.id}/routes?offset=!!`)
      assert.equal(off.status, 400)
      assert.equal(off.body.code, 7)
    })
  })
})
