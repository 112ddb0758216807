// The property table: every kong.conf property of Kong 3.10 (kong/templates/kong_defaults.lua) with its
// default text and its type (kong/conf_loader/constants.lua CONF_PARSERS), plus Silverback's own.
//
// Defaults are kept as Kong writes them: `NONE` (and an empty text) mean "unset by default". The
// order is Kong's, so the documentation and `.kong_env` read the same way as Kong's.
//
// Types:
//   string       plain text (Kong's default inference)
//   boolean      on/off/true/false, parsed to a boolean
//   ngx_boolean  Kong passes `on`/`off` through to nginx; Silverback parses it to a boolean as well
//   number       a number
//   array        comma-separated list
//   enum         one of `values`
//   size         nginx size text (`10m`, `8k`, `0`), validated here and kept as text (see sizes.ts)
//   workers      `auto` or a positive integer (nginx_worker_processes)
//
// Silverback deviations from Kong's defaults: `database` (sqlite, the embedded store, is the default
// and `cassandra` is no longer listed), `sqlite_path` (new), `nginx_daemon`/`nginx_main_daemon` (off:
// Silverback runs in the foreground unless asked to detach).

export type PropertyType =
  | 'string'
  | 'boolean'
  | 'ngx_boolean'
  | 'number'
  | 'array'
  | 'enum'
  | 'size'
  | 'workers'

export interface PropertySpec {
  readonly type: PropertyType
  /** Kong's default text; `NONE` or `''` = unset by default. */
  readonly default: string
  /** Allowed values of an enum, in the order Kong prints them. */
  readonly values?: readonly string[]
  /** Never printed: masked by maskSecrets (Kong's CONF_SENSITIVE). */
  readonly secret?: boolean
}

const LOG_LEVELS = ['debug', 'info', 'notice', 'warn', 'error', 'crit', 'alert', 'emerg'] as const

