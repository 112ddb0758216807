// The worker's entity cache (kong.cache): consumers and credentials are not replicated to
// workers (a million keys would sit in every worker's heap); they are looked up on first use
// through the primary, and kept in a bounded LRU with negative entries until they change. The
// primary sends the cache keys a committed write touches; an invalidation that arrives while a
// load for the same key is in flight makes that load's result uncacheable (it may be stale).
import { LRUCache } from 'lru-cache'
import type { CacheOptions, KongCache, Row } from './types.js'

/** How the cache reaches the store (the primary process, over IPC). */
export interface EntityLookup {
  select(entity: string, field: string, value: string): Promise<Row | null>
  selectAllFor(entity: string, field: string, id: string): Promise<Row[]>
}

/** Stored for a miss (LRUCache cannot hold null). */
const MISS: unique symbol = Symbol('miss')
type Stored = object | typeof MISS

/** Cache key of an entity by unique field; the primary builds the same keys to invalidate. */
export function entityCacheKey(entity: string, field: string, value: string): string {
  return `${entity}:${field}:${value}`
}

/** Cache key of the entities whose foreign key `field` references `id`. */
export function foreignCacheKey(entity: string, field: string, id: string): string {
  return `${entity}:for:${field}:${id}`
}

/**
 * How long an entry may stay (lru-cache options), from the caller's options or, for an expiring
 * entity (a credential with `ttl`), its remaining seconds. The store rounds those down, so a row
 * with less than a second left reports 0: it is then not kept at all (0 would mean "forever").
 */
function cacheTtl(value: unknown, opts: CacheOptions | null): { ttl: number } | undefined {
  if (value === null) return opts?.negTtl ? { ttl: opts.negTtl * 1000 } : undefined
  if (opts?.ttl) return { ttl: opts.ttl * 1000 }
  const rowTtl = (value as { ttl?: unknown }).ttl
  if (typeof rowTtl !== 'number') return undefined
  return { ttl: Math.max(1, rowTtl * 1000) }
}

export class EntityCache implements KongCache {
  private readonly lru: LRUCache<string, Stored>
  private readonly loads = new Map<string, Promise<unknown>>()
  /** Bumped on every invalidation of a key with a load in flight. */
  private readonly generations = new Map<string, number>()
  hits = 0
  misses = 0

  constructor(
    private readonly lookup: EntityLookup,
    maxEntries = 100_000,
  ) {
    this.lru = new LRUCache<string, Stored>({ max: maxEntries })
  }

  probe<T>(key: string): T | null | undefined {
    const v = this.lru.get(key)
    if (v === undefined) return undefined
    return v === MISS ? null : (v as T)
  }

  get<T>(
    key: string,
    opts: CacheOptions | null,
    loader: () => Promise<T | null> | T | null,
  ): Promise<T | null> {
    const v = this.lru.get(key)
    if (v !== undefined) {
      this.hits++
      return Promise.resolve(v === MISS ? null : (v as T))
    }
    this.misses++
    const pending = this.loads.get(key)
    if (pending) return pending as Promise<T | null>
    const generation = this.generations.get(key) ?? 0
    const load = (async () => {
      try {
        const value = await loader()
        if ((this.generations.get(key) ?? 0) === generation) {
          this.lru.set(key, value === null ? MISS : (value as object), cacheTtl(value, opts))
        }
        return value
      } finally {
        this.loads.delete(key)
        if (!this.loads.has(key)) this.generations.delete(key)
      }
    })()
    this.loads.set(key, load)
    return load
  }

  invalidate(key: string): void {
    this.lru.delete(key)
    if (this.loads.has(key)) this.generations.set(key, (this.generations.get(key) ?? 0) + 1)
  }

  purge(): void {
    this.lru.clear()
    for (const key of this.loads.keys()) this.generations.set(key, (this.generations.get(key) ?? 0) + 1)
  }

  entityKey(entity: string, field: string, value: string): string {
    return entityCacheKey(entity, field, value)
  }

  select(entity: string, field: string, value: string): Promise<Row | null> {
    return this.get(entityCacheKey(entity, field, value), null, () =>
      this.lookup.select(entity, field, value),
    )
  }

  async selectAllFor(entity: string, field: string, id: string): Promise<Row[]> {
    const rows = await this.get<{ rows: Row[] }>(foreignCacheKey(entity, field, id), null, async () => ({
      rows: await this.lookup.selectAllFor(entity, field, id),
    }))
    return rows?.rows ?? []
  }

  get size(): number {
    return this.lru.size
  }
}

/** The cache keys under which workers may hold this row (the primary invalidates them on writes). */
export function invalidationKeys(
  schema: { name: string; uniqueFields: readonly string[]; foreignFields: readonly string[] },
  row: Row,
): string[] {
  const keys = [entityCacheKey(schema.name, 'id', String(row.id))]
  for (const f of schema.uniqueFields) {
    const v = row[f]
    if (v !== null && v !== undefined) keys.push(entityCacheKey(schema.name, f, String(v)))
  }
  for (const f of schema.foreignFields) {
    const id = (row[f] as { id?: string } | null)?.id
    if (id) keys.push(foreignCacheKey(schema.name, f, id))
  }
  return keys
}
