import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { EntityCache, type EntityLookup, entityCacheKey, foreignCacheKey, invalidationKeys } from './cache.js'
import type { Row } from './types.js'

/** A store the cache reaches through `lookup`, counting the calls; `gate` holds answers back. */
function store(rows: Row[]) {
  const calls: string[] = []
  let gate: Promise<void> | null = null
  const lookup: EntityLookup = {
    async select(entity, field, value) {
      calls.push(`${entity}.${field}=${value}`)
      if (gate) await gate
      return rows.find((r) => r[field] === value) ?? null
    },
    async selectAllFor(entity, field, id) {
      calls.push(`${entity}.${field}->${id}`)
      return rows.filter((r) => (r[field] as { id?: string } | null)?.id === id)
    },
  }
  return {
    lookup,
    calls,
    rows,
    hold(): () => void {
      let release!: () => void
      gate = new Promise<void>((r) => {
        release = r
      })
      return () => {
        gate = null
        release()
      }
    },
  }
}

describe('EntityCache', () => {
  it('loads once, then answers from memory, misses included (negative caching)', async () => {
    const s = store([{ id: 'c1', key: 'k1' }])
    const cache = new EntityCache(s.lookup)
    assert.deepEqual(await cache.select('creds', 'key', 'k1'), { id: 'c1', key: 'k1' })
    assert.equal(await cache.select('creds', 'key', 'nope'), null)
    await cache.select('creds', 'key', 'k1')
    await cache.select('creds', 'key', 'nope')
    assert.deepEqual(s.calls, ['creds.key=k1', 'creds.key=nope'])
    assert.equal(cache.probe(entityCacheKey('creds', 'key', 'nope')), null)
    assert.equal(cache.probe(entityCacheKey('creds', 'key', 'other')), undefined)
  })

  it('concurrent misses of one key share one load', async () => {
    const s = store([{ id: 'c1', key: 'k1' }])
    const cache = new EntityCache(s.lookup)
    const release = s.hold()
    const all = Promise.all([1, 2, 3].map(() => cache.select('creds', 'key', 'k1')))
    release()
    assert.equal((await all).length, 3)
    assert.equal(s.calls.length, 1)
  })

  it('an invalidation during a load makes that load uncacheable (it may be stale)', async () => {
    const s = store([{ id: 'c1', key: 'k1' }])
    const cache = new EntityCache(s.lookup)
    const release = s.hold()
    const loading = cache.select('creds', 'key', 'k1')
    cache.invalidate(entityCacheKey('creds', 'key', 'k1'))
    release()
    await loading
    assert.equal(cache.probe(entityCacheKey('creds', 'key', 'k1')), undefined)
    await cache.select('creds', 'key', 'k1')
    assert.equal(s.calls.length, 2)
  })

  it('is bounded: the least recently used entries go first', async () => {
    const s = store([])
    const cache = new EntityCache(s.lookup, 3)
    for (const k of ['a', 'b', 'c']) await cache.select('creds', 'key', k)
    await cache.select('creds', 'key', 'a') // a is now the most recent
    await cache.select('creds', 'key', 'd') // evicts b
    assert.equal(cache.size, 3)
    assert.equal(cache.probe(entityCacheKey('creds', 'key', 'b')), undefined)
    assert.equal(cache.probe(entityCacheKey('creds', 'key', 'a')), null)
  })

  it('honours ttl, negTtl and the remaining ttl of an expiring row', async () => {
    const s = store([{ id: 'c1', key: 'short', ttl: 0 }])
    const cache = new EntityCache(s.lookup)
    await cache.select('creds', 'key', 'short')
    await new Promise((r) => setTimeout(r, 5))
    // under a second left: not kept
    assert.equal(cache.probe(entityCacheKey('creds', 'key', 'short')), undefined)
    let loads = 0
    const loader = () => {
      loads++
      return null
    }
    await cache.get('x', { negTtl: 0.01 }, loader)
    await cache.get('x', { negTtl: 0.01 }, loader)
    assert.equal(loads, 1)
    await new Promise((r) => setTimeout(r, 30))
    await cache.get('x', { negTtl: 0.01 }, loader)
    assert.equal(loads, 2)
  })

  it('selectAllFor caches the list of a foreign key', async () => {
    const s = store([
      { id: 'g1', group: 'a', consumer: { id: 'u1' } },
      { id: 'g2', group: 'b', consumer: { id: 'u1' } },
    ])
    const cache = new EntityCache(s.lookup)
    assert.equal((await cache.selectAllFor('acls', 'consumer', 'u1')).length, 2)
    assert.equal((await cache.selectAllFor('acls', 'consumer', 'u1')).length, 2)
    assert.equal(s.calls.length, 1)
    assert.ok(cache.probe(foreignCacheKey('acls', 'consumer', 'u1')))
  })

  it('invalidationKeys names every key a row may be cached under', () => {
    const keys = invalidationKeys(
      { name: 'keyauth_credentials', uniqueFields: ['key'], foreignFields: ['consumer'] },
      { id: 'c1', key: 'k1', consumer: { id: 'u1' } },
    )
    assert.deepEqual(
      keys.sort(),
      [
        entityCacheKey('keyauth_credentials', 'id', 'c1'),
        entityCacheKey('keyauth_credentials', 'key', 'k1'),
        foreignCacheKey('keyauth_credentials', 'consumer', 'u1'),
      ].sort(),
    )
  })
})
