// The SQLite strategy: row storage, lookups, paging, tags, expiry, atomic transactions (nothing
// visible or kept from a failed transaction) and reset.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach } from 'node:test'
import { CONTRACT_SCHEMA, strategyContract } from '../contract.js'
import { SqliteStrategy } from './index.js'

let dir: string
let s: SqliteStrategy

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-sqlite-'))
  s = new SqliteStrategy({ path: join(dir, 'nested', 'db.sqlite') })
  await s.bootstrap()
  await s.runMigration('test', { name: '000', sqlite: { up: CONTRACT_SCHEMA } }, 'up')
})

afterEach(async () => {
  await s.close()
  rmSync(dir, { recursive: true, force: true })
})

strategyContract('sqlite', () => s)
