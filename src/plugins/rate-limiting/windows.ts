// Fixed rate-limiting windows aligned to UTC calendar boundaries (plugins.md §6.10).
import type { Period } from './schema.js'

/** Seconds a counter of each period lives (month and year as 30 and 365 days, as Kong). */
export const EXPIRATION: Readonly<Record<Period, number>> = {
  second: 1,
  minute: 60,
  hour: 3600,
  day: 86400,
  month: 2592000,
  year: 31536000,
}

export type WindowStarts = Readonly<Record<Period, number>>

let cachedSecond = -1
let cached: WindowStarts | null = null

/** The start (ms since the epoch) of the window of each period containing `nowMs`. */
export function windowStarts(nowMs: number): WindowStarts {
  const second = Math.floor(nowMs / 1000) * 1000
  if (second === cachedSecond && cached !== null) return cached
  const d = new Date(second)
  const starts = {
    second,
    minute: Math.floor(second / 60_000) * 60_000,
    hour: Math.floor(second / 3_600_000) * 3_600_000,
    day: Math.floor(second / 86_400_000) * 86_400_000,
    month: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1),
    year: Date.UTC(d.getUTCFullYear(), 0, 1),
  }
  cachedSecond = second
  cached = starts
  return starts
}

/** Seconds until the window of `period` that started at `start` ends, at least 1 (Kong's rule). */
export function resetSeconds(period: Period, start: number, nowMs: number): number {
  return Math.max(1, EXPIRATION[period] - Math.floor((nowMs - start) / 1000))
}
