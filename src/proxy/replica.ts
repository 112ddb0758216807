// A worker's copy of the entities the proxy needs, kept current by change batches from the
// primary. Snapshots are built from it.
import { PROXY_ENTITIES, type ReplicaEvent, type Row } from '../cluster/messages.js'

export class Replica {
  private readonly tables = new Map<string, Map<string, Row>>()
  version = -1

  constructor() {
    for (const name of PROXY_ENTITIES) this.tables.set(name, new Map())
  }

  /** Replaces everything with a full copy. */
  load(version: number, entities: Record<string, Row[]>): void {
    for (const [name, table] of this.tables) {
      table.clear()
      for (const row of entities[name] ?? []) table.set(String(row.id), row)
    }
    this.version = version
  }

  /**
   * Applies one change batch. Returns false (and changes nothing) when the batch does not follow
   * the current version: the worker must then ask for a full copy.
   */
  apply(version: number, events: readonly ReplicaEvent[]): boolean {
    if (version !== this.version + 1) return false
    for (const e of events) {
      const table = this.tables.get(e.entity)
      if (!table) continue
      if (e.operation === 'delete') table.delete(String(e.row.id))
      else table.set(String(e.row.id), e.row)
    }
    this.version = version
    return true
  }

  rows(entity: string): IterableIterator<Row> {
    const table = this.tables.get(entity)
    return (table ?? new Map<string, Row>()).values()
  }

  get(entity: string, id: string): Row | undefined {
    return this.tables.get(entity)?.get(id)
  }

  count(entity: string): number {
    return this.tables.get(entity)?.size ?? 0
  }
}
