// Loading a declarative document (declarative.md §4): validate it, give every entity an id and
// its defaults, check references and duplicates, and flatten it into one list of complete rows
// per entity type, nested entities linked to their parent by foreign key.
import type { Clock } from '../schema/auto-fields.js'
import { processAutoFields } from '../schema/auto-fields.js'
import { deepCopy, getSubschema, isPlainObject, resolveField } from '../schema/record.js'
import type { Row } from '../strategies/strategy.js'
import { type ErrorMap, mergeTrees, nullErrors, setAt } from './error-tree.js'
import { DeclarativeError } from './errors.js'
import { configurationHash } from './hash.js'
import { assignDeterministicIds, primaryKeyOf, resolveForValidation } from './ids.js'
import type { DeclarativeModel } from './model.js'
import { type DeclarativeResult, parseDeclarativeText } from './parse.js'
import {
  type EntityIndex,
  type EntityNode,
  errorKeyOf,
  indexEntities,
  uniquenessMessage,
} from './references.js'
import { migrateRoutePaths } from './route-paths.js'
import { splitEntity, validateDocument, variantFor } from './validate.js'
import { walkEntities } from './walk.js'
import { applyWriteBehaviour } from './write-behaviour.js'

export interface DeclarativeMeta {
  /** Always "3.0" once loaded (1.1 and 2.1 documents are migrated). */
  _format_version: string
  _transform: boolean
}

export interface FlatConfig {
  /**
   * Complete entities by type, in entity order (referenced types first), each list in
   * declaration order (nested entities before their parent). Types without entities are absent.
   */
  entities: Record<string, Row[]>
  meta: DeclarativeMeta
  /** The configuration hash (§8.4). */
  hash: string
}

export interface FlattenOptions {
  /** MD5 of the text the document was read from (see `parseDeclarativeText`). */
  hash?: string
  /** Source of `created_at`/`updated_at` (tests use a fixed one). */
  clock?: Clock
  /** Keep the `updated_at` an entity states (`config db_import`) instead of the load time. */
  keepUpdatedAt?: boolean
}

/**
 * Validation as Kong does it: first with the declarative schema; when that fails, again with the
 * entity schemas on a copy whose references were resolved, so that a nested entity may state an
 * extra reference that exists (a plugin nested in a service naming a consumer). Only when both
 * fail is the document invalid; the errors are the second pass's plus the `value must be null`
 * messages of the first.
 */
function validate(model: DeclarativeModel, doc: Record<string, unknown>): ErrorMap | undefined {
  const first = validateDocument(model, doc, 'declarative')
  if (!first) return undefined
  const copy = deepCopy(doc)
  resolveForValidation(model, copy)
  const second = validateDocument(model, copy, 'full')
  if (!second) return undefined
  const kept = nullErrors(first)
  return (kept ? mergeTrees(second, kept) : second) as ErrorMap
}

/** Processes every entity (defaults, ids, timestamps); returns them children-before-parent. */
function buildNodes(
  model: DeclarativeModel,
  doc: Record<string, unknown>,
  clock: Clock | undefined,
  keepUpdatedAt: boolean,
): EntityNode[] {
  const nodes = new Map<Record<string, unknown>, EntityNode>()
  const ordered: EntityNode[] = []
  walkEntities(model, doc, {
    enter({ entity, item, path, parent }) {
      const { fields } = splitEntity(model, entity, item)
      const def = model.definition(entity, variantFor(parent !== undefined, 'declarative'))
      const processed = processAutoFields(def, fields, 'insert', clock)
      // Validation already expanded the same shorthands successfully.
      if ('errors' in processed) throw new Error(`unexpected shorthand errors in ${entity}`)
      // `config db_import` keeps an exported entity's updated_at (so that export → import →
      // export gives the same document); otherwise it is the load time, as in Kong.
      if (keepUpdatedAt && typeof fields.updated_at === 'number' && 'updated_at' in processed.value)
        processed.value.updated_at = fields.updated_at
      const node: EntityNode = { entity, path, row: processed.value }
      if (parent) {
        node.parent = nodes.get(parent.item)
        node.foreignKey = parent.foreignKey
      }
      nodes.set(item, node)
    },
    leave({ item }) {
      ordered.push(nodes.get(item)!)
    },
  })
  return ordered
}

