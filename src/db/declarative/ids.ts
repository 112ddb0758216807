// Identifiers of declared entities (declarative.md §5). An entity without an explicit id gets a
// deterministic UUID v5 when it has a stable natural key (its cache key, else its unique endpoint
// key), so that the same file always yields the same ids; otherwise a random one is assigned
// later, with the other auto fields.
import { randomUUID } from 'node:crypto'
import type { EntitySchema } from '../schema/entity.js'
import { isPlainObject } from '../schema/record.js'
import type { DeclarativeModel } from './model.js'
import { entityUuid } from './uuid.js'
import { type ParentLink, walkEntities } from './walk.js'

/** Workspace part of keys: entities of a declarative file carry no workspace (Kong's `*`). */
const ANY_WORKSPACE = '*'

/** The primary key of a parent as it is written into its nested children. */
export function primaryKeyOf(schema: EntitySchema, item: Record<string, unknown>): Record<string, unknown> {
  const pk: Record<string, unknown> = {}
  for (const k of schema.primary_key) if (item[k] !== undefined) pk[k] = item[k]
  return pk
}

/**
 * `T:*:v1:v2…` over the cache-key fields, or undefined when no stable key exists: a field is
 * auto-generated, or a required one is absent. A string is used as written (a reference by
 * name stays a name); the absent foreign key of a nested entry is its parent's id; other absent
 * optional fields are empty. Values of other types (a `{id}` object, null) are skipped, as Kong
 * does.
 */
function cacheKeyString(
  schema: EntitySchema,
  item: Record<string, unknown>,
  parent: ParentLink | undefined,
  parentSchema: EntitySchema | undefined,
): string | undefined {
  const parts = [schema.name, ANY_WORKSPACE]
  for (const k of schema.cache_key ?? []) {
    const field = schema.fields[k]
    const value = item[k]
    if (field.auto) return undefined
    if (typeof value === 'string') parts.push(value)
    else if (value === undefined) {
      if (parent && k === parent.foreignKey) {
        const pk = primaryKeyOf(parentSchema!, parent.item)
        const keys = Object.keys(pk)
        if (keys.length !== 1 || keys[0] !== 'id' || typeof pk.id !== 'string') return undefined
        parts.push(pk.id)
      } else if (field.required) return undefined
      else parts.push('')
    }
  }
  return parts.join(':')
}

/** The key an entity's deterministic id is derived from, if it has one. */
function idKey(
  model: DeclarativeModel,
  entity: string,
  item: Record<string, unknown>,
  parent: ParentLink | undefined,
): string | undefined {
  const schema = model.schema(entity)
  if (schema.primary_key.length !== 1) return undefined
  const pkName = schema.primary_key[0]
  if (item[pkName] !== undefined || schema.fields[pkName]?.uuid !== true) return undefined
  const parentSchema = parent ? model.schema(parent.entity) : undefined
  if (schema.cache_key) return cacheKeyString(schema, item, parent, parentSchema)

  const endpointKey = schema.endpoint_key
  const value = endpointKey ? item[endpointKey] : undefined
  if (!endpointKey || typeof value !== 'string') return undefined
  if (schema.fields[endpointKey].unique) return value
  // A non-unique endpoint key is unique per parent (cascading foreign keys) and workspace.
  let key = value
  for (const fk of schema.foreignFields) {
    const field = schema.fields[fk]
    if (field.on_delete !== 'cascade') continue
    if (parent && parentSchema) {
      for (const k of parentSchema.primary_key) key += `:${String(parent.item[k])}`
    } else {
      const ref = item[fk]
      key += `:${isPlainObject(ref) ? String(ref.id) : String(ref)}`
    }
  }
  return `${key}:${ANY_WORKSPACE}`
}

/** Assigns deterministic ids in place, parents before their nested children (§4 step 4). */
export function assignDeterministicIds(model: DeclarativeModel, doc: Record<string, unknown>): void {
  walkEntities(model, doc, {
    enter({ entity, item, parent }) {
      const key = idKey(model, entity, item, parent)
      if (key !== undefined) item[model.schema(entity).primary_key[0]] = entityUuid(entity, key)
    },
  })
}

/**
 * Prepares a copy of the document for the full-schema validation pass (Kong's
 * `populate_ids_for_validation`): every entity gets an id (deterministic or random), nested
 * entries get their parent's key, and foreign keys written as strings are replaced by the `{id}`
 * of the entity they name, when it exists in the document.
 */
export function resolveForValidation(model: DeclarativeModel, doc: Record<string, unknown>): void {
  const byId = new Map<string, Map<string, Record<string, unknown>>>()
  const byKey = new Map<string, Map<string, Record<string, unknown>>>()
  const registered: [string, Record<string, unknown>][] = []
  const index = (maps: typeof byId, entity: string) => {
    let m = maps.get(entity)
    if (!m) {
      m = new Map()
      maps.set(entity, m)
    }
    return m
  }

  walkEntities(model, doc, {
    enter({ entity, item, parent }) {
      const schema = model.schema(entity)
      const pkName = schema.primary_key[0]
      if (schema.primary_key.length === 1 && item[pkName] === undefined) {
        const key = idKey(model, entity, item, parent)
        item[pkName] = key !== undefined ? entityUuid(entity, key) : randomUUID()
      }
    },
    leave({ entity, item, parent }) {
      const schema = model.schema(entity)
      index(byId, entity).set(pkString(schema, item), item)
      const endpointKey = schema.endpoint_key
      const key = endpointKey ? item[endpointKey] : undefined
      if (typeof key === 'string') {
        const keys = index(byKey, entity)
        if (!keys.has(key)) keys.set(key, item)
      }
      if (parent && item[parent.foreignKey] === undefined) {
        item[parent.foreignKey] = primaryKeyOf(model.schema(parent.entity), parent.item)
      }
      registered.push([entity, item])
    },
  })

  for (const [entity, item] of registered) {
    const schema = model.schema(entity)
    for (const fk of schema.foreignFields) {
      const value = item[fk]
      if (typeof value !== 'string') continue
      const ref = schema.fields[fk].reference!
      const found = byKey.get(ref)?.get(value) ?? byId.get(ref)?.get(value)
      if (found) item[fk] = primaryKeyOf(model.schema(ref), found)
    }
  }
}

/** Kong's `pk_string`: the id, or the primary key values joined by `:`. */
export function pkString(schema: EntitySchema, item: Record<string, unknown>): string {
  if (schema.primary_key.length === 1) return String(item[schema.primary_key[0]])
  return schema.primary_key
    .map((k) => {
      const v = item[k]
      const id = isPlainObject(v) && schema.fields[k].type === 'foreign' ? v.id : v
      return id === undefined || id === null ? '' : String(id)
    })
    .join(':')
}
