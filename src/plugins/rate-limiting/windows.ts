// Rate-limiting windows aligned to UTC calendar boundaries (plugins.md §6.10), and what the
// sliding-window approximation needs from them: where each window ends and where the previous one
// started.
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

/**
 * Seconds a counter lives with sliding windows: it is still read during the whole next window,
 * so it must outlive two windows counted from the start of its own (62 days for two 31-day
 * months, 732 days for two leap years).
 */
export const SLIDING_EXPIRATION: Readonly<Record<Period, number>> = {
  second: 2,
  minute: 120,
  hour: 7200,
  day: 172800,
  month: 62 * 86400,
  year: 732 * 86400,
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

const FIXED_MS: Partial<Record<Period, number>> = {
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
}

/** The start of the window `offset` windows after (or before, when negative) the one at `start`. */
export function shiftWindow(period: Period, start: number, offset: number): number {
  const ms = FIXED_MS[period]
  if (ms !== undefined) return start + offset * ms
  const d = new Date(start)
  if (period === 'month') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset, 1)
  return Date.UTC(d.getUTCFullYear() + offset, 0, 1)
}

/** Where the window of `period` that started at `start` ends (its real calendar length). */
export const windowEnd = (period: Period, start: number): number => shiftWindow(period, start, 1)

/** Where the window before the one that started at `start` started. */
export const previousStart = (period: Period, start: number): number => shiftWindow(period, start, -1)
