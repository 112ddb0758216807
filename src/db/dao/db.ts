// The database facade (Kong's `kong.db`): one DAO per entity over one storage strategy, atomic
// write transactions, and the change feed the proxy follows (a version number plus the events of
// each committed transaction).
import { EventEmitter } from 'node:events'
import type { EntitySchema } from '../schema/entity.js'
import type { Field } from '../schema/field.js'
import type { Row, StoreOps, Strategy } from '../strategies/strategy.js'
import { Dao } from './dao.js'
import type { EntityHooks } from './hooks.js'

export interface ChangeEvent {
  operation: 'create' | 'update' | 'delete'
  /** Entity name, e.g. `routes`. */
  entity: string
  row: Row
  /** The previous state, for updates. */
  old?: Row
}

/** One committed write transaction. */
export interface ChangeBatch {
  version: number
  events: ChangeEvent[]
}

/** Where a read runs: a write transaction, or `DB.stale` (reads that tolerate staleness). */
export interface ReadContext {
  ops: StoreOps
}

export interface WriteContext extends ReadContext {
  events: ChangeEvent[]
}

export interface Reference {
  dao: Dao
  /** Name of the foreign field in the referencing entity. */
  name: string
  field: Field
}

export class DB extends EventEmitter<{ change: [ChangeBatch] }> {
  private readonly daos = new Map<string, Dao>()
  private readonly references = new Map<string, Reference[]>()
  /** Incremented once per committed write transaction that changed something. */
  version = 0
  /** DB-less mode: the DAOs refuse single-entity writes (a whole configuration replaces them). */
  readOnly = false

  /**
   * For reads that may lag behind the latest writes (a worker's cache miss): the strategy's
   * read-only replica when it has one (`pg_ro_host`), else the strategy itself.
   */
  readonly stale: ReadContext

  constructor(readonly strategy: Strategy) {
    super()
    this.stale = { ops: strategy.staleReads ?? strategy }
  }

  /** Registers entities (parents before children); `hooks` adds per-entity behaviour. */
  register(schemas: readonly EntitySchema[], hooks: Readonly<Record<string, EntityHooks>> = {}): void {
    for (const schema of schemas) this.daos.set(schema.name, new Dao(schema, this, hooks[schema.name]))
    this.references.clear()
    for (const dao of this.daos.values()) {
      for (const name of dao.schema.foreignFields) {
        const field = dao.schema.fields[name]
        const list = this.references.get(field.reference!) ?? []
        list.push({ dao, name, field })
        this.references.set(field.reference!, list)
      }
    }
  }

  dao<E extends Row = Row>(name: string): Dao<E> {
    const dao = this.daos.get(name)
    if (!dao) throw new Error(`unknown entity: ${name}`)
    return dao as unknown as Dao<E>
  }

  has(name: string): boolean {
    return this.daos.has(name)
  }

  get entities(): Dao[] {
    return [...this.daos.values()]
  }

  /** The foreign fields of other entities that reference `name`. */
  referencesTo(name: string): Reference[] {
    return this.references.get(name) ?? []
  }

  /**
   * Runs `fn` in a write transaction (or inside `ctx` when already in one). Events are published
   * only after the outermost transaction commits; nothing is published if it fails.
   */
  /** Runs inside each write transaction that changed something, before it commits. */
  beforeCommit: ((ops: StoreOps, events: ChangeEvent[]) => Promise<void>) | null = null

  async write<T>(ctx: WriteContext | undefined, fn: (ctx: WriteContext) => Promise<T>): Promise<T> {
    if (ctx) return fn(ctx)
    let events: ChangeEvent[] = []
    const result = await this.strategy.transaction(async (ops) => {
      const inner: WriteContext = { ops, events: [] }
      const r = await fn(inner)
      events = inner.events
      // e.g. the PostgreSQL events other nodes follow: committed with the write, or not at all
      if (events.length > 0 && this.beforeCommit) await this.beforeCommit(ops, events)
      return r
    })
    if (events.length > 0) {
      this.version++
      this.emit('change', { version: this.version, events })
    }
    return result
  }
}
