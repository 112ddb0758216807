// `flattened_errors` (declarative.md §6.5): the error tree correlated with the input entities,
// one entry per entity that has errors, so that clients (e.g. the ingress controller) can point
// at the offending object. Nested entities get their own entries, carrying their parent key.
// Modelled on Kong's `declarative_config_flattened`; errors that cannot be attributed to an input
// entity (reference errors are keyed by name or id) stay in `fields`.
import { deepCopy, isPlainObject } from '../schema/record.js'
import { isUuid } from '../schema/validators/uuid.js'
import {
  compareStrings,
  type ErrorList,
  type ErrorMap,
  type ErrorTree,
  entriesOf,
  isPositionalMap,
  setAt,
} from './error-tree.js'
import type { DeclarativeModel } from './model.js'

export type FlattenedItem =
  | { type: 'field'; field: string; message: string }
  | { type: 'entity'; message: string }

export interface FlattenedError {
  /** Singular entity type: `service`, `route`, `plugin`, … */
  entity_type: string
  entity_name?: string
  entity_id?: string
  entity_tags?: string[]
  /** The entity as given, without its nested collections. */
  entity: Record<string, unknown>
  errors: FlattenedItem[]
}

function singular(entity: string): string {
  return entity.endsWith('s') ? entity.slice(0, -1) : entity
}

function join(ns: string, key: string | number): string {
  return ns === '' ? String(key) : `${ns}.${key}`
}

function primaryKey(entity: Record<string, unknown>): { id: string } | undefined {
  return typeof entity.id === 'string' && isUuid(entity.id) ? { id: entity.id } : undefined
}

/** Field errors with dotted paths (positions 1-based), and `@entity` messages at any depth. */
function categorize(tree: ErrorMap | ErrorList, ns: string, out: FlattenedItem[]): FlattenedItem[] {
  for (const [key, value] of entriesOf(tree)) {
    const name = typeof key === 'number' ? key + 1 : key
    if (name === '@entity') {
      const messages = typeof value === 'string' ? [value] : entriesOf(value).map(([, v]) => v)
      for (const m of messages) if (typeof m === 'string') out.push({ type: 'entity', message: m })
    } else if (typeof value === 'string') out.push({ type: 'field', field: join(ns, name), message: value })
    else categorize(value, join(ns, name), out)
  }
  return out
}

/** The error of element `i` (0-based) of a collection-level error. */
function elementError(tree: ErrorTree, i: number): ErrorTree | undefined {
  if (Array.isArray(tree)) return tree[i] ?? undefined
  if (typeof tree === 'object' && isPositionalMap(tree)) return tree[String(i + 1)]
  return undefined
}

function addEntityErrors(
  model: DeclarativeModel,
  entityType: string,
  entity: Record<string, unknown>,
  err: ErrorTree | undefined,
  out: FlattenedError[],
): void {
  if (err === undefined) return
  // A message at the entity's own position (a duplicate) is an entity-level error; so is a list.
  const errors: ErrorMap =
    typeof err === 'string' || Array.isArray(err) ? { '@entity': err } : (deepCopy(err) as ErrorMap)
  if (Object.keys(errors).length === 0) return
  const pk = primaryKey(entity)
  const schema = model.schema(entityType)

  // An owned record written inline (`client_certificate: {id, cert, key}`) is its own entity.
  for (const field of schema.foreignFields) {
    const value = entity[field]
    if (!isPlainObject(value)) continue
    const fieldErr = errors[field]
    const ref = primaryKey(value)
    if (ref) entity[field] = ref
    else delete entity[field]
    delete errors[field]
    addEntityErrors(model, schema.fields[field].reference!, value, fieldErr, out)
  }

  // Nested collections: each child is reported on its own, with its parent's key.
  for (const [child, fk] of model.children(entityType)) {
    const value = entity[child]
    if (typeof value !== 'object' || value === null) continue
    const childErr = errors[child]
    // A message about the collection itself ("expected an array") stays on the parent.
    if (typeof childErr === 'string') continue
    delete entity[child]
    delete errors[child]
    if (childErr === undefined || !Array.isArray(value)) continue
    value.forEach((item, i) => {
      if (!isPlainObject(item)) return
      if (item[fk] === undefined && pk) item[fk] = pk
      addEntityErrors(model, child, item, elementError(childErr, i), out)
    })
  }

  if (Object.keys(errors).length === 0) return
  const items = categorize(errors, '', [])
  if (items.length === 0) return
  const name = typeof entity.name === 'string' && entity.name.length > 0 ? entity.name : undefined
  const tags =
    Array.isArray(entity.tags) && entity.tags.every((t) => typeof t === 'string')
      ? (entity.tags as string[])
      : undefined
  out.push({
    entity_type: singular(entityType),
    ...(name !== undefined ? { entity_name: name } : {}),
    ...(pk ? { entity_id: pk.id } : {}),
    ...(tags ? { entity_tags: tags } : {}),
    entity,
    errors: items,
  })
}

/**
 * Splits an error tree into `flattened_errors` and what remains for `fields`: collection-level
 * messages, unknown top-level keys, meta fields and errors keyed by name or id.
 */
export function flattenErrors(
  input: Readonly<Record<string, unknown>>,
  fields: ErrorMap,
  model: DeclarativeModel,
): { flattened: FlattenedError[]; remaining: ErrorMap } {
  const flattened: FlattenedError[] = []
  const remaining: ErrorMap = {}
  for (const key of Object.keys(fields).sort(compareStrings)) {
    const section = fields[key]
    const entities = input[key]
    if (typeof section === 'string' || !model.has(key) || !Array.isArray(entities)) {
      remaining[key] = section
      continue
    }
    for (const [position, err] of entriesOf(section)) {
      const entity = typeof position === 'number' ? entities[position] : undefined
      if (isPlainObject(entity)) {
        addEntityErrors(model, key, deepCopy(entity), err, flattened)
      } else {
        setAt(remaining, [key, position], err)
      }
    }
  }
  return { flattened, remaining }
}
