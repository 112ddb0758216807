import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CounterTable, decodeOps, decodeResults, encodeOps, encodeResults, takeBatch } from './counters.js'

describe('CounterTable', () => {
  it('takes while every counter is below its limit, atomically across counters', () => {
    const t = new CounterTable(() => 1000)
    const op = { keys: ['s', 'm'], limits: [3, 2], ttls: [1, 60] }
    assert.deepEqual(t.take(op), { allowed: true, usage: [0, 0] })
    assert.deepEqual(t.take(op), { allowed: true, usage: [1, 1] })
    // the minute counter is exhausted: nothing is counted, not even the second
    assert.deepEqual(t.take(op), { allowed: false, usage: [2, 2] })
    assert.deepEqual(t.take({ keys: ['s'], limits: [3], ttls: [1] }), { allowed: true, usage: [2] })
  })

  it('expires a counter ttl seconds after its creation, and sweeps expired ones', () => {
    let now = 0
    const t = new CounterTable(() => now)
    const op = { keys: ['k'], limits: [1], ttls: [1] }
    assert.equal(t.take(op).allowed, true)
    now = 999
    assert.equal(t.take(op).allowed, false)
    now = 1000
    assert.deepEqual(t.take(op), { allowed: true, usage: [0] })
    now = 20_000
    t.take({ keys: ['other'], limits: [5], ttls: [100] })
    assert.equal(t.size, 1)
  })

  it('encodes batches and results for IPC, and takes an encoded batch', () => {
    const ops = [
      {
        keys: ['ratelimit:a:b:id 1:0:second', 'ratelimit:a:b:id 1:0:minute'],
        limits: [2, 3.5],
        ttls: [1, 60],
      },
      { keys: ['k'], limits: [1], ttls: [3600] },
    ]
    assert.deepEqual(decodeOps(encodeOps(ops)), ops)
    assert.deepEqual(decodeOps(''), [])
    const results = [
      { allowed: true, usage: [0, 4] },
      { allowed: false, usage: [7] },
    ]
    assert.deepEqual(decodeResults(encodeResults(results)), results)
    const t = new CounterTable(() => 0)
    assert.deepEqual(decodeResults(takeBatch(t, encodeOps([ops[1], ops[1]]))), [
      { allowed: true, usage: [0] },
      { allowed: false, usage: [1] },
    ])
  })
})
