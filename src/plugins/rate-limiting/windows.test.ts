import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { resetSeconds, windowStarts } from './windows.js'

describe('rate-limiting windows', () => {
  it('align to UTC calendar boundaries', () => {
    const now = Date.UTC(2026, 10, 28, 23, 45, 12, 678)
    assert.deepEqual(windowStarts(now), {
      second: Date.UTC(2026, 10, 28, 23, 45, 12),
      minute: Date.UTC(2026, 10, 28, 23, 45),
      hour: Date.UTC(2026, 10, 28, 23),
      day: Date.UTC(2026, 10, 28),
      month: Date.UTC(2026, 10, 1),
      year: Date.UTC(2026, 0, 1),
    })
    // the next second starts new windows where the calendar says so
    const next = windowStarts(Date.UTC(2027, 0, 1, 0, 0, 0, 5))
    assert.equal(next.year, Date.UTC(2027, 0, 1))
    assert.equal(next.month, Date.UTC(2027, 0, 1))
  })

  it('reset is the rest of the window in whole seconds, at least 1, month and year as 30 and 365 days', () => {
    const start = Date.UTC(2026, 10, 28, 23, 45)
    assert.equal(resetSeconds('minute', start, start + 12_500), 48)
    assert.equal(resetSeconds('second', start, start + 999), 1)
    const month = Date.UTC(2026, 10, 1)
    assert.equal(resetSeconds('month', month, month + 86_400_000), 2592000 - 86400)
    // a 31-day month: past 30 days, Kong's formula bottoms out at 1
    assert.equal(resetSeconds('month', Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 31, 12)), 1)
  })
})
