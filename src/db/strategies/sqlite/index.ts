// The embedded default store: one SQLite file under the prefix (better-sqlite3, WAL journal).
// Each entity has its own table: the full entity document as JSON in `doc`, plus the columns
// that constraints and lookups need (id, unique fields, `<fk>_id`, cache_key, expiry). Tags live
// in one shared table. better-sqlite3 is synchronous; a mutex keeps every read and write outside
// an open transaction so nobody sees uncommitted rows, and writes are serialized.
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { Mutex } from '../../../util/mutex.js'
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

type Db = Database.Database

/** Synchronous operations on one connection. Callers hold the strategy's mutex. */
class SqliteOps implements StoreOps {
  private readonly stmts = new Map<string, Database.Statement>()

  constructor(private readonly db: Db) {}

  /** A prepared statement, cached by its text. */
  stmt(sql: string): Database.Statement {
    let s = this.stmts.get(sql)
    if (!s) {
      s = this.db.prepare(sql)
      this.stmts.set(sql, s)
    }
    return s
  }

  private parse(doc: unknown): Row {
    return JSON.parse(String(doc)) as Row
  }

  async select(t: TableSpec, id: string): Promise<Row | null> {
    const [cond, args] = live(t)
    const r = this.stmt(`SELECT doc FROM ${q(t.name)} WHERE id = ?${cond}`).get(id, ...args) as
      | { doc: string }
      | undefined
    return r ? this.parse(r.doc) : null
  }

  async selectByField(t: TableSpec, field: string, value: unknown): Promise<Row | null> {
    const column = field === 'cache_key' ? 'cache_key' : field
    const [cond, args] = live(t)
    const r = this.stmt(`SELECT doc FROM ${q(t.name)} WHERE ${q(column)} = ?${cond}`).get(
      columnValue(value),
      ...args,
    ) as { doc: string } | undefined
    return r ? this.parse(r.doc) : null
  }

  async page(t: TableSpec, req: PageRequest): Promise<PageResult> {
    const [sql, args] = pageQuery(t, req)
    const rows = this.stmt(sql).all(...args) as { doc: string }[]
    const more = rows.length > req.size
    return { rows: rows.slice(0, req.size).map((r) => this.parse(r.doc)), more }
  }

  private writeTags(t: TableSpec, id: string, row: Row | null): void {
    if (!t.tags) return
    this.stmt('DELETE FROM tags WHERE entity_name = ? AND entity_id = ?').run(t.name, id)
    const tags = row?.tags
    if (!Array.isArray(tags)) return
    const ins = this.stmt('INSERT OR IGNORE INTO tags (tag, entity_name, entity_id) VALUES (?, ?, ?)')
    for (const tag of tags) ins.run(tag, t.name, id)
  }

  async insert(t: TableSpec, row: Row, extras?: WriteExtras): Promise<void> {
    const [names, values] = rowColumns(t, row, extras)
    const sql = `INSERT INTO ${q(t.name)} (${names.map(q).join(', ')}) VALUES (${names.map(() => '?').join(', ')})`
    this.stmt(sql).run(...values)
    this.writeTags(t, String(row.id), row)
  }

  async update(t: TableSpec, id: string, row: Row, extras?: WriteExtras): Promise<void> {
    const [names, values] = rowColumns(t, row, extras)
    const sql = `UPDATE ${q(t.name)} SET ${names.map((n) => `${q(n)} = ?`).join(', ')} WHERE id = ?`
    this.stmt(sql).run(...values, id)
    this.writeTags(t, id, row)
  }

  async delete(t: TableSpec, id: string): Promise<void> {
    this.stmt(`DELETE FROM ${q(t.name)} WHERE id = ?`).run(id)
    this.writeTags(t, id, null)
  }

  async truncate(t: TableSpec): Promise<void> {
    this.stmt(`DELETE FROM ${q(t.name)}`).run()
    if (t.tags) this.stmt('DELETE FROM tags WHERE entity_name = ?').run(t.name)
  }

  async tags(req: TagPageRequest): Promise<{ rows: TagRow[]; more: boolean }> {
    const [sql, args] = tagsQuery(req)
    const rows = this.stmt(sql).all(...args) as TagRow[]
    return { rows: rows.slice(0, req.size), more: rows.length > req.size }
  }

  async purgeExpired(t: TableSpec): Promise<number> {
    if (!t.ttl) return 0
    const now = nowSeconds()
    const expired = `SELECT id FROM ${q(t.name)} WHERE expires_at IS NOT NULL AND expires_at <= ?`
    if (t.tags)
      this.stmt(`DELETE FROM tags WHERE entity_name = ? AND entity_id IN (${expired})`).run(t.name, now)
    const r = this.stmt(`DELETE FROM ${q(t.name)} WHERE expires_at IS NOT NULL AND expires_at <= ?`).run(now)
    return r.changes
  }

  async ttlOf(t: TableSpec, id: string): Promise<number | null> {
    const r = this.stmt(`SELECT expires_at FROM ${q(t.name)} WHERE id = ?`).get(id) as
      | { expires_at: number | null }
      | undefined
    if (!r || r.expires_at === null) return null
    return Math.max(0, Math.floor(r.expires_at - nowSeconds()))
  }
}

export interface SqliteOptions {
  /** Path of the database file (created with its directory when missing). */
  path: string
}

export class SqliteStrategy implements Strategy {
  readonly name: 'sqlite' | 'off' = 'sqlite'
  private readonly db: Db
  private readonly ops: SqliteOps
  private readonly mutex = new Mutex()
  private inTransaction = false

