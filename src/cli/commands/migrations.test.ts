// `migrations list` output and exit codes, as Kong prints them (cli-and-conf.md §1.4).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { SchemaState } from '../../db/migrations/runner.js'
import { listing } from './migrations.js'

const state = (s: Partial<SchemaState>): SchemaState => ({
  needs_bootstrap: false,
  executed_migrations: null,
  pending_migrations: null,
  new_migrations: null,
  missing_migrations: null,
  ...s,
})
const core = [{ namespace: 'core', migrations: ['000_base'] }]
const plugin = [{ namespace: 'key-auth', migrations: ['001_x'] }]

describe('migrations list', () => {
  it('up to date: the executed migrations, exit 0', () => {
    assert.deepEqual(listing(state({ executed_migrations: core }), 'postgres'), {
      stdout: ['Executed migrations:\ncore: 000_base'],
      stderr: [],
      code: 0,
    })
  })

  it('needs bootstrap: exit 3', () => {
    const out = listing(state({ needs_bootstrap: true }), 'postgres')
    assert.equal(out.code, 3)
    assert.match(out.stdout[0], /^Database needs bootstrapping or is older than Kong 1\.0\./)
  })

  it('new migrations: exit 5', () => {
    const out = listing(state({ executed_migrations: core, new_migrations: plugin }), 'postgres')
    assert.deepEqual(out.stdout, [
      'Executed migrations:\ncore: 000_base',
      '\nNew migrations available:\nkey-auth: 001_x',
      "\nRun 'kong migrations up' to proceed",
    ])
    assert.equal(out.code, 5)
  })

  it('pending migrations: exit 4', () => {
    const out = listing(state({ executed_migrations: core, pending_migrations: plugin }), 'postgres')
    assert.equal(out.stdout.at(-1), "\nRun 'kong migrations finish' when ready")
    assert.equal(out.code, 4)
  })

  it('pending and new migrations: Kong warning on stderr, exit 4', () => {
    const out = listing(
      state({ executed_migrations: core, pending_migrations: plugin, new_migrations: core }),
      'postgres',
      new Date(2026, 10, 29, 4, 5, 6),
    )
    assert.deepEqual(out.stderr, [
      '2026/11/29 04:05:06 [warn] Database has pending migrations from a previous upgrade, and new migrations from this upgrade (version 3.9.1)',
    ])
    assert.deepEqual(out.stdout.slice(-2), [
      '',
      "\nRun 'kong migrations finish' when ready to complete pending migrations (postgres database will be incompatible with the previous Kong version)",
    ])
    assert.equal(out.code, 4)
  })
})
