// Kong's queue semantics: batching up to max_batch_size, coalescing, retries with back-off,
// dropping the oldest entries when full, unqueued sending with concurrency_limit -1.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { LogLevel } from '../../log/logger.js'
import { setBackgroundLogger } from './background.js'
import { drained, enqueue, type QueueParams } from './queue.js'

let seq = 0
function params(over: Partial<QueueParams> = {}): QueueParams {
  return {
    name: `q${++seq}`,
    logTag: 'test plugin x',
    max_batch_size: 1,
    max_coalescing_delay: 1,
    max_entries: 10000,
    max_bytes: null,
    max_retry_time: 60,
    initial_retry_delay: 0.001,
    max_retry_delay: 60,
    concurrency_limit: 1,
    ...over,
  }
}

const logged: [LogLevel, string][] = []
setBackgroundLogger((level, message) => logged.push([level, message]))

describe('queue', () => {
  it('sends one entry per batch with max_batch_size 1, in order', async () => {
    const batches: string[][] = []
    const p = params()
    for (const e of ['a', 'b', 'c']) enqueue(p, async (_c, b: string[]) => void batches.push(b), null, e)
    await drained()
    assert.deepEqual(batches, [['a'], ['b'], ['c']])
  })

  it('gathers up to max_batch_size entries', async () => {
    const batches: number[][] = []
    const p = params({ max_batch_size: 4, max_coalescing_delay: 0.2 })
    for (let i = 0; i < 10; i++) enqueue(p, async (_c, b: number[]) => void batches.push(b), null, i)
    await drained()
    assert.deepEqual(batches, [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ])
  })

  it('retries a failed batch with the latest configuration, then gives up after max_retry_time', async () => {
    let calls = 0
    const seen: string[] = []
    const p = params()
    enqueue(
      p,
      async (conf: string) => {
        seen.push(conf)
        if (++calls < 3) throw new Error(`nope ${calls}`)
      },
      'v1',
      'x',
    )
    await drained()
    assert.equal(calls, 3)
    assert.ok(
      logged.some(
        ([l, m]) =>
          l === 'warn' && m === `[test plugin x] queue ${p.name}: handler could not process entries: nope 1`,
      ),
    )

    const lost = params({ max_retry_time: 0.02 })
    enqueue(lost, async () => Promise.reject(new Error('down')), null, 'y')
    await drained()
    assert.ok(
      logged.some(
        ([l, m]) =>
          l === 'error' &&
          m ===
            `[test plugin x] queue ${lost.name}: could not send entries due to max_retry_time exceeded. 1 queue entries were lost`,
      ),
    )
  })

  it('drops the oldest entries when full', async () => {
    const got: number[] = []
    const p = params({ max_entries: 3, max_batch_size: 10, max_coalescing_delay: 0.05 })
    for (let i = 0; i < 6; i++) enqueue(p, async (_c, b: number[]) => void got.push(...b), null, i)
    await drained()
    assert.deepEqual(got, [3, 4, 5])
    assert.ok(
      logged.some(
        ([l, m]) =>
          l === 'error' &&
          m.endsWith('queue full, dropping old entries until processing is successful again'),
      ),
    )
    assert.ok(logged.some(([l, m]) => l === 'warn' && m.endsWith('queue at 80% capacity')))
  })

  it('max_bytes: refuses a larger entry, drops old ones to make room', async () => {
    const got: string[] = []
    const p = params({ max_bytes: 10, max_batch_size: 10, max_coalescing_delay: 0.05 })
    const send = async (_c: unknown, b: string[]) => void got.push(...b)
    assert.match(
      String(enqueue(p, send, null, 'x'.repeat(11))),
      /longer \(11 bytes\) than the queue's max_bytes \(10 bytes\)/,
    )
    enqueue(p, send, null, 'aaaa')
    enqueue(p, send, null, 'bbbb')
    enqueue(p, send, null, 'cccc')
    await drained()
    assert.deepEqual(got, ['bbbb', 'cccc'])
  })

  it('concurrency_limit -1 sends every entry at once, concurrently', async () => {
    let running = 0
    let most = 0
    const p = params({ concurrency_limit: -1 })
    const send = async () => {
      running++
      most = Math.max(most, running)
      await new Promise((r) => setTimeout(r, 10))
      running--
    }
    for (let i = 0; i < 3; i++) enqueue(p, send, null, i)
    await drained()
    assert.equal(most, 3)
  })
})
