// A store and declarative configurations (declarative.md §8–10): writing one into a store, and
// exporting what a store holds.
// - `replaceConfiguration`: DB-less mode. The whole configuration is replaced in one
//   transaction (nothing is merged with the previous one); a failure leaves the old one intact.
// - `importConfiguration`: `config db_import`. Every entity is upserted by primary key, parents
//   before children; entities absent from the file are left alone. Change events are published
//   as for any write, so nodes following the store (PostgreSQL) apply the import at once.
// Rows arrive complete (flattenDeclarative applied defaults, ids and the write behaviour), so
// they are written as they are, not through the DAO's input processing.
import type { ChangeEvent, DB } from '../dao/db.js'
import { errors } from '../dao/errors.js'
import { isPlainObject } from '../schema/record.js'
import type { Row, StoreOps, WriteExtras } from '../strategies/strategy.js'
import { exportDeclarative, toDeclarativeYaml } from './export.js'
import type { DeclarativeModel } from './model.js'

/**
 * The export document (YAML) of everything the store holds (`GET /config`, `config db_export`);
 * read through `ops` inside a transaction.
 */
export async function exportStore(
  db: DB,
  model: DeclarativeModel,
  ops: StoreOps = db.strategy,
): Promise<string> {
  const entities: Record<string, Row[]> = {}
  for (const entity of model.order) {
    if (!db.has(entity)) continue
    const rows: Row[] = []
    for await (const row of db.dao(entity).each({ ops })) rows.push(row)
    entities[entity] = rows
  }
  return toDeclarativeYaml(exportDeclarative(entities, { formatVersion: '3.0', model }))
}

/** The stored document and its storage extras (cache key, absolute expiry). */
function storedForm(db: DB, entity: string, row: Row): { doc: Row; extras: WriteExtras } {
  const dao = db.dao(entity)
  const doc: Row = { ...row }
  const extras: WriteExtras = { cacheKey: dao.cacheKey(doc) }
  if (dao.table.ttl) {
    extras.expiresAt = typeof doc.ttl === 'number' ? doc.ttl : null
    delete doc.ttl
  }
  return { doc: dao.ordered(doc), extras }
}

/** Entity types of the model that the store holds, referenced types first. */
function storedTypes(db: DB, model: DeclarativeModel): string[] {
  return model.order.filter((e) => db.has(e))
}

/**
 * Replaces everything the store holds with `entities` (DB-less). The caller reloads whatever it
 * derived from the previous configuration; no change events are published.
 */
export async function replaceConfiguration(
  db: DB,
  model: DeclarativeModel,
  entities: Readonly<Record<string, readonly Row[]>>,
): Promise<void> {
  const types = storedTypes(db, model)
  await db.strategy.transaction(async (ops) => {
    if (!ops.truncate) throw new Error(`the ${db.strategy.name} store cannot replace a configuration`)
    for (const entity of [...types].reverse()) await ops.truncate(db.dao(entity).table)
    for (const entity of types) {
      const table = db.dao(entity).table
      for (const row of entities[entity] ?? []) {
        const { doc, extras } = storedForm(db, entity, row)
        await ops.insert(table, doc, extras)
      }
    }
  })
}

/** Refuses a row whose unique field or cache key belongs to another stored entity. */
async function checkUnique(db: DB, entity: string, doc: Row, extras: WriteExtras, ops: StoreOps) {
  const dao = db.dao(entity)
  const id = String(doc.id)
  for (const field of dao.table.uniqueFields) {
    const value = doc[field]
    if (value === null || value === undefined) continue
    const other = await ops.selectByField(dao.table, field, isPlainObject(value) ? value.id : value)
    if (other && other.id !== id) throw errors.uniqueViolation({ [field]: value })
  }
  if (extras.cacheKey !== undefined) {
    const other = await ops.selectByField(dao.table, 'cache_key', extras.cacheKey)
    if (other && other.id !== id) {
      const key: Record<string, unknown> = {}
      for (const f of dao.schema.cache_key ?? []) key[f] = doc[f]
      throw errors.uniqueViolation(key)
    }
  }
}

/**
 * Upserts every entity by primary key in one transaction (`config db_import`); returns how many
 * were created and updated.
 */
export async function importConfiguration(
  db: DB,
  model: DeclarativeModel,
  entities: Readonly<Record<string, readonly Row[]>>,
): Promise<{ created: number; updated: number }> {
  const counts = { created: 0, updated: 0 }
  await db.write(undefined, async (ctx) => {
    for (const entity of storedTypes(db, model)) {
      const dao = db.dao(entity)
      for (const row of entities[entity] ?? []) {
        const { doc, extras } = storedForm(db, entity, row)
        await checkUnique(db, entity, doc, extras, ctx.ops)
        const old = await ctx.ops.select(dao.table, String(doc.id))
        const event: ChangeEvent = { operation: old ? 'update' : 'create', entity, row: doc }
        if (old) {
          await ctx.ops.update(dao.table, String(doc.id), doc, extras)
          event.old = await dao.present(old, ctx.ops)
          counts.updated++
        } else {
          await ctx.ops.insert(dao.table, doc, extras)
          counts.created++
        }
        event.row = await dao.present(doc, ctx.ops)
        ctx.events.push(event)
      }
    }
  })
  return counts
}
