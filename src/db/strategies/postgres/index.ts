// The PostgreSQL store (`database = postgres`), the same tables as the SQLite one: the entity
// document as JSON text in `doc`, plus the columns constraints and lookups need. Text columns use
// the "C" collation so ids and tags sort byte-wise, exactly as in SQLite (pages come out in the
// same order on both). Writes run in transactions that first take one advisory lock, so they are
// serialized across every node sharing the database, as SQLite serializes them on one node.
// Migrations written for SQLite are translated (REAL → DOUBLE PRECISION, TEXT → TEXT COLLATE
// "C") unless a migration carries its own `postgres` SQL.
import pg from 'pg'
import { columnValue, live, nowSeconds, pageQuery, q, rowColumns, tagsQuery } from '../sql.js'
import type {
  Migration,
  MigrationLockResult,
  MigrationState,
  PageRequest,
  PageResult,
  Row,
  SqlTransaction,
  StoreOps,
  Strategy,
  TableSpec,
  TagPageRequest,
  TagRow,
  WriteExtras,
} from '../strategy.js'

// Advisory locks are `(class, hashtext(schema))` pairs: nodes sharing a schema share the locks,
// while clusters in other schemas of the same database never wait for each other.
/** Taken by every write transaction (and every migration step), until it ends. */
const WRITE_LOCK = 0x5111_7e4b
/** Held by a migrations command (`bootstrap`, `up`, `finish`, `reset`) for its whole run. */
export const MIGRATIONS_LOCK = 0x5111_7e4c
/** The schema a lock is about: the one in use, or the configured one before it exists. */
const LOCK_SCOPE = 'hashtext(COALESCE(current_schema(), $2))'

/** `schema` as the value of a `-c search_path=` connection option. */
export function searchPathOption(schema: string): string {
  // a quoted identifier keeps upper case, commas and spaces; in the options string a space or a
  // backslash must itself be escaped with a backslash
  const ident = `"${schema.replace(/"/g, '""')}"`
  return `-c search_path=${ident.replace(/[\\ ]/g, (c) => `\\${c}`)}`
}

/** `?` placeholders → `$1, $2…` (our SQL has no `?` anywhere else). */
function numbered(sql: string): string {
  let n = 0
  return sql.replace(/\?/g, () => `$${++n}`)
}

/** A SQLite migration as PostgreSQL DDL. */
export function toPostgres(sql: string): string {
  return sql.replace(/\bREAL\b/g, 'DOUBLE PRECISION').replace(/\bTEXT\b/g, 'TEXT COLLATE "C"')
}

interface Queryable {
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>
}

const ignore = (): void => undefined

/** The channel committed change events are announced on (payload: the event id). */
const CHANNEL = 'silverback_events'

export interface ClusterEvent {
  id: number
  nodeId: string
  batch: string
}

export class PostgresOps implements StoreOps {
  constructor(private readonly db: Queryable) {}

  /** Records a committed write for the other nodes; the notification leaves at commit. */
  async publish(nodeId: string, batch: string): Promise<void> {
    const r = await this.db.query(
      'INSERT INTO cluster_events (node_id, at, batch) VALUES ($1, $2, $3) RETURNING id',
      [nodeId, nowSeconds(), batch],
    )
    await this.db.query('SELECT pg_notify($1, $2)', [CHANNEL, String(r.rows[0].id)])
  }

  private async one(sql: string, args: unknown[]): Promise<Row | null> {
    const r = await this.db.query(numbered(sql), args)
    return r.rows.length > 0 ? (JSON.parse(String(r.rows[0].doc)) as Row) : null
  }

  select(t: TableSpec, id: string): Promise<Row | null> {
    const [cond, args] = live(t)
    return this.one(`SELECT doc FROM ${q(t.name)} WHERE id = ?${cond}`, [id, ...args])
  }

  selectByField(t: TableSpec, field: string, value: unknown): Promise<Row | null> {
    const column = field === 'cache_key' ? 'cache_key' : field
    const [cond, args] = live(t)
    return this.one(`SELECT doc FROM ${q(t.name)} WHERE ${q(column)} = ?${cond}`, [
      columnValue(value),
      ...args,
    ])
  }

