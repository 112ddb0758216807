// Hybrid mode (role = control_plane | data_plane) constraints and cluster settings, with Kong's
// messages. Silverback counts its embedded sqlite store as a database here: only `off` is in-memory.
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { loadFailure, loadPem } from './certificates.js'
import type { Conf } from './types.js'
import type { ValidationContext } from './validate-context.js'

const isOff = (listen: readonly string[]) => listen.length < 1 || listen[0].trim() === 'off'

export function validateHybrid(conf: Conf, ctx: ValidationContext) {
  const { errors } = ctx
  const hybrid = conf.role === 'control_plane' || conf.role === 'data_plane'

  if (hybrid) {
    if (conf.cluster_cert === null || conf.cluster_cert_key === null) {
      errors.push('cluster certificate and key must be provided to use Hybrid mode')
    } else {
      conf.cluster_cert = loadCluster(conf.cluster_cert, 'cluster_cert', 'certificate', ctx)
      conf.cluster_cert_key = loadCluster(conf.cluster_cert_key, 'cluster_cert_key', 'key', ctx)
    }
    if (conf.cluster_ca_cert !== null) {
      conf.cluster_ca_cert = loadCluster(conf.cluster_ca_cert, 'cluster_ca_cert', 'certificate', ctx)
    }
  } else {
    // Not used in this role; still give existing files an absolute path, as Kong does.
    for (const name of ['cluster_cert', 'cluster_cert_key', 'cluster_ca_cert'] as const) {
      const value = conf[name]
      if (value !== null && existsSync(resolve(ctx.cwd, value))) conf[name] = resolve(ctx.cwd, value)
    }
  }

  if (conf.role === 'control_plane') {
    if (isOff(conf.admin_listen)) errors.push('admin_listen must be specified when role = "control_plane"')
    if (conf.cluster_mtls === 'pki' && conf.cluster_ca_cert === null) {
      errors.push('cluster_ca_cert must be specified when cluster_mtls = "pki"')
    }
    if (isOff(conf.cluster_listen))
      errors.push('cluster_listen must be specified when role = "control_plane"')
    if (conf.database === 'off') errors.push('in-memory storage can not be used when role = "control_plane"')
    if (conf.cluster_use_proxy) errors.push('cluster_use_proxy can not be used when role = "control_plane"')
    if (conf.cluster_dp_labels.length > 0) {
      errors.push('cluster_dp_labels can not be used when role = "control_plane"')
    }
  } else if (conf.role === 'data_plane') {
    if (isOff(conf.proxy_listen)) errors.push('proxy_listen must be specified when role = "data_plane"')
    if (conf.database !== 'off') {
      errors.push(
        'only in-memory storage can be used when role = "data_plane"\nHint: set database = off in your kong.conf',
      )
    }
    // The data plane trusts the control plane's certificate (shared) or CA (pki).
    const trusted = conf.cluster_mtls === 'shared' ? conf.cluster_cert : conf.cluster_ca_cert
    // (Once only: a configuration read back from .kong_env already lists it.)
    if (trusted !== null && !conf.lua_ssl_trusted_certificate.includes(trusted)) {
      conf.lua_ssl_trusted_certificate.push(trusted)
    }
    if (conf.cluster_use_proxy && conf.proxy_server === null) {
      errors.push('cluster_use_proxy is turned on but no proxy_server is configured')
    }
    const labelError = validateLabels(conf.cluster_dp_labels)
    if (labelError) errors.push(labelError)
  } else if (conf.cluster_dp_labels.length > 0) {
    errors.push('cluster_dp_labels can only be used when role = "data_plane"')
  }

  if (conf.cluster_data_plane_purge_delay < 60) {
    errors.push('cluster_data_plane_purge_delay must be 60 or greater')
  }
  if (conf.cluster_max_payload < 4194304) {
    errors.push('cluster_max_payload must be 4194304 (4MB) or greater')
  }
}

function loadCluster(value: string, label: string, kind: 'certificate' | 'key', ctx: ValidationContext) {
  const loaded = loadPem(value, kind, ctx.cwd)
  if (loaded.error) ctx.errors.push(loadFailure(label, kind, loaded.value))
  return loaded.value
}

// Kong Labels AIP rules, with the patterns Kong prints in its messages.
const BASE_PATTERN = '[a-z0-9]([\\w\\.:-]*[a-z0-9]|)$'
const KEY_PATTERN = '(?!kong)(?!konnect)(?!insomnia)(?!mesh)(?!kic)' + BASE_PATTERN
const KEY_RE = new RegExp('^' + KEY_PATTERN, 'i')
const VALUE_RE = new RegExp('^' + BASE_PATTERN, 'i')

/** First problem of a cluster_dp_labels list (`key:value` items), or null. */
export function validateLabels(labels: readonly string[]): string | null {
  if (labels.length > 10) return 'labels validation failed: count exceeded 10 max elements'
  const entry = (text: string, re: RegExp, pattern: string) => {
    if (text === '' || text.length > 63) return `${text} must have between 1 and 63 characters`
    if (!re.test(text)) return `${text} is invalid. Must match pattern: ${pattern}`
    return null
  }
  for (const label of labels) {
    const colon = label.indexOf(':')
    const key = colon === -1 ? '' : label.slice(0, colon)
    const value = colon === -1 ? '' : label.slice(colon + 1)
    const keyError = entry(key, KEY_RE, KEY_PATTERN)
    if (keyError) return `label key validation failed: ${keyError}`
    const valueError = entry(value, VALUE_RE, BASE_PATTERN)
    if (valueError) return `label value validation failed: ${valueError}`
  }
  return null
}
