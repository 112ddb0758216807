// Collections (admin-api.md §6) at the DAO level: page size limits, ordering by primary key,
// offset tokens (valid and invalid, code 7), tag filters (AND / OR, code 11), nested pages.
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { openTestDb, type TestDb } from '../../../test/helpers/db.js'
import type { DB } from './db.js'
import { DaoError, type DaoErrorBody } from './errors.js'
import { encodeOffset } from './offset.js'

let t: TestDb
let db: DB

beforeEach(async () => {
  t = await openTestDb()
  db = t.db
})

afterEach(async () => {
  await t.close()
})

async function rejectsWith(p: Promise<unknown>, body: DaoErrorBody): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof DaoError, String(err))
    assert.deepEqual(JSON.parse(JSON.stringify(err.toJSON())), body)
    return true
  })
}

function uuid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`
}

async function services(count: number, extra: (i: number) => Record<string, unknown> = () => ({})) {
  await db.write(undefined, async (ctx) => {
    for (let i = 0; i < count; i++)
      await db.dao('services').insert({ host: `s${i}.test`, ...extra(i) }, { ctx })
  })
}

describe('page size', () => {
  it('defaults to 100', async () => {
    await services(101)
    const page = await db.dao('services').page()
    assert.equal(page.data.length, 100)
    assert.ok(page.offset)
  })

  it('must be an integer between 1 and 1000 (code 9)', async () => {
    for (const size of [0, 1001, 1.5, -1]) {
      await rejectsWith(db.dao('services').page({ size }), {
        code: 9,
        name: 'invalid size',
        message: 'size must be an integer between 1 and 1000',
      })
    }
    assert.deepEqual((await db.dao('services').page({ size: 1000 })).data, [])
    assert.deepEqual((await db.dao('services').page({ size: 1 })).data, [])
  })

  it('an empty collection is an empty array without offset', async () => {
    assert.deepEqual(await db.dao('services').page(), { data: [] })
  })
})

describe('ordering and offsets', () => {
  it('orders by primary key ascending', async () => {
    const ids = [5, 1, 4, 2, 3].map(uuid)
    await services(5, (i) => ({ id: ids[i] }))
    const page = await db.dao('services').page()
    assert.deepEqual(
      page.data.map((s) => s.id),
      [1, 2, 3, 4, 5].map(uuid),
    )
  })

  it('walks all pages with the offset token; the last page has none', async () => {
    await services(5, (i) => ({ id: uuid(i + 1) }))
    const seen: unknown[] = []
    let offset: string | undefined
    let pages = 0
    do {
      const page = await db.dao('services').page({ size: 2, offset })
      seen.push(...page.data.map((s) => s.id))
      offset = page.offset
      pages++
    } while (offset)
    assert.equal(pages, 3)
    assert.deepEqual(seen, [1, 2, 3, 4, 5].map(uuid))
  })

  it('no offset when the page is exactly full and nothing follows', async () => {
    await services(2)
    const page = await db.dao('services').page({ size: 2 })
    assert.equal(page.data.length, 2)
    assert.equal(page.offset, undefined)
  })

  it("the token is Kong's: base64 (no padding) of the JSON array of the last primary key", async () => {
    await services(3, (i) => ({ id: uuid(i + 1) }))
    const page = await db.dao('services').page({ size: 2 })
    assert.equal(
      page.offset,
      Buffer.from(JSON.stringify([uuid(2)]))
        .toString('base64')
        .replace(/=+$/, ''),
    )
    assert.doesNotMatch(String(page.offset), /=/)
    const rest = await db.dao('services').page({ size: 2, offset: encodeOffset([uuid(2)]) })
    assert.deepEqual(
      rest.data.map((s) => s.id),
      [uuid(3)],
    )
  })

  it('a token with padding is accepted too', async () => {
    await services(3, (i) => ({ id: uuid(i + 1) }))
    const token = Buffer.from(JSON.stringify([uuid(1)])).toString('base64')
    const page = await db.dao('services').page({ offset: token })
    assert.deepEqual(
      page.data.map((s) => s.id),
      [uuid(2), uuid(3)],
    )
  })

  it('invalid tokens: code 7 (admin-api.md §10 #6)', async () => {
    await rejectsWith(db.dao('services').page({ offset: 'x' }), {
      code: 7,
      name: 'invalid offset',
      message: "'x' is not a valid offset: bad base64 encoding",
    })
    await rejectsWith(db.dao('services').page({ offset: '!!!!' }), {
      code: 7,
      name: 'invalid offset',
      message: "'!!!!' is not a valid offset: bad base64 encoding",
    })
    const notJson = Buffer.from('not json').toString('base64')
    await rejectsWith(db.dao('services').page({ offset: notJson }), {
      code: 7,
      name: 'invalid offset',
      message: `'${notJson}' is not a valid offset: bad json encoding`,
    })
    const notArray = Buffer.from('{"a":1}').toString('base64')
    await rejectsWith(db.dao('services').page({ offset: notArray }), {
      code: 7,
      name: 'invalid offset',
      message: `'${notArray}' is not a valid offset: bad json encoding`,
    })
  })
})

describe('tag filters', () => {
  beforeEach(async () => {
    await services(4, (i) => ({ id: uuid(i + 1), tags: [['a'], ['a', 'b'], ['b'], ['c']][i] }))
  })

  const ids = async (opts: Parameters<ReturnType<DB['dao']>['page']>[0]) =>
    (await db.dao('services').page(opts)).data.map((s) => s.id)

  it('one tag', async () => {
    assert.deepEqual(await ids({ tags: ['a'] }), [uuid(1), uuid(2)])
  })

  it('several tags with AND (the default)', async () => {
    assert.deepEqual(await ids({ tags: ['a', 'b'] }), [uuid(2)])
    assert.deepEqual(await ids({ tags: ['a', 'b'], tagsCond: 'and' }), [uuid(2)])
  })

  it('several tags with OR', async () => {
    assert.deepEqual(await ids({ tags: ['a', 'b'], tagsCond: 'or' }), [uuid(1), uuid(2), uuid(3)])
    assert.deepEqual(await ids({ tags: ['c', 'zzz'], tagsCond: 'or' }), [uuid(4)])
  })

  it('unknown tag: empty page', async () => {
    assert.deepEqual(await ids({ tags: ['zzz'] }), [])
  })

  it('paginates filtered results', async () => {
    const first = await db.dao('services').page({ tags: ['a', 'b'], tagsCond: 'or', size: 2 })
    assert.deepEqual(
      first.data.map((s) => s.id),
      [uuid(1), uuid(2)],
    )
    assert.ok(first.offset)
    const second = await db
      .dao('services')
      .page({ tags: ['a', 'b'], tagsCond: 'or', size: 2, offset: first.offset })
    assert.deepEqual(
      second.data.map((s) => s.id),
      [uuid(3)],
    )
    assert.equal(second.offset, undefined)
  })

  it('more than 5 tags: code 11 with options', async () => {
    await rejectsWith(db.dao('services').page({ tags: ['a', 'b', 'c', 'd', 'e', 'f'] }), {
      code: 11,
      name: 'invalid options',
      message: 'invalid option (tags: cannot query more than 5 tags)',
      options: { tags: 'cannot query more than 5 tags' },
    })
    assert.deepEqual(await ids({ tags: ['a', 'b', 'c', 'd', 'e'], tagsCond: 'or' }), [
      uuid(1),
      uuid(2),
      uuid(3),
      uuid(4),
    ])
  })

  it('tags with characters outside the tag alphabet: code 11', async () => {
    await rejectsWith(db.dao('services').page({ tags: ['a\u0001'] }), {
      code: 11,
      name: 'invalid options',
      message: 'invalid option (tags: must only contain printable ascii (except `,` and `/`) or valid utf-8)',
      options: { tags: 'must only contain printable ascii (except `,` and `/`) or valid utf-8' },
    })
  })

  it('tags follow updates and deletes', async () => {
    await db.dao('services').update({ id: uuid(4) }, { tags: ['a'] })
    assert.deepEqual(await ids({ tags: ['a'] }), [uuid(1), uuid(2), uuid(4)])
    assert.deepEqual(await ids({ tags: ['c'] }), [])
    await db.dao('services').delete({ id: uuid(1) })
    assert.deepEqual(await ids({ tags: ['a'] }), [uuid(2), uuid(4)])
  })

  it('are indexed across entities in the tag table', async () => {
    const c = await db.dao('consumers').insert({ username: 'x', tags: ['a'] })
    const res = await db.strategy.tags({ size: 100, tag: 'a' })
    assert.deepEqual(res.rows, [
      { tag: 'a', entity_name: 'consumers', entity_id: c.id },
      { tag: 'a', entity_name: 'services', entity_id: uuid(1) },
      { tag: 'a', entity_name: 'services', entity_id: uuid(2) },
    ])
  })
})

describe('nested pages (pageFor)', () => {
  it('lists the children of one parent, ordered by id, ignoring tags', async () => {
    const s1 = await db.dao('services').insert({ host: 'a.test' })
    const s2 = await db.dao('services').insert({ host: 'b.test' })
    await db.dao('routes').insert({ id: uuid(3), paths: ['/'], service: { id: s1.id }, tags: ['x'] })
    await db.dao('routes').insert({ id: uuid(1), paths: ['/'], service: { id: s1.id } })
    await db.dao('routes').insert({ id: uuid(2), paths: ['/'], service: { id: s2.id } })
    const page = await db.dao('routes').pageFor('service', String(s1.id), { tags: ['zzz'] })
    assert.deepEqual(
      page.data.map((r) => r.id),
      [uuid(1), uuid(3)],
    )
    const first = await db.dao('routes').pageFor('service', String(s1.id), { size: 1 })
    assert.ok(first.offset)
    const second = await db.dao('routes').pageFor('service', String(s1.id), { size: 1, offset: first.offset })
    assert.deepEqual(
      second.data.map((r) => r.id),
      [uuid(3)],
    )
  })
})
