// Typed configuration values back to kong.conf text (the inverse of values.ts): booleans as on/off,
// lists joined with ", ". Used for `.kong_env` and for printing values.
import { DEPRECATED } from './aliases.js'
import { isUnsetDefault, PROPERTY_NAMES, propertySpec } from './defaults.js'
import { confMeta } from './meta.js'
import { isDynamicName } from './namespaces.js'
import type { Conf } from './types.js'

/** Text of a value; null when it has no value (null, empty list) or is not a property value. */
export function valueToText(value: unknown): string | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'boolean') return value ? 'on' : 'off'
  if (typeof value === 'number') return String(value)
  if (typeof value === 'string') return value
  if (Array.isArray(value)) return value.length === 0 ? null : value.map(String).join(', ')
  return null
}

/**
 * The effective configuration as `[name, text]` pairs: the table properties, then the dynamic
 * names, sorted. Values that came from vault references are given as the references, so that
 * resolved secrets are not written out. A property without value is listed with an empty text when
 * its default is not empty (so that reading the text back does not restore the default), and left
 * out otherwise.
 */
export function confToEntries(conf: Conf): [string, string][] {
  const refs = confMeta(conf)?.refs
  const entries: [string, string][] = []
  const add = (name: string) => {
    const text = refs?.get(name) ?? valueToText(conf[name])
    if (text !== null && text !== '') entries.push([name, text])
    else if (!isUnsetDefault(propertySpec(name)?.default ?? '')) entries.push([name, ''])
  }
  for (const name of PROPERTY_NAMES) {
    // host_ports is recomputed from port_maps on every load; a deprecated alias holds the same
    // value as its replacement, and writing it would only bring its warning back on every read.
    if (name !== 'host_ports' && !DEPRECATED[name]?.replacement) add(name)
  }
  const dynamic = Object.keys(conf).filter((name) => isDynamicName(name) && !propertySpec(name))
  for (const name of dynamic.sort()) add(name)
  return entries
}
