// The migrations runner over a real SQLite store: bootstrap (twice), state listing, up/finish
// with teardown phases, missing migrations, and reset.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { SqliteStrategy } from '../strategies/sqlite/index.js'
import type { MigrationNamespace } from '../strategies/strategy.js'
import { core } from './core/index.js'
import {
  bootstrap,
  finish,
  formatMigrations,
  isUpToDate,
  NEEDS_BOOTSTRAP_MSG,
  reset,
  schemaState,
  up,
} from './runner.js'

let dir: string
let strategy: SqliteStrategy
let log: string[]
const logger = (line: string) => log.push(line)

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sb-migrations-'))
  strategy = new SqliteStrategy({ path: join(dir, 'db.sqlite') })
  log = []
})

afterEach(async () => {
  await strategy.close()
  rmSync(dir, { recursive: true, force: true })
})

const plugin = (migrations: MigrationNamespace['migrations']): MigrationNamespace => ({
  name: 'plugin-x',
  migrations,
})

const withTeardown: MigrationNamespace = plugin([
  { name: '000_x', sqlite: { up: 'CREATE TABLE x_one (a TEXT)' } },
  { name: '001_x', sqlite: { up: 'CREATE TABLE x_two (a TEXT)', teardown: 'CREATE TABLE x_three (a TEXT)' } },
])

async function tables(): Promise<string[]> {
  const path = join(dir, 'db.sqlite')
  const { default: Database } = await import('better-sqlite3')
  const d = new Database(path, { readonly: true })
  try {
    return (
      d.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
        name: string
      }[]
    ).map((r) => r.name)
  } finally {
    d.close()
  }
}

describe('migrations: state', () => {
  it('an empty store needs bootstrapping; every migration is new', async () => {
    const state = await schemaState(strategy, [core])
    assert.deepEqual(state, {
      needs_bootstrap: true,
      executed_migrations: null,
      pending_migrations: null,
      new_migrations: [{ namespace: 'core', migrations: ['000_base', '001_cluster_events'] }],
      missing_migrations: null,
    })
    assert.equal(isUpToDate(state), false)
  })

  it('formats namespaces right-aligned', () => {
    assert.equal(
      formatMigrations([
        { namespace: 'core', migrations: ['000_base', '001_x'] },
        { namespace: 'key-auth', migrations: ['000_base_key_auth'] },
      ]),
      '    core: 000_base, 001_x\nkey-auth: 000_base_key_auth',
    )
  })
})

describe('migrations: bootstrap', () => {
  it('creates the schema, then is up to date', async () => {
    assert.equal(await bootstrap(strategy, [core], logger), true)
    assert.deepEqual(log, [
      'Bootstrapping database...',
      'migrating core on sqlite database...',
      'core migrated up to: 000_base (executed)',
      'core migrated up to: 001_cluster_events (executed)',
      '2 migrations processed',
      '2 executed',
      'Database is up-to-date',
    ])
    const state = await schemaState(strategy, [core])
    assert.deepEqual(state, {
      needs_bootstrap: false,
      executed_migrations: [{ namespace: 'core', migrations: ['000_base', '001_cluster_events'] }],
      pending_migrations: null,
      new_migrations: null,
      missing_migrations: null,
    })
    assert.equal(isUpToDate(state), true)
    const names = await tables()
    for (const table of ['services', 'routes', 'consumers', 'plugins', 'tags', 'schema_meta']) {
      assert.ok(names.includes(table), table)
    }
  })

  it('a second bootstrap does nothing', async () => {
    await bootstrap(strategy, [core], logger)
    log = []
    assert.equal(await bootstrap(strategy, [core], logger), false)
    assert.deepEqual(log, ['Database already bootstrapped'])
  })

  it('runs up and teardown of every namespace', async () => {
    await bootstrap(strategy, [core, withTeardown], logger)
    const state = await schemaState(strategy, [core, withTeardown])
    assert.deepEqual(state.executed_migrations, [
      { namespace: 'core', migrations: ['000_base', '001_cluster_events'] },
      { namespace: 'plugin-x', migrations: ['000_x', '001_x'] },
    ])
    assert.equal(state.pending_migrations, null)
    assert.ok((await tables()).includes('x_three'))
  })
})

describe('migrations: up and finish', () => {
  it('up refuses a store that needs bootstrapping', async () => {
    await assert.rejects(up(strategy, [core], logger), {
      message: `Cannot run migrations: ${NEEDS_BOOTSTRAP_MSG}`,
    })
    await assert.rejects(finish(strategy, [core], logger), {
      message: `Cannot run migrations: ${NEEDS_BOOTSTRAP_MSG}`,
    })
  })

  it('up on an up-to-date store', async () => {
    await bootstrap(strategy, [core], logger)
    log = []
    await up(strategy, [core], logger)
    assert.deepEqual(log, ['Database is already up-to-date'])
  })

  it('up runs new migrations, leaving those with teardown pending until finish', async () => {
    await bootstrap(strategy, [core], logger)
    log = []
    await up(strategy, [core, withTeardown], logger)
    assert.deepEqual(log, [
      'migrating plugin-x on sqlite database...',
      'plugin-x migrated up to: 000_x (executed)',
      'plugin-x migrated up to: 001_x (pending)',
      '2 migrations processed',
      '1 executed',
      '1 pending',
      "\nDatabase has pending migrations; run 'kong migrations finish' when ready",
    ])
    let state = await schemaState(strategy, [core, withTeardown])
    assert.deepEqual(state.pending_migrations, [{ namespace: 'plugin-x', migrations: ['001_x'] }])
    assert.equal(isUpToDate(state), false)
    assert.equal((await tables()).includes('x_three'), false)

    await assert.rejects(up(strategy, [core, withTeardown], logger), {
      message: "Database has pending migrations; run 'kong migrations finish'",
    })

    log = []
    await finish(strategy, [core, withTeardown], logger)
    assert.deepEqual(log, [
      'migrating plugin-x on sqlite database...',
      'plugin-x migrated up to: 001_x (executed)',
      '1 migration processed',
      '1 executed',
    ])
    state = await schemaState(strategy, [core, withTeardown])
    assert.equal(state.pending_migrations, null)
    assert.equal(isUpToDate(state), true)
    assert.ok((await tables()).includes('x_three'))

    log = []
    await finish(strategy, [core, withTeardown], logger)
    assert.deepEqual(log, ['No pending migrations to finish'])
  })

  it('reports migrations executed but no longer known as missing', async () => {
    await bootstrap(strategy, [core, withTeardown], logger)
    const state = await schemaState(strategy, [core, plugin([{ name: '000_x', sqlite: { up: '' } }])])
    assert.deepEqual(state.missing_migrations, [{ namespace: 'plugin-x', migrations: ['001_x'] }])
  })
})

describe('migrations: reset', () => {
  it('drops everything; the store then needs bootstrapping again', async () => {
    await bootstrap(strategy, [core], logger)
    log = []
    assert.equal(await reset(strategy, [core], logger), true)
    assert.deepEqual(log, ['Resetting database...', 'Database successfully reset'])
    assert.deepEqual(await tables(), [])
    assert.equal((await schemaState(strategy, [core])).needs_bootstrap, true)
    assert.equal(await bootstrap(strategy, [core], logger), true)
  })

  it('on an empty store there is nothing to reset', async () => {
    assert.equal(await reset(strategy, [core], logger), false)
    assert.deepEqual(log, ['Database not bootstrapped, nothing to reset'])
  })
})
