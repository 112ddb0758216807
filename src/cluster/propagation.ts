// Changes between PostgreSQL nodes (docs/architecture.md, "Several nodes"). Every write
// transaction records its change events in `cluster_events` before it commits, and notifies the
// other nodes at commit (NOTIFY). Each node applies the events it has not seen, in id order: at
// once when notified, and every `db_update_frequency` seconds in case a notification was lost
// (connection cut, restart). A node whose database is unreachable keeps serving what it has and
// catches up when the database answers again.
import type { ChangeEvent, DB } from '../db/dao/db.js'
import type { PostgresOps, PostgresStrategy } from '../db/strategies/postgres/index.js'

/** Events older than this are purged (every node has long applied them). */
const KEEP_SECONDS = 3600

export class Propagation {
  private last = 0
  private running: Promise<void> | null = null
  private again = false
  private stopListening: (() => void) | null = null
  private timers: NodeJS.Timeout[] = []

  constructor(
    private readonly strategy: PostgresStrategy,
    private readonly db: DB,
    private readonly nodeId: string,
    /** Applies another node's committed events to this node. */
    private readonly apply: (events: ChangeEvent[]) => void,
    private readonly pollSeconds: number,
    /** Reports a problem the node cannot repair by itself. */
    private readonly warn: (message: string) => void = () => undefined,
  ) {}

  /** When the events were last read (ms since the epoch). */
  private lastRead = Date.now()

  /** Publishes this node's writes; remembers where to follow from. Call before loading the config. */
  async init(): Promise<void> {
    this.db.beforeCommit = (ops, events) => (ops as PostgresOps).publish(this.nodeId, JSON.stringify(events))
    this.last = await this.strategy.lastEventId()
  }

  /** Starts following the other nodes' events. */
  follow(): void {
    this.stopListening = this.strategy.listen(() => this.catchUp())
    const poll = setInterval(() => this.catchUp(), Math.max(0.1, this.pollSeconds) * 1000)
    const purge = setInterval(
      () => void this.strategy.purgeEvents(KEEP_SECONDS).catch(() => undefined),
      600_000,
    )
    poll.unref()
    purge.unref()
    this.timers.push(poll, purge)
  }

  /** Applies the events not seen yet (one pass at a time; a request during a pass runs another). */
  catchUp(): Promise<void> {
    if (this.running) {
      this.again = true
      return this.running
    }
    this.running = (async () => {
      do {
        this.again = false
        try {
          for (;;) {
            const events = await this.strategy.eventsAfter(this.last)
            this.checkGap()
            if (events.length === 0) break
            for (const e of events) {
              this.last = e.id
              if (e.nodeId !== this.nodeId) this.apply(JSON.parse(e.batch) as ChangeEvent[])
            }
          }
        } catch {
          // the database is away: keep serving, try again at the next notification or poll
        }
      } while (this.again)
      this.running = null
    })()
    return this.running
  }

  /**
   * Events are purged after KEEP_SECONDS: a node that could not read them for longer (cut off
   * from the database while other nodes wrote) may have missed some, and says so.
   */
  private checkGap(): void {
    const away = (Date.now() - this.lastRead) / 1000
    this.lastRead = Date.now()
    if (away > KEEP_SECONDS)
      this.warn(
        `the database was out of reach for ${Math.round(away / 60)} minutes, longer than changes are kept ` +
          `(${KEEP_SECONDS / 60} minutes): changes made meanwhile on other nodes may be missing here; restart this node`,
      )
  }

  stop(): void {
    this.stopListening?.()
    for (const t of this.timers) clearInterval(t)
    this.db.beforeCommit = null
  }
}
