// The storage strategy interface. The generic DAO (db/dao) enforces the schema; a strategy only
// stores and finds rows. Implementations: sqlite (embedded default), postgres and off (DB-less,
// in memory). Rows are complete entity documents as the DAO produced them.

export type Row = Record<string, unknown>

/** What a strategy needs to know about an entity's table. */
export interface TableSpec {
  name: string
  /** Single unique fields, stored in columns of the same name. */
  uniqueFields: readonly string[]
  /** Foreign key fields, stored as `<field>_id` columns. */
  foreignFields: readonly string[]
  /** Whether rows carry a composite-uniqueness `cache_key` column. */
  cacheKey: boolean
  /** Whether the entity has `tags` (indexed in the shared tags table). */
  tags: boolean
  /** Whether rows may expire (`ttl`). */
  ttl: boolean
}

export interface WriteExtras {
  /** Composite key, for entities with a cache_key. */
  cacheKey?: string
  /** Expiry time in epoch seconds, for ttl entities; null = never. */
  expiresAt?: number | null
}

export interface PageRequest {
  size: number
  /** Primary key of the last row of the previous page. */
  after?: string
  tags?: readonly string[]
  tagsCond?: 'and' | 'or'
  /** Restrict to rows whose foreign key `field` references `id`. */
  foreign?: { field: string; id: string }
}

export interface PageResult {
  rows: Row[]
  /** True when rows exist after the last returned one. */
  more: boolean
}

export interface TagRow {
  tag: string
  entity_name: string
  entity_id: string
}

export interface TagPageRequest {
  size: number
  after?: readonly [string, string, string]
  tag?: string
}

export interface StoreOps {
  select(t: TableSpec, id: string): Promise<Row | null>
  /** Lookup by a unique field, or by `cache_key`. */
  selectByField(t: TableSpec, field: string, value: unknown): Promise<Row | null>
  page(t: TableSpec, req: PageRequest): Promise<PageResult>
  insert(t: TableSpec, row: Row, extras?: WriteExtras): Promise<void>
  update(t: TableSpec, id: string, row: Row, extras?: WriteExtras): Promise<void>
  delete(t: TableSpec, id: string): Promise<void>
  tags(req: TagPageRequest): Promise<{ rows: TagRow[]; more: boolean }>
  /** Remaining lifetime in seconds of a ttl row (null when it never expires). */
  ttlOf?(t: TableSpec, id: string): Promise<number | null>
  /** Deletes every row of a table (DB-less configuration replacement). */
  truncate?(t: TableSpec): Promise<void>
  /** Deletes the expired rows of a ttl table (reads hide them already); returns how many. */
  purgeExpired?(t: TableSpec): Promise<number>
}

export interface MigrationState {
  /** The store has never been bootstrapped. */
  needsBootstrap: boolean
  /** namespace → executed migration names, in order. */
  executed: Record<string, string[]>
  /** namespace → migrations whose `up` ran but whose `teardown` has not (awaiting `finish`). */
  pending: Record<string, string[]>
}

export interface Migration {
  name: string
  sqlite?: { up: string; teardown?: string }
  postgres?: { up: string; teardown?: string }
}

export interface MigrationNamespace {
  name: string
  migrations: readonly Migration[]
}

/** What `withMigrationLock` did: ran `fn`, or left it to the command holding the lock. */
export type MigrationLockResult<T> = { acquired: true; value: T } | { acquired: false }

/** One transaction of raw SQL (see SqlStore). */
export interface SqlTransaction {
  /** Runs one statement (`?` placeholders); resolves with the rows it returns, if any. */
  query(sql: string, args?: readonly unknown[]): Promise<Row[]>
  /** Makes the transaction roll back instead of committing once its function returns. */
  rollback(): void
}

/**
 * Raw SQL on the store, for the tables plugins own beyond entities (rate-limiting's counters). The
 * SQL must run on both SQLite and PostgreSQL (`INSERT … ON CONFLICT … DO UPDATE … RETURNING` does).
 * Unlike entity writes, these transactions do not take the store-wide write lock: they rely on
 * row locks, so they neither wait for nor hold up Admin API writes on other nodes.
 */
export interface SqlStore {
  /** Runs `fn` in one transaction: commits when it returns (unless rolled back), rolls back when it throws. */
  sqlTransaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T>
}

export interface Strategy extends StoreOps, SqlStore {
  readonly name: 'sqlite' | 'postgres' | 'off'
  /**
   * Operations for reads that tolerate staleness (PostgreSQL with `pg_ro_host`: a read-only
   * replica). Absent: such reads use the strategy itself.
   */
  readonly staleReads?: StoreOps
  /** Runs `fn` atomically: every write in it commits together or not at all. */
  transaction<T>(fn: (tx: StoreOps) => Promise<T>): Promise<T>
  migrationState(): Promise<MigrationState>
  /** Creates the bookkeeping tables (first step of `migrations bootstrap`). */
  bootstrap(): Promise<void>
  runMigration(namespace: string, migration: Migration, phase: 'up' | 'teardown'): Promise<void>
  /**
   * Runs `fn` while holding the store's migrations lock (one migrations command at a time, across
   * every node). When another command holds it: `waitSeconds` 0 gives up at once; otherwise it
   * waits for that command to end and gives up then, or throws after `waitSeconds`.
   */
  withMigrationLock<T>(waitSeconds: number, fn: () => Promise<T>): Promise<MigrationLockResult<T>>
  /** Drops every table. Returns false when there was nothing to reset. */
  reset(): Promise<boolean>
  isReachable(): Promise<boolean>
  close(): Promise<void>
}
