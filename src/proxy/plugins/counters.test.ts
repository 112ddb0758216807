import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CounterTable, encodeKeys, LEASE_MS, NodeCounters } from '../../cluster/counters.js'
import type { WorkerMessage } from '../../cluster/messages.js'
import type { CounterAnswer } from '../../pdk/types.js'
import { LeasedCounters } from './counters.js'

/** Workers and a primary wired together in-process, messages delivered on later turns. */
function node(workers: number, clock: () => number = Date.now) {
  const table = new CounterTable(clock)
  const sides: LeasedCounters[] = []
  let messages = 0
  const primary = new NodeCounters(
    table,
    (w, id, keys) => {
      setImmediate(() => sides[w].reclaim(id, encodeKeys(keys)))
      return true
    },
    () => workers,
  )
  for (let w = 0; w < workers; w++) {
    const send = (m: WorkerMessage) => {
      messages++
      setImmediate(() => {
        if (m.type === 'counters')
          primary.batch(w, m.ops, (results) => setImmediate(() => sides[w].answer(m.id, results)))
        else if (m.type === 'counters-released') primary.released(m.id, m.ops)
      })
    }
    sides.push(new LeasedCounters(send, clock))
  }
  return { table, sides, messages: () => messages }
}

const take = (c: LeasedCounters, limit: number, key = 'k') => c.take([key], [limit], [60])

async function allowedOf(answers: (CounterAnswer | Promise<CounterAnswer>)[]): Promise<number> {
  return (await Promise.all(answers)).filter((a) => a.allowed).length
}

describe('LeasedCounters', () => {
  it('answers from a lease without a message once granted one', async () => {
    const { sides, messages } = node(1)
    const first = take(sides[0], 1e9)
    assert.ok(first instanceof Promise)
    assert.deepEqual(await first, { allowed: true, usage: [0] })
    assert.equal(messages(), 1)
    // 1000 units were granted ahead: the next 999 takes are synchronous
    for (let i = 1; i < 1000; i++) {
      const a = take(sides[0], 1e9)
      assert.ok(!(a instanceof Promise), `take ${i}`)
      assert.deepEqual(a, { allowed: true, usage: [i] })
    }
    assert.equal(messages(), 1)
    assert.ok(take(sides[0], 1e9) instanceof Promise)
  })

  it('finds the lease of several counters by their keys, frozen arrays or not', async () => {
    const { sides, messages } = node(1)
    const frozen = Object.freeze(['s', 'm'])
    assert.deepEqual(await sides[0].take(frozen, [1e9, 1e9], [1, 60]), { allowed: true, usage: [0, 0] })
    assert.deepEqual(sides[0].take(frozen, [1e9, 1e9], [1, 60]), { allowed: true, usage: [1, 1] })
    assert.deepEqual(sides[0].take(['s', 'm'], [1e9, 1e9], [1, 60]), { allowed: true, usage: [2, 2] })
    // the same keys in another order are other counters' operation
    assert.ok(sides[0].take(['m', 's'], [1e9, 1e9], [60, 1]) instanceof Promise)
    assert.equal(messages(), 1)
  })

  it('turns the takes of one turn on the same counters into one acquisition', async () => {
    const { sides, messages } = node(2)
    const answers = Array.from({ length: 10 }, () => take(sides[0], 10))
    assert.equal(await allowedOf(answers), 10)
    assert.deepEqual(
      (await Promise.all(answers)).map((a) => a.usage[0]),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    )
    assert.equal(messages(), 1)
    assert.deepEqual(await take(sides[0], 10), { allowed: false, usage: [10] })
  })

  it('never lets more than the limit through across workers, and refuses only when it is spent', async () => {
    for (const limit of [1, 7, 10, 100, 1000]) {
      const { sides } = node(3)
      const answers: (CounterAnswer | Promise<CounterAnswer>)[] = []
      // bursts on every worker, some on other counters, over several turns
      for (let turn = 0; turn < 20; turn++) {
        for (let w = 0; w < 3; w++) {
          for (let i = 0; i < ((turn + w) % 4) * limit * 0.05 + 1; i++) answers.push(take(sides[w], limit))
          take(sides[w], limit, `other-${w}`)
        }
        await new Promise((r) => setImmediate(r))
      }
      const n = answers.length
      assert.ok(n > limit, `${n} takes for ${limit}`)
      assert.equal(await allowedOf(answers), limit, `limit ${limit}`)
    }
  })

  it('gives unspent units back after the lease time, and at once when reclaimed', async () => {
    let now = 0
    const { table, sides } = node(2, () => now)
    // worker 0 spends 1 of its first grant (12 units of 100 left for 2 workers)
    assert.deepEqual(await take(sides[0], 100), { allowed: true, usage: [0] })
    assert.deepEqual(table.take({ keys: ['k'], limits: [1e9], ttls: [60] }).usage, [12])
    now = LEASE_MS + 1
    sides[0].expire()
    await new Promise((r) => setTimeout(r, 5))
    assert.deepEqual(table.take({ keys: ['k'], limits: [1e9], ttls: [60] }).usage, [2])
    // worker 1 holds a lease while worker 0 reaches the limit: its units are reclaimed
    const { sides: two } = node(2)
    assert.equal((await take(two[1], 20)).allowed, true) // granted 2 (20 / 8), 1 of them ahead
    const burst = Array.from({ length: 20 }, () => take(two[0], 20))
    assert.equal(await allowedOf(burst), 19)
    assert.ok(take(two[1], 20) instanceof Promise, 'the lease was taken back')
  })
})
