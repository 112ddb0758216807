// Merging of the configuration sources into raw text, lowest precedence first:
//   defaults < file (.kong_env, then the configuration file) < KONG_* environment < overrides
// Each value remembers its source so that callers can tell explicit settings from defaults.
import { ALIASES, DIRECTIVES } from './aliases.js'
import { isUnsetDefault, PROPERTIES, PROPERTY_NAMES } from './defaults.js'
import { isAcceptedName, isDynamicName } from './namespaces.js'
import type { ConfEntry } from './parse.js'
import type { ValueSource } from './types.js'

export interface RawEntry {
  text: string
  source: ValueSource
  /** Set on a value copied from another property (alias): problems are reported on the original. */
  copiedFrom?: string
}

export type RawConf = Map<string, RawEntry>

export function defaultsRaw(): RawConf {
  const raw: RawConf = new Map()
  for (const name of PROPERTY_NAMES) {
    const text: string = PROPERTIES[name].default
    raw.set(name, { text: isUnsetDefault(text) ? '' : text, source: 'default' })
  }
  return raw
}

/** File entries; unknown names are reported and skipped. */
export function applyFileEntries(
  raw: RawConf,
  entries: readonly ConfEntry[],
  file: string,
  warnings: string[],
) {
  for (const { name, value } of entries) {
    if (isAcceptedName(name)) raw.set(name, { text: value, source: 'file' })
    else warnings.push(`unknown property '${name}' in ${file} (ignored)`)
  }
}

/**
 * `KONG_<NAME>` for every table property and for dynamic-namespace names (`KONG_NGINX_HTTP_...`).
 * Other KONG_* variables (KONG_VERSION in container images...) are none of our business.
 */
export function applyEnv(raw: RawConf, env: NodeJS.ProcessEnv) {
  for (const name of PROPERTY_NAMES) {
    const value = env[`KONG_${name.toUpperCase()}`]
    if (value !== undefined) raw.set(name, { text: value, source: 'env' })
  }
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined || !key.startsWith('KONG_')) continue
    const name = key.slice(5).toLowerCase()
    // Only the upper-case spelling counts, as Kong reads the variable back as KONG_<UPPER NAME>.
    if (isDynamicName(name) && key === `KONG_${name.toUpperCase()}`) {
      raw.set(name, { text: value, source: 'env' })
    }
  }
}

export function applyOverrides(
  raw: RawConf,
  overrides: Readonly<Record<string, string>>,
  warnings: string[],
) {
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) continue
    if (isAcceptedName(name)) raw.set(name, { text: value, source: 'override' })
    else warnings.push(`unknown property '${name}' in overrides (ignored)`)
  }
}

const isExplicit = (entry: RawEntry | undefined) => entry !== undefined && entry.source !== 'default'

const RANK: Record<ValueSource, number> = { default: 0, file: 1, env: 2, override: 3 }

/**
 * Makes both spellings of an aliased setting hold the effective value (see ALIASES): the one from
 * the higher-precedence source, or the replacement (nginx_main_*...) when both come from the same
 * kind of source. Kong would keep the replacement even against a higher-precedence alias
 * (KONG_NGINX_WORKER_PROCESSES losing to the file's nginx_main_worker_processes), which surprises.
 */
export function applyAliases(raw: RawConf) {
  for (const [alias, replacement] of Object.entries(ALIASES)) {
    const a = raw.get(alias)
    const r = raw.get(replacement)
    if (!a || !r || (!isExplicit(a) && !isExplicit(r))) continue
    if (RANK[a.source] > RANK[r.source]) raw.set(replacement, { ...a, copiedFrom: alias })
    else raw.set(alias, { ...r, copiedFrom: replacement })
  }
}

/** Feeds nginx directives from their property unless the directive itself was set. */
export function applyDirectives(raw: RawConf) {
  for (const [property, directives] of Object.entries(DIRECTIVES)) {
    const value = raw.get(property)
    if (!value) continue
    for (const directive of directives) {
      if (!isExplicit(raw.get(directive))) raw.set(directive, { ...value, copiedFrom: property })
    }
  }
}
