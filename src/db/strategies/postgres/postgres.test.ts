// The PostgreSQL strategy against the machine's PostgreSQL (127.0.0.1:5432, database `test`):
// the same behaviour as the SQLite strategy (row storage, lookups, paging in byte order, tags,
// expiry, atomic transactions, reset). Each test works in a schema of its own.
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import pg from 'pg'
import { CONTRACT_SCHEMA, strategyContract } from '../contract.js'
import type { TableSpec } from '../strategy.js'
import { PostgresStrategy, searchPathOption, toPostgres } from './index.js'

const SCHEMA = toPostgres(CONTRACT_SCHEMA)

/** The contract schema's `things` table, as a strategy sees it. */
const things: TableSpec = {
  name: 'things',
  uniqueFields: ['name'],
  foreignFields: [],
  cacheKey: false,
  tags: true,
  ttl: false,
}

const CONN = { host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres' }
let schema: string
let s: PostgresStrategy

beforeEach(async () => {
  schema = `sb_test_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`
  s = new PostgresStrategy({ ...CONN, schema })
  await s.bootstrap()
  await s.runMigration('test', { name: '000', postgres: { up: SCHEMA } }, 'up')
})

async function drop(name: string): Promise<void> {
  const c = new pg.Client(CONN)
  await c.connect()
  await c.query(`DROP SCHEMA IF EXISTS "${name.replace(/"/g, '""')}" CASCADE`)
  await c.end()
}

afterEach(async () => {
  await s.close()
  await drop(schema)
})

strategyContract('postgres', () => s)

describe('pg_schema', () => {
  it('is quoted in the search_path connection option', () => {
    assert.equal(searchPathOption('kong'), '-c search_path="kong"')
    assert.equal(searchPathOption('My Schema'), '-c search_path="My\\ Schema"')
    assert.equal(searchPathOption('a"b,c\\d'), '-c search_path="a""b,c\\\\d"')
  })

  it('may hold upper case, spaces, quotes and commas', async () => {
    const odd = `Sb Odd"Schema, ${process.pid}_${Date.now()}`
    const store = new PostgresStrategy({ ...CONN, schema: odd })
    try {
      await store.bootstrap()
      await store.runMigration('test', { name: '000', postgres: { up: SCHEMA } }, 'up')
      await store.insert(things, { id: 'a', name: 'x', tags: ['t'] })
      assert.deepEqual(await store.selectByField(things, 'name', 'x'), { id: 'a', name: 'x', tags: ['t'] })
      // the tables are in that schema, and only there
      const c = new pg.Client(CONN)
      await c.connect()
      const r = await c.query('SELECT table_schema FROM information_schema.tables WHERE table_name = $1', [
        'things',
      ])
      await c.end()
      assert.ok(r.rows.some((x: { table_schema: string }) => x.table_schema === odd))
      assert.deepEqual((await store.migrationState()).executed, { test: ['000'] })
    } finally {
      await store.close()
      await drop(odd)
    }
  })
})

describe('postgres strategy: the migrations lock', () => {
  /** Holds the migrations lock of `s` until the returned function is called. */
  async function holdLock(): Promise<() => void> {
    let release!: () => void
    const held = new Promise<void>((r) => {
      release = r
    })
    let taken!: () => void
    const isTaken = new Promise<void>((r) => {
      taken = r
    })
    const other = new PostgresStrategy({ ...CONN, schema })
    const run = other.withMigrationLock(0, async () => {
      taken()
      await held
    })
    await isTaken
    return () => {
      release()
      void run.then(() => other.close())
    }
  }

  it('runs the function when free, and is free again afterwards', async () => {
    assert.deepEqual(await s.withMigrationLock(0, async () => 42), { acquired: true, value: 42 })
    assert.deepEqual(await s.withMigrationLock(0, async () => 'again'), { acquired: true, value: 'again' })
  })

  it('released when the function fails', async () => {
    await assert.rejects(
      s.withMigrationLock(0, async () => {
        throw new Error('boom')
      }),
      /boom/,
    )
    assert.equal((await s.withMigrationLock(0, async () => 1)).acquired, true)
  })

  it('held by another command: gives up at once without waiting', async () => {
    const release = await holdLock()
    try {
      let ran = false
      const r = await s.withMigrationLock(0, async () => {
        ran = true
      })
      assert.deepEqual(r, { acquired: false })
      assert.equal(ran, false)
    } finally {
      release()
    }
  })

  it('held by another command: waits for it to end, then leaves the work to it', async () => {
    const release = await holdLock()
    let ran = false
    const waiting = s.withMigrationLock(30, async () => {
      ran = true
    })
    setTimeout(release, 150)
    assert.deepEqual(await waiting, { acquired: false })
    assert.equal(ran, false)
  })

  it('held by another command past the wait: fails with a timeout', async () => {
    const release = await holdLock()
    try {
      await assert.rejects(
        s.withMigrationLock(0.3, async () => undefined),
        { message: '[PostgreSQL error] timeout' },
      )
    } finally {
      release()
    }
  })

  it('is per schema: another schema of the database migrates meanwhile', async () => {
    const release = await holdLock()
    const otherSchema = `${schema}_b`
    const other = new PostgresStrategy({ ...CONN, schema: otherSchema })
    try {
      assert.equal((await other.withMigrationLock(0, async () => true)).acquired, true)
      // nor do writes: one in the other schema commits while this schema's write lock is held
      await other.bootstrap()
      await other.runMigration('test', { name: '000', postgres: { up: SCHEMA } }, 'up')
      await s.transaction(async () => {
        await other.transaction((ops) => ops.insert(things, { id: 'b', name: 'y' }))
      })
      assert.ok(await other.select(things, 'b'))
    } finally {
      release()
      await other.close()
      await drop(otherSchema)
    }
  })
})

describe('postgres strategy: read-only connection', () => {
  it('staleReads reads through the pg_ro connection; writes go through the main one', async () => {
    const store = new PostgresStrategy({
      ...CONN,
      schema,
      readOnly: { ...CONN, schema, user: 'sb_no_such_user' },
    })
    try {
      await store.insert(things, { id: 'a', name: 'x' })
      assert.ok(await store.select(things, 'a'))
      assert.ok(store.staleReads)
      // the read-only user does not exist: only the read-only pool can fail this way
      await assert.rejects(store.staleReads.select(things, 'a'), /sb_no_such_user/)
      assert.equal(store.readOnlyWhere, '127.0.0.1:5432/test')
    } finally {
      await store.close()
    }
  })

  it('is absent without pg_ro settings', () => {
    assert.equal(s.staleReads, undefined)
  })
})
