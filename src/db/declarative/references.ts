// Indexing declared entities and checking their references (declarative.md §6.3, §6.4):
// duplicates of a primary key or unique endpoint key are reported at the second occurrence's
// position; references that name nothing in the document are reported under the referencing
// entity's collection, keyed by its endpoint key value or id.

import { isPlainObject } from '../schema/record.js'
import type { Row } from '../strategies/strategy.js'
import { compareStrings, type ErrorMap, type Path, setAt } from './error-tree.js'
import { pkString, primaryKeyOf } from './ids.js'
import type { DeclarativeModel } from './model.js'

/** One declared entity, processed (defaults, ids) and linked to where it was declared. */
export interface EntityNode {
  entity: string
  /** Position in the document. */
  path: Path
  /** The processed entity; foreign keys still as written until flattening. */
  row: Row
  parent?: EntityNode
  /** The foreign key of this entity that references `parent`. */
  foreignKey?: string
}

/** Declared entities by type: by primary key (in declaration order) and by unique endpoint key. */
export class EntityIndex {
  private readonly ids = new Map<string, Map<string, EntityNode>>()
  private readonly keys = new Map<string, Map<string, EntityNode>>()

  /** Entities of one type, in the order they were registered. */
  list(entity: string): EntityNode[] {
    return [...(this.ids.get(entity)?.values() ?? [])]
  }

  /** Resolution tries the endpoint key first, then the primary key (Kong's `find_entity`). */
  find(entity: string, key: string): EntityNode | undefined {
    return this.keys.get(entity)?.get(key) ?? this.ids.get(entity)?.get(key)
  }

  hasId(entity: string, id: string): boolean {
    return this.ids.get(entity)?.has(id) ?? false
  }

  hasKey(entity: string, key: string): boolean {
    return this.keys.get(entity)?.has(key) ?? false
  }

  addId(entity: string, id: string, node: EntityNode): void {
    this.level(this.ids, entity).set(id, node)
  }

  addKey(entity: string, key: string, node: EntityNode): void {
    this.level(this.keys, entity).set(key, node)
  }

  private level(maps: Map<string, Map<string, EntityNode>>, entity: string): Map<string, EntityNode> {
    let m = maps.get(entity)
    if (!m) {
      m = new Map()
      maps.set(entity, m)
    }
    return m
  }
}

export function uniquenessMessage(entity: string, field: string, value: string): string {
  return `uniqueness violation: '${entity}' entity with ${field} set to '${value}' already declared`
}

interface ExpectedReference {
  entity: string
  field: string
  reference: string
  value: unknown
  /** Key of the error: the entity's endpoint key value, else its id. */
  at: string
}

/**
 * The key under which errors about an entity are grouped when they have no position: the value
 * of its endpoint key when that identifies it (is unique), else its primary key.
 */
export function errorKeyOf(model: DeclarativeModel, entity: string, row: Row): string {
  const schema = model.schema(entity)
  const endpointKey = schema.endpoint_key
  const value = endpointKey && schema.fields[endpointKey].unique ? row[endpointKey] : undefined
  return typeof value === 'string' ? value : pkString(schema, row)
}

/**
 * Registers `nodes` (children before their parent, as declared) and checks duplicates and
 * references. Nested entities get their parent's key. Returns the index and the errors, if any.
 */
export function indexEntities(
  model: DeclarativeModel,
  nodes: readonly EntityNode[],
): { index: EntityIndex; errors?: ErrorMap } {
  const index = new EntityIndex()
  const errors: ErrorMap = {}
  const expected: ExpectedReference[] = []

  for (const node of nodes) {
    const { entity, row } = node
    const schema = model.schema(entity)
    const id = pkString(schema, row)
    const endpointKey = schema.endpoint_key
    const key = endpointKey && schema.fields[endpointKey].unique ? row[endpointKey] : undefined
    let failed = false
    if (typeof key === 'string') {
      if (index.hasKey(entity, key)) {
        setAt(errors, node.path, uniquenessMessage(entity, endpointKey!, key))
        failed = true
      } else index.addKey(entity, key, node)
    }
    if (!failed && index.hasId(entity, id)) {
      setAt(errors, node.path, uniquenessMessage(entity, 'primary key', id))
    } else if (!index.hasId(entity, id)) index.addId(entity, id, node)

    // A nested entity that states its parent reference must name an existing entity too; it
    // is then replaced by the enclosing parent.
    for (const field of schema.foreignFields) {
      const value = row[field]
      if (value === null || value === undefined) continue
      const reference = schema.fields[field].reference!
      expected.push({ entity, field, reference, value, at: errorKeyOf(model, entity, row) })
    }
    if (node.parent && node.foreignKey) {
      row[node.foreignKey] = primaryKeyOf(model.schema(node.parent.entity), node.parent.row)
    }
  }

  const missing = new Map<string, Map<string, string[]>>()
  for (const ref of expected) {
    const lookup = isPlainObject(ref.value) ? (ref.value.id ?? ref.value) : ref.value
    if (typeof lookup === 'string' && index.find(ref.reference, lookup)) continue
    const shown = typeof ref.value === 'string' ? ref.value : JSON.stringify(ref.value)
    const message = `invalid reference '${ref.field}: ${shown}' (no such entry in '${ref.reference}')`
    let byKey = missing.get(ref.entity)
    if (!byKey) {
      byKey = new Map()
      missing.set(ref.entity, byKey)
    }
    const list = byKey.get(ref.at) ?? []
    list.push(message)
    byKey.set(ref.at, list)
  }
  for (const [entity, byKey] of missing) {
    for (const [at, messages] of byKey) setAt(errors, [entity, at], messages.sort(compareStrings))
  }

  return Object.keys(errors).length > 0 ? { index, errors } : { index }
}
