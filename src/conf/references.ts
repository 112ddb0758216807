// Resolution of vault references in the merged raw values, before typing. List properties are split
// first so that each item may be a reference (`ssl_cert = {vault://env/a}, {vault://env/b}`).
import { isUnsetDefault, propertySpec } from './defaults.js'
import { splitList } from './parse.js'
import type { RawConf } from './sources.js'
import type { RawValue } from './values.js'
import { isReference, loadedVaults, resolveReference, type VaultContext } from './vault.js'

export interface ResolvedValues {
  values: Map<string, RawValue>
  /** Original text of every property that held a reference (kept for .kong_env and masking). */
  refs: Map<string, string>
}

export function resolveReferences(
  raw: RawConf,
  env: NodeJS.ProcessEnv,
  errors: string[],
  ignoreUnresolved = false,
): ResolvedValues {
  const ctx: VaultContext = {
    env,
    vaults: loadedVaults(splitList(raw.get('vaults')?.text ?? '')),
    envPrefix: raw.get('vault_env_prefix')?.text || undefined,
  }
  const values = new Map<string, RawValue>()
  const refs = new Map<string, string>()

  const deref = (reference: string, option: string): string | null => {
    const result = resolveReference(reference, ctx)
    if (result.ok) return result.value
    if (!ignoreUnresolved) {
      errors.push(`failed to dereference '${reference}': ${result.error} for config option '${option}'`)
    }
    return null
  }

  for (const [name, { text }] of raw) {
    if (propertySpec(name)?.type === 'array') {
      const items = splitList(text)
      if (!items.some(isReference)) {
        values.set(name, items)
        continue
      }
      refs.set(name, text)
      const resolved: string[] = []
      items.forEach((item, i) => {
        // Kong numbers list items from 1 in this message.
        const value = isReference(item) ? deref(item, `${name}[${i + 1}]`) : item
        if (value !== null) resolved.push(value)
      })
      values.set(name, resolved)
    } else {
      const trimmed = text.trim()
      if (!isReference(trimmed)) {
        values.set(name, text)
        continue
      }
      refs.set(name, text)
      // An unresolved reference falls back to the default, so that it is reported once and not
      // again as a type error.
      const fallback = propertySpec(name)?.default ?? ''
      values.set(name, deref(trimmed, name) ?? (isUnsetDefault(fallback) ? '' : fallback))
    }
  }
  return { values, refs }
}
