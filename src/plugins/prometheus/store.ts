// The series this worker recorded since it started (the prometheus plugin's log phase writes
// them). The primary asks for them when /metrics is scraped, and the worker also pushes them now
// and then and before it exits, so that a replaced worker's counts are kept (exporter.ts).
import { METRICS, type Series, seriesKey } from './metrics.js'

const series: Series = new Map()
let changes = 0

/** Adds `by` to a counter series. */
export function inc(name: string, values: readonly (string | number)[], by: number): void {
  const key = seriesKey(name, METRICS[name].labels, values)
  const v = series.get(key)
  if (v === undefined) series.set(key, [by])
  else v[0] += by
  changes++
}

/** Records one observation of a histogram series. */
export function observe(name: string, values: readonly (string | number)[], value: number): void {
  const def = METRICS[name]
  const buckets = def.buckets!
  const key = seriesKey(name, def.labels, values)
  let v = series.get(key)
  if (v === undefined) {
    v = new Array<number>(buckets.length + 3).fill(0)
    series.set(key, v)
  }
  let i = 0
  while (i < buckets.length && value > buckets[i]) i++
  v[i]++
  v[buckets.length + 1] += value
  v[buckets.length + 2]++
  changes++
}

/** A counter of recordings: unchanged means nothing new to push. */
export function changeCount(): number {
  return changes
}

/** The series as sent to the primary (JSON of `[key, values]` pairs). */
export function encodeSeries(): string {
  return JSON.stringify([...series])
}

export function decodeSeries(text: string): [string, number[]][] {
  const parsed: unknown = JSON.parse(text)
  return Array.isArray(parsed) ? (parsed as [string, number[]][]) : []
}

/** Forgets everything (tests). */
export function resetSeries(): void {
  series.clear()
  changes = 0
}
