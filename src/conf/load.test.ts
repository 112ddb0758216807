import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type LoadConfOptions, loadConf } from './load.js'
import { isExplicitlySet, valueSource } from './meta.js'

let dir: string
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'silverback-conf-load-'))
})
after(() => rmSync(dir, { recursive: true, force: true }))

function confFile(name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

const load = (opts: LoadConfOptions = {}) =>
  loadConf({ searchDefaultPaths: false, env: {}, cwd: dir, ...opts })

describe('loadConf sources and precedence', () => {
  it('uses the defaults when nothing is given, without errors or warnings', () => {
    const { conf, errors, warnings, confPath, sources } = load()
    assert.deepEqual(errors, [])
    assert.deepEqual(warnings, [])
    assert.equal(confPath, null)
    assert.equal(conf.log_level, 'notice')
    assert.equal(conf.database, 'sqlite')
    assert.equal(conf.nginx_daemon, false)
    assert.equal(conf.nginx_worker_processes, 'auto')
    assert.deepEqual(conf.plugins, ['bundled'])
    assert.equal(conf.node_id, null)
    assert.equal(conf.pg_password, null)
    assert.deepEqual(conf.trusted_ips, [])
    assert.equal(sources.log_level, 'default')
  })

  it('applies file < env < overrides, and tracks the source of each value', () => {
    const path = confFile('precedence.conf', 'log_level = info\npg_host = db.file\npg_user = file-user\n')
    const { conf, errors } = load({
      confPath: path,
      env: { KONG_PG_HOST: 'db.env', KONG_PG_DATABASE: 'envdb' },
      overrides: { pg_host: 'db.flag' },
    })
    assert.deepEqual(errors, [])
    assert.equal(conf.log_level, 'info')
    assert.equal(conf.pg_user, 'file-user')
    assert.equal(conf.pg_database, 'envdb')
    assert.equal(conf.pg_host, 'db.flag')
    assert.equal(valueSource(conf, 'log_level'), 'file')
    assert.equal(valueSource(conf, 'pg_database'), 'env')
    assert.equal(valueSource(conf, 'pg_host'), 'override')
    assert.equal(valueSource(conf, 'pg_port'), 'default')
    assert.equal(isExplicitlySet(conf, 'pg_user'), true)
    assert.equal(isExplicitlySet(conf, 'pg_port'), false)
  })

  it('treats the prefix option as an override and resolves it against the working directory', () => {
    const { conf, sources } = load({ prefix: 'servroot', env: { KONG_PREFIX: '/from/env' } })
    assert.equal(conf.prefix, join(dir, 'servroot'))
    assert.equal(sources.prefix, 'override')
    assert.equal(conf.kong_env, join(dir, 'servroot', '.kong_env'))
  })

  it('unsets a property with an empty value in the file or in the environment', () => {
    const path = confFile('unset.conf', 'headers =\nnginx_http_charset =\n')
    const { conf, errors } = load({ confPath: path, env: { KONG_PLUGINS: '' } })
    assert.deepEqual(errors, [])
    assert.deepEqual(conf.headers, [])
    assert.deepEqual(conf.plugins, [])
    assert.equal(conf.nginx_http_charset, null)
  })

  it('reads booleans and lists from the file', () => {
    const path = confFile(
      'types.conf',
      'anonymous_reports = false\nallow_debug_header = on\nplugins = bundled, my-plugin ,\n',
    )
    const { conf } = load({ confPath: path })
    assert.equal(conf.anonymous_reports, false)
    assert.equal(conf.allow_debug_header, true)
    assert.deepEqual(conf.plugins, ['bundled', 'my-plugin'])
  })

  it('ignores KONG_* variables that name no property, and lower-case spellings', () => {
    const { conf, warnings, errors } = load({
      env: {
        KONG_VERSION: '3.10.0',
        KONG_LOG_LEVEL: 'debug',
        kong_pg_host: 'nope',
        KONG_NGINX_HTTP_GZIP: 'on',
      },
    })
    assert.deepEqual(errors, [])
    assert.deepEqual(warnings, [])
    assert.equal(conf.log_level, 'debug')
    assert.equal(conf.pg_host, '127.0.0.1')
    assert.equal(conf.version, undefined)
    assert.equal(conf.nginx_http_gzip, 'on')
  })

  it('warns about unknown names in a file, but not about nginx_* namespace names', () => {
    const path = confFile(
      'unknown.conf',
      'log_levle = debug\nnginx_http_gzip = on\nnginx_proxy_proxy_buffering = off\n',
    )
    const { conf, warnings, errors } = load({ confPath: path })
    assert.deepEqual(errors, [])
    assert.deepEqual(warnings, [`unknown property 'log_levle' in ${path} (ignored)`])
    assert.equal(conf.log_levle, undefined)
    assert.equal(conf.nginx_http_gzip, 'on')
    assert.equal(conf.nginx_proxy_proxy_buffering, 'off')
  })

  it('warns about lines that are not name = value pairs', () => {
    const path = confFile('garbage.conf', 'this is not a setting\n')
    assert.deepEqual(load({ confPath: path }).warnings, [
      `invalid line 1 in ${path} (ignored): this is not a setting`,
    ])
  })

  it('reports a missing or unreadable configuration file', () => {
    const missing = join(dir, 'missing.conf')
    assert.deepEqual(load({ confPath: missing }).errors, [`no file at: ${missing}`])
    const directory = join(dir, 'a-directory')
    mkdirSync(directory)
    const [error] = load({ confPath: directory }).errors
    assert.match(error, /^could not load config file: EISDIR/)
  })

  it('reads the first existing default path unless told not to', () => {
    const second = confFile('second.conf', 'log_level = crit\n')
    const third = confFile('third.conf', 'log_level = alert\n')
    const defaultPaths = [join(dir, 'absent.conf'), second, third]
    const found = loadConf({ env: {}, cwd: dir, defaultPaths })
    assert.equal(found.confPath, second)
    assert.equal(found.conf.log_level, 'crit')
    const skipped = loadConf({ env: {}, cwd: dir, defaultPaths, searchDefaultPaths: false })
    assert.equal(skipped.confPath, null)
    assert.equal(skipped.conf.log_level, 'notice')
  })

  it('makes both spellings of an aliased property hold the effective value', () => {
    const viaAlias = load({ env: { KONG_NGINX_DAEMON: 'on', KONG_NGINX_WORKER_PROCESSES: '3' } }).conf
    assert.equal(viaAlias.nginx_daemon, true)
    assert.equal(viaAlias.nginx_main_daemon, true)
    assert.equal(viaAlias.nginx_main_worker_processes, 3)
    const viaMain = load({ overrides: { nginx_main_daemon: 'on', real_ip_header: 'X-Forwarded-For' } }).conf
    assert.equal(viaMain.nginx_daemon, true)
    assert.equal(viaMain.nginx_proxy_real_ip_header, 'X-Forwarded-For')
    // Both set by the same kind of source: the nginx_main_* spelling wins, as in Kong.
    const both = load({ overrides: { nginx_daemon: 'on', nginx_main_daemon: 'off' } }).conf
    assert.equal(both.nginx_daemon, false)
    // Both set by different sources: precedence decides.
    const path = confFile('alias.conf', 'nginx_main_worker_processes = 2\n')
    const mixed = load({ confPath: path, env: { KONG_NGINX_WORKER_PROCESSES: '4' } }).conf
    assert.equal(mixed.nginx_worker_processes, 4)
    assert.equal(mixed.nginx_main_worker_processes, 4)
    assert.equal(valueSource(mixed, 'nginx_main_worker_processes'), 'env')
  })

  it('feeds nginx ssl directives from their property', () => {
    const { conf } = load({ overrides: { ssl_cipher_suite: 'custom', ssl_protocols: 'TLSv1.3' } })
    assert.equal(conf.nginx_http_ssl_protocols, 'TLSv1.3')
    assert.equal(conf.nginx_stream_ssl_protocols, 'TLSv1.3')
  })

  it('applies the predefined cipher suite over the cipher settings', () => {
    const { conf } = load({ overrides: { ssl_cipher_suite: 'modern', ssl_protocols: 'TLSv1.2' } })
    assert.equal(conf.nginx_http_ssl_protocols, 'TLSv1.3')
    assert.equal(conf.ssl_ciphers, null)
    assert.equal(conf.ssl_dhparam, null)
    const intermediate = load().conf
    assert.match(intermediate.ssl_ciphers ?? '', /^ECDHE-ECDSA-AES128-GCM-SHA256:/)
    assert.equal(intermediate.ssl_dhparam, 'ffdhe2048')
  })

  it('resolves paths: prefix-relative store and logs, cwd-relative declarative_config', () => {
    const { conf } = load({
      overrides: {
        prefix: '/srv/kong',
        declarative_config: 'kong.yml',
        proxy_stream_access_log: 'logs/stream.log basic',
        admin_access_log: '/var/log/admin.log',
        proxy_error_log: 'syslog:server=127.0.0.1',
        sqlite_path: 'data/db.sqlite',
      },
    })
    assert.equal(conf.sqlite_path, '/srv/kong/data/db.sqlite')
    assert.equal(conf.lmdb_environment_path, '/srv/kong/dbless.lmdb')
    assert.equal(conf.proxy_access_log, '/srv/kong/logs/access.log')
    assert.equal(conf.proxy_stream_access_log, '/srv/kong/logs/stream.log basic')
    assert.equal(conf.admin_access_log, '/var/log/admin.log')
    assert.equal(conf.proxy_error_log, 'syslog:server=127.0.0.1')
    assert.equal(conf.status_access_log, 'off')
    assert.equal(conf.declarative_config, join(dir, 'kong.yml'))
    const absolute = load({ overrides: { sqlite_path: '/data/kong.db' } }).conf
    assert.equal(absolute.sqlite_path, '/data/kong.db')
  })

  it('parses the listeners and derived values', () => {
    const { conf } = load({
      overrides: {
        admin_listen: '127.0.0.1:9001, [::1]:9444 ssl',
        status_listen: 'off',
        headers: 'server_tokens',
        admin_gui_url: 'http://manager.test:8002/path, https://other.test',
        port_maps: '80:8000, 443:8443',
      },
    })
    assert.deepEqual(conf.admin_listen, ['127.0.0.1:9001', '[::1]:9444 ssl'])
    assert.deepEqual(
      conf.admin_listeners.map((l) => [l.ip, l.port, l.ssl]),
      [
        ['127.0.0.1', 9001, false],
        ['::1', 9444, true],
      ],
    )
    assert.equal(conf.admin_ssl_enabled, true)
    assert.deepEqual(conf.status_listeners, [])
    assert.equal(conf.status_ssl_enabled, false)
    assert.deepEqual(conf.stream_listeners, [])
    assert.equal(conf.proxy_listeners.length, 2)
    assert.equal(conf.enabled_headers.Server, true)
    assert.equal(conf.enabled_headers.Via, true)
    assert.equal(conf.enabled_headers['X-Kong-Proxy-Latency'], false)
    assert.equal(conf.enabled_headers_upstream['X-Kong-Request-Id'], true)
    assert.deepEqual(conf.admin_gui_origin, ['http://manager.test:8002', 'https://other.test'])
    assert.deepEqual(conf.host_ports, { '8000': 80, '8443': 443 })
  })

  it('collects every error instead of stopping at the first', () => {
    const { errors } = load({
      overrides: {
        log_level: 'loud',
        pg_port: 'x',
        node_id: 'not-a-uuid',
        admin_listen: 'nowhere',
        headers: 'X-Nope',
      },
    })
    assert.deepEqual(errors, [
      "log_level has an invalid value: 'loud' (debug, info, notice, warn, error, crit, alert, emerg)",
      "pg_port is not a number: 'x'",
      "headers: invalid entry 'X-Nope'",
      'node_id must be a valid UUID',
      'admin_listen must be of form: [off] | <ip>:<port> [ssl] [http2] [proxy_protocol] [deferred] [bind] ' +
        '[reuseport] [backlog=%d+] [ipv6only=on] [ipv6only=off] [so_keepalive=on] [so_keepalive=off] ' +
        '[so_keepalive=%w*:%w*:%d*], [... next entry ...]',
    ])
  })

  it('warns about deprecated properties set explicitly', () => {
    const { warnings, conf } = load({
      overrides: { opentelemetry_tracing: 'all', worker_consistency: 'strict' },
    })
    assert.deepEqual(warnings, [
      "the 'opentelemetry_tracing' configuration property is deprecated, use 'tracing_instrumentations' instead",
      "the configuration value 'strict' for configuration property 'worker_consistency' is deprecated",
    ])
    assert.deepEqual(conf.tracing_instrumentations, ['all'])
    // Setting the replacement does not warn about its deprecated alias.
    assert.deepEqual(load({ overrides: { tracing_instrumentations: 'all' } }).warnings, [])
  })

  it('warns about overrides naming no property', () => {
    assert.deepEqual(load({ overrides: { no_such_thing: '1' } }).warnings, [
      "unknown property 'no_such_thing' in overrides (ignored)",
    ])
  })
})
