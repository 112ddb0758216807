// Masking of secret values for display (`GET /` configuration, `--vv`). Kong's CONF_SENSITIVE list,
// widened by name patterns so that passwords, tokens and keys of any property (including dynamic
// `vault_*` or plugin-server settings) are never printed.

import { propertySpec } from './defaults.js'
import { confMeta } from './meta.js'
import { splitList } from './parse.js'
import type { Conf } from './types.js'

export const SECRET_PLACEHOLDER = '******'

const SECRET_PATTERNS = [/_cert_key$/, /_private_key$/, /(^|_)(password|passwd|secret|token)(_|$)/]

/** Kong's sensitive names (debug_ssl_cert_key is Kong Enterprise, covered by the pattern too). */
const SENSITIVE = new Set(['pg_password', 'pg_ro_password', 'proxy_server', 'declarative_config_string'])

export function isSecret(name: string): boolean {
  return (
    propertySpec(name)?.secret === true || SENSITIVE.has(name) || SECRET_PATTERNS.some((re) => re.test(name))
  )
}

/**
 * A copy of the configuration for display: secrets replaced by `******` (list secrets always, as
 * Kong does, scalar secrets when set), and values that came from vault references shown as the
 * references rather than the resolved text.
 */
export function maskSecrets(conf: Conf): Conf {
  const refs = confMeta(conf)?.refs
  // A deep copy: callers may hand it to serialisers or mutate it without touching the live configuration.
  const masked: Conf = structuredClone(conf)
  for (const [name, value] of Object.entries(conf)) {
    if (isSecret(name)) {
      if (value !== null && value !== undefined) masked[name] = SECRET_PLACEHOLDER
      continue
    }
    const ref = refs?.get(name)
    if (ref !== undefined) masked[name] = Array.isArray(value) ? splitList(ref) : ref.trim()
  }
  return masked
}
