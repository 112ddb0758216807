// The pg_* and pg_ro_* settings as connection options: the read-only connection is enabled by
// pg_ro_host, and every pg_ro_* left unset takes its pg_* counterpart's value (as in Kong).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ignoredReadOnlySettings, postgresOptions } from './index.js'

const base = {
  pg_host: 'db.example',
  pg_port: 6432,
  pg_database: 'kong',
  pg_user: 'kong',
  pg_password: 'secret',
  pg_schema: 'gw',
  pg_ssl: true,
  pg_ssl_verify: false,
  pg_timeout: 3000,
  pg_pool_size: 20,
}

describe('postgresOptions', () => {
  it('no read-only connection without pg_ro_host', () => {
    assert.equal(postgresOptions(base).readOnly, null)
    assert.equal(postgresOptions({ ...base, pg_ro_user: 'reader' }).readOnly, null)
  })

  it('pg_ro_host enables it; unset pg_ro_* inherit the pg_* values', () => {
    const o = postgresOptions({ ...base, pg_ro_host: 'replica.example', pg_ro_user: 'reader' })
    assert.deepEqual(o.readOnly, {
      host: 'replica.example',
      port: 6432,
      database: 'kong',
      user: 'reader',
      password: 'secret',
      schema: 'gw',
      ssl: true,
      sslVerify: false,
      timeoutMs: 3000,
      poolSize: 20,
    })
    assert.equal(o.host, 'db.example')
    assert.equal(o.user, 'kong')
  })

  it('every pg_ro_* overrides its counterpart', () => {
    const o = postgresOptions({
      ...base,
      pg_ro_host: 'r',
      pg_ro_port: 5433,
      pg_ro_database: 'replica',
      pg_ro_user: 'u',
      pg_ro_password: 'p',
      pg_ro_schema: 'other',
      pg_ro_ssl: false,
      pg_ro_ssl_verify: true,
      pg_ro_timeout: 100,
      pg_ro_pool_size: 2,
    })
    assert.deepEqual(o.readOnly, {
      host: 'r',
      port: 5433,
      database: 'replica',
      user: 'u',
      password: 'p',
      schema: 'other',
      ssl: false,
      sslVerify: true,
      timeoutMs: 100,
      poolSize: 2,
    })
  })

  it('names the pg_ro_* settings that have no effect', () => {
    assert.deepEqual(ignoredReadOnlySettings({ ...base, pg_ro_user: 'u', pg_ro_port: null }), ['pg_ro_user'])
    assert.deepEqual(ignoredReadOnlySettings({ ...base, pg_ro_host: 'r', pg_ro_user: 'u' }), [])
  })
})