  async page(t: TableSpec, req: PageRequest): Promise<PageResult> {
    const [sql, args] = pageQuery(t, req)
    const rows = (await this.db.query(numbered(sql), args)).rows as { doc: string }[]
    return {
      rows: rows.slice(0, req.size).map((x) => JSON.parse(String(x.doc)) as Row),
      more: rows.length > req.size,
    }
  }

  private async writeTags(t: TableSpec, id: string, row: Row | null): Promise<void> {
    if (!t.tags) return
    await this.db.query('DELETE FROM tags WHERE entity_name = $1 AND entity_id = $2', [t.name, id])
    const tags = row?.tags
    if (!Array.isArray(tags)) return
    for (const tag of tags)
      await this.db.query(
        'INSERT INTO tags (tag, entity_name, entity_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        [tag, t.name, id],
      )
  }

  async insert(t: TableSpec, row: Row, extras?: WriteExtras): Promise<void> {
    const [names, values] = rowColumns(t, row, extras)
    const sql = `INSERT INTO ${q(t.name)} (${names.map(q).join(', ')}) VALUES (${names.map(() => '?').join(', ')})`
    await this.db.query(numbered(sql), values)
    await this.writeTags(t, String(row.id), row)
  }

  async update(t: TableSpec, id: string, row: Row, extras?: WriteExtras): Promise<void> {
    const [names, values] = rowColumns(t, row, extras)
    const sql = `UPDATE ${q(t.name)} SET ${names.map((n) => `${q(n)} = ?`).join(', ')} WHERE id = ?`
    await this.db.query(numbered(sql), [...values, id])
    await this.writeTags(t, id, row)
  }

  async delete(t: TableSpec, id: string): Promise<void> {
    await this.db.query(`DELETE FROM ${q(t.name)} WHERE id = $1`, [id])
    await this.writeTags(t, id, null)
  }

  async tags(req: TagPageRequest): Promise<{ rows: TagRow[]; more: boolean }> {
    const [sql, args] = tagsQuery(req)
    const rows = (await this.db.query(numbered(sql), args)).rows as TagRow[]
    return { rows: rows.slice(0, req.size), more: rows.length > req.size }
  }

  async purgeExpired(t: TableSpec): Promise<number> {
    if (!t.ttl) return 0
    const now = nowSeconds()
    const expired = `SELECT id FROM ${q(t.name)} WHERE expires_at IS NOT NULL AND expires_at <= $2`
    if (t.tags)
      await this.db.query(`DELETE FROM tags WHERE entity_name = $1 AND entity_id IN (${expired})`, [
        t.name,
        now,
      ])
    const r = await this.db.query(
      `DELETE FROM ${q(t.name)} WHERE expires_at IS NOT NULL AND expires_at <= $1`,
      [now],
    )
    return r.rowCount ?? 0
  }

  async ttlOf(t: TableSpec, id: string): Promise<number | null> {
    const r = await this.db.query(`SELECT expires_at FROM ${q(t.name)} WHERE id = $1`, [id])
    const v = r.rows[0]?.expires_at as number | null | undefined
    if (v === undefined || v === null) return null
    return Math.max(0, Math.floor(Number(v) - nowSeconds()))
  }
}

export interface PostgresOptions {
  host: string
  port: number
  database: string
  user: string
  password?: string | null
  /** Schema for every table (`pg_schema`); null: the server's default search path. */
  schema?: string | null
  ssl?: boolean
  sslVerify?: boolean
  /** PEM certificates `sslVerify` trusts (default: the system store). */
  trustedCa?: string[]
  /** Connect and query timeout, ms (`pg_timeout`). */
  timeoutMs?: number
  poolSize?: number
  /** A second server (or user) for reads that tolerate staleness (`pg_ro_*`). */
  readOnly?: PostgresOptions | null
}

