// A worker's way to the store for cache misses: a `lookup` message to the primary, answered by
// `lookup-result`. Unanswered lookups fail after a timeout (the request then fails, not hangs).
import type { Row, WorkerMessage } from '../../cluster/messages.js'
import type { EntityLookup } from '../../pdk/cache.js'

const TIMEOUT_MS = 5000

interface Pending {
  resolve: (rows: Row[]) => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout
}

export class IpcLookup implements EntityLookup {
  private nextId = 1
  private readonly pending = new Map<number, Pending>()

  constructor(private readonly send: (m: WorkerMessage) => void) {}

  private ask(entity: string, field: string, value: string, all: boolean): Promise<Row[]> {
    const id = this.nextId++
    return new Promise<Row[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new Error(`lookup of ${entity} by ${field} timed out`))
      }, TIMEOUT_MS)
      this.pending.set(id, { resolve, reject, timer })
      this.send({ type: 'lookup', id, entity, field, value, all })
    })
  }

  /** Handles a `lookup-result` message. */
  answer(id: number, rows: Row[], error?: string): void {
    const p = this.pending.get(id)
    if (!p) return
    this.pending.delete(id)
    clearTimeout(p.timer)
    if (error !== undefined) p.reject(new Error(error))
    else p.resolve(rows)
  }

  async select(entity: string, field: string, value: string): Promise<Row | null> {
    const rows = await this.ask(entity, field, value, false)
    return rows[0] ?? null
  }

  selectAllFor(entity: string, field: string, id: string): Promise<Row[]> {
    return this.ask(entity, field, id, true)
  }
}
