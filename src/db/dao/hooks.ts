// Per-entity behaviour that the generic DAO cannot derive from the schema (Kong keeps these in
// per-entity DAO modules): SNIs owned by certificates, digests of CA certificates, target
// normalization, plugin protocol checks...
import type { Context } from '../schema/auto-fields.js'
import type { FieldErrors } from '../schema/record.js'
import type { Row, StoreOps } from '../strategies/strategy.js'
import type { Dao } from './dao.js'
import type { WriteContext } from './db.js'

export interface HookContext {
  dao: Dao
  /** Store operations of the current transaction. */
  ops: StoreOps
  /** The current write transaction, to write related entities in it. */
  ctx: WriteContext
  context: Context
  /** The raw client input. */
  input: Row
  /** The stored entity before an update/upsert, if any. */
  old?: Row | null
}

export interface EntityHooks {
  /** Rewrites raw input before defaults and validation. */
  prepareInput?(input: Row, context: Context): Row
  /** Extra validation needing the store; returns field errors (schema violation) when invalid. */
  validate?(entity: Row, ctx: HookContext): Promise<FieldErrors | undefined> | FieldErrors | undefined
  /**
   * Kong's write-time schema transformations (a CA certificate's digest...): pure functions of
   * the validated entity. Declarative files with `_transform: false` skip them.
   */
  transformations?(entity: Row): Row
  /**
   * What `transform` does, for a complete entity of a declarative file loaded with `_transform`
   * on (no store, no client input: every field is given).
   */
  declarativeTransform?(entity: Row): Row
  /** Computes derived fields that need the store, before the entity is written. */
  transform?(entity: Row, ctx: HookContext): Row | Promise<Row>
  /** Runs inside the write transaction, after the row is written. */
  afterWrite?(entity: Row, ctx: HookContext): Promise<void>
  /** Runs inside the delete transaction before the row goes; throws a DaoError to refuse. */
  beforeDelete?(entity: Row, ctx: HookContext): Promise<void>
  /** Shapes an entity for output (e.g. adds a certificate's SNI names). */
  present?(entity: Row, ops: StoreOps, dao: Dao): Promise<Row>
}
