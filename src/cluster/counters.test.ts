import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  CounterTable,
  decodeBatch,
  decodeGrants,
  decodeKeys,
  encodeAcquire,
  encodeGrants,
  encodeKeys,
  encodeRelease,
  joinRecords,
  LEASE_MS,
  NodeCounters,
  opKey,
  weightedCount,
} from './counters.js'

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

  it('admits while limit - usage > 0, as Kong: 3 requests with a limit of 2.5', () => {
    const t = new CounterTable(() => 0)
    const op = { keys: ['f'], limits: [2.5], ttls: [60] }
    assert.deepEqual(
      [1, 2, 3, 4].map(() => t.take(op).allowed),
      [true, true, true, false],
    )
  })

  it('sliding windows: counts the previous window weighted, rounded up, and tells its value', () => {
    const t = new CounterTable(() => 0)
    const previous = { keys: ['p'], limits: [100], ttls: [120] }
    for (let i = 0; i < 10; i++) t.take(previous)
    assert.equal(weightedCount(10, 0.25), 3)
    assert.equal(weightedCount(10, 0.3), 3) // 3.0000000000000004: noise, not a fourth request
    const op = { keys: ['c'], limits: [5], ttls: [120], previous: { keys: ['p'], weights: [0.25] } }
    // 0 + ceil(2.5) = 3, then 4; 5 would reach the limit
    assert.deepEqual(t.take(op), { allowed: true, usage: [3], previous: [10] })
    assert.deepEqual(t.take(op), { allowed: true, usage: [4], previous: [10] })
    assert.deepEqual(t.take(op), { allowed: false, usage: [5], previous: [10] })
    // later in the window the previous one weighs less: room again
    assert.deepEqual(t.take({ ...op, previous: { keys: ['p'], weights: [0.05] } }), {
      allowed: true,
      usage: [3],
      previous: [10],
    })
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

  it('grants a surplus of at most room / (4 × workers), and none near the limit', () => {
    const t = new CounterTable(() => 0)
    const op = { keys: ['k'], limits: [100], ttls: [60] }
    // 100 left, 2 workers: up to 12 units
    assert.deepEqual(t.acquire(op, 1, 2, 0), { allowed: true, usage: [0], granted: 12 })
    assert.deepEqual(t.holdersOf('k', -1), [0])
    // a request for more than the surplus gets what it asked for
    assert.deepEqual(t.acquire(op, 30, 2, 1), { allowed: true, usage: [12], granted: 30 })
    // 58 left: 7
    assert.equal(t.acquire(op, 1, 2, 1).granted, 7)
    // the surplus is capped at 1000
    assert.equal(t.acquire({ keys: ['big'], limits: [1e9], ttls: [60] }, 1, 1, 0).granted, 1000)
    // near the limit: exactly what is asked, no holder recorded
    const near = { keys: ['n'], limits: [10], ttls: [60] }
    assert.deepEqual(t.acquire(near, 3, 2, 0), { allowed: true, usage: [0], granted: 3 })
    assert.deepEqual(t.holdersOf('n', -1), [])
    // more than is left: what is left
    assert.deepEqual(t.acquire(near, 9, 2, 0), { allowed: true, usage: [3], granted: 7 })
    assert.deepEqual(t.acquire(near, 1, 2, 0), { allowed: false, usage: [10], granted: 0 })
    // the room is the smallest over the operation's counters
    const two = { keys: ['a', 'b'], limits: [1000, 8], ttls: [1, 60] }
    assert.deepEqual(t.acquire(two, 1, 1, 0), { allowed: true, usage: [0, 0], granted: 2 })
  })

  it('takes released units back, and forgets holders', () => {
    let now = 0
    const t = new CounterTable(() => now)
    const op = { keys: ['x', 'y'], limits: [100, 100], ttls: [1, 60] }
    t.acquire(op, 1, 1, 7)
    t.release(['x', 'y'], 20)
    assert.deepEqual(t.take(op).usage, [5, 5])
    // never below zero; an expired counter is left alone
    t.release(['x'], 1000)
    now = 1000
    t.release(['x'], 3)
    assert.deepEqual(t.take(op).usage, [0, 6])
    const key = opKey(op.keys)
    assert.deepEqual(t.holdersOf(key, -1), [7])
    assert.deepEqual(t.holdersOf(key, 7), [])
    t.forget(7, key)
    assert.deepEqual(t.holdersOf(key, -1), [])
    t.acquire({ keys: ['z'], limits: [100], ttls: [60] }, 1, 1, 3)
    t.forget(3)
    assert.deepEqual(t.holdersOf('z', -1), [])
    // a holder counts until its lease is over, and a second more
    t.acquire({ keys: ['w'], limits: [100], ttls: [60] }, 1, 1, 4)
    now += LEASE_MS + 999
    assert.deepEqual(t.holdersOf('w', -1), [4])
    now += 1
    assert.deepEqual(t.holdersOf('w', -1), [])
  })
})

