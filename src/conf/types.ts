// The typed configuration. Property types are derived from the table in defaults.ts, so adding a
// property there types it here; values computed after loading (parsed listeners, enabled headers...)
// are declared in DerivedConf.
import type { PROPERTIES } from './defaults.js'

/** Where a value came from, lowest precedence first. */
export type ValueSource = 'default' | 'file' | 'env' | 'override'

/** One parsed `*_listen` entry (listeners.ts). */
export interface Listener {
  /** Address without brackets (`::1`), or a hostname. */
  ip: string
  port: number
  ssl: boolean
  http2: boolean
  proxy_protocol: boolean
  deferred: boolean
  bind: boolean
  reuseport: boolean
  /** Stream listeners only. */
  udp: boolean
  backlog?: number
  ipv6only?: 'on' | 'off'
  /** `on`, `off` or `<idle>:<intvl>:<cnt>`. */
  so_keepalive?: string
  /** Kong's normalised form: `<ip>:<port>` plus the flags it forwards to nginx (not `http2`). */
  listener: string
}

type Unset = 'NONE' | ''
type NullIfUnset<S, T> = S extends { default: Unset } ? T | null : T

// A string property with a real default cannot be unset (loading reports an error), except nginx
// directives, where unsetting removes the directive as it does in Kong.
type ValueOf<K, S> = S extends { type: 'array' }
  ? string[]
  : S extends { type: 'boolean' | 'ngx_boolean' }
    ? NullIfUnset<S, boolean>
    : S extends { type: 'number' }
      ? NullIfUnset<S, number>
      : S extends { type: 'workers' }
        ? 'auto' | number
        : S extends { type: 'enum'; values: readonly (infer V)[] }
          ? V
          : S extends { type: 'size' }
            ? string
            : K extends `nginx_${string}`
              ? string | null
              : NullIfUnset<S, string>

type Table = typeof PROPERTIES

/** Typed values of every table property (host_ports is replaced by its parsed form). */
export type PropertyValues = {
  -readonly [K in Exclude<keyof Table, 'host_ports'>]: ValueOf<K, Table[K]>
}

/** Values computed from the properties after validation. */
export interface DerivedConf {
  proxy_listeners: Listener[]
  stream_listeners: Listener[]
  admin_listeners: Listener[]
  admin_gui_listeners: Listener[]
  status_listeners: Listener[]
  cluster_listeners: Listener[]
  proxy_ssl_enabled: boolean
  stream_proxy_ssl_enabled: boolean
  admin_ssl_enabled: boolean
  admin_gui_ssl_enabled: boolean
  status_ssl_enabled: boolean
  /** Response headers by canonical name (`Server`, `Via`, `X-Kong-Proxy-Latency`...) → enabled. */
  enabled_headers: Record<string, boolean>
  /** Upstream request headers (`X-Kong-Request-Id`) → enabled. */
  enabled_headers_upstream: Record<string, boolean>
  /** From port_maps: container port (as text) → externally visible port. */
  host_ports: Record<string, number>
  /** `scheme://host[:port]` of each admin_gui_url entry (allowed CORS origins of the Admin API). */
  admin_gui_origin: string[]
  /** `<prefix>/.kong_env`. */
  kong_env: string
  /** Generated default certificates under `<prefix>/ssl/` (used when the *_ssl_cert lists are empty). */
  ssl_cert_default: string
  ssl_cert_key_default: string
  ssl_cert_default_ecdsa: string
  ssl_cert_key_default_ecdsa: string
  admin_ssl_cert_default: string
  admin_ssl_cert_key_default: string
  admin_ssl_cert_default_ecdsa: string
  admin_ssl_cert_key_default_ecdsa: string
  admin_gui_ssl_cert_default: string
  admin_gui_ssl_cert_key_default: string
  admin_gui_ssl_cert_default_ecdsa: string
  admin_gui_ssl_cert_key_default_ecdsa: string
  status_ssl_cert_default: string
  status_ssl_cert_key_default: string
  status_ssl_cert_default_ecdsa: string
  status_ssl_cert_key_default_ecdsa: string
}

/**
 * The effective configuration. Paths are absolute: `prefix` and `declarative_config` resolved
 * against the working directory, `sqlite_path`, `lmdb_environment_path` and the log files against
 * the prefix. Dynamic-namespace names (`nginx_http_*`, `vault_*`...) are present as text when set.
 */
export interface Conf extends PropertyValues, DerivedConf {
  [name: string]: unknown
}
