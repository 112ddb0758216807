// The sliding-window approximation (config.window_type = "sliding", beyond Kong OSS): the number
// of requests in the last window-length of time is estimated from two fixed windows as
//
//     current + previous × w,   w = the fraction of the current window still ahead
//
// i.e. the previous window's count weighted by how much of it the sliding window still covers
// (exact when the previous window's requests were evenly spread). The estimate is rounded up, so a
// request is admitted when `current + ceil(previous × w) < limit`: the same rule as a fixed window
// with that usage. What it guarantees is stated and tested in sliding.test.ts and
// docs/plugins/rate-limiting.md.

import { weightedCount } from '../../cluster/counters.js'

/** The weight of the previous window at `now`: the fraction of [start, end) still ahead, in [0, 1]. */
export function previousWeight(start: number, end: number, now: number): number {
  if (now <= start) return 1
  if (now >= end) return 0
  return (end - now) / (end - start)
}

/**
 * The part of the previous window's count still inside the sliding window, rounded up (the
 * rounding every policy uses: the node-wide counters, the Redis script, the cluster transaction).
 */
export const weightedPrevious = weightedCount

/** The estimated usage of the sliding window: the current count plus the weighted previous one. */
export function slidingUsage(current: number, previous: number, weight: number): number {
  return current + weightedPrevious(previous, weight)
}

/**
 * Milliseconds from `now` until one more request would be admitted, if no other request is
 * counted meanwhile (refused requests are not counted): 0 when it would be admitted now. The
 * current window is [start, end); the next one ends at `nextEnd`.
 */
export function slidingRetryMs(
  limit: number,
  current: number,
  previous: number,
  start: number,
  end: number,
  nextEnd: number,
  now: number,
): number {
  // admitted when ceil(previous × w) ≤ k, i.e. previous × w ≤ k (k is an integer)
  const k = Math.ceil(limit - current) - 1
  if (k >= 0) {
    if (previous <= 0 || weightedPrevious(previous, previousWeight(start, end, now)) <= k) return 0
    // w falls linearly from 1 at start to 0 at end: it reaches k / previous at
    const at = end - (k / previous) * (end - start)
    return Math.max(0, Math.ceil(at - now))
  }
  // Not in this window: in the next one, this window's count becomes the previous one and weighs
  // current × w'; one request fits once that is at most ceil(limit) - 1.
  const room = Math.ceil(limit) - 1
  const at = nextEnd - (room / current) * (nextEnd - end)
  return Math.max(0, Math.ceil(at - now))
}
