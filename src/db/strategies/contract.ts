// The behaviour every storage strategy shares (row storage, lookups, paging in byte order, tags,
// expiry, atomic transactions, administration), run by each strategy's test file against its own
// store: `store()` is the strategy made by that file's beforeEach, with tables `tags`, `things`
// (unique name, parent_id, cache_key) and `creds` (unique key, expires_at) migrated as '000'.
import assert from 'node:assert/strict'
import { beforeEach, describe, it } from 'node:test'
import type { Strategy, TableSpec } from './strategy.js'

export const things: TableSpec = {
  name: 'things',
  uniqueFields: ['name'],
  foreignFields: ['parent'],
  cacheKey: true,
  tags: true,
  ttl: false,
}
export const creds: TableSpec = {
  name: 'creds',
  uniqueFields: ['key'],
  foreignFields: [],
  cacheKey: false,
  tags: false,
  ttl: true,
}

/** The tables of the contract, in SQLite's dialect. */
export const CONTRACT_SCHEMA = `
CREATE TABLE tags (tag TEXT NOT NULL, entity_name TEXT NOT NULL, entity_id TEXT NOT NULL,
  PRIMARY KEY (tag, entity_name, entity_id));
CREATE TABLE things (id TEXT PRIMARY KEY, name TEXT UNIQUE, parent_id TEXT, cache_key TEXT UNIQUE,
  doc TEXT NOT NULL);
CREATE TABLE creds (id TEXT PRIMARY KEY, key TEXT UNIQUE, expires_at REAL, doc TEXT NOT NULL);
`

/** A strategy under test: with ttlOf, and `busy` while a transaction is open. */
export type ContractStore = Strategy & Required<Pick<Strategy, 'ttlOf'>> & { readonly busy: boolean }

