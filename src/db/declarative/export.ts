// Exporting entities as a declarative document (declarative.md §10), the format of
// `kong config db_export` and `GET /config`: flat lists per entity type (referenced types
// first), every field present with nulls, foreign keys as plain ids, `_transform: false` because
// stored secrets are already transformed.
import { stringify } from 'yaml'
import { coreEntityList } from '../schema/entities/index.js'
import type { EntitySchema } from '../schema/entity.js'
import { deepCopy, isPlainObject } from '../schema/record.js'
import type { Row } from '../strategies/strategy.js'
import { DeclarativeModel } from './model.js'
import { YAML_11_BOOLEANS } from './parse.js'

export interface ExportOptions {
  formatVersion: '3.0'
  /** The entity schemas to export with (default: the core entities). */
  model?: DeclarativeModel
}

/**
 * The core entity schemas, listed without `coreSchemas()`, which also registers them for
 * foreign-key resolution: exporting must not replace the node's `plugins` schema (the field
 * layout of plugins does not depend on the plugin types, so none are needed here).
 */
export function coreExportSchemas(): EntitySchema[] {
  return coreEntityList({})
}

let defaultModel: DeclarativeModel | undefined

/** Entity types that never appear in exports (the implicit default workspace). */
const NOT_EXPORTED = new Set(['workspaces'])

/**
 * Field order of exported entities: `id` first, then the schema's fields, then the timestamps.
 * (Kong's order is whatever its YAML emitter produces; YAML maps are unordered.)
 */
function exportFields(schema: EntitySchema): string[] {
  const names = Object.keys(schema.fields).filter((n) => !schema.fields[n].transient)
  const timestamps = ['created_at', 'updated_at'].filter((n) => names.includes(n))
  const pk = schema.primary_key.filter((n) => names.includes(n))
  const rest = names.filter((n) => !pk.includes(n) && !timestamps.includes(n))
  return [...pk, ...rest, ...timestamps]
}

function exportRow(schema: EntitySchema, row: Readonly<Row>): Row {
  const out: Row = {}
  for (const name of exportFields(schema)) {
    const value = row[name]
    if (schema.fields[name].type === 'foreign') {
      // Foreign keys become the plain id string.
      out[name] = isPlainObject(value) && value.id !== undefined ? value.id : (value ?? null)
    } else out[name] = value === undefined ? null : deepCopy(value)
  }
  // Expiring entities carry their absolute expiry time.
  if (schema.ttl) out.ttl = row.ttl ?? null
  return out
}

/**
 * The export document of `entities` (rows as the DAO returns them, by entity type): entity types
 * in reference order, only those with rows; unknown types are left out.
 */
export function exportDeclarative(
  entities: Readonly<Record<string, readonly Readonly<Row>[]>>,
  opts: ExportOptions,
): Record<string, unknown> {
  defaultModel ??= DeclarativeModel.fromSchemas(coreExportSchemas())
  const model = opts.model ?? defaultModel
  const doc: Record<string, unknown> = { _format_version: opts.formatVersion, _transform: false }
  for (const entity of model.order) {
    const rows = entities[entity]
    if (!rows || rows.length === 0 || NOT_EXPORTED.has(entity)) continue
    const schema = model.schema(entity)
    if (schema.db_export === false) continue
    doc[entity] = rows.map((row) => exportRow(schema, row))
  }
  return doc
}

/**
 * YAML text of a declarative document, in the style of Kong's exports (lists not indented under
 * their key, no line folding). Strings that YAML 1.1 readers would take for booleans or numbers
 * are quoted.
 */
export function toDeclarativeYaml(doc: Readonly<Record<string, unknown>>): string {
  return stringify(doc, { customTags: [YAML_11_BOOLEANS], indentSeq: false, lineWidth: 0 })
}
