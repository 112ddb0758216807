// Property-specific checks of Kong's conf_loader (check_and_parse), run on the typed values, in
// Kong's order. Every problem is collected (`silverback check` lists them all). Certificate-like
// values are normalised in place, as Kong does.
import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import { validateHeaders } from './headers.js'
import type { Conf } from './types.js'
import type { ValidationContext } from './validate-context.js'
import { validateHybrid } from './validate-hybrid.js'
import { parsePortMaps, validateDns, validateProxyServer, validateTrustedIps } from './validate-network.js'
import {
  applyCipherSuite,
  validateClientCertificate,
  validateDhParam,
  validateListenerCertificates,
  validateTrustedCertificates,
} from './validate-tls.js'

/** Runs every check; returns the parsed port maps (Conf.host_ports). */
export function validateConf(conf: Conf, ctx: ValidationContext): Record<string, number> {
  validateTrustedCertificates(conf, ctx)
  const hostPorts = parsePortMaps(conf, ctx)
  validateListenerCertificates(conf, ctx)
  validateClientCertificate(conf, ctx)
  validateAdminGuiPath(conf, ctx)
  applyCipherSuite(conf, ctx)
  validateDhParam(conf, ctx)
  validateHeaders(conf, ctx)
  validateDns(conf, ctx)
  validateTrustedIps(conf, ctx)
  validatePostgres(conf, ctx)
  if (conf.worker_state_update_frequency <= 0) {
    ctx.errors.push('worker_state_update_frequency must be greater than 0')
  }
  validateProxyServer(conf, ctx)
  validateHybrid(conf, ctx)
  validateKeepalive(conf, ctx)
  validateTracing(conf, ctx)
  validateLuaLimits(conf, ctx)
  if (conf.node_id !== null && !UUID.test(conf.node_id)) ctx.errors.push('node_id must be a valid UUID')
  validateWasm(conf, ctx)
  warnings(conf, ctx)
  return hostPorts
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function validateAdminGuiPath(conf: Conf, ctx: ValidationContext) {
  const path = conf.admin_gui_path
  if (path === null) return
  if (!path.startsWith('/')) ctx.errors.push("admin_gui_path must start with a slash ('/')")
  if (/^\/.+\/$/.test(path)) ctx.errors.push("admin_gui_path must not end with a slash ('/')")
  if (/[^A-Za-z0-9\-_/]/.test(path)) {
    ctx.errors.push(
      "admin_gui_path can only contain letters, digits, hyphens ('-'), underscores ('_'), and slashes ('/')",
    )
  }
  if (path.includes('//')) ctx.errors.push("admin_gui_path must not contain continuous slashes ('/')")
}

const PG_POSITIVE_INTEGERS = [
  'pg_max_concurrent_queries',
  'pg_semaphore_timeout',
  'pg_keepalive_timeout',
  'pg_pool_size',
  'pg_backlog',
  'pg_ro_max_concurrent_queries',
  'pg_ro_semaphore_timeout',
  'pg_ro_keepalive_timeout',
  'pg_ro_pool_size',
  'pg_ro_backlog',
] as const

function validatePostgres(conf: Conf, ctx: ValidationContext) {
  for (const name of PG_POSITIVE_INTEGERS) {
    const value = conf[name]
    if (value === null) continue
    // Kong's wording: 0 is accepted although the message says "greater than 0".
    if (value < 0) ctx.errors.push(`${name} must be greater than 0`)
    if (!Number.isInteger(value)) ctx.errors.push(`${name} must be an integer greater than 0`)
  }
}

function validateKeepalive(conf: Conf, ctx: ValidationContext) {
  for (const name of [
    'upstream_keepalive_pool_size',
    'upstream_keepalive_max_requests',
    'upstream_keepalive_idle_timeout',
  ] as const) {
    if (conf[name] < 0) ctx.errors.push(`${name} must be 0 or greater`)
  }
}

/** Kong's tracing instrumentation types, plus its three keywords. */
const TRACING_TYPES = new Set([
  'off',
  'all',
  'request',
  'db_query',
  'dns_query',
  'router',
  'http_client',
  'balancer',
  'plugin_rewrite',
  'plugin_access',
  'plugin_header_filter',
  'create_span',
])

function validateTracing(conf: Conf, ctx: ValidationContext) {
  const types = conf.tracing_instrumentations
  if (types.length === 0) return
  for (const type of types) {
    if (!TRACING_TYPES.has(type)) ctx.errors.push(`invalid tracing type: ${type}`)
  }
  if (types.length > 1 && types.includes('off')) {
    ctx.errors.push('invalid tracing types: off, other types are mutually exclusive')
  }
  if (conf.tracing_sampling_rate < 0 || conf.tracing_sampling_rate > 1) {
    ctx.errors.push('tracing_sampling_rate must be between 0 and 1')
  }
}

function validateLuaLimits(conf: Conf, ctx: ValidationContext) {
  for (const name of [
    'lua_max_req_headers',
    'lua_max_resp_headers',
    'lua_max_uri_args',
    'lua_max_post_args',
  ] as const) {
    const value = conf[name]
    if (value < 1 || value > 1000 || !Number.isInteger(value)) {
      ctx.errors.push(`${name} must be an integer between 1 and 1000`)
    }
  }
}

function validateWasm(conf: Conf, ctx: ValidationContext) {
  const path = conf.wasm_filters_path
  if (!conf.wasm || path === null) return
  let isDirectory = false
  try {
    isDirectory = statSync(resolve(ctx.cwd, path)).isDirectory()
  } catch {
    isDirectory = false
  }
  if (!isDirectory) ctx.errors.push(`wasm_filters_path '${path}' is not a valid directory`)
}

function warnings(conf: Conf, ctx: ValidationContext) {
  const off = (listen: readonly string[]) => listen.length < 1 || listen[0].trim() === 'off'
  if (off(conf.admin_listen) && !off(conf.admin_gui_listen)) {
    ctx.warnings.push(
      "Kong Manager won't be functional because the Admin API is not listened on any interface",
    )
  }
  if (conf.cluster_rpc_sync && !conf.cluster_rpc) {
    ctx.warnings.push('Cluster rpc sync has been forcibly disabled, please enable cluster RPC.')
    conf.cluster_rpc_sync = false
  }
}
