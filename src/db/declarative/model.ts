// The shape of a declarative document, derived from the entity schemas of the node: which
// collections exist, which may be nested in which (from the foreign keys), and the record
// definitions each entity object is validated with. Kong builds one big "declarative_config"
// schema for this; here the walker in validate.ts drives the schema engine entity by entity.
import type { PluginRegistry } from '../../plugins/registry.js'
import type { EntityHooks } from '../dao/hooks.js'
import { CORE_HOOKS } from '../dao/index.js'
import { coreSchemas, registerSchemas } from '../schema/entities/index.js'
import type { EntitySchema } from '../schema/entity.js'
import type { Field } from '../schema/field.js'
import type { RecordDefinition } from '../schema/record.js'
import { topologicalSort } from './topological-sort.js'

/**
 * How an entity object is validated:
 * - `top`: a top-level entry; foreign keys are strings (an id or the referenced endpoint key);
 * - `nested`: an entry nested in its parent; every foreign key must be null (the parent gives
 *   the relation; other relations belong at the top level);
 * - `full`: the entity schema itself, foreign keys as `{id}` records. Used for Kong's second
 *   validation pass, where references were resolved and nested entries got their parent key.
 */
export type DefinitionVariant = 'top' | 'nested' | 'full'

interface EntityModel {
  schema: EntitySchema
  /** Child collection name → the child's foreign key field that references this entity. */
  children: Map<string, string>
  defs: Record<DefinitionVariant, RecordDefinition>
}

/** A foreign key written as a string at the top level: same constraints, string type. */
function asStringReference(field: Field): Field {
  const { reference: _reference, on_delete: _onDelete, ...rest } = field
  return { ...rest, type: 'string' }
}

/** A foreign key of a nested entry: must stay null (Kong's `eq = null, default = null`). */
function asNullReference(field: Field): Field {
  return { ...field, eq: null, default: null, required: false }
}

function variant(
  schema: EntitySchema,
  mode: DefinitionVariant,
  children: Map<string, string>,
): RecordDefinition {
  const fields: Record<string, Field> = {}
  for (const [name, field] of Object.entries(schema.fields)) {
    // A child collection replaces a field of the same name (a certificate's `snis` strings
    // become SNI objects), as the nested array is declared after the entity's own fields.
    if (children.has(name)) continue
    if (field.type === 'foreign' && mode === 'top') fields[name] = asStringReference(field)
    else if (field.type === 'foreign' && mode === 'nested') fields[name] = asNullReference(field)
    else fields[name] = field
  }
  return {
    fields,
    entity_checks: schema.entity_checks,
    subschema_key: schema.subschema_key,
    subschemas: schema.subschemas,
    subschema_error: schema.subschema_error,
    shorthand_fields: schema.shorthand_fields,
    ttl: schema.ttl,
  }
}

export class DeclarativeModel {
  /** Entity names in Kong's topological order (referenced entities first). */
  readonly order: readonly string[]
  private readonly entities = new Map<string, EntityModel>()
  /** Per-entity write behaviour (core hooks plus those of plugin-owned entities). */
  private readonly hooksByEntity: Readonly<Record<string, EntityHooks>>

  private constructor(schemas: readonly EntitySchema[], hooks: Readonly<Record<string, EntityHooks>>) {
    this.hooksByEntity = hooks
    const sorted = topologicalSort(schemas)
    this.order = sorted.map((s) => s.name)
    // Children are listed in entity order so that nested collections are walked like the
    // top-level ones. With two foreign keys to the same parent the first one nests.
    const children = new Map<string, Map<string, string>>(sorted.map((s) => [s.name, new Map()]))
    for (const child of sorted) {
      for (const fk of child.foreignFields) {
        const links = children.get(child.fields[fk].reference ?? '')
        if (links && !links.has(child.name)) links.set(child.name, fk)
      }
    }
    for (const schema of sorted) {
      const links = children.get(schema.name)!
      this.entities.set(schema.name, {
        schema,
        children: links,
        defs: {
          top: variant(schema, 'top', links),
          nested: variant(schema, 'nested', links),
          full: variant(schema, 'full', links),
        },
      })
    }
  }

  /** A model over explicit schemas (core entities plus any plugin-owned ones). */
  static fromSchemas(
    schemas: readonly EntitySchema[],
    hooks: Readonly<Record<string, EntityHooks>> = CORE_HOOKS,
  ): DeclarativeModel {
    return new DeclarativeModel(schemas, hooks)
  }

  /**
   * The model of a node: the core entities, with the `plugins` entity accepting exactly the
   * plugin types of `registry`, and the entities the loaded plugins own (credentials, acls).
   * Like `createDB`, this registers the schemas for foreign-key resolution.
   */
  static fromRegistry(registry: PluginRegistry): DeclarativeModel {
    const owned = registry.entities()
    registerSchemas(owned.map((e) => e.schema))
    // A plugin's internal entities (oauth2's authorization codes: `db_export = false`) are not
    // part of declarative files (declarative.md §1.2 lists the collections).
    const declared = owned.filter((e) => e.schema.db_export !== false)
    const hooks: Record<string, EntityHooks> = { ...CORE_HOOKS }
    for (const e of declared) if (e.hooks) hooks[e.schema.name] = e.hooks
    return new DeclarativeModel(
      [...coreSchemas(registry.subschemas()), ...declared.map((e) => e.schema)],
      hooks,
    )
  }

  /** The write behaviour of an entity (none for most). */
  hooks(entity: string): EntityHooks | undefined {
    return this.hooksByEntity[entity]
  }

  has(entity: string): boolean {
    return this.entities.has(entity)
  }

  schema(entity: string): EntitySchema {
    return this.get(entity).schema
  }

  /** Child collections of `entity` (collection → the child's foreign key to `entity`). */
  children(entity: string): ReadonlyMap<string, string> {
    return this.get(entity).children
  }

  definition(entity: string, mode: DefinitionVariant): RecordDefinition {
    return this.get(entity).defs[mode]
  }

  private get(entity: string): EntityModel {
    const e = this.entities.get(entity)
    if (!e) throw new Error(`unknown entity: ${entity}`)
    return e
  }
}
