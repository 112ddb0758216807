import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { previousWeight, slidingRetryMs, slidingUsage, weightedPrevious } from './sliding.js'
import { previousStart, SLIDING_EXPIRATION, shiftWindow, windowEnd } from './windows.js'

const L = 60_000

/** A deterministic PRNG (Park-Miller), so every run checks the same arrival patterns. */
function prng(seed: number): () => number {
  let s = seed
  return () => {
    s = (s * 16807) % 2147483647
    return s / 2147483647
  }
}

/** Admits `arrivals` (ms, ascending) with one minute-long sliding limit; returns the admitted times. */
function admit(arrivals: readonly number[], limit: number): number[] {
  const counts = new Map<number, number>()
  const admitted: number[] = []
  for (const t of arrivals) {
    const start = Math.floor(t / L) * L
    const current = counts.get(start) ?? 0
    const previous = counts.get(start - L) ?? 0
    if (limit - slidingUsage(current, previous, previousWeight(start, start + L, t)) > 0) {
      counts.set(start, current + 1)
      admitted.push(t)
    }
  }
  return admitted
}

const inRange = (times: readonly number[], from: number, to: number) =>
  times.filter((t) => t > from && t <= to).length

/** Arrival patterns: steady, bursty at window ends, random (Poisson), clustered. */
function patterns(limit: number): Record<string, number[]> {
  const out: Record<string, number[]> = {}
  for (const factor of [1, 2, 10]) {
    const even: number[] = []
    for (let t = 0.5; t < 20 * L; t += L / (limit * factor)) even.push(t)
    out[`even ×${factor}`] = even
  }
  const ends: number[] = []
  for (let w = 0; w < 20; w++) for (let i = 0; i < 3 * limit; i++) ends.push(w * L + L - 500 + i)
  out['bursts at window ends'] = ends
  for (const [seed, factor] of [
    [7, 1],
    [11, 3],
    [13, 10],
  ]) {
    const rnd = prng(seed)
    const poisson: number[] = []
    let t = 0
    while (t < 100 * L) {
      t += (-Math.log(1 - rnd()) * L) / (limit * factor)
      poisson.push(t)
    }
    out[`poisson ×${factor}`] = poisson
  }
  const rnd = prng(5)
  const clustered: number[] = []
  for (let c = 0; c < 300; c++) {
    const at = rnd() * 50 * L
    for (let i = 0; i < 1 + Math.floor(rnd() * limit); i++) clustered.push(at + i * 3)
  }
  out.clustered = clustered.sort((a, b) => a - b)
  return out
}

