// rate-limiting's `cluster` policy: the counters live in the store (ratelimiting_metrics), shared
// by every node on the same database. Workers have no store: a request's check-and-count is a call
// to the primary process (kong.primary.call('take', …)), which runs it as one transaction:
//
//   for each window, in period order:  INSERT … ON CONFLICT DO UPDATE SET value = value + 1 RETURNING value
//   then, if any window is over its limit: ROLLBACK (a refused request is not counted), else COMMIT
//
// The upsert locks each window's row until the transaction ends, so concurrent requests on any
// node are counted one after the other: a limit is never overshot. Rows are always locked in the
// same (period) order, so two transactions cannot deadlock. Previous windows (sliding) are only
// read. Expired rows are purged by each primary at most once a minute.

import { weightedCount } from '../../cluster/counters.js'
import type { SqlTransaction } from '../../db/strategies/strategy.js'
import type { PrimaryContext } from '../definition.js'

/** What a worker sends for one request. */
export interface ClusterTake {
  route_id: string
  service_id: string
  identifier: string
  periods: string[]
  /** Each window's start, ms. */
  dates: number[]
  limits: number[]
  /** Seconds each row is kept after its creation. */
  ttls: number[]
  /** Sliding windows: the previous windows' starts and weights. */
  previous?: { dates: number[]; weights: number[] }
}

export interface ClusterAnswer {
  allowed: boolean
  usage: number[]
  previous?: number[]
}

const UPSERT = `INSERT INTO ratelimiting_metrics (identifier, period, period_date, service_id, route_id, value, ttl)
VALUES (?, ?, ?, ?, ?, 1, ?)
ON CONFLICT (identifier, period, period_date, service_id, route_id)
DO UPDATE SET value = ratelimiting_metrics.value + excluded.value
RETURNING value`

const SELECT = `SELECT value FROM ratelimiting_metrics
WHERE identifier = ? AND period = ? AND period_date = ? AND service_id = ? AND route_id = ?`

const PURGE = 'DELETE FROM ratelimiting_metrics WHERE ttl < ?'

const PURGE_EVERY_MS = 60_000
let lastPurge = 0

function isNumbers(v: unknown, n: number): v is number[] {
  return Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isFinite(x))
}

function parse(args: unknown): ClusterTake {
  const a = args as ClusterTake
  const n = Array.isArray(a?.periods) ? a.periods.length : -1
  if (
    n < 1 ||
    typeof a.route_id !== 'string' ||
    typeof a.service_id !== 'string' ||
    typeof a.identifier !== 'string' ||
    !a.periods.every((p) => typeof p === 'string') ||
    !isNumbers(a.dates, n) ||
    !isNumbers(a.limits, n) ||
    !isNumbers(a.ttls, n) ||
    (a.previous !== undefined && !(isNumbers(a.previous.dates, n) && isNumbers(a.previous.weights, n)))
  ) {
    throw new Error('invalid rate-limiting counter request')
  }
  return a
}

async function count(tx: SqlTransaction, t: ClusterTake, now: number): Promise<ClusterAnswer> {
  const n = t.periods.length
  let previous: number[] | undefined
  if (t.previous !== undefined) {
    previous = []
    for (let i = 0; i < n; i++) {
      const rows = await tx.query(SELECT, [
        t.identifier,
        t.periods[i],
        t.previous.dates[i],
        t.service_id,
        t.route_id,
      ])
      previous.push(rows.length > 0 ? Number(rows[0].value) : 0)
    }
  }
  const usage: number[] = []
  let allowed = true
  for (let i = 0; i < n; i++) {
    const rows = await tx.query(UPSERT, [
      t.identifier,
      t.periods[i],
      t.dates[i],
      t.service_id,
      t.route_id,
      now + t.ttls[i] * 1000,
    ])
    let u = Number(rows[0].value) - 1
    if (previous !== undefined && t.previous !== undefined)
      u += weightedCount(previous[i], t.previous.weights[i])
    usage.push(u)
    if (t.limits[i] - u <= 0) allowed = false
  }
  if (!allowed) tx.rollback()
  return previous === undefined ? { allowed, usage } : { allowed, usage, previous }
}

/** The primary's side of one request (kong.primary.call('take', ClusterTake)). */
export async function take(ctx: PrimaryContext, args: unknown): Promise<ClusterAnswer> {
  const t = parse(args)
  const now = Date.now()
  const answer = await ctx.store.sqlTransaction((tx) => count(tx, t, now))
  if (now - lastPurge > PURGE_EVERY_MS) {
    lastPurge = now
    ctx.store.sqlTransaction((tx) => tx.query(PURGE, [now])).catch(() => undefined)
  }
  return answer
}
