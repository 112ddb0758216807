// A record definition: the unit the validator works on. Entities, nested records (plugin
// `config`, upstream `healthchecks`) and subschemas are all records.
import type { EntityCheck, Field, Fields } from './field.js'

/** Input-only field expanded into real fields before validation (e.g. a service's `url`). */
export interface ShorthandField {
  field: Field
  /** Returns the fields to set from the shorthand value. */
  expand: (value: never) => Record<string, unknown>
}

export interface SubschemaDefinition {
  name: string
  /** Overrides of parent fields (same type, stricter attributes). */
  fields: Fields
  entity_checks?: readonly EntityCheck[]
}

export interface RecordDefinition {
  fields: Fields
  entity_checks?: readonly EntityCheck[]
  /** Field whose value selects a subschema (routes: `protocols`; plugins: `name`). */
  subschema_key?: string
  subschemas?: Readonly<Record<string, SubschemaDefinition>>
  /** Message when no subschema matches the key (default `unknown type: %s`). */
  subschema_error?: string
  shorthand_fields?: Readonly<Record<string, ShorthandField>>
  /** Entities with expiry accept a `ttl` input that is not a schema field. */
  ttl?: boolean
}

export type FieldErrorTree = string | FieldErrorArray | FieldErrors
export type FieldErrorArray = (FieldErrorTree | null)[]
export interface FieldErrors {
  [field: string]: FieldErrorTree | string[] | undefined
}

const recordDefs = new WeakMap<Field, RecordDefinition>()

/** The record definition of a `record` field (cached per field object). */
export function recordOf(field: Field): RecordDefinition {
  let def = recordDefs.get(field)
  if (!def) {
    def = {
      fields: field.fields ?? {},
      entity_checks: field.entity_checks,
      shorthand_fields: field.shorthand_fields,
    }
    recordDefs.set(field, def)
  }
  return def
}

export function getSubschema(
  def: RecordDefinition,
  input: Record<string, unknown>,
): SubschemaDefinition | undefined {
  if (!def.subschemas || !def.subschema_key) return undefined
  const key = input[def.subschema_key]
  if (typeof key === 'string') return def.subschemas[key]
  if (Array.isArray(key)) {
    for (const k of key) {
      if (typeof k === 'string' && def.subschemas[k]) return def.subschemas[k]
    }
  }
  return undefined
}

/** The field definition for `name`, with the subschema's override when there is one. */
export function resolveField(
  def: RecordDefinition,
  name: string,
  subschema: SubschemaDefinition | undefined,
): Field | undefined {
  const base = Object.hasOwn(def.fields, name) ? def.fields[name] : undefined
  if (!base) return undefined
  if (subschema && Object.hasOwn(subschema.fields, name)) return subschema.fields[name]
  return base
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Kong treats strings, empty aggregates, null and missing values as "empty". */
export function isNonEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false
  if (Array.isArray(value)) return value.length > 0
  if (typeof value === 'object') return Object.keys(value as object).length > 0
  return true
}

/** `getPath(t, 'a.b')` is `t.a.b` (undefined when a level is missing or null). */
export function getPath(tbl: unknown, name: string): unknown {
  let cur: unknown = tbl
  for (const part of name.split('.')) {
    if (!isPlainObject(cur)) return undefined
    cur = cur[part]
  }
  return cur
}

export function setPath(tbl: Record<string, unknown>, name: string, value: unknown): void {
  const parts = name.split('.')
  let cur = tbl
  for (let i = 0; i < parts.length - 1; i++) {
    const next = cur[parts[i]]
    if (isPlainObject(next)) cur = next
    else {
      const created: Record<string, unknown> = {}
      cur[parts[i]] = created
      cur = created
    }
  }
  cur[parts[parts.length - 1]] = value
}

export function getSchemaField(def: RecordDefinition, name: string): Field | undefined {
  const dot = name.indexOf('.')
  if (dot === -1) return Object.hasOwn(def.fields, name) ? def.fields[name] : undefined
  const head = def.fields[name.slice(0, dot)]
  if (head?.type !== 'record') return undefined
  return getSchemaField(recordOf(head), name.slice(dot + 1))
}

export function deepCopy<T>(value: T): T {
  if (Array.isArray(value)) return value.map(deepCopy) as T
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(value)) out[k] = deepCopy(value[k])
    return out as T
  }
  return value
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    return a.every((v, i) => deepEqual(v, b[i]))
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a)
    if (ka.length !== Object.keys(b).length) return false
    return ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]))
  }
  return false
}
