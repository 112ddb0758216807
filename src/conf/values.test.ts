import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PROPERTIES } from './defaults.js'
import { parseBoolean, typeValue } from './values.js'

const typed = (name: keyof typeof PROPERTIES, text: string | string[]) =>
  typeValue(name, PROPERTIES[name], text)

describe('typing of property values', () => {
  it('reads on/off/true/false as booleans (any case)', () => {
    assert.equal(parseBoolean('on'), true)
    assert.equal(parseBoolean('true'), true)
    assert.equal(parseBoolean('TRUE'), true)
    assert.equal(parseBoolean('off'), false)
    assert.equal(parseBoolean('false'), false)
    assert.equal(parseBoolean('yes'), null)
    assert.deepEqual(typed('anonymous_reports', 'off'), { ok: true, value: false })
    assert.deepEqual(typed('nginx_daemon', 'on'), { ok: true, value: true })
  })

  it("reports Kong's type errors", () => {
    assert.deepEqual(typed('allow_debug_header', 'yes'), {
      ok: false,
      error: "allow_debug_header is not a boolean: 'yes'",
    })
    assert.deepEqual(typed('pg_port', 'abc'), { ok: false, error: "pg_port is not a number: 'abc'" })
    assert.deepEqual(typed('mem_cache_size', '12q'), {
      ok: false,
      error: "mem_cache_size is not a size: '12q'",
    })
  })

  it('reads numbers as Lua does (decimals, exponents, hexadecimal)', () => {
    assert.deepEqual(typed('pg_port', ' 5433 '), { ok: true, value: 5433 })
    assert.deepEqual(typed('tracing_sampling_rate', '0.25'), { ok: true, value: 0.25 })
    assert.deepEqual(typed('pg_timeout', '1e3'), { ok: true, value: 1000 })
    assert.deepEqual(typed('pg_timeout', '0x10'), { ok: true, value: 16 })
  })

  it("reports enum errors with Kong's list of allowed values", () => {
    assert.deepEqual(typed('log_level', 'verbose'), {
      ok: false,
      error:
        "log_level has an invalid value: 'verbose' (debug, info, notice, warn, error, crit, alert, emerg)",
    })
    assert.deepEqual(typed('database', 'mysql'), {
      ok: false,
      error: "database has an invalid value: 'mysql' (sqlite, postgres, off)",
    })
    assert.deepEqual(typed('log_level', 'debug'), { ok: true, value: 'debug' })
  })

  it('refuses cassandra with its dedicated message only', () => {
    assert.deepEqual(typed('database', 'cassandra'), {
      ok: false,
      error:
        'Cassandra as a datastore for Kong is not supported in versions 3.4 and above. Please use Postgres.',
    })
  })

  it('accepts auto or a positive integer for nginx_worker_processes', () => {
    assert.deepEqual(typed('nginx_worker_processes', 'auto'), { ok: true, value: 'auto' })
    assert.deepEqual(typed('nginx_worker_processes', '4'), { ok: true, value: 4 })
    for (const bad of ['0', '-1', '2.5', 'many']) {
      assert.deepEqual(typed('nginx_worker_processes', bad), {
        ok: false,
        error: `nginx_worker_processes has an invalid value: '${bad}' (auto, or a positive integer)`,
      })
    }
  })

  it('keeps sizes as text once validated', () => {
    assert.deepEqual(typed('nginx_admin_client_max_body_size', '20m'), { ok: true, value: '20m' })
  })

  it('gives emptied values their meaning: unset, false, or an error', () => {
    assert.deepEqual(typed('node_id', ''), { ok: true, value: null })
    assert.deepEqual(typed('pg_keepalive_timeout', ''), { ok: true, value: null })
    assert.deepEqual(typed('pg_ro_ssl', ''), { ok: true, value: null })
    // Kong reads an empty boolean as false.
    assert.deepEqual(typed('anonymous_reports', ''), { ok: true, value: false })
    assert.deepEqual(typed('nginx_http_charset', ''), { ok: true, value: null })
    assert.deepEqual(typed('trusted_ips', []), { ok: true, value: [] })
    assert.deepEqual(typed('pg_port', ''), { ok: false, error: "pg_port is not a number: ''" })
    assert.deepEqual(typed('prefix', ''), { ok: false, error: 'prefix must not be empty' })
    assert.equal(typed('role', '').ok, false)
  })
})
