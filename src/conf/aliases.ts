// Properties that are two spellings of one setting, and properties that feed nginx directives.
// Both are resolved on the raw text, before values are typed, as Kong does.

/**
 * alias → replacement (Kong's CONF_PARSERS `alias`). Kong copies a value set on the alias to the
 * replacement when the replacement was not set. Silverback also copies the other way, so that both
 * spellings always hold the effective value (code reads `nginx_daemon`, users may write
 * `nginx_main_daemon`). When both are set, the value from the higher-precedence source wins, and
 * the replacement wins between sources of the same kind (in Kong it is the directive nginx receives).
 */
export const ALIASES: Readonly<Record<string, string>> = {
  nginx_user: 'nginx_main_user',
  nginx_daemon: 'nginx_main_daemon',
  nginx_worker_processes: 'nginx_main_worker_processes',
  real_ip_header: 'nginx_proxy_real_ip_header',
  real_ip_recursive: 'nginx_proxy_real_ip_recursive',
  opentelemetry_tracing: 'tracing_instrumentations',
  opentelemetry_tracing_sampling_rate: 'tracing_sampling_rate',
}

/** property → nginx directives that take its value unless set themselves (CONF_PARSERS `directives`). */
export const DIRECTIVES: Readonly<Record<string, readonly string[]>> = {
  ssl_protocols: ['nginx_http_ssl_protocols', 'nginx_stream_ssl_protocols'],
  ssl_prefer_server_ciphers: [
    'nginx_http_ssl_prefer_server_ciphers',
    'nginx_stream_ssl_prefer_server_ciphers',
  ],
  ssl_dhparam: ['nginx_http_ssl_dhparam', 'nginx_stream_ssl_dhparam'],
  ssl_session_tickets: ['nginx_http_ssl_session_tickets', 'nginx_stream_ssl_session_tickets'],
  ssl_session_timeout: ['nginx_http_ssl_session_timeout', 'nginx_stream_ssl_session_timeout'],
  lua_ssl_protocols: ['nginx_http_lua_ssl_protocols', 'nginx_stream_lua_ssl_protocols'],
}

/** Deprecated properties: a warning when set explicitly (Kong's CONF_PARSERS `deprecated`). */
export const DEPRECATED: Readonly<Record<string, { replacement?: string; value?: string }>> = {
  opentelemetry_tracing: { replacement: 'tracing_instrumentations' },
  opentelemetry_tracing_sampling_rate: { replacement: 'tracing_sampling_rate' },
  worker_consistency: { value: 'strict' },
}