  constructor(opts: SqliteOptions) {
    if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true })
    this.db = new Database(opts.path)
    if (opts.path !== ':memory:') this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = NORMAL')
    this.db.pragma('foreign_keys = ON')
    this.db.pragma('busy_timeout = 5000')
    this.ops = new SqliteOps(this.db)
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(fn)
  }

  select(t: TableSpec, id: string): Promise<Row | null> {
    return this.locked(() => this.ops.select(t, id))
  }
  selectByField(t: TableSpec, field: string, value: unknown): Promise<Row | null> {
    return this.locked(() => this.ops.selectByField(t, field, value))
  }
  page(t: TableSpec, req: PageRequest): Promise<PageResult> {
    return this.locked(() => this.ops.page(t, req))
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
    return this.locked(() => this.ops.tags(req))
  }
  ttlOf(t: TableSpec, id: string): Promise<number | null> {
    return this.locked(() => this.ops.ttlOf(t, id))
  }

  transaction<T>(fn: (tx: StoreOps) => Promise<T>): Promise<T> {
    return this.locked(async () => {
      this.db.exec('BEGIN IMMEDIATE')
      this.inTransaction = true
      try {
        const result = await fn(this.ops)
        this.db.exec('COMMIT')
        return result
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK')
        throw err
      } finally {
        this.inTransaction = false
      }
    })
  }

  sqlTransaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    return this.locked(async () => {
      let rollback = false
      const tx: SqlTransaction = {
        query: async (sql, args = []) => {
          const st = this.ops.stmt(sql)
          if (st.reader) return st.all(...args) as Row[]
          st.run(...args)
          return []
        },
        rollback: () => {
          rollback = true
        },
      }
      this.db.exec('BEGIN IMMEDIATE')
      this.inTransaction = true
      try {
        const result = await fn(tx)
        this.db.exec(rollback ? 'ROLLBACK' : 'COMMIT')
        return result
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK')
        throw err
      } finally {
        this.inTransaction = false
      }
    })
  }

  private hasTable(name: string): boolean {
    return !!this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name)
  }

  async migrationState(): Promise<MigrationState> {
    return this.locked(async () => {
      if (!this.hasTable('schema_meta')) return { needsBootstrap: true, executed: {}, pending: {} }
      const rows = this.db.prepare('SELECT subsystem, executed, pending FROM schema_meta').all() as {
        subsystem: string
        executed: string
        pending: string
      }[]
      const executed: Record<string, string[]> = {}
      const pending: Record<string, string[]> = {}
      for (const r of rows) {
        executed[r.subsystem] = JSON.parse(r.executed) as string[]
        pending[r.subsystem] = JSON.parse(r.pending) as string[]
      }
      return { needsBootstrap: false, executed, pending }
    })
  }

  async bootstrap(): Promise<void> {
    await this.locked(async () => {
      this.db.exec(`CREATE TABLE IF NOT EXISTS schema_meta (
        subsystem TEXT PRIMARY KEY,
        last_executed TEXT,
        executed TEXT NOT NULL DEFAULT '[]',
        pending TEXT NOT NULL DEFAULT '[]'
      )`)
    })
  }

  async runMigration(namespace: string, migration: Migration, phase: 'up' | 'teardown'): Promise<void> {
    await this.locked(async () => {
      const sql = migration.sqlite?.[phase]
      const run = this.db.transaction(() => {
        if (sql) this.db.exec(sql)
        const row = this.db
          .prepare('SELECT executed, pending FROM schema_meta WHERE subsystem = ?')
          .get(namespace) as { executed: string; pending: string } | undefined
        const executed = row ? (JSON.parse(row.executed) as string[]) : []
        let pending = row ? (JSON.parse(row.pending) as string[]) : []
        if (phase === 'up') {
          if (migration.sqlite?.teardown) pending.push(migration.name)
          else executed.push(migration.name)
        } else {
          pending = pending.filter((n) => n !== migration.name)
          executed.push(migration.name)
        }
        this.db
          .prepare(
            `INSERT INTO schema_meta (subsystem, last_executed, executed, pending) VALUES (?, ?, ?, ?)
             ON CONFLICT (subsystem) DO UPDATE SET last_executed = excluded.last_executed,
               executed = excluded.executed, pending = excluded.pending`,
          )
          .run(namespace, migration.name, JSON.stringify(executed), JSON.stringify(pending))
      })
      run.immediate()
    })
  }

  /** One process owns the file, and each migration step is an immediate transaction. */
  async withMigrationLock<T>(_waitSeconds: number, fn: () => Promise<T>): Promise<MigrationLockResult<T>> {
    return { acquired: true, value: await fn() }
  }

  async reset(): Promise<boolean> {
    return this.locked(async () => {
      const tables = this.db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .all() as { name: string }[]
      if (tables.length === 0) return false
      this.db.pragma('foreign_keys = OFF')
      const drop = this.db.transaction(() => {
        for (const { name } of tables) this.db.exec(`DROP TABLE IF EXISTS ${q(name)}`)
      })
      drop.immediate()
      this.db.pragma('foreign_keys = ON')
      return true
    })
  }

  async isReachable(): Promise<boolean> {
    try {
      this.db.prepare('SELECT 1').get()
      return true
    } catch {
      return false
    }
  }

  async close(): Promise<void> {
    await this.locked(async () => {
      if (this.db.open) this.db.close()
    })
  }

  /** True while a transaction is open (for diagnostics and tests). */
  get busy(): boolean {
    return this.inTransaction
  }
}