export function strategyContract(label: string, store: () => ContractStore): void {
  const s = new Proxy({} as ContractStore, {
    get: (_t, p) => {
      const target = store() as unknown as Record<string | symbol, unknown>
      const v = target[p]
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    },
  })
  const thing = (id: string, extra: Record<string, unknown> = {}) => ({
    id,
    name: `n-${id}`,
    parent: null,
    tags: null,
    flag: true,
    nested: { a: [1, 2] },
    ...extra,
  })

  describe(`${label} strategy: rows`, () => {
    it('stores and returns the whole document', async () => {
      await s.insert(things, thing('a'))
      assert.deepEqual(await s.select(things, 'a'), thing('a'))
      assert.equal(await s.select(things, 'zzz'), null)
    })

    it('finds rows by unique field, by cache_key and by foreign key', async () => {
      await s.insert(things, thing('a', { parent: { id: 'p1' } }), { cacheKey: '["k"]' })
      assert.equal((await s.selectByField(things, 'name', 'n-a'))?.id, 'a')
      assert.equal((await s.selectByField(things, 'cache_key', '["k"]'))?.id, 'a')
      const page = await s.page(things, { size: 10, foreign: { field: 'parent', id: 'p1' } })
      assert.deepEqual(
        page.rows.map((r) => r.id),
        ['a'],
      )
    })

    it('updates and deletes', async () => {
      await s.insert(things, thing('a'))
      await s.update(things, 'a', thing('a', { name: 'renamed' }))
      assert.equal((await s.select(things, 'a'))?.name, 'renamed')
      assert.equal(await s.selectByField(things, 'name', 'n-a'), null)
      await s.delete(things, 'a')
      assert.equal(await s.select(things, 'a'), null)
    })

    it('enforces unique columns', async () => {
      await s.insert(things, thing('a'))
      await assert.rejects(s.insert(things, thing('b', { name: 'n-a' })))
      await assert.rejects(s.insert(things, thing('a', { name: 'other' })))
    })

    it('pages ordered by id with a "more" flag', async () => {
      for (const id of ['c', 'a', 'd', 'b']) await s.insert(things, thing(id))
      const first = await s.page(things, { size: 3 })
      assert.deepEqual(
        first.rows.map((r) => r.id),
        ['a', 'b', 'c'],
      )
      assert.equal(first.more, true)
      const second = await s.page(things, { size: 3, after: 'c' })
      assert.deepEqual(
        second.rows.map((r) => r.id),
        ['d'],
      )
      assert.equal(second.more, false)
    })
  })

  describe(`${label} strategy: tags`, () => {
    beforeEach(async () => {
      await s.insert(things, thing('a', { tags: ['x'] }))
      await s.insert(things, thing('b', { tags: ['x', 'y'] }))
      await s.insert(things, thing('c', { tags: ['y'] }))
    })

    it('filters with AND and OR', async () => {
      const and = await s.page(things, { size: 10, tags: ['x', 'y'], tagsCond: 'and' })
      assert.deepEqual(
        and.rows.map((r) => r.id),
        ['b'],
      )
      const or = await s.page(things, { size: 10, tags: ['x', 'y'], tagsCond: 'or' })
      assert.deepEqual(
        or.rows.map((r) => r.id),
        ['a', 'b', 'c'],
      )
    })

    it('lists the tag index ordered by tag, entity name, id, with paging', async () => {
      const all = await s.tags({ size: 10 })
      assert.deepEqual(all.rows, [
        { tag: 'x', entity_name: 'things', entity_id: 'a' },
        { tag: 'x', entity_name: 'things', entity_id: 'b' },
        { tag: 'y', entity_name: 'things', entity_id: 'b' },
        { tag: 'y', entity_name: 'things', entity_id: 'c' },
      ])
      const page = await s.tags({ size: 1, tag: 'y', after: ['y', 'things', 'b'] })
      assert.deepEqual(page.rows, [{ tag: 'y', entity_name: 'things', entity_id: 'c' }])
      assert.equal(page.more, false)
    })

    it('keeps the index in step with updates and deletes', async () => {
      await s.update(things, 'a', thing('a', { tags: ['z'] }))
      await s.delete(things, 'b')
      assert.deepEqual((await s.tags({ size: 10 })).rows, [
        { tag: 'y', entity_name: 'things', entity_id: 'c' },
        { tag: 'z', entity_name: 'things', entity_id: 'a' },
      ])
    })
  })

  describe(`${label} strategy: expiry`, () => {
    it('hides expired rows and reports the remaining ttl', async () => {
      const now = Date.now() / 1000
      await s.insert(creds, { id: 'live', key: 'k1' }, { expiresAt: now + 100 })
      await s.insert(creds, { id: 'dead', key: 'k2' }, { expiresAt: now - 1 })
      await s.insert(creds, { id: 'forever', key: 'k3' }, { expiresAt: null })
      assert.ok(await s.select(creds, 'live'))
      assert.equal(await s.select(creds, 'dead'), null)
      assert.equal(await s.selectByField(creds, 'key', 'k2'), null)
      assert.deepEqual(
        (await s.page(creds, { size: 10 })).rows.map((r) => r.id),
        ['forever', 'live'],
      )
      const ttl = await s.ttlOf(creds, 'live')
      assert.ok(ttl !== null && ttl >= 98 && ttl <= 100, String(ttl))
      assert.equal(await s.ttlOf(creds, 'forever'), null)
    })

    it('purges expired rows inside a transaction (and only those)', async () => {
      const now = Date.now() / 1000
      await s.insert(creds, { id: 'live', key: 'k1' }, { expiresAt: now + 100 })
      await s.insert(creds, { id: 'dead', key: 'k2' }, { expiresAt: now - 1 })
      await s.insert(creds, { id: 'forever', key: 'k3' }, { expiresAt: null })
      assert.equal(await s.transaction((tx) => tx.purgeExpired?.(creds) ?? Promise.resolve(-1)), 1)
      assert.equal(await s.transaction((tx) => tx.purgeExpired?.(creds) ?? Promise.resolve(-1)), 0)
      // the key of the purged row can be used again
      await s.insert(creds, { id: 'again', key: 'k2' }, { expiresAt: null })
      assert.deepEqual(
        (await s.page(creds, { size: 10 })).rows.map((r) => r.id),
        ['again', 'forever', 'live'],
      )
    })
  })

  describe(`${label} strategy: transactions`, () => {
    it('commits every write together', async () => {
      await s.transaction(async (tx) => {
        await tx.insert(things, thing('a'))
        await tx.insert(things, thing('b'))
      })
      assert.equal((await s.page(things, { size: 10 })).rows.length, 2)
    })

    it('rolls everything back when the function fails', async () => {
      await assert.rejects(
        s.transaction(async (tx) => {
          await tx.insert(things, thing('a', { tags: ['t'] }))
          await tx.insert(things, thing('b', { name: 'n-a' }))
        }),
      )
      assert.equal(await s.select(things, 'a'), null)
      assert.deepEqual((await s.tags({ size: 10 })).rows, [])
      assert.equal(s.busy, false)
    })

    it('rolls back on a non-database error too', async () => {
      await assert.rejects(
        s.transaction(async (tx) => {
          await tx.insert(things, thing('a'))
          throw new Error('boom')
        }),
        { message: 'boom' },
      )
      assert.equal(await s.select(things, 'a'), null)
    })

    it('readers outside the transaction never see uncommitted rows', async () => {
      let release!: () => void
      const gate = new Promise<void>((r) => {
        release = r
      })
      let inserted!: () => void
      const didInsert = new Promise<void>((r) => {
        inserted = r
      })
      const tx = s.transaction(async (ops) => {
        await ops.insert(things, thing('a'))
        inserted()
        await gate
        throw new Error('abort')
      })
      await didInsert
      const read = s.select(things, 'a')
      release()
      await assert.rejects(tx)
      assert.equal(await read, null)
    })

    it('serializes transactions', async () => {
      const order: string[] = []
      const slow = s.transaction(async (ops) => {
        order.push('slow start')
        await new Promise((r) => setTimeout(r, 20))
        await ops.insert(things, thing('a'))
        order.push('slow end')
      })
      const fast = s.transaction(async (ops) => {
        order.push('fast start')
        await ops.insert(things, thing('b'))
        order.push('fast end')
      })
      await Promise.all([slow, fast])
      // one after the other, never interleaved (which starts first is up to the store: on
      // PostgreSQL, whichever connection takes the write lock first)
      const one = ['slow start', 'slow end', 'fast start', 'fast end']
      const other = ['fast start', 'fast end', 'slow start', 'slow end']
      assert.ok(
        JSON.stringify(order) === JSON.stringify(one) || JSON.stringify(order) === JSON.stringify(other),
        order.join(', '),
      )
    })
  })

  describe(`${label} strategy: administration`, () => {
    it('reports migration state', async () => {
      const state = await s.migrationState()
      assert.deepEqual(state, { needsBootstrap: false, executed: { test: ['000'] }, pending: { test: [] } })
    })

    it('reset drops every table', async () => {
      await s.insert(things, thing('a'))
      assert.equal(await s.reset(), true)
      assert.equal((await s.migrationState()).needsBootstrap, true)
      assert.equal(await s.reset(), false)
    })

    it('is reachable until closed', async () => {
      assert.equal(await s.isReachable(), true)
      await s.close()
      assert.equal(await s.isReachable(), false)
    })
  })
}
