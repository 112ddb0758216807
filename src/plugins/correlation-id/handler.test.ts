// correlation-id against a stand-in `kong`: the log entry's correlation_id (the integration tests
// need a logging plugin for it) and the generators' formats.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Kong } from '../../pdk/types.js'
import { generatorFor, tracker, uuid, uuidCounter } from './generators.js'
import plugin from './handler.js'

function fakeKong(requestHeader: string | null) {
  const out = {
    upstream: {} as Record<string, string>,
    downstream: {} as Record<string, string>,
    log: {} as Record<string, unknown>,
  }
  const plugin: Record<string, unknown> = {}
  const kong = {
    request: { getHeader: () => requestHeader },
    service: {
      request: {
        setHeader: (n: string, v: string) => {
          out.upstream[n] = v
        },
      },
    },
    response: {
      setHeader: (n: string, v: string) => {
        out.downstream[n] = v
      },
    },
    log: {
      setSerializeValue: (k: string, v: unknown) => {
        out.log[k] = v
      },
    },
    ctx: { plugin },
    nginx: {
      getVar: (name: string) =>
        ({ server_addr: '10.0.0.1', server_port: '8000', connection: '7', connection_requests: '3' })[name] ??
        null,
    },
  } as unknown as Kong
  return { kong, out }
}

function run(config: Record<string, unknown>, header: string | null) {
  const h = plugin.handler
  if (!h?.prepare || !h.access || !h.headerFilter) throw new Error('incomplete handler')
  const conf = h.prepare({
    header_name: 'Kong-Request-ID',
    generator: 'uuid',
    echo_downstream: false,
    ...config,
  })
  const { kong, out } = fakeKong(header)
  void h.access(conf, kong)
  h.headerFilter(conf, kong)
  return out
}

describe('correlation-id', () => {
  it('puts the id into the log entry as correlation_id, generated or received', () => {
    const gen = run({}, null)
    assert.match(String(gen.log.correlation_id), /^[0-9a-f-]{36}$/)
    assert.equal(gen.upstream['Kong-Request-ID'], gen.log.correlation_id)
    const kept = run({}, 'abc')
    assert.equal(kept.log.correlation_id, 'abc')
    assert.deepEqual(kept.upstream, {})
  })

  it('echo_downstream sets the same id on the response', () => {
    const out = run({ echo_downstream: true, header_name: 'X-Id' }, null)
    assert.equal(out.downstream['X-Id'], out.upstream['X-Id'])
    assert.deepEqual(run({ echo_downstream: false }, null).downstream, {})
  })

  it('generators', () => {
    const a = uuidCounter()
    const b = uuidCounter()
    const [ua, na] = a.split('#')
    const [ub, nb] = b.split('#')
    assert.equal(ua, ub)
    assert.equal(Number(nb), Number(na) + 1)
    assert.notEqual(uuid(), uuid())
    const { kong } = fakeKong(null)
    assert.match(tracker(kong), new RegExp(`^10\\.0\\.0\\.1-8000-${process.pid}-7-3-\\d+\\.\\d{3}$`))
    assert.equal(generatorFor('tracker'), tracker)
    assert.equal(generatorFor('uuid'), uuid)
    assert.equal(generatorFor('uuid#counter'), uuidCounter)
  })
})
