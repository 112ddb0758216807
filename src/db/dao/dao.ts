// The generic DAO: enforces an entity's schema on every write (defaults, validation, foreign keys,
// uniqueness, cascades) and emits a change event per written row. The Admin API, declarative
// import and tests all go through it, never around it.
import { mergeValues, processAutoFields } from '../schema/auto-fields.js'
import type { EntitySchema } from '../schema/entity.js'
import type { Field } from '../schema/field.js'
import { type FieldErrors, isPlainObject } from '../schema/record.js'
import { isUuid, validateField, validateRecord } from '../schema/validate.js'
import type { PageRequest, Row, StoreOps, TableSpec, WriteExtras } from '../strategies/strategy.js'
import type { DB, ReadContext, WriteContext } from './db.js'
import { DaoError, ERROR_CODES, errors } from './errors.js'
import type { EntityHooks, HookContext } from './hooks.js'
import { decodeOffset, encodeOffset } from './offset.js'

/** Identifies an entity by primary key or by one of its unique fields. */
export type EntityKey = { id: string } | { field: string; value: unknown }

export interface PageOptions {
  /** Page size (1..1000, default 100). */
  size?: number
  offset?: string
  tags?: readonly string[]
  tagsCond?: 'and' | 'or'
}

export interface Page<E> {
  data: E[]
  /** Token for the next page, present only when more rows exist. */
  offset?: string
}

export interface WriteOptions {
  /** Join an open transaction instead of starting one. */
  ctx?: WriteContext
  /** Expiry in seconds for entities with `ttl` (credentials). */
  ttl?: number
}

export const DEFAULT_PAGE_SIZE = 100
export const MAX_PAGE_SIZE = 1000
const MAX_TTL = 100000000
const TAG_CHARS = /^[\x20-\x2B\x2D\x2E\x30-\x7E\u0080-\u{10FFFF}]+$/u

function mergeErrors(a: FieldErrors | undefined, b: FieldErrors | undefined): FieldErrors | undefined {
  if (!a) return b
  if (!b) return a
  const out: FieldErrors = { ...a }
  for (const [k, v] of Object.entries(b)) {
    if (k === '@entity' && Array.isArray(out[k]) && Array.isArray(v)) out[k] = [...(out[k] as string[]), ...v]
    else out[k] = v
  }
  return out
}

/**
 * UUIDs are stored lower-case (PostgreSQL's uuid type does the same for Kong): the id, and
 * string fields or string arrays declared `uuid` (a service's `ca_certificates`).
 */
function lowerCaseUuids(schema: EntitySchema, entity: Row): void {
  for (const [name, field] of Object.entries(schema.fields)) {
    const v = entity[name]
    if (field.type === 'string' && field.uuid && isUuid(v)) entity[name] = v.toLowerCase()
    else if ((field.type === 'array' || field.type === 'set') && field.elements?.uuid && Array.isArray(v)) {
      entity[name] = v.map((x) => (isUuid(x) ? x.toLowerCase() : x))
    }
  }
}

/** The entity without its input-only (`transient`) fields. */
export function withoutTransient(schema: EntitySchema, entity: Row): Row {
  let out = entity
  for (const [name, field] of Object.entries(schema.fields)) {
    if (field.transient && Object.hasOwn(out, name)) {
      if (out === entity) out = { ...entity }
      delete out[name]
    }
  }
  return out
}

export class Dao<E extends Row = Row> {
  readonly table: TableSpec

  constructor(
    readonly schema: EntitySchema,
    readonly db: DB,
    readonly hooks: EntityHooks = {},
  ) {
    this.table = {
      name: schema.name,
      uniqueFields: schema.uniqueFields.filter((f) => f !== 'id'),
      foreignFields: schema.foreignFields,
      cacheKey: (schema.cache_key?.length ?? 0) > 1,
      tags: Object.hasOwn(schema.fields, 'tags'),
      ttl: schema.ttl === true,
    }
  }

  get name(): string {
    return this.schema.name
  }

  private ops(ctx?: ReadContext): StoreOps {
    return ctx?.ops ?? this.db.strategy
  }

  /** Shapes a stored row for clients: fills fields added since it was stored, runs `present`. */
  async present(row: Row, ops: StoreOps): Promise<E> {
    const filled = processAutoFields(this.schema, row, 'select')
    let out = this.ordered('value' in filled ? filled.value : row)
    if (this.table.ttl) out.ttl = ops.ttlOf ? await ops.ttlOf(this.table, String(row.id)) : null
    if (this.hooks.present) out = await this.hooks.present(out, ops, this as unknown as Dao)
    return out as E
  }