export const PROPERTIES = {
  prefix: { type: 'string', default: '/usr/local/kong/' },
  log_level: { type: 'enum', default: 'notice', values: LOG_LEVELS },
  proxy_access_log: { type: 'string', default: 'logs/access.log' },
  proxy_error_log: { type: 'string', default: 'logs/error.log' },
  proxy_stream_access_log: { type: 'string', default: 'logs/access.log basic' },
  proxy_stream_error_log: { type: 'string', default: 'logs/error.log' },
  admin_access_log: { type: 'string', default: 'logs/admin_access.log' },
  admin_error_log: { type: 'string', default: 'logs/error.log' },
  admin_gui_access_log: { type: 'string', default: 'logs/admin_gui_access.log' },
  admin_gui_error_log: { type: 'string', default: 'logs/admin_gui_error.log' },
  status_access_log: { type: 'string', default: 'off' },
  status_error_log: { type: 'string', default: 'logs/status_error.log' },
  vaults: { type: 'array', default: 'bundled' },
  plugins: { type: 'array', default: 'bundled' },
  port_maps: { type: 'array', default: 'NONE' },
  // Recomputed from port_maps after loading (Conf.host_ports is a map); listed because Kong lists it.
  host_ports: { type: 'string', default: 'NONE' },
  anonymous_reports: { type: 'boolean', default: 'on' },
  proxy_server: { type: 'string', default: 'NONE', secret: true },
  proxy_server_ssl_verify: { type: 'boolean', default: 'on' },
  error_template_html: { type: 'string', default: 'NONE' },
  error_template_json: { type: 'string', default: 'NONE' },
  error_template_xml: { type: 'string', default: 'NONE' },
  error_template_plain: { type: 'string', default: 'NONE' },
  node_id: { type: 'string', default: 'NONE' },

  proxy_listen: {
    type: 'array',
    default: '0.0.0.0:8000 reuseport backlog=16384, 0.0.0.0:8443 http2 ssl reuseport backlog=16384',
  },
  stream_listen: { type: 'array', default: 'off' },
  admin_listen: {
    type: 'array',
    default: '127.0.0.1:8001 reuseport backlog=16384, 127.0.0.1:8444 http2 ssl reuseport backlog=16384',
  },
  admin_gui_listen: { type: 'array', default: '0.0.0.0:8002, 0.0.0.0:8445 ssl' },
  status_listen: { type: 'array', default: '127.0.0.1:8007 reuseport backlog=16384' },
  cluster_listen: { type: 'array', default: '0.0.0.0:8005' },
  cluster_control_plane: { type: 'string', default: '127.0.0.1:8005' },
  cluster_cert: { type: 'string', default: 'NONE' },
  cluster_cert_key: { type: 'string', default: 'NONE', secret: true },
  cluster_mtls: { type: 'enum', default: 'shared', values: ['shared', 'pki'] },
  cluster_ca_cert: { type: 'string', default: 'NONE' },
  cluster_server_name: { type: 'string', default: 'NONE' },
  cluster_data_plane_purge_delay: { type: 'number', default: '1209600' },
  cluster_ocsp: { type: 'enum', default: 'off', values: ['on', 'off', 'optional'] },
  cluster_max_payload: { type: 'number', default: '16777216' },
  cluster_use_proxy: { type: 'boolean', default: 'off' },
  cluster_dp_labels: { type: 'array', default: 'NONE' },
  cluster_rpc: { type: 'boolean', default: 'off' },
  cluster_rpc_sync: { type: 'boolean', default: 'off' },
  cluster_cjson: { type: 'boolean', default: 'off' },

  lmdb_environment_path: { type: 'string', default: 'dbless.lmdb' },
  lmdb_map_size: { type: 'size', default: '2048m' },
  mem_cache_size: { type: 'size', default: '128m' },
  worker_events_max_payload: { type: 'number', default: '65535' },
  ssl_cert: { type: 'array', default: 'NONE' },
  ssl_cert_key: { type: 'array', default: 'NONE', secret: true },
  client_ssl: { type: 'boolean', default: 'off' },
  client_ssl_cert: { type: 'string', default: 'NONE' },
  client_ssl_cert_key: { type: 'string', default: 'NONE', secret: true },
  ssl_cipher_suite: { type: 'string', default: 'intermediate' },
  ssl_ciphers: { type: 'string', default: 'NONE' },
  ssl_protocols: { type: 'string', default: 'TLSv1.2 TLSv1.3' },
  ssl_prefer_server_ciphers: { type: 'ngx_boolean', default: 'on' },
  ssl_dhparam: { type: 'string', default: 'NONE' },
  ssl_session_tickets: { type: 'ngx_boolean', default: 'on' },
  ssl_session_timeout: { type: 'string', default: '1d' },
  ssl_session_cache_size: { type: 'size', default: '10m' },
  admin_ssl_cert: { type: 'array', default: 'NONE' },
  admin_ssl_cert_key: { type: 'array', default: 'NONE', secret: true },
  admin_gui_ssl_cert: { type: 'array', default: 'NONE' },
  admin_gui_ssl_cert_key: { type: 'array', default: 'NONE', secret: true },
  status_ssl_cert: { type: 'array', default: 'NONE' },
  status_ssl_cert_key: { type: 'array', default: 'NONE', secret: true },
  headers: { type: 'array', default: 'server_tokens, latency_tokens, x-kong-request-id' },
  headers_upstream: { type: 'array', default: 'x-kong-request-id' },
  trusted_ips: { type: 'array', default: 'NONE' },
  error_default_type: {
    type: 'enum',
    default: 'text/plain',
    values: ['application/json', 'application/xml', 'text/html', 'text/plain'],
  },
  upstream_keepalive_pool_size: { type: 'number', default: '512' },
  upstream_keepalive_max_requests: { type: 'number', default: '10000' },
  upstream_keepalive_idle_timeout: { type: 'number', default: '60' },
  allow_debug_header: { type: 'boolean', default: 'off' },

  nginx_user: { type: 'string', default: 'kong kong' },
  nginx_worker_processes: { type: 'workers', default: 'auto' },
  nginx_daemon: { type: 'ngx_boolean', default: 'off' },
  nginx_main_daemon: { type: 'ngx_boolean', default: 'off' },
  nginx_main_user: { type: 'string', default: 'kong kong' },
  nginx_main_worker_processes: { type: 'workers', default: 'auto' },
  nginx_main_worker_rlimit_nofile: { type: 'string', default: 'auto' },
  nginx_events_worker_connections: { type: 'string', default: 'auto' },
  nginx_events_multi_accept: { type: 'string', default: 'on' },
  nginx_http_charset: { type: 'string', default: 'UTF-8' },
  nginx_http_client_max_body_size: { type: 'size', default: '0' },
  nginx_http_client_body_buffer_size: { type: 'size', default: '8k' },
  nginx_http_ssl_protocols: { type: 'string', default: 'NONE' },
  nginx_http_ssl_prefer_server_ciphers: { type: 'string', default: 'NONE' },
  nginx_http_ssl_dhparam: { type: 'string', default: 'NONE' },
  nginx_http_ssl_session_tickets: { type: 'string', default: 'NONE' },
  nginx_http_ssl_session_timeout: { type: 'string', default: 'NONE' },
  nginx_http_ssl_conf_command: { type: 'string', default: 'NONE' },
  nginx_http_proxy_ssl_conf_command: { type: 'string', default: 'NONE' },
  nginx_http_lua_ssl_conf_command: { type: 'string', default: 'NONE' },
  nginx_http_grpc_ssl_conf_command: { type: 'string', default: 'NONE' },
  nginx_http_lua_regex_match_limit: { type: 'string', default: '100000' },
  nginx_http_lua_regex_cache_max_entries: { type: 'string', default: '8192' },
  nginx_http_keepalive_requests: { type: 'string', default: '10000' },
  nginx_stream_ssl_conf_command: { type: 'string', default: 'NONE' },
  nginx_stream_proxy_ssl_conf_command: { type: 'string', default: 'NONE' },
  nginx_stream_lua_ssl_conf_command: { type: 'string', default: 'NONE' },
  nginx_stream_ssl_protocols: { type: 'string', default: 'NONE' },
  nginx_stream_ssl_prefer_server_ciphers: { type: 'string', default: 'NONE' },
  nginx_stream_ssl_dhparam: { type: 'string', default: 'NONE' },
  nginx_stream_ssl_session_tickets: { type: 'string', default: 'NONE' },
  nginx_stream_ssl_session_timeout: { type: 'string', default: 'NONE' },
  nginx_proxy_real_ip_header: { type: 'string', default: 'X-Real-IP' },
  nginx_proxy_real_ip_recursive: { type: 'ngx_boolean', default: 'off' },
  nginx_admin_client_max_body_size: { type: 'size', default: '10m' },
  nginx_admin_client_body_buffer_size: { type: 'size', default: '10m' },

  client_body_buffer_size: { type: 'size', default: '8k' },
  real_ip_header: { type: 'string', default: 'X-Real-IP' },
  real_ip_recursive: { type: 'ngx_boolean', default: 'off' },

  database: { type: 'enum', default: 'sqlite', values: ['sqlite', 'postgres', 'off'] },
  sqlite_path: { type: 'string', default: 'silverback.db' },

  pg_host: { type: 'string', default: '127.0.0.1' },
  pg_port: { type: 'number', default: '5432' },
  pg_database: { type: 'string', default: 'kong' },
  pg_schema: { type: 'string', default: 'NONE' },
  pg_timeout: { type: 'number', default: '5000' },
  pg_user: { type: 'string', default: 'kong' },
  pg_password: { type: 'string', default: 'NONE', secret: true },
  pg_ssl: { type: 'boolean', default: 'off' },
  pg_ssl_verify: { type: 'boolean', default: 'off' },
  pg_max_concurrent_queries: { type: 'number', default: '0' },
  pg_semaphore_timeout: { type: 'number', default: '60000' },
  pg_keepalive_timeout: { type: 'number', default: 'NONE' },
  pg_pool_size: { type: 'number', default: 'NONE' },
  pg_backlog: { type: 'number', default: 'NONE' },
  _debug_pg_ttl_cleanup_interval: { type: 'number', default: '300' },

  pg_ro_host: { type: 'string', default: 'NONE' },
  pg_ro_port: { type: 'number', default: 'NONE' },
  pg_ro_database: { type: 'string', default: 'NONE' },
  pg_ro_schema: { type: 'string', default: 'NONE' },
  pg_ro_timeout: { type: 'number', default: 'NONE' },
  pg_ro_user: { type: 'string', default: 'NONE' },
  pg_ro_password: { type: 'string', default: 'NONE', secret: true },
  pg_ro_ssl: { type: 'boolean', default: 'NONE' },
  pg_ro_ssl_verify: { type: 'boolean', default: 'NONE' },
  pg_ro_max_concurrent_queries: { type: 'number', default: 'NONE' },
  pg_ro_semaphore_timeout: { type: 'number', default: 'NONE' },
  pg_ro_keepalive_timeout: { type: 'number', default: 'NONE' },
  pg_ro_pool_size: { type: 'number', default: 'NONE' },
  pg_ro_backlog: { type: 'number', default: 'NONE' },

  declarative_config: { type: 'string', default: 'NONE' },
  declarative_config_string: { type: 'string', default: 'NONE', secret: true },
  /** Silverback only: DB-less Admin API writes, each persisted to declarative_config. */
  declarative_config_writable: { type: 'boolean', default: 'off' },

  db_update_frequency: { type: 'number', default: '5' },
  db_update_propagation: { type: 'number', default: '0' },
  db_cache_ttl: { type: 'number', default: '0' },
  db_cache_neg_ttl: { type: 'number', default: 'NONE' },
  db_resurrect_ttl: { type: 'number', default: '30' },
  db_cache_warmup_entities: { type: 'array', default: 'services' },

  dns_resolver: { type: 'array', default: 'NONE' },
  dns_hostsfile: { type: 'string', default: '/etc/hosts' },
  dns_order: { type: 'array', default: 'LAST,SRV,A,CNAME' },
  dns_valid_ttl: { type: 'number', default: 'NONE' },
  dns_stale_ttl: { type: 'number', default: '3600' },
  dns_cache_size: { type: 'number', default: '10000' },
  dns_not_found_ttl: { type: 'number', default: '30' },
  dns_error_ttl: { type: 'number', default: '1' },
  dns_no_sync: { type: 'boolean', default: 'off' },

  new_dns_client: { type: 'boolean', default: 'off' },

  resolver_address: { type: 'array', default: 'NONE' },
  resolver_hosts_file: { type: 'string', default: '/etc/hosts' },
  resolver_family: { type: 'array', default: 'A,SRV' },
  resolver_valid_ttl: { type: 'number', default: 'NONE' },
  resolver_stale_ttl: { type: 'number', default: '3600' },
  resolver_lru_cache_size: { type: 'number', default: '10000' },
  resolver_mem_cache_size: { type: 'size', default: '5m' },
  resolver_error_ttl: { type: 'number', default: '1' },

  dedicated_config_processing: { type: 'boolean', default: 'on' },
  worker_consistency: { type: 'enum', default: 'eventual', values: ['strict', 'eventual'] },
  worker_state_update_frequency: { type: 'number', default: '5' },

  router_flavor: {
    type: 'enum',
    default: 'traditional_compatible',
    values: ['traditional', 'traditional_compatible', 'expressions'],
  },

  lua_socket_pool_size: { type: 'number', default: '256' },
  lua_ssl_trusted_certificate: { type: 'array', default: 'system' },
  lua_ssl_verify_depth: { type: 'number', default: '1' },
  lua_ssl_protocols: { type: 'string', default: 'TLSv1.2 TLSv1.3' },
  lua_package_path: { type: 'string', default: './?.lua;./?/init.lua;' },
  lua_package_cpath: { type: 'string', default: 'NONE' },

  lua_max_req_headers: { type: 'number', default: '100' },
  lua_max_resp_headers: { type: 'number', default: '100' },
  lua_max_uri_args: { type: 'number', default: '100' },
  lua_max_post_args: { type: 'number', default: '100' },

  role: { type: 'enum', default: 'traditional', values: ['data_plane', 'control_plane', 'traditional'] },
  kic: { type: 'boolean', default: 'off' },
  pluginserver_names: { type: 'array', default: 'NONE' },

  untrusted_lua: { type: 'enum', default: 'sandbox', values: ['on', 'off', 'sandbox'] },
  untrusted_lua_sandbox_requires: { type: 'array', default: '' },
  untrusted_lua_sandbox_environment: { type: 'array', default: '' },

  admin_gui_url: { type: 'array', default: '' },
  admin_gui_path: { type: 'string', default: '/' },
  admin_gui_api_url: { type: 'string', default: 'NONE' },
  admin_gui_csp_header: { type: 'boolean', default: 'off' },

  openresty_path: { type: 'string', default: '' },

  opentelemetry_tracing: { type: 'array', default: 'off' },
  opentelemetry_tracing_sampling_rate: { type: 'number', default: '0.01' },
  tracing_instrumentations: { type: 'array', default: 'off' },
  tracing_sampling_rate: { type: 'number', default: '0.01' },

  wasm: { type: 'boolean', default: 'off' },
  wasm_filters_path: { type: 'string', default: 'NONE' },
  wasm_dynamic_module: { type: 'string', default: 'NONE' },
  wasm_filters: { type: 'array', default: 'bundled,user' },

  request_debug: { type: 'boolean', default: 'on' },
  request_debug_token: { type: 'string', default: '' },
} as const satisfies Record<string, PropertySpec>

export type PropertyName = keyof typeof PROPERTIES

/** Every property name, in table order. */
export const PROPERTY_NAMES = Object.keys(PROPERTIES) as PropertyName[]

export function isProperty(name: string): name is PropertyName {
  return Object.hasOwn(PROPERTIES, name)
}

export function propertySpec(name: string): PropertySpec | undefined {
  return isProperty(name) ? PROPERTIES[name] : undefined
}

/** `NONE` and an empty text both mean "no value" in the defaults table. */
export function isUnsetDefault(text: string): boolean {
  return text === 'NONE' || text === ''
}

/** Files searched, in order, when no configuration file is given (Kong's DEFAULT_PATHS). */
export const DEFAULT_CONF_PATHS: readonly string[] = ['/etc/kong/kong.conf', '/etc/kong.conf']
