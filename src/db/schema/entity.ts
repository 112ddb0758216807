// An entity schema: a record definition plus what the store and the Admin API need to know
// (primary key, endpoint key, composite uniqueness, Admin API path names).
import type { Field, Fields, RecordValue } from './field.js'
import type { RecordDefinition, SubschemaDefinition } from './record.js'

export interface EntityDefinition<F extends Fields = Fields> extends RecordDefinition {
  /** Entity (table) name, e.g. `services`, `keyauth_credentials`. */
  name: string
  fields: F
  primary_key: readonly string[]
  /** Alternative unique field that identifies an entity in Admin API paths (`name`, `username`). */
  endpoint_key?: string
  /** Fields whose combination is unique (plugins: name+route+service+consumer). */
  cache_key?: readonly string[]
  /** Admin API collection segment when it differs from `name` (`key-sets`). */
  admin_api_name?: string
  /** Segment used when nested under a parent (`/consumers/{c}/key-auth`). */
  admin_api_nested_name?: string
  /**
   * Field that, with the parent, also addresses a nested entity: `/consumers/{c}/acls/{x}` takes
   * `{x}` as the id or the `group` (the cache_key is `[parent, field]`); PUT creates it if absent.
   */
  admin_api_nested_key?: string
  /** False for entities without generated Admin API endpoints. */
  generate_admin_api?: boolean
  /** Entities that belong to the (single) workspace. */
  workspaceable?: boolean
  /** Included in declarative exports (default true). */
  db_export?: boolean
}

export interface EntitySchema<F extends Fields = Fields> extends EntityDefinition<F> {
  /** Admin API collection segment. */
  readonly apiName: string
  /** Names of the `foreign` fields, in schema order. */
  readonly foreignFields: readonly string[]
  /** Names of the fields with `unique: true`, in schema order. */
  readonly uniqueFields: readonly string[]
}

/** Records in entities are required unless they say otherwise (Kong's make_records_required). */
function requireRecord(field: Field): Field {
  if (field.type !== 'record') return field
  const fields: Record<string, Field> = {}
  for (const [k, v] of Object.entries(field.fields ?? {})) fields[k] = requireRecord(v)
  return { ...field, required: field.required ?? true, fields }
}

export function requireRecords<F extends Fields>(fields: F): F {
  const out: Record<string, Field> = {}
  for (const [k, v] of Object.entries(fields)) out[k] = requireRecord(v)
  return out as F
}

export function prepareSubschema(sub: SubschemaDefinition): SubschemaDefinition {
  return { ...sub, fields: requireRecords(sub.fields) }
}

export function defineEntity<const F extends Fields>(input: EntityDefinition<F>): EntitySchema<F> {
  const def: EntityDefinition<F> = { ...input, fields: requireRecords(input.fields) }
  if (input.subschemas) {
    const subs: Record<string, SubschemaDefinition> = {}
    for (const [k, v] of Object.entries(input.subschemas)) subs[k] = prepareSubschema(v)
    def.subschemas = subs
  }
  const foreignFields = Object.entries(def.fields)
    .filter(([, f]) => f.type === 'foreign')
    .map(([k]) => k)
  const uniqueFields = Object.entries(def.fields)
    .filter(([, f]) => f.unique)
    .map(([k]) => k)
  return { ...def, apiName: def.admin_api_name ?? def.name, foreignFields, uniqueFields }
}

/** The TypeScript type of an entity, derived from its schema. */
export type EntityOf<S> = S extends EntitySchema<infer F> ? RecordValue<F> : never