  /** The entity with its fields in schema order (responses list fields as the schema does). */
  ordered(row: Row): Row {
    const out: Row = {}
    for (const k of Object.keys(this.schema.fields)) if (Object.hasOwn(row, k)) out[k] = row[k]
    for (const k of Object.keys(row)) if (!Object.hasOwn(out, k)) out[k] = row[k]
    return out
  }

  /** The value for the composite `cache_key` column. */
  cacheKey(entity: Row): string | undefined {
    const fields = this.schema.cache_key
    if (!fields || fields.length < 2) return undefined
    return JSON.stringify(fields.map((f) => this.keyPart(entity[f])))
  }

  private keyPart(v: unknown): unknown {
    if (isPlainObject(v)) return (v.id as string | undefined) ?? null
    return v ?? null
  }

  // -------------------------------------------------------------------------------------------
  // Reads

  async select(id: string, ctx?: ReadContext): Promise<E | null> {
    if (!isUuid(id)) throw errors.invalidPrimaryKey({ id: 'expected a valid UUID' })
    const ops = this.ops(ctx)
    const row = await ops.select(this.table, id.toLowerCase())
    return row ? this.present(row, ops) : null
  }

  /** Lookup by a unique field; an invalid value is a 400 "invalid unique <field>" error. */
  async selectBy(field: string, value: unknown, ctx?: ReadContext): Promise<E | null> {
    const def = this.schema.fields[field]
    if (!def || !this.schema.uniqueFields.includes(field))
      throw new Error(`${this.name}.${field} is not a unique field`)
    const err = validateField({ ...def, required: true } as Field, value)
    if (err !== undefined)
      throw errors.invalidUnique(field, typeof err === 'string' ? err : JSON.stringify(err))
    const ops = this.ops(ctx)
    const row = await ops.selectByField(this.table, field, value)
    return row ? this.present(row, ops) : null
  }

  async selectByKey(key: EntityKey, ctx?: ReadContext): Promise<E | null> {
    return 'id' in key ? this.select(key.id, ctx) : this.selectBy(key.field, key.value, ctx)
  }

  /** Lookup by the composite `cache_key`, given the values of its fields. */
  async selectByCacheKey(values: Row, ctx?: ReadContext): Promise<E | null> {
    const ck = this.cacheKey(values)
    if (ck === undefined) throw new Error(`${this.name} has no composite cache_key`)
    const ops = this.ops(ctx)
    const row = await ops.selectByField(this.table, 'cache_key', ck)
    return row ? this.present(row, ops) : null
  }

  private async rawByKey(key: EntityKey, ops: StoreOps): Promise<Row | null> {
    if ('id' in key) {
      if (!isUuid(key.id)) throw errors.invalidPrimaryKey({ id: 'expected a valid UUID' })
      return ops.select(this.table, key.id.toLowerCase())
    }
    const def = this.schema.fields[key.field]
    if (!def || !this.schema.uniqueFields.includes(key.field)) {
      throw new Error(`${this.name}.${key.field} is not a unique field`)
    }
    const err = validateField({ ...def, required: true } as Field, key.value)
    if (err !== undefined)
      throw errors.invalidUnique(key.field, typeof err === 'string' ? err : JSON.stringify(err))
    return ops.selectByField(this.table, key.field, key.value)
  }

