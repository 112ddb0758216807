// Renders schema definitions the way Kong's /schemas endpoints do: fields as an ordered array of
// single-key objects, attributes as written (functions dropped, patterns as their source),
// entity checks likewise. Kong Manager builds its forms from this.
import type { EntityCheck, Field, Fields } from '../../db/schema/field.js'

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

function value(v: unknown): Json | undefined {
  if (v === undefined || typeof v === 'function') return undefined
  if (v instanceof RegExp) return v.source
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf'
    return v as Json
  }
  if (Array.isArray(v)) return v.map((x) => value(x) ?? null)
  const out: Record<string, Json> = {}
  for (const [k, x] of Object.entries(v)) {
    const j = k === 'fields' ? fieldsJson(x as Fields) : value(x)
    if (j !== undefined) out[k] = j
  }
  return out
}

export function fieldJson(field: Field): Json {
  return value(field) ?? {}
}

export function fieldsJson(fields: Fields): Json[] {
  return Object.entries(fields).map(([name, f]) => ({ [name]: fieldJson(f) }))
}

export function entityChecksJson(checks: readonly EntityCheck[] | undefined): Json[] {
  return (checks ?? []).map((c) => value(c) ?? {})
}

export function schemaJson(def: { fields: Fields; entity_checks?: readonly EntityCheck[] }): {
  fields: Json[]
  entity_checks: Json[]
} {
  return { fields: fieldsJson(def.fields), entity_checks: entityChecksJson(def.entity_checks) }
}