describe('sliding-window approximation', () => {
  it('weighs the previous window by the part of the current one still ahead', () => {
    assert.equal(previousWeight(0, L, 0), 1)
    assert.equal(previousWeight(0, L, 15_000), 0.75)
    assert.equal(previousWeight(0, L, L), 0)
    assert.equal(weightedPrevious(10, 0.75), 8) // 7.5 rounded up
    assert.equal(weightedPrevious(10, 0.3), 3) // 3.0000000000000004 is 3
    assert.equal(weightedPrevious(0, 1), 0)
    assert.equal(slidingUsage(4, 10, 0.25), 4 + 3)
  })

  it('windows: real calendar lengths, previous starts, counters outliving two windows', () => {
    const feb = Date.UTC(2028, 1, 1)
    assert.equal(windowEnd('month', feb), Date.UTC(2028, 2, 1)) // 29 days in 2028
    assert.equal(previousStart('month', Date.UTC(2028, 0, 1)), Date.UTC(2027, 11, 1))
    assert.equal(previousStart('year', Date.UTC(2028, 0, 1)), Date.UTC(2027, 0, 1))
    assert.equal(shiftWindow('minute', 120_000, -1), 60_000)
    assert.ok(SLIDING_EXPIRATION.month * 1000 >= 62 * 86_400_000)
    assert.ok(SLIDING_EXPIRATION.year * 1000 >= Date.UTC(2029, 0, 1) - Date.UTC(2027, 0, 1))
  })

  it('never admits more than the limit in any aligned window, whatever the arrivals', () => {
    for (const limit of [1, 3, 10, 100]) {
      for (const [name, arrivals] of Object.entries(patterns(limit))) {
        const admitted = admit(arrivals, limit)
        const perWindow = new Map<number, number>()
        for (const t of admitted) {
          const w = Math.floor(t / L)
          perWindow.set(w, (perWindow.get(w) ?? 0) + 1)
        }
        for (const [w, n] of perWindow) assert.ok(n <= limit, `${name}, limit ${limit}: ${n} in window ${w}`)
      }
    }
  })

  it('over-admits in a sliding window by at most previous × e, and never when the previous window was not denser at its end', () => {
    // For a sliding window (t - L, t] ending at an admission t, with e the elapsed fraction of the
    // current aligned window and `previous` what that window's predecessor admitted:
    //   count ≤ limit + previous × e                          (any arrivals)
    //   count ≤ limit  when the predecessor's admissions inside (t - L, t] are at most previous × (1 - e)
    for (const limit of [1, 3, 10, 100]) {
      for (const [name, arrivals] of Object.entries(patterns(limit))) {
        const admitted = admit(arrivals, limit)
        for (const t of admitted) {
          const start = Math.floor(t / L) * L
          const e = (t - start) / L
          const previous = inRange(admitted, start - L - 1e-9, start - 1e-9)
          const count = inRange(admitted, t - L, t)
          assert.ok(count <= limit + previous * e + 1e-9, `${name}, limit ${limit}, t ${t}: ${count}`)
          const fromPrevious = inRange(admitted, t - L, start - 1e-9)
          if (fromPrevious <= previous * (1 - e)) assert.ok(count <= limit, `${name}: ${count} > ${limit}`)
        }
      }
    }
  })

  it('under an even load, at or far above the limit, no sliding window holds more than the limit', () => {
    for (const limit of [1, 3, 10, 100]) {
      for (const factor of [1, 2, 10]) {
        const admitted = admit(patterns(limit)[`even ×${factor}`], limit)
        let j = 0
        for (let i = 0; i < admitted.length; i++) {
          while (admitted[j] <= admitted[i] - L) j++
          assert.ok(i - j + 1 <= limit, `limit ${limit}, load ×${factor}: ${i - j + 1}`)
        }
        // and it does not starve: at least limit - 1 per window in the steady state
        assert.ok(admitted.length >= 19 * (limit - 1), `limit ${limit}: ${admitted.length} in 20 windows`)
      }
    }
  })

  it('closes the boundary burst of fixed windows: a full previous window leaves room only as it slides out', () => {
    const limit = 10
    // the previous window admitted 10 requests in its last second
    const burst = Array.from({ length: 10 }, (_, i) => L - 1000 + i)
    // then 30 requests right after the boundary, and 30 more in the middle of the window
    const after = Array.from({ length: 30 }, (_, i) => L + 1 + i)
    const middle = Array.from({ length: 30 }, (_, i) => L + L / 2 + i)
    const admitted = admit([...burst, ...after, ...middle], limit)
    assert.equal(inRange(admitted, 0, L), 10)
    assert.equal(inRange(admitted, L, L + 1000), 0) // fixed windows would admit 10 more here
    // at mid-window the previous window still weighs 5, so 5 fit (usages 5 to 9). The last minute
    // then holds 15 = limit + previous × e: the worst case, reached because the previous window's
    // requests were all at its very end
    assert.equal(inRange(admitted, L + L / 2 - 1, L + L / 2 + 100), 5)
  })

  it('Retry-After is when the next request would be admitted', () => {
    const cases: [number, number, number, number][] = [
      // limit, current, previous, now (in the window [L, 2L))
      [10, 4, 10, L + L / 2], // previous weighs 5: admitted now
      [10, 4, 20, L + L / 4], // previous weighs 15: must fall to 5 → at 3/4 of the window
      [10, 10, 0, L + 1000], // current full: in the next window, once 10 × w' ≤ 9
      [10, 9, 8, L + 100],
      [1, 1, 1, L + 30_000],
      [3, 0, 7, L],
    ]
    for (const [limit, current, previous, now] of cases) {
      const wait = slidingRetryMs(limit, current, previous, L, 2 * L, 3 * L, now)
      const admittedAt = (t: number) => {
        const inCurrent = t < 2 * L
        const cur = inCurrent ? current : 0
        const prev = inCurrent ? previous : current
        const start = inCurrent ? L : 2 * L
        return limit - slidingUsage(cur, prev, previousWeight(start, start + L, t)) > 0
      }
      assert.ok(admittedAt(now + wait), `${[limit, current, previous, now]}: admitted after ${wait} ms`)
      if (wait > 0) assert.ok(!admittedAt(now + wait - 1), `${[limit, current, previous, now]}: not before`)
    }
  })
})
