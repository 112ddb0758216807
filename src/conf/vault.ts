// Vault references in configuration values: `{vault://env/<name>}` and `{vault://env/<name>/<key>}`
// (the variable holds a JSON object; `<key>` selects a string field), resolved at load time.
//
// Only the `env` vault exists at this level (Kong's bundled one). Its lookup rule is Kong's: the
// variable name is the optional prefix (`vault_env_prefix`, or `?prefix=` in the reference) followed
// by the resource, upper-cased, with `-` turned into `_`; version 2 (`#2`) reads `<NAME>_PREVIOUS`.

export interface VaultReference {
  /** Vault name (`env`). */
  name: string
  resource: string
  key?: string
  /** Query parameters of the reference (`?prefix=SECRET_`). */
  config: Record<string, string>
  version?: number
}

/** Kong's test: the whole value is `{vault://...}`. */
export function isReference(value: string): boolean {
  return value.startsWith('{vault://') && value.endsWith('}')
}

/** Parses a reference, or returns an error text (Kong's wording). */
export function parseReference(reference: string): VaultReference | string {
  if (!isReference(reference)) return `not a reference [${reference}]`
  let url: URL
  try {
    url = new URL(reference.slice(1, -1))
  } catch {
    return `reference is not url [${reference}]`
  }
  const name = url.hostname
  if (name === '') return `reference url is missing host [${reference}]`
  const path = url.pathname.replace(/^\//, '')
  if (path === '') return `reference url has empty path [${reference}]`

  let version: number | undefined
  if (url.hash !== '') {
    version = Number(url.hash.slice(1))
    if (!Number.isInteger(version)) return `reference url has invalid version [${reference}]`
  }

  // A trailing slash names a "directory" resource with no key; otherwise the last segment is the key.
  const parts = path.split('/')
  let resource: string
  let key: string | undefined
  try {
    if (parts.length === 1 || path.endsWith('/')) {
      resource = decodeURIComponent(path.replace(/\/$/, ''))
    } else {
      resource = decodeURIComponent(parts.slice(0, -1).join('/'))
      key = decodeURIComponent(parts[parts.length - 1])
    }
  } catch {
    // A malformed %-escape.
    return `reference url has invalid path [${reference}]`
  }
  const config: Record<string, string> = {}
  for (const [k, v] of url.searchParams) config[k] = v
  return { name, resource, key, config, version }
}

export interface VaultContext {
  env: NodeJS.ProcessEnv
  /** Names of the loaded vaults (from the `vaults` property). */
  vaults: ReadonlySet<string>
  /** `vault_env_prefix`, when set. */
  envPrefix?: string
}

/** The variable the env vault reads for a reference. */
export function envVariableName(ref: VaultReference, defaultPrefix?: string): string {
  const prefix = ref.config.prefix ?? defaultPrefix ?? ''
  const name = (prefix + ref.resource).replace(/-/g, '_').toUpperCase()
  return ref.version === 2 ? `${name}_PREVIOUS` : name
}

/** The referenced value, or an error text. */
export function resolveReference(
  reference: string,
  ctx: VaultContext,
): { ok: true; value: string } | { ok: false; error: string } {
  const ref = parseReference(reference)
  if (typeof ref === 'string') return { ok: false, error: ref }
  if (ref.name !== 'env' || !ctx.vaults.has('env')) {
    return { ok: false, error: `could not find vault (${ref.name})` }
  }
  const value = ctx.env[envVariableName(ref, ctx.envPrefix)]
  if (value === undefined) {
    return { ok: false, error: 'could not get value from external vault (no value found)' }
  }
  if (ref.key === undefined) return { ok: true, value }

  let json: unknown
  try {
    json = JSON.parse(value)
  } catch (err) {
    return {
      ok: false,
      error: `could not get subfield value: unable to json decode value (${errorText(err)})`,
    }
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return { ok: false, error: 'could not get subfield value: unable to json decode value (not an object)' }
  }
  const field = (json as Record<string, unknown>)[ref.key]
  if (field === undefined) {
    return { ok: false, error: `could not get subfield value: subfield ${ref.key} not found in JSON secret` }
  }
  if (typeof field !== 'string') {
    return {
      ok: false,
      error: `could not get subfield value: unexpected ${typeof field} value in JSON secret for subfield ${ref.key}`,
    }
  }
  return { ok: true, value: field }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** Vault names loaded by a `vaults` list (`bundled` = env; `off` = none). */
export function loadedVaults(vaults: readonly string[]): Set<string> {
  const loaded = new Set<string>()
  if (vaults.length === 0 || vaults[0] === 'off') return loaded
  for (const name of vaults) {
    if (name === 'bundled') loaded.add('env')
    else if (name !== 'off') loaded.add(name)
  }
  return loaded
}
