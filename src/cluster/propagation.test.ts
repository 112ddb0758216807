// Following other nodes' events: applied in order, own events skipped, failures retried later,
// and a warning when the node was cut off for longer than events are kept.
import assert from 'node:assert/strict'
import { describe, it, mock } from 'node:test'
import type { ChangeEvent, DB } from '../db/dao/db.js'
import type { ClusterEvent, PostgresStrategy } from '../db/strategies/postgres/index.js'
import { Propagation } from './propagation.js'

function fakeStore(events: ClusterEvent[], failing: { on: boolean }): PostgresStrategy {
  return {
    lastEventId: async () => 0,
    eventsAfter: async (id: number) => {
      if (failing.on) throw new Error('unreachable')
      return events.filter((e) => e.id > id)
    },
  } as unknown as PostgresStrategy
}

const event = (id: number, nodeId: string): ClusterEvent => ({
  id,
  nodeId,
  batch: JSON.stringify([{ operation: 'create', entity: 'routes', row: { id: String(id) } }]),
})

describe('Propagation', () => {
  it("applies the other nodes' events in order, once; its own are skipped", async () => {
    const applied: string[] = []
    const events = [event(1, 'other'), event(2, 'me'), event(3, 'other')]
    const p = new Propagation(
      fakeStore(events, { on: false }),
      {} as DB,
      'me',
      (e: ChangeEvent[]) => {
        applied.push(String(e[0].row.id))
      },
      5,
    )
    await p.catchUp()
    await p.catchUp()
    assert.deepEqual(applied, ['1', '3'])
  })

  it('warns when the events could not be read for longer than they are kept', async () => {
    const warnings: string[] = []
    const failing = { on: false }
    let now = 1_000_000
    const clock = mock.method(Date, 'now', () => now)
    try {
      const p = new Propagation(
        fakeStore([], failing),
        {} as DB,
        'me',
        () => undefined,
        5,
        (m) => warnings.push(m),
      )
      await p.catchUp()
      failing.on = true
      now += 30 * 60_000
      await p.catchUp()
      now += 20 * 60_000
      await p.catchUp()
      assert.deepEqual(warnings, [])
      failing.on = false
      now += 20 * 60_000
      await p.catchUp()
      assert.equal(warnings.length, 1)
      assert.match(warnings[0], /out of reach for 70 minutes.*restart this node/)
      now += 1000
      await p.catchUp()
      assert.equal(warnings.length, 1)
    } finally {
      clock.mock.restore()
    }
  })
})