function clientConfig(opts: PostgresOptions): pg.ClientConfig {
  return {
    host: opts.host,
    port: opts.port,
    database: opts.database,
    user: opts.user,
    password: opts.password ?? undefined,
    ssl: opts.ssl
      ? { rejectUnauthorized: opts.sslVerify === true, ...(opts.trustedCa ? { ca: opts.trustedCa } : {}) }
      : undefined,
    connectionTimeoutMillis: opts.timeoutMs ?? 5000,
    query_timeout: opts.timeoutMs ?? 5000,
    ...(opts.schema ? { options: searchPathOption(opts.schema) } : {}),
  }
}

const where = (opts: PostgresOptions) => `${opts.host}:${opts.port}/${opts.database}`

export class PostgresStrategy implements Strategy {
  readonly name = 'postgres' as const
  private readonly pool: pg.Pool
  private readonly ops: PostgresOps
  private readonly schema: string | null
  /** The read-only pool (`pg_ro_*`), when configured. */
  private readonly roPool: pg.Pool | null = null

  /** `host:port/database` for messages. */
  readonly where: string
  /** `host:port/database` of the read-only connection, when configured. */
  readonly readOnlyWhere: string | null = null
  private readonly clientConfig: pg.ClientConfig
  /**
   * Reads that tolerate staleness (a worker's cache miss) go through the read-only pool when
   * `pg_ro_host` is set. Writes, transactions, migrations, the change feed and the Admin API use
   * the main pool (as Kong does, the Admin API always reads what it just wrote).
   */
  readonly staleReads?: StoreOps

  constructor(opts: PostgresOptions) {
    this.schema = opts.schema ?? null
    this.where = where(opts)
    this.clientConfig = clientConfig(opts)
    this.pool = new pg.Pool({ ...this.clientConfig, max: opts.poolSize ?? 10 })
    // an idle client losing its connection must not end the process
    this.pool.on('error', () => undefined)
    this.ops = new PostgresOps(this.pool)
    if (opts.readOnly) {
      this.readOnlyWhere = where(opts.readOnly)
      this.roPool = new pg.Pool({ ...clientConfig(opts.readOnly), max: opts.readOnly.poolSize ?? 10 })
      this.roPool.on('error', () => undefined)
      this.staleReads = new PostgresOps(this.roPool)
    }
  }

  select(t: TableSpec, id: string): Promise<Row | null> {
    return this.ops.select(t, id)
  }
  selectByField(t: TableSpec, field: string, value: unknown): Promise<Row | null> {
    return this.ops.selectByField(t, field, value)
  }
  page(t: TableSpec, req: PageRequest): Promise<PageResult> {
    return this.ops.page(t, req)
  }
  insert(t: TableSpec, row: Row, extras?: WriteExtras): Promise<void> {
    return this.transaction((tx) => tx.insert(t, row, extras))
  }
  update(t: TableSpec, id: string, row: Row, extras?: WriteExtras): Promise<void> {
    return this.transaction((tx) => tx.update(t, id, row, extras))
  }
  delete(t: TableSpec, id: string): Promise<void> {
    return this.transaction((tx) => tx.delete(t, id))
  }
  tags(req: TagPageRequest): Promise<{ rows: TagRow[]; more: boolean }> {
    return this.ops.tags(req)
  }
  ttlOf(t: TableSpec, id: string): Promise<number | null> {
    return this.ops.ttlOf(t, id)
  }

  private open = 0
  private closed = false

  /** True while a transaction is open (for diagnostics and tests). */
  get busy(): boolean {
    return this.open > 0
  }

