// The PostgreSQL strategy against the machine's PostgreSQL (127.0.0.1:5432, database `test`):
// the same behaviour as the SQLite strategy (row storage, lookups, paging in byte order, tags,
// expiry, atomic transactions, reset). Each test works in a schema of its own.
import { afterEach, beforeEach } from 'node:test'
import pg from 'pg'
import { CONTRACT_SCHEMA, strategyContract } from '../contract.js'
import { PostgresStrategy, toPostgres } from './index.js'

const SCHEMA = toPostgres(CONTRACT_SCHEMA)

const CONN = { host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres' }
let schema: string
let s: PostgresStrategy

beforeEach(async () => {
  schema = `sb_test_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`
  s = new PostgresStrategy({ ...CONN, schema })
  await s.bootstrap()
  await s.runMigration('test', { name: '000', postgres: { up: SCHEMA } }, 'up')
})

afterEach(async () => {
  await s.close()
  const c = new pg.Client(CONN)
  await c.connect()
  await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  await c.end()
})

strategyContract('postgres', () => s)
