// Connections to one destination (proxying.md §7): every connection of a pool is
// interchangeable. Idle connections are kept LIFO — the most recently used one is reused first,
// so the others age out through their idle timeout when the load drops — and at most `poolSize`
// of them. Active connections are not limited.
import type { Connection } from './connection.js'

export class Pool {
  readonly key: string
  /** Every open connection of the pool (connecting, active or idle). */
  readonly all = new Set<Connection>()
  /** Idle connections, most recently released last. */
  readonly idle: Connection[] = []
  private readonly poolSize: number
  private readonly onEmpty: (pool: Pool) => void

  constructor(key: string, poolSize: number, onEmpty: (pool: Pool) => void) {
    this.key = key
    this.poolSize = poolSize
    this.onEmpty = onEmpty
  }

  add(conn: Connection): void {
    this.all.add(conn)
  }

  /** The most recently used idle connection, removed from the idle list; null if none. */
  take(): Connection | null {
    return this.idle.pop() ?? null
  }

  /** Keeps `conn` as idle if there is room. Returns false when the caller must close it. */
  release(conn: Connection): boolean {
    if (this.idle.length >= this.poolSize) return false
    this.idle.push(conn)
    return true
  }

  /** Forgets a closed connection. The engine drops the pool when nothing is left in it. */
  remove(conn: Connection): void {
    if (!this.all.delete(conn)) return
    const idle = this.idle
    // Expired connections sit at the bottom of the stack: the search from the start is short.
    const i = idle.indexOf(conn)
    if (i !== -1) idle.splice(i, 1)
    if (this.all.size === 0) this.onEmpty(this)
  }

  get activeCount(): number {
    return this.all.size - this.idle.length
  }
}