  async transaction<T>(fn: (tx: StoreOps) => Promise<T>): Promise<T> {
    const client = await this.pool.connect()
    client.on('error', ignore) // (see sqlTransaction)
    this.open++
    try {
      await client.query('BEGIN')
      await this.writeLock(client)
      const result = await fn(new PostgresOps(client))
      await client.query('COMMIT')
      return result
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined)
      throw err
    } finally {
      this.open--
      client.off('error', ignore)
      client.release()
    }
  }

  /** Serializes this transaction with every other write on the schema (any node). */
  private async writeLock(client: pg.PoolClient): Promise<void> {
    await client.query(`SELECT pg_advisory_xact_lock($1, ${LOCK_SCOPE})`, [WRITE_LOCK, this.schema ?? ''])
  }

  /**
   * Runs `fn` holding the migrations lock of the schema, on a session of its own (a command that
   * dies releases it with its connection). Held by another: with `waitSeconds` 0, gives up at
   * once; otherwise waits for the holder to finish, then gives up too (the holder did the work),
   * or fails with `timeout` after `waitSeconds`.
   */
  async withMigrationLock<T>(waitSeconds: number, fn: () => Promise<T>): Promise<MigrationLockResult<T>> {
    // named for whoever looks at pg_stat_activity (63 bytes at most)
    const name = `silverback migrations${this.schema ? `: ${this.schema}` : ''}`
    const client = new pg.Client({ ...this.clientConfig, application_name: name.slice(0, 63) })
    client.on('error', () => undefined)
    await client.connect()
    const args = [MIGRATIONS_LOCK, this.schema ?? '']
    const tryLock = async (): Promise<boolean> =>
      (await client.query(`SELECT pg_try_advisory_lock($1, ${LOCK_SCOPE}) AS ok`, args)).rows[0].ok === true
    const unlock = () => client.query(`SELECT pg_advisory_unlock($1, ${LOCK_SCOPE})`, args)
    try {
      if (await tryLock()) {
        try {
          return { acquired: true, value: await fn() }
        } finally {
          await unlock().catch(() => undefined)
        }
      }
      const deadline = Date.now() + waitSeconds * 1000
      let step = 100
      while (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, Math.min(step, Math.max(0, deadline - Date.now()))))
        step = Math.min(step * 3, 1000)
        // free now: the other command ended; this one does not run in its place
        if (await tryLock()) {
          await unlock()
          return { acquired: false }
        }
      }
      if (waitSeconds <= 0) return { acquired: false }
      throw new Error('[PostgreSQL error] timeout')
    } finally {
      await client.end().catch(() => undefined)
    }
  }

  async sqlTransaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect()
    // A checked-out client has no error listener (the pool removes its own): a connection lost
    // between two queries would otherwise be an uncaught 'error' event. The next query fails.
    client.on('error', ignore)
    let rollback = false
    const tx: SqlTransaction = {
      query: async (sql, args = []) => (await client.query(numbered(sql), args as unknown[])).rows as Row[],
      rollback: () => {
        rollback = true
      },
    }
    let failure: Error | undefined
    try {
      await client.query('BEGIN')
      const result = await fn(tx)
      await client.query(rollback ? 'ROLLBACK' : 'COMMIT')
      return result
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err))
      await client.query('ROLLBACK').catch(() => undefined)
      throw err
    } finally {
      // a client whose query failed (a timeout, a lost connection) is not reused
      client.off('error', ignore)
      client.release(failure)
    }
  }

  private async hasTable(name: string): Promise<boolean> {
    const r = await this.pool.query('SELECT to_regclass($1) AS t', [name])
    return r.rows[0]?.t !== null
  }

  async migrationState(): Promise<MigrationState> {
    let bootstrapped: boolean
    try {
      bootstrapped = await this.hasTable('schema_meta')
    } catch (err) {
      // the first query of a start or a migrations command: say which server failed
      throw new Error(
        `[PostgreSQL error] could not reach ${this.where}: ${err instanceof Error ? err.message : String(err)}`,
      )
    }
    if (!bootstrapped) return { needsBootstrap: true, executed: {}, pending: {} }
    const r = await this.pool.query('SELECT subsystem, executed, pending FROM schema_meta')
    const executed: Record<string, string[]> = {}
    const pending: Record<string, string[]> = {}
    for (const row of r.rows as { subsystem: string; executed: string; pending: string }[]) {
      executed[row.subsystem] = JSON.parse(row.executed) as string[]
      pending[row.subsystem] = JSON.parse(row.pending) as string[]
    }
    return { needsBootstrap: false, executed, pending }
  }

  async bootstrap(): Promise<void> {
    if (this.schema) await this.pool.query(`CREATE SCHEMA IF NOT EXISTS ${q(this.schema)}`)
    await this.pool.query(`CREATE TABLE IF NOT EXISTS schema_meta (
      subsystem TEXT COLLATE "C" PRIMARY KEY,
      last_executed TEXT,
      executed TEXT NOT NULL DEFAULT '[]',
      pending TEXT NOT NULL DEFAULT '[]'
    )`)
  }

  async runMigration(namespace: string, migration: Migration, phase: 'up' | 'teardown'): Promise<void> {
    const own = migration.postgres?.[phase]
    const lite = migration.sqlite?.[phase]
    const sql = own ?? (lite ? toPostgres(lite) : undefined)
    const hasTeardown = Boolean(migration.postgres?.teardown ?? migration.sqlite?.teardown)
    const client = await this.pool.connect()
    try {
      await client.query('BEGIN')
      // no write of a serving node interleaves with a migration step
      await this.writeLock(client)
      if (sql) await client.query(sql)
      const r = await client.query('SELECT executed, pending FROM schema_meta WHERE subsystem = $1', [
        namespace,
      ])
      const row = r.rows[0] as { executed: string; pending: string } | undefined
      const executed = row ? (JSON.parse(row.executed) as string[]) : []
      let pending = row ? (JSON.parse(row.pending) as string[]) : []
      if (phase === 'up') {
        if (hasTeardown) pending.push(migration.name)
        else executed.push(migration.name)
      } else {
        pending = pending.filter((n) => n !== migration.name)
        executed.push(migration.name)
      }
      await client.query(
        `INSERT INTO schema_meta (subsystem, last_executed, executed, pending) VALUES ($1, $2, $3, $4)
         ON CONFLICT (subsystem) DO UPDATE SET last_executed = excluded.last_executed,
           executed = excluded.executed, pending = excluded.pending`,
        [namespace, migration.name, JSON.stringify(executed), JSON.stringify(pending)],
      )
      await client.query('COMMIT')
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined)
      throw err
    } finally {
      client.release()
    }
  }

  async reset(): Promise<boolean> {
    const r = await this.pool.query(
      'SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename',
    )
    const tables = (r.rows as { tablename: string }[]).map((x) => x.tablename)
    if (tables.length === 0) return false
    await this.pool.query(`DROP TABLE IF EXISTS ${tables.map(q).join(', ')} CASCADE`)
    return true
  }

  /** The newest event id (0 when none): a node starts following after it. */
  async lastEventId(): Promise<number> {
    const r = await this.pool.query('SELECT COALESCE(MAX(id), 0) AS id FROM cluster_events')
    return Number(r.rows[0].id)
  }

  /** The events after `id`, oldest first. */
  async eventsAfter(id: number): Promise<ClusterEvent[]> {
    const r = await this.pool.query(
      'SELECT id, node_id, batch FROM cluster_events WHERE id > $1 ORDER BY id LIMIT 1000',
      [id],
    )
    return (r.rows as { id: string; node_id: string; batch: string }[]).map((x) => ({
      id: Number(x.id),
      nodeId: x.node_id,
      batch: x.batch,
    }))
  }

  /** Drops events older than `seconds` (every node has long applied them). */
  async purgeEvents(seconds: number): Promise<void> {
    await this.pool.query('DELETE FROM cluster_events WHERE at < $1', [nowSeconds() - seconds])
  }

  /**
   * Calls `onEvent` when another write is announced (LISTEN); reconnects after a lost connection.
   * Returns a function that stops listening.
   */
  listen(onEvent: () => void): () => void {
    let client: pg.Client | null = null
    let stopped = false
    const connect = async (): Promise<void> => {
      if (stopped) return
      const c = new pg.Client({ ...this.clientConfig })
      c.on('error', () => undefined)
      c.on('end', () => {
        client = null
        if (!stopped) setTimeout(() => void connect(), 1000).unref()
      })
      c.on('notification', () => onEvent())
      try {
        await c.connect()
        await c.query(`LISTEN ${CHANNEL}`)
        client = c
        // something may have been missed while not listening
        onEvent()
      } catch {
        await c.end().catch(() => undefined)
      }
    }
    void connect()
    return () => {
      stopped = true
      void client?.end().catch(() => undefined)
    }
  }

  async isReachable(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1')
      return true
    } catch {
      return false
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all([this.pool.end(), this.roPool?.end()])
  }
}