describe('counters wire format', () => {
  it('encodes sliding acquisitions and the previous values of their grants', () => {
    const op = {
      keys: ['a', 'b'],
      limits: [5, 50],
      ttls: [2, 120],
      previous: { keys: ['pa', 'pb'], weights: [0.5, 0.125] },
    }
    const batch = decodeBatch(
      joinRecords([encodeAcquire(op, 3), encodeAcquire({ keys: ['x'], limits: [1], ttls: [1] }, 1)]),
    )
    assert.deepEqual(batch.acquires, [
      { want: 3, op },
      { want: 1, op: { keys: ['x'], limits: [1], ttls: [1] } },
    ])
    const grants = [
      { allowed: true, granted: 2, usage: [1, 7], previous: [4, 9] },
      { allowed: false, granted: 0, usage: [1] },
    ]
    assert.deepEqual(decodeGrants(encodeGrants(grants)), grants)
  })

  it('encodes acquisitions, releases, grants and reclaimed keys', () => {
    const op = {
      keys: ['ratelimit:a:b:id 1:0:second', 'ratelimit:a:b:id 1:0:minute'],
      limits: [2, 3.5],
      ttls: [1, 60],
    }
    const batch = joinRecords([
      encodeRelease(['k1', 'k2'], 4),
      encodeAcquire(op, 3),
      encodeAcquire({ keys: ['k'], limits: [1], ttls: [3600] }, 1),
    ])
    assert.deepEqual(decodeBatch(batch), {
      releases: [{ keys: ['k1', 'k2'], units: 4 }],
      acquires: [
        { op, want: 3 },
        { op: { keys: ['k'], limits: [1], ttls: [3600] }, want: 1 },
      ],
    })
    assert.deepEqual(decodeBatch(''), { acquires: [], releases: [] })
    const grants = [
      { allowed: true, granted: 12, usage: [0, 4] },
      { allowed: false, granted: 0, usage: [7] },
    ]
    assert.deepEqual(decodeGrants(encodeGrants(grants)), grants)
    assert.deepEqual(decodeGrants(''), [])
    assert.deepEqual(decodeKeys(encodeKeys([opKey(['a', 'b']), 'c'])), [opKey(['a', 'b']), 'c'])
    assert.deepEqual(decodeKeys(''), [])
  })
})

describe('NodeCounters', () => {
  const op = { keys: ['k'], limits: [8], ttls: [60] }

  /**
   * Worker 1 is granted 2 units of 8 (1 wanted + 1 ahead), worker 2 takes the other 6 and asks
   * for one more: the answer to that (empty while held back).
   */
  function contended(n: NodeCounters, o = op): () => string {
    n.batch(1, encodeAcquire(o, 1), () => {})
    n.batch(2, encodeAcquire(o, 6), () => {})
    let answer = ''
    n.batch(2, encodeAcquire(o, 1), (g) => {
      answer = g
    })
    return () => answer
  }

  it('answers at once when nothing stands in the way', () => {
    const n = new NodeCounters(
      new CounterTable(() => 0),
      () => assert.fail('no reclaim'),
      () => 1,
    )
    let got = ''
    n.batch(0, joinRecords([encodeAcquire(op, 1)]), (g) => {
      got = g
    })
    assert.deepEqual(decodeGrants(got), [{ allowed: true, granted: 2, usage: [0] }])
  })

  it('reclaims the leases of other workers before refusing, then grants what came back', () => {
    const table = new CounterTable(() => 0)
    const asked: [number, number, string[]][] = []
    const n = new NodeCounters(
      table,
      (w, id, keys) => {
        asked.push([w, id, keys])
        return true
      },
      () => 1,
    )
    const answer = contended(n)
    assert.equal(answer(), '', 'held back until worker 1 answers')
    assert.deepEqual(asked, [[1, asked[0][1], ['k']]])
    n.released(asked[0][1], encodeRelease(['k'], 1))
    assert.deepEqual(decodeGrants(answer()), [{ allowed: true, granted: 1, usage: [7] }])
    // worker 1 was forgotten as a holder: the next refusal is immediate
    let next = ''
    n.batch(2, encodeAcquire(op, 1), (g) => {
      next = g
    })
    assert.deepEqual(decodeGrants(next), [{ allowed: false, granted: 0, usage: [8] }])
    assert.equal(asked.length, 1)
  })

  it('refuses after a timeout when the holder does not answer, or at once when it is gone', async () => {
    const table = new CounterTable()
    let reachable = true
    const n = new NodeCounters(
      table,
      () => reachable,
      () => 1,
    )
    n.batch(1, encodeAcquire(op, 1), () => {})
    n.batch(2, encodeAcquire(op, 6), () => {})
    const started = Date.now()
    const answer = await new Promise<string>((resolve) => n.batch(2, encodeAcquire(op, 1), resolve))
    assert.ok(Date.now() - started >= 150)
    assert.deepEqual(decodeGrants(answer), [{ allowed: false, granted: 0, usage: [8] }])
    // a holder that cannot be asked (not connected) is not waited for
    reachable = false
    const now = contended(n, { keys: ['q'], limits: [8], ttls: [60] })
    assert.deepEqual(decodeGrants(now()), [{ allowed: false, granted: 0, usage: [8] }])
  })

  it('stops waiting for a worker that exits', () => {
    const n = new NodeCounters(
      new CounterTable(() => 0),
      () => true,
      () => 1,
    )
    const answer = contended(n)
    assert.equal(answer(), '')
    n.forget(1)
    assert.deepEqual(decodeGrants(answer()), [{ allowed: false, granted: 0, usage: [8] }])
  })
})