  private pageRequest(opts: PageOptions): PageRequest {
    const size = opts.size ?? DEFAULT_PAGE_SIZE
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
      throw errors.invalidSize(`size must be an integer between 1 and ${MAX_PAGE_SIZE}`)
    }
    const req: PageRequest = { size }
    if (opts.offset !== undefined) {
      const decoded = decodeOffset(opts.offset)
      if (typeof decoded === 'string') throw errors.invalidOffset(opts.offset, decoded)
      if (typeof decoded[0] !== 'string') throw errors.invalidOffset(opts.offset, 'bad json encoding')
      req.after = decoded[0]
    }
    if (opts.tags !== undefined) {
      if (!this.table.tags) throw errors.invalidOptions({ tags: `cannot be used with '${this.name}'` })
      if (opts.tags.length > 5) throw errors.invalidOptions({ tags: 'cannot query more than 5 tags' })
      if (!TAG_CHARS.test(opts.tags.join(''))) {
        throw errors.invalidOptions({
          tags: 'must only contain printable ascii (except `,` and `/`) or valid utf-8',
        })
      }
      req.tags = opts.tags
      req.tagsCond = opts.tagsCond ?? 'and'
    }
    return req
  }

  async page(opts: PageOptions = {}, ctx?: ReadContext): Promise<Page<E>> {
    return this.runPage(this.pageRequest(opts), ctx)
  }

  /** Rows whose foreign key `field` references `parentId`. */
  async pageFor(
    field: string,
    parentId: string,
    opts: PageOptions = {},
    ctx?: ReadContext,
  ): Promise<Page<E>> {
    const req = this.pageRequest({ ...opts, tags: undefined })
    req.foreign = { field, id: parentId.toLowerCase() }
    return this.runPage(req, ctx)
  }

  private async runPage(req: PageRequest, ctx?: ReadContext): Promise<Page<E>> {
    const ops = this.ops(ctx)
    const res = await ops.page(this.table, req)
    const data: E[] = []
    for (const row of res.rows) data.push(await this.present(row, ops))
    const last = res.rows[res.rows.length - 1]
    return res.more && last ? { data, offset: encodeOffset([last.id]) } : { data }
  }

  /** Every row, page by page (for exports and cascades). */
  async *each(ctx?: ReadContext, foreign?: { field: string; id: string }): AsyncGenerator<E> {
    let after: string | undefined
    for (;;) {
      const ops = this.ops(ctx)
      const res = await ops.page(this.table, { size: MAX_PAGE_SIZE, after, foreign })
      for (const row of res.rows) yield await this.present(row, ops)
      if (!res.more || res.rows.length === 0) return
      after = String(res.rows[res.rows.length - 1].id)
    }
  }

  // -------------------------------------------------------------------------------------------
  // Writes

  private prepare(input: Row, context: 'insert' | 'update' | 'upsert'): Row {
    const prepared = this.hooks.prepareInput ? this.hooks.prepareInput(input, context) : input
    const auto = processAutoFields(this.schema, prepared, context)
    if ('errors' in auto) throw errors.schemaViolation(auto.errors)
    const entity = this.ordered(auto.value)
    lowerCaseUuids(this.schema, entity)
    return entity
  }

  private ttlExtras(opts: WriteOptions): WriteExtras {
    if (opts.ttl === undefined) return {}
    if (!this.table.ttl) throw errors.invalidOptions({ ttl: `cannot be used with '${this.name}'` })
    if (!Number.isInteger(opts.ttl) || opts.ttl < 0 || opts.ttl > MAX_TTL) {
      throw errors.invalidOptions({ ttl: `must be an integer between 0 and ${MAX_TTL}` })
    }
    return { expiresAt: opts.ttl > 0 ? Date.now() / 1000 + opts.ttl : null }
  }

  /** Replaces `{name: "x"}`-style references by `{id}` (Kong's resolve_foreign). */
  private async resolveForeign(entity: Row, ops: StoreOps): Promise<void> {
    const unresolved: Record<string, Record<string, { value: unknown; parent: string }>> = {}
    for (const field of this.schema.foreignFields) {
      const value = entity[field]
      if (!isPlainObject(value)) continue
      const ref = this.schema.fields[field].reference!
      if (isUuid(value.id)) {
        // Only the primary key is stored and returned, whatever else the reference carried.
        entity[field] = { id: value.id.toLowerCase() }
        continue
      }
      const parent = this.db.dao(ref)
      const tried: Record<string, { value: unknown; parent: string }> = {}
      let found = false
      const keys = [...parent.schema.uniqueFields]
      if (parent.schema.endpoint_key && !keys.includes(parent.schema.endpoint_key))
        keys.push(parent.schema.endpoint_key)
      for (const uf of keys) {
        if (uf === 'id') continue
        const v = value[uf]
        if (v === undefined || v === null) continue
        if (validateField(parent.schema.fields[uf], v) !== undefined) continue
        const row = await ops.selectByField(parent.table, uf, v)
        if (row) {
          entity[field] = { id: row.id }
          found = true
          break
        }
        tried[uf] = { value: v, parent: ref }
      }
      if (!found && Object.keys(tried).length > 0) unresolved[field] = tried
    }
    if (Object.keys(unresolved).length > 0) throw errors.foreignKeysUnresolved(unresolved)
  }

  private async validate(entity: Row, hctx: HookContext, updating: boolean): Promise<void> {
    let errs = validateRecord(this.schema, entity, { updating }, !updating)
    if (!errs && this.hooks.validate) errs = mergeErrors(errs, await this.hooks.validate(entity, hctx))
    if (errs) throw errors.schemaViolation(errs)
  }

  /** Drops transient fields, then applies the entity's transformations and store-bound transforms. */
  private async transform(entity: Row, hctx: HookContext): Promise<Row> {
    let out = withoutTransient(this.schema, entity)
    if (this.hooks.transformations) out = this.hooks.transformations(out)
    if (this.hooks.transform) out = await this.hooks.transform(out, hctx)
    return out
  }

  private async checkConstraints(entity: Row, ops: StoreOps, selfId: string | undefined): Promise<void> {
    for (const f of this.table.uniqueFields) {
      const v = entity[f]
      if (v === null || v === undefined) continue
      const row = await ops.selectByField(this.table, f, v)
      if (row && row.id !== selfId) throw errors.uniqueViolation({ [f]: v })
    }
    const ck = this.cacheKey(entity)
    if (ck !== undefined) {
      const row = await ops.selectByField(this.table, 'cache_key', ck)
      if (row && row.id !== selfId) {
        const key: Record<string, unknown> = {}
        for (const f of this.schema.cache_key!) key[f] = entity[f] ?? null
        throw errors.uniqueViolation(key)
      }
    }
    for (const f of this.schema.foreignFields) {
      const v = entity[f]
      if (!isPlainObject(v) || typeof v.id !== 'string') continue
      const parent = this.db.dao(this.schema.fields[f].reference!)
      if (!(await ops.select(parent.table, v.id))) {
        throw errors.foreignKeyViolationInvalidReference({ id: v.id }, f, parent.name)
      }
    }
  }

  private hookContext(
    ctx: WriteContext,
    context: HookContext['context'],
    input: Row,
    old?: Row | null,
  ): HookContext {
    return { dao: this as unknown as Dao, ops: ctx.ops, ctx, context, input, old }
  }

  /**
   * DB-less mode: single-entity writes are refused once the input was validated (an existing
   * entity must have been found for updates and deletes), with Kong's code-12 messages.
   */
  private refuseWhenReadOnly(operation: string, key?: EntityKey): void {
    if (!this.db.readOnly) return
    const by = key && 'field' in key ? ` by '${key.field}'` : ''
    throw errors.operationUnsupported(
      `cannot ${operation} '${this.name}' entities${by} when not using a database`,
    )
  }

  async insert(input: Row, opts: WriteOptions = {}): Promise<E> {
    let entity = this.prepare(input, 'insert')
    const extras = this.ttlExtras(opts)
    return this.db.write(opts.ctx, async (ctx) => {
      const hctx = this.hookContext(ctx, 'insert', input)
      await this.resolveForeign(entity, ctx.ops)
      await this.validate(entity, hctx, false)
      entity = await this.transform(entity, hctx)
      this.refuseWhenReadOnly('create')
      if (await ctx.ops.select(this.table, String(entity.id)))
        throw errors.primaryKeyViolation({ id: entity.id })
      await this.checkConstraints(entity, ctx.ops, undefined)
      await ctx.ops.insert(this.table, entity, { ...extras, cacheKey: this.cacheKey(entity) })
      if (this.hooks.afterWrite) await this.hooks.afterWrite(entity, hctx)
      const out = this.withRequestedTtl(await this.present(entity, ctx.ops), opts)
      ctx.events.push({ operation: 'create', entity: this.name, row: out })
      return out
    })
  }

  async update(key: EntityKey, input: Row, opts: WriteOptions = {}): Promise<E> {
    const partial = this.prepare(input, 'update')
    const extras = this.ttlExtras(opts)
    return this.db.write(opts.ctx, async (ctx) => {
      const old = await this.rawByKey(key, ctx.ops)
      if (!old) {
        throw 'id' in key
          ? errors.notFound({ id: key.id })
          : errors.notFoundByField({ [key.field]: key.value })
      }
      const oldOut = await this.present(old, ctx.ops)
      let entity = mergeValues(this.schema, partial, old)
      entity.id = old.id
      const hctx = this.hookContext(ctx, 'update', input, old)
      await this.resolveForeign(entity, ctx.ops)
      await this.validate(entity, hctx, true)
      entity = await this.transform(entity, hctx)
      this.refuseWhenReadOnly('update', key)
      await this.checkConstraints(entity, ctx.ops, String(old.id))
      const keep =
        opts.ttl === undefined && this.table.ttl ? await this.keepTtl(ctx.ops, String(old.id)) : extras
      await ctx.ops.update(this.table, String(old.id), entity, { ...keep, cacheKey: this.cacheKey(entity) })
      if (this.hooks.afterWrite) await this.hooks.afterWrite(entity, hctx)
      const out = this.withRequestedTtl(await this.present(entity, ctx.ops), opts)
      ctx.events.push({ operation: 'update', entity: this.name, row: out, old: oldOut })
      return out
    })
  }

  /**
   * A write that set a ttl answers with that ttl, as Kong does (its store computes the rest
   * within the writing transaction); read back, the store's whole seconds left would often be
   * one less.
   */
  private withRequestedTtl(out: E, opts: WriteOptions): E {
    if (opts.ttl !== undefined && this.table.ttl) (out as Row).ttl = opts.ttl > 0 ? opts.ttl : null
    return out
  }

  private async keepTtl(ops: StoreOps, id: string): Promise<WriteExtras> {
    const left = ops.ttlOf ? await ops.ttlOf(this.table, id) : null
    return { expiresAt: left === null ? null : Date.now() / 1000 + left }
  }

  async upsert(key: EntityKey, input: Row, opts: WriteOptions = {}): Promise<E> {
    let entity = this.prepare(input, 'upsert')
    const extras = this.ttlExtras(opts)
    return this.db.write(opts.ctx, async (ctx) => {
      const old = await this.rawByKey(key, ctx.ops)
      if ('id' in key) entity.id = key.id.toLowerCase()
      else {
        entity[key.field] = key.value
        if (old) entity.id = old.id
      }
      const hctx = this.hookContext(ctx, 'upsert', input, old)
      await this.resolveForeign(entity, ctx.ops)
      await this.validate(entity, hctx, false)
      entity = await this.transform(entity, hctx)
      this.refuseWhenReadOnly('create or update', key)
      const id = String(entity.id)
      await this.checkConstraints(entity, ctx.ops, old ? String(old.id) : undefined)
      const cacheKey = this.cacheKey(entity)
      if (old) {
        await ctx.ops.update(this.table, String(old.id), entity, { ...extras, cacheKey })
      } else {
        if (await ctx.ops.select(this.table, id)) throw errors.primaryKeyViolation({ id })
        await ctx.ops.insert(this.table, entity, { ...extras, cacheKey })
      }
      if (this.hooks.afterWrite) await this.hooks.afterWrite(entity, hctx)
      const out = this.withRequestedTtl(await this.present(entity, ctx.ops), opts)
      if (old)
        ctx.events.push({
          operation: 'update',
          entity: this.name,
          row: out,
          old: await this.present(old, ctx.ops),
        })
      else ctx.events.push({ operation: 'create', entity: this.name, row: out })
      return out
    })
  }

  /** Deletes the entity if it exists (no error otherwise), with Kong's restrict/cascade rules. */
  async delete(key: EntityKey, opts: WriteOptions = {}): Promise<boolean> {
    return this.db.write(opts.ctx, async (ctx) => {
      const row = await this.rawByKey(key, ctx.ops)
      if (!row) return false
      this.refuseWhenReadOnly('remove', key)
      await this.deleteRow(row, ctx)
      return true
    })
  }

  /** Deletes a stored row inside an open transaction (used for cascades too). */
  async deleteRow(row: Row, ctx: WriteContext): Promise<void> {
    const id = String(row.id)
    const refs = this.db.referencesTo(this.name)
    for (const ref of refs) {
      if ((ref.field.on_delete ?? 'restrict') !== 'restrict') continue
      const res = await ctx.ops.page(ref.dao.table, { size: 1, foreign: { field: ref.name, id } })
      if (res.rows.length > 0) throw errors.foreignKeyViolationRestricted(this.name, ref.dao.name)
    }
    if (this.hooks.beforeDelete) await this.hooks.beforeDelete(row, this.hookContext(ctx, 'update', {}, row))
    const out = await this.present(row, ctx.ops)
    for (const ref of refs) {
      const action = ref.field.on_delete
      if (action !== 'cascade' && action !== 'null') continue
      for (;;) {
        const res = await ctx.ops.page(ref.dao.table, {
          size: MAX_PAGE_SIZE,
          foreign: { field: ref.name, id },
        })
        if (res.rows.length === 0) break
        for (const child of res.rows) {
          if (action === 'cascade') await ref.dao.deleteRow(child, ctx)
          else await ref.dao.update({ id: String(child.id) }, { [ref.name]: null }, { ctx })
        }
      }
    }
    await ctx.ops.delete(this.table, id)
    ctx.events.push({ operation: 'delete', entity: this.name, row: out })
  }
}

export function isDaoError(err: unknown): err is DaoError {
  return err instanceof DaoError
}

export { ERROR_CODES }
