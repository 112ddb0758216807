import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { formatKongEnv, readKongEnv, writeKongEnv } from './env-file.js'
import { loadConf } from './load.js'

let dir: string
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'silverback-conf-env-'))
})
after(() => rmSync(dir, { recursive: true, force: true }))

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----'

describe('.kong_env', () => {
  it('round-trips the effective configuration', () => {
    const prefix = join(dir, 'roundtrip')
    const first = loadConf({
      searchDefaultPaths: false,
      cwd: dir,
      env: { KONG_PG_PASSWORD: 'pa#ss\\word', KONG_DECLARATIVE_CONFIG_STRING: '{"a":\n 1}' },
      overrides: {
        prefix,
        log_level: 'debug',
        plugins: 'bundled, my-plugin',
        headers: '', // unset although it has a default
        trusted_ips: '10.0.0.0/8',
        nginx_daemon: 'on',
        nginx_http_gzip: 'on',
        nginx_worker_processes: '2',
        lua_ssl_trusted_certificate: 'system',
        admin_gui_url: 'http://localhost:8002',
      },
    })
    assert.deepEqual(first.errors, [])
    const path = writeKongEnv(prefix, first.conf)
    assert.equal(path, join(prefix, '.kong_env'))
    assert.equal(statSync(path).mode & 0o777, 0o600)

    const text = readFileSync(path, 'utf8')
    assert.match(text, /^plugins = bundled, my-plugin$/m)
    assert.match(text, /^nginx_daemon = on$/m)
    assert.match(text, /^headers =$/m)
    assert.match(text, /^pg_password = pa\\#ss\\\\word$/m)
    assert.doesNotMatch(text, /^node_id/m, 'properties unset by default are left out')

    const raw = readKongEnv(prefix)
    assert.ok(raw)
    assert.equal(raw.pg_password, 'pa#ss\\word')
    assert.equal(raw.declarative_config_string, '{"a":\n 1}')
    assert.equal(raw.nginx_http_gzip, 'on')

    // Reading it back (with no environment) gives the same configuration.
    const second = loadConf({ kongEnvPath: path, cwd: '/elsewhere', env: {} })
    assert.deepEqual(second.errors, [])
    assert.deepEqual(second.warnings, [])
    assert.equal(second.confPath, path)
    const { kong_env: _a, ...a } = first.conf
    const { kong_env: _b, ...b } = second.conf
    assert.deepEqual(b, a)
    assert.equal(second.sources.log_level, 'file')
  })

  it('writes vault references rather than the secrets they resolve to', () => {
    const prefix = join(dir, 'refs')
    const { conf, errors } = loadConf({
      searchDefaultPaths: false,
      cwd: dir,
      env: { DB_PASS: 'hunter2' },
      overrides: { prefix, pg_password: '{vault://env/db-pass}' },
    })
    assert.deepEqual(errors, [])
    assert.equal(conf.pg_password, 'hunter2')
    const text = formatKongEnv(conf)
    assert.match(text, /^pg_password = \{vault:\/\/env\/db-pass\}$/m)
    assert.doesNotMatch(text, /hunter2/)
  })

  it('keeps multi-line values on one line', () => {
    const prefix = join(dir, 'pem')
    const { conf } = loadConf({
      searchDefaultPaths: false,
      cwd: dir,
      env: {},
      overrides: { prefix, cluster_ca_cert: PEM },
    })
    writeKongEnv(prefix, conf)
    const text = readFileSync(join(prefix, '.kong_env'), 'utf8')
    assert.match(text, /^cluster_ca_cert = -----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----$/m)
    assert.equal(readKongEnv(prefix)?.cluster_ca_cert, PEM)
  })

  it('returns null for a prefix without .kong_env', () => {
    assert.equal(readKongEnv(join(dir, 'nothing-here')), null)
  })

  it('reports a missing .kong_env given as source', () => {
    const missing = join(dir, 'none', '.kong_env')
    assert.deepEqual(loadConf({ kongEnvPath: missing, env: {} }).errors, [`no file at: ${missing}`])
  })

  it('applies a configuration file over .kong_env (reload -c)', () => {
    const prefix = join(dir, 'reload')
    const { conf } = loadConf({
      searchDefaultPaths: false,
      cwd: dir,
      env: {},
      overrides: { prefix, log_level: 'info' },
    })
    const kongEnv = writeKongEnv(prefix, conf)
    const confPath = join(dir, 'reload.conf')
    writeFileSync(confPath, 'log_level = error\n')
    const reloaded = loadConf({ kongEnvPath: kongEnv, confPath, env: {} })
    assert.equal(reloaded.conf.log_level, 'error')
    assert.equal(reloaded.conf.prefix, prefix)
    assert.equal(reloaded.confPath, confPath)
  })
})
