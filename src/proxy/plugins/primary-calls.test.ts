// kong.primary's worker side: each call is one `plugin-call` message, settled by the answer with
// its id (result or error), or failed when none comes within its timeout.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { WorkerMessage } from '../../cluster/messages.js'
import { IpcPrimaryCalls } from './primary-calls.js'

describe('IpcPrimaryCalls', () => {
  it('sends one message per call and settles each with its own answer', async () => {
    const sent: WorkerMessage[] = []
    const calls = new IpcPrimaryCalls((m) => sent.push(m))
    const a = calls.call('oauth2', 'createToken', { n: 1 }, 1000)
    const b = calls.call('oauth2', 'findCode', { code: 'x' }, 1000)
    assert.deepEqual(
      sent.map((m) => (m.type === 'plugin-call' ? [m.plugin, m.method, m.args] : null)),
      [
        ['oauth2', 'createToken', { n: 1 }],
        ['oauth2', 'findCode', { code: 'x' }],
      ],
    )
    const ids = sent.map((m) => (m.type === 'plugin-call' ? m.id : -1))
    calls.answer(ids[1], null, 'cannot create things')
    calls.answer(ids[0], { ok: true })
    assert.deepEqual(await a, { ok: true })
    await assert.rejects(b, /cannot create things/)
  })

  it('fails a call that gets no answer in time, and ignores a late answer', async () => {
    const sent: WorkerMessage[] = []
    const calls = new IpcPrimaryCalls((m) => sent.push(m))
    await assert.rejects(
      calls.call('oauth2', 'createCode', {}, 10),
      /oauth2.createCode in the primary process did not answer within 10 ms/,
    )
    const id = sent[0].type === 'plugin-call' ? sent[0].id : -1
    calls.answer(id, 'too late')
  })
})
