// Every property-specific message of the loader, checked through loadConf.
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { loadConf } from './load.js'

// A throwaway self-signed certificate (testdata/test.crt) and a key generated per run: the loader
// checks that each one loads, not that they match.
const CERT_PATH = new URL('./testdata/test.crt', import.meta.url).pathname
const CERT_PEM = readFileSync(CERT_PATH, 'utf8')
const KEY_PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
  type: 'pkcs8',
  format: 'pem',
}) as string

let dir: string
let keyPath: string
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'silverback-conf-validate-'))
  keyPath = join(dir, 'test.key')
  writeFileSync(keyPath, KEY_PEM)
})
after(() => rmSync(dir, { recursive: true, force: true }))

const errorsOf = (overrides: Record<string, string>) =>
  loadConf({ searchDefaultPaths: false, env: {}, cwd: dir, overrides }).errors
const check = (overrides: Record<string, string>, expected: string[]) =>
  assert.deepEqual(errorsOf(overrides), expected)

const CP = { role: 'control_plane', cluster_cert: CERT_PATH, cluster_cert_key: '' }

describe('validation messages', () => {
  it('trusted_ips', () => {
    check({ trusted_ips: '10.0.0.0/8, ::1, unix:, 0.0.0.0/0' }, [])
    check({ trusted_ips: '10.0.0.0/8, example.com' }, [
      "trusted_ips must be a comma separated list in the form of IPv4 or IPv6 address or CIDR block or 'unix:', got 'example.com'",
    ])
  })

  it('headers and headers_upstream', () => {
    check({ headers: 'Server, VIA, x-kong-upstream-status, latency_tokens, off' }, [])
    check({ headers: 'server, nope', headers_upstream: 'x-kong-request-id, via' }, [
      "headers: invalid entry 'nope'",
      "headers_upstream: invalid entry 'via'",
    ])
  })

  it('node_id', () => {
    check({ node_id: '6A72192C-A3A1-4C8D-95C6-EFABAE9FB969' }, [])
    check({ node_id: '6a72192c-a3a1-4c8d-95c6' }, ['node_id must be a valid UUID'])
  })

  it('nginx_worker_processes', () => {
    check({ nginx_worker_processes: '0' }, [
      "nginx_worker_processes has an invalid value: '0' (auto, or a positive integer)",
    ])
  })

  it('empty values of required properties', () => {
    check({ prefix: '', sqlite_path: '' }, ['prefix must not be empty', 'sqlite_path must not be empty'])
  })

  it('database', () => {
    check({ database: 'cassandra' }, [
      'Cassandra as a datastore for Kong is not supported in versions 3.4 and above. Please use Postgres.',
    ])
    check({ database: 'postgres' }, [])
    check({ database: 'off' }, [])
  })

  it('port_maps', () => {
    check({ port_maps: '80:8000, 8443, 0:1, 80:70000' }, [
      'invalid port mapping (`port_maps`): 8443',
      'invalid port mapping (`port_maps`): 0:1',
      'invalid port mapping (`port_maps`): 80:70000',
    ])
  })

  it('ssl_cert and ssl_cert_key pairing, per listener group', () => {
    check({ ssl_cert: CERT_PATH }, ['ssl_cert_key must be specified'])
    check({ ssl_cert_key: keyPath }, ['ssl_cert must be specified'])
    check({ ssl_cert: `${CERT_PATH}, ${CERT_PATH}`, ssl_cert_key: keyPath }, [
      'ssl_cert was specified 2 times while ssl_cert_key was specified 1 times',
    ])
    check({ admin_ssl_cert: CERT_PATH }, ['admin_ssl_cert_key must be specified'])
    check({ status_listen: '127.0.0.1:8007 ssl', status_ssl_cert_key: keyPath }, [
      'status_ssl_cert must be specified',
    ])
    // Without a TLS listener in the group, the pair is not required.
    check({ status_ssl_cert: CERT_PATH }, [])
    check({ ssl_cert: CERT_PATH, ssl_cert_key: keyPath }, [])
  })

  it('certificate and key contents: path, PEM or base64 of PEM', () => {
    const b64 = (text: string) => Buffer.from(text).toString('base64')
    const result = loadConf({
      searchDefaultPaths: false,
      env: {},
      cwd: dir,
      overrides: { ssl_cert: b64(CERT_PEM), ssl_cert_key: 'test.key' },
    })
    assert.deepEqual(result.errors, [])
    assert.equal(result.conf.ssl_cert[0], CERT_PEM)
    assert.equal(
      result.conf.ssl_cert_key[0],
      keyPath,
      'a relative path is resolved against the working directory',
    )

    check({ ssl_cert: '/no/such/cert.pem', ssl_cert_key: 'garbage-key' }, [
      'ssl_cert: failed loading certificate from /no/such/cert.pem',
      'ssl_cert_key: failed loading key from garbage-key',
    ])
    check({ admin_ssl_cert: KEY_PEM, admin_ssl_cert_key: CERT_PEM }, [
      // List items are trimmed, so the final newline of the PEM text is gone.
      `admin_ssl_cert: failed loading certificate from ${KEY_PEM.trim()}`,
      `admin_ssl_cert_key: failed loading key from ${CERT_PEM.trim()}`,
    ])
  })

  it('client_ssl', () => {
    check({ client_ssl: 'on', client_ssl_cert: CERT_PATH }, ['client_ssl_cert_key must be specified'])
    check({ client_ssl: 'on', client_ssl_cert_key: keyPath }, ['client_ssl_cert must be specified'])
    check({ client_ssl: 'on', client_ssl_cert: 'nope.crt', client_ssl_cert_key: keyPath }, [
      'client_ssl_cert: failed loading certificate from nope.crt',
    ])
    check({ client_ssl: 'off', client_ssl_cert: CERT_PATH }, [])
  })

  it('lua_ssl_trusted_certificate', () => {
    check({ lua_ssl_trusted_certificate: `system, ${CERT_PATH}` }, [])
    check({ lua_ssl_trusted_certificate: 'system, /missing/ca.pem' }, [
      'lua_ssl_trusted_certificate: failed loading certificate from /missing/ca.pem',
    ])
  })

  it('admin_gui_path', () => {
    check({ admin_gui_path: '/manager' }, [])
    check({ admin_gui_path: 'manager' }, ["admin_gui_path must start with a slash ('/')"])
    check({ admin_gui_path: '/manager/' }, ["admin_gui_path must not end with a slash ('/')"])
    check({ admin_gui_path: '/man ager' }, [
      "admin_gui_path can only contain letters, digits, hyphens ('-'), underscores ('_'), and slashes ('/')",
    ])
    check({ admin_gui_path: '/a//b' }, ["admin_gui_path must not contain continuous slashes ('/')"])
  })

  it('admin_gui_url', () => {
    check({ admin_gui_url: 'not a url' }, ["admin_gui_url: invalid entry 'not a url'"])
  })

  it('ssl_cipher_suite and DH parameters', () => {
    check({ ssl_cipher_suite: 'strongest' }, ['Undefined cipher suite strongest'])
    check({ ssl_cipher_suite: 'custom', ssl_dhparam: 'ffdhe4096' }, [])
    check({ ssl_cipher_suite: 'custom', ssl_dhparam: 'not-a-file' }, [
      'ssl_dhparam: failed loading certificate from not-a-file',
    ])
    check({ ssl_cipher_suite: 'old', nginx_http_ssl_dhparam: '/missing/dh.pem' }, [
      'nginx_http_ssl_dhparam: no such file at /missing/dh.pem',
    ])
  })

  it('dns_* and resolver_*', () => {
    check({ dns_resolver: '8.8.8.8, 1.1.1.1:53, [::1]:53, ::1' }, [])
    check({ dns_resolver: 'dns.example.com' }, [
      "dns_resolver must be a comma separated list in the form of IPv4/6 or IPv4/6:port, got 'dns.example.com'",
    ])
    check({ dns_hostsfile: '/no/such/hosts' }, ['dns_hostsfile: file does not exist'])
    check({ dns_order: 'last,srv,TXT' }, ["dns_order: invalid entry 'TXT'"])
    check({ resolver_address: '10.0.0.1:99999' }, [
      "resolver_address must be a comma separated list in the form of IPv4/6 or IPv4/6:port, got '10.0.0.1:99999'",
    ])
    check({ resolver_hosts_file: '/no/such/hosts' }, ['resolver_hosts_file: file does not exist'])
    check({ resolver_family: 'A,CNAME' }, ["resolver_family: invalid entry 'CNAME'"])
  })

  it('pg_* pool settings', () => {
    check({ pg_max_concurrent_queries: '-1', pg_semaphore_timeout: '1.5' }, [
      'pg_max_concurrent_queries must be greater than 0',
      'pg_semaphore_timeout must be an integer greater than 0',
    ])
    check({ pg_pool_size: '-2.5', pg_ro_backlog: '-1' }, [
      'pg_pool_size must be greater than 0',
      'pg_pool_size must be an integer greater than 0',
      'pg_ro_backlog must be greater than 0',
    ])
  })

  it('worker_state_update_frequency', () => {
    check({ worker_state_update_frequency: '0' }, ['worker_state_update_frequency must be greater than 0'])
  })

  it('proxy_server', () => {
    check({ proxy_server: 'http://user:pass@proxy.test:3128' }, [])
    check({ proxy_server: '//proxy.test' }, ['proxy_server missing scheme'])
    check({ proxy_server: 'socks5://proxy.test' }, [
      'proxy_server only supports "http" and "https", got socks5',
    ])
    check({ proxy_server: 'http://' }, ['proxy_server missing host'])
    check({ proxy_server: 'http://proxy.test/?a=b' }, [
      'fragments, query strings or parameters are meaningless in proxy configuration',
    ])
  })

  it('hybrid mode: certificates', () => {
    check({ role: 'data_plane', database: 'off' }, [
      'cluster certificate and key must be provided to use Hybrid mode',
    ])
    check({ ...CP, cluster_cert_key: 'bogus' }, ['cluster_cert_key: failed loading key from bogus'])
    check({ ...CP, cluster_cert_key: keyPath, cluster_mtls: 'pki', cluster_ca_cert: 'nope' }, [
      'cluster_ca_cert: failed loading certificate from nope',
    ])
  })

  it('hybrid mode: control plane constraints', () => {
    check({ ...CP, cluster_cert_key: keyPath }, [])
    check(
      {
        ...CP,
        cluster_cert_key: keyPath,
        admin_listen: 'off',
        cluster_listen: 'off',
        cluster_mtls: 'pki',
        database: 'off',
        cluster_use_proxy: 'on',
        proxy_server: 'http://proxy.test',
        cluster_dp_labels: 'env:prod',
      },
      [
        'admin_listen must be specified when role = "control_plane"',
        'cluster_ca_cert must be specified when cluster_mtls = "pki"',
        'cluster_listen must be specified when role = "control_plane"',
        'in-memory storage can not be used when role = "control_plane"',
        'cluster_use_proxy can not be used when role = "control_plane"',
        'cluster_dp_labels can not be used when role = "control_plane"',
      ],
    )
  })

  it('hybrid mode: data plane constraints', () => {
    const DP = { role: 'data_plane', cluster_cert: CERT_PATH, cluster_cert_key: keyPath }
    check({ ...DP, database: 'off' }, [])
    check({ ...DP, proxy_listen: 'off', cluster_use_proxy: 'on' }, [
      'proxy_listen must be specified when role = "data_plane"',
      'only in-memory storage can be used when role = "data_plane"\nHint: set database = off in your kong.conf',
      'cluster_use_proxy is turned on but no proxy_server is configured',
    ])
    const dp = loadConf({
      searchDefaultPaths: false,
      env: {},
      cwd: dir,
      overrides: { ...DP, database: 'off' },
    })
    assert.deepEqual(dp.conf.lua_ssl_trusted_certificate, ['system', CERT_PATH])
    const again = loadConf({
      searchDefaultPaths: false,
      env: {},
      cwd: dir,
      overrides: { ...DP, database: 'off', lua_ssl_trusted_certificate: `system, ${CERT_PATH}` },
    })
    assert.deepEqual(again.conf.lua_ssl_trusted_certificate, ['system', CERT_PATH])
  })

  it('hybrid mode: data plane labels', () => {
    const DP = { role: 'data_plane', database: 'off', cluster_cert: CERT_PATH, cluster_cert_key: keyPath }
    check({ ...DP, cluster_dp_labels: 'region:eu-west-1, tier:gold' }, [])
    check({ ...DP, cluster_dp_labels: 'kong-owned:x' }, [
      'label key validation failed: kong-owned is invalid. Must match pattern: ' +
        '(?!kong)(?!konnect)(?!insomnia)(?!mesh)(?!kic)[a-z0-9]([\\w\\.:-]*[a-z0-9]|)$',
    ])
    check({ ...DP, cluster_dp_labels: 'novalue' }, [
      'label key validation failed:  must have between 1 and 63 characters',
    ])
    check({ ...DP, cluster_dp_labels: 'key:-bad' }, [
      'label value validation failed: -bad is invalid. Must match pattern: [a-z0-9]([\\w\\.:-]*[a-z0-9]|)$',
    ])
    const eleven = Array.from({ length: 11 }, (_, i) => `k${i}:v`).join(',')
    check({ ...DP, cluster_dp_labels: eleven }, ['labels validation failed: count exceeded 10 max elements'])
    check({ cluster_dp_labels: 'a:b' }, ['cluster_dp_labels can only be used when role = "data_plane"'])
  })

  it('cluster limits', () => {
    check({ cluster_data_plane_purge_delay: '59', cluster_max_payload: '1024' }, [
      'cluster_data_plane_purge_delay must be 60 or greater',
      'cluster_max_payload must be 4194304 (4MB) or greater',
    ])
  })

  it('upstream keepalive', () => {
    check(
      {
        upstream_keepalive_pool_size: '-1',
        upstream_keepalive_max_requests: '-1',
        upstream_keepalive_idle_timeout: '-1',
      },
      [
        'upstream_keepalive_pool_size must be 0 or greater',
        'upstream_keepalive_max_requests must be 0 or greater',
        'upstream_keepalive_idle_timeout must be 0 or greater',
      ],
    )
  })

  it('tracing', () => {
    check({ tracing_instrumentations: 'db_query, router', tracing_sampling_rate: '1' }, [])
    check({ tracing_instrumentations: 'off, sql', tracing_sampling_rate: '1.5' }, [
      'invalid tracing type: sql',
      'invalid tracing types: off, other types are mutually exclusive',
      'tracing_sampling_rate must be between 0 and 1',
    ])
  })

  it('lua_max_* limits', () => {
    check(
      {
        lua_max_req_headers: '0',
        lua_max_resp_headers: '1001',
        lua_max_uri_args: '2.5',
        lua_max_post_args: '1000',
      },
      [
        'lua_max_req_headers must be an integer between 1 and 1000',
        'lua_max_resp_headers must be an integer between 1 and 1000',
        'lua_max_uri_args must be an integer between 1 and 1000',
      ],
    )
  })

  it('wasm_filters_path', () => {
    check({ wasm: 'on', wasm_filters_path: dir }, [])
    check({ wasm: 'on', wasm_filters_path: CERT_PATH }, [
      `wasm_filters_path '${CERT_PATH}' is not a valid directory`,
    ])
    check({ wasm: 'off', wasm_filters_path: CERT_PATH }, [])
  })

  it('sizes', () => {
    check({ nginx_admin_client_max_body_size: '10mb' }, [
      "nginx_admin_client_max_body_size is not a size: '10mb'",
    ])
  })
})

describe('validation warnings', () => {
  const warningsOf = (overrides: Record<string, string>) =>
    loadConf({ searchDefaultPaths: false, env: {}, cwd: dir, overrides }).warnings

  it('Kong Manager without Admin API', () => {
    assert.deepEqual(warningsOf({ admin_listen: 'off' }), [
      "Kong Manager won't be functional because the Admin API is not listened on any interface",
    ])
    assert.deepEqual(warningsOf({ admin_listen: 'off', admin_gui_listen: 'off' }), [])
  })

  it('cluster_rpc_sync without cluster_rpc is turned off', () => {
    const result = loadConf({
      searchDefaultPaths: false,
      env: {},
      cwd: dir,
      overrides: { cluster_rpc_sync: 'on' },
    })
    assert.deepEqual(result.warnings, [
      'Cluster rpc sync has been forcibly disabled, please enable cluster RPC.',
    ])
    assert.equal(result.conf.cluster_rpc_sync, false)
  })
})