/** Flat rows: foreign keys as `{id}`, DAO write behaviour applied; plus uniqueness errors. */
function flattenRows(
  model: DeclarativeModel,
  index: EntityIndex,
  transform: boolean,
): { entities: Record<string, Row[]>; errors?: ErrorMap } {
  const entities: Record<string, Row[]> = {}
  const errors: ErrorMap = {}
  for (const entity of model.order) {
    const nodes = index.list(entity)
    if (nodes.length === 0) continue
    const schema = model.schema(entity)
    const seen = new Map<string, Set<string>>()
    const claim = (row: Row, field: string, key: string, shown: string) => {
      let values = seen.get(field)
      if (!values) {
        values = new Set()
        seen.set(field, values)
      }
      if (values.has(key)) {
        setAt(errors, [entity, errorKeyOf(model, entity, row)], uniquenessMessage(entity, field, shown))
      } else values.add(key)
    }

    const rows: Row[] = []
    for (const node of nodes) {
      const subschema = getSubschema(schema, node.row)
      let row: Row = {}
      for (const name of Object.keys(schema.fields)) {
        const field = resolveField(schema, name, subschema)!
        const value = node.row[name]
        if (field.type === 'foreign' && typeof value === 'string') {
          const reference = schema.fields[name].reference!
          const found = index.find(reference, value)
          if (found) row[name] = primaryKeyOf(model.schema(reference), found.row)
        } else if (value !== undefined) row[name] = value
      }
      // Expiring entities keep their absolute expiry time (§1.2).
      if (schema.ttl && node.row.ttl !== undefined && node.row.ttl !== null) row.ttl = node.row.ttl
      row = applyWriteBehaviour(schema, row, transform, model.hooks(entity))

      for (const name of schema.uniqueFields) {
        const value = row[name]
        if (value === null || value === undefined) continue
        const key = isPlainObject(value) ? String(value.id) : String(value)
        claim(row, name, key, key)
      }
      // The DAO refuses two entities with the same cache key (e.g. a plugin declared twice for
      // one service, once nested and once at the top level, or `host` and `host:8000` targets).
      const cacheKey = schema.cache_key
      if (cacheKey && cacheKey.length > 1) {
        const parts = cacheKey.map((k) => {
          const v = row[k]
          return isPlainObject(v) ? (v.id ?? null) : (v ?? null)
        })
        const shown = parts.map((p) => (p === null ? '' : String(p))).join(':')
        claim(row, cacheKey.join(', '), JSON.stringify(parts), shown)
      }
      rows.push(row)
    }
    entities[entity] = rows
  }
  return Object.keys(errors).length > 0 ? { entities, errors } : { entities }
}

/**
 * Validates and flattens a parsed document. Errors are code 14 material (see errors.ts); the
 * document itself is not modified.
 */
export function flattenDeclarative(
  input: unknown,
  model: DeclarativeModel,
  opts: FlattenOptions = {},
): DeclarativeResult<FlatConfig> {
  if (!isPlainObject(input)) {
    return {
      ok: false,
      error: DeclarativeError.parse('failed parsing declarative configuration: expected an object'),
    }
  }
  const doc = deepCopy(input)
  migrateRoutePaths(doc)
  // `_transform` defaults to true; Kong treats an explicit null the same way.
  const transform = doc._transform !== false
  if (doc._transform === undefined) doc._transform = true

  const invalid = validate(model, doc)
  if (invalid) return { ok: false, error: DeclarativeError.invalid(invalid, doc, model) }

  assignDeterministicIds(model, doc)
  const nodes = buildNodes(model, doc, opts.clock, opts.keepUpdatedAt === true)
  const { index, errors } = indexEntities(model, nodes)
  if (errors) return { ok: false, error: DeclarativeError.invalid(errors, doc, model) }

  const flat = flattenRows(model, index, transform)
  if (flat.errors) return { ok: false, error: DeclarativeError.invalid(flat.errors, doc, model) }

  const meta: DeclarativeMeta = { _format_version: String(doc._format_version), _transform: transform }
  return {
    ok: true,
    value: { entities: flat.entities, meta, hash: configurationHash(flat.entities, meta, opts.hash) },
  }
}

export interface LoadOptions {
  /** Decides the format, as for `parseDeclarativeText`. */
  filename?: string
  clock?: Clock
  keepUpdatedAt?: boolean
}

/** Parses and flattens declarative text (a file, `declarative_config_string`, `/config` input). */
export function loadDeclarativeText(
  text: string,
  model: DeclarativeModel,
  opts: LoadOptions = {},
): DeclarativeResult<FlatConfig> {
  const parsed = parseDeclarativeText(text, { filename: opts.filename })
  if (!parsed.ok) return parsed
  return flattenDeclarative(parsed.value.config, model, {
    hash: parsed.value.hash,
    clock: opts.clock,
    keepUpdatedAt: opts.keepUpdatedAt,
  })
}
