// Connection reuse (proxying.md §7): keep-alive, pool limits, idle timeout, max requests,
// Connection: close, dead idle connections and the keep-alive race retry.
import assert from 'node:assert/strict'
import type { Socket } from 'node:net'
import { Readable } from 'node:stream'
import { describe, it } from 'node:test'
import { UpstreamEngine } from './engine.js'
import type { UpstreamError } from './errors.js'
import {
  header,
  httpServer,
  outcome,
  request,
  scriptedServer,
  send,
  type TestServer,
  target,
  waitFor,
} from './test-support.js'

/** node:http upstream that names the connection each response came from (X-Conn). */
async function connServer(): Promise<TestServer> {
  const ids = new WeakMap<Socket, number>()
  let next = 0
  return httpServer((req, res) => {
    const socket = req.socket
    let id = ids.get(socket)
    if (id === undefined) {
      id = ++next
      ids.set(socket, id)
    }
    const delay = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('delay') ?? 0)
    req.resume()
    setTimeout(() => {
      res.setHeader('X-Conn', String(id))
      if (req.url?.startsWith('/close')) res.setHeader('Connection', 'close')
      res.end('ok')
    }, delay)
  })
}

async function withServer(
  opts: ConstructorParameters<typeof UpstreamEngine>[0],
  fn: (engine: UpstreamEngine, server: TestServer) => Promise<void>,
  make: () => Promise<TestServer> = connServer,
): Promise<void> {
  const server = await make()
  const engine = new UpstreamEngine(opts)
  try {
    await fn(engine, server)
  } finally {
    engine.close()
    await server.close()
  }
}

const conn = async (engine: UpstreamEngine, port: number, path = '/'): Promise<string> =>
  header((await send(engine, target(port), request({ target: path })).result).headers, 'x-conn') ?? ''

describe('engine: keep-alive pools', () => {
  it('reuses one connection for sequential requests', () =>
    withServer({}, async (engine, server) => {
      for (let i = 0; i < 20; i++) assert.equal(await conn(engine, server.port), '1')
      assert.equal(server.connections, 1)
      assert.deepEqual(engine.stats(), {
        pools: 1,
        idle: 1,
        active: 0,
        connectionsCreated: 1,
        staleRetries: 0,
      })
    }))

  it('opens as many connections as requests in flight (no active limit), keeps at most poolSize idle', () =>
    withServer({ poolSize: 3 }, async (engine, server) => {
      const all = Array.from({ length: 10 }, () =>
        send(engine, target(server.port), request({ target: '/?delay=30' })),
      )
      await waitFor(() => engine.stats().active === 10, 2000, '10 active connections')
      await Promise.all(all.map((c) => c.result))
      assert.equal(server.connections, 10)
      assert.equal(engine.stats().idle, 3)
      await waitFor(() => server.sockets.size === 3, 2000, 'the 7 surplus connections to close')
      const again = Array.from({ length: 10 }, () =>
        send(engine, target(server.port), request({ target: '/?delay=30' })),
      )
      await Promise.all(again.map((c) => c.result))
      assert.equal(server.connections, 17)
    }))

  it('reuses the most recently released idle connection first (LIFO)', () =>
    withServer({}, async (engine, server) => {
      // Three connections released in the order 1, 2, 3 (by response delay).
      const ids = await Promise.all([10, 60, 120].map(async (d) => conn(engine, server.port, `/?delay=${d}`)))
      assert.deepEqual(ids, ['1', '2', '3'])
      assert.equal(await conn(engine, server.port), '3')
      assert.equal(await conn(engine, server.port), '3')
    }))

  it('separate pools per key', () =>
    withServer({}, async (engine, server) => {
      await send(engine, target(server.port), request()).result
      await send(engine, target(server.port, { key: 'other' }), request()).result
      assert.equal(server.connections, 2)
      assert.equal(engine.stats().pools, 2)
    }))

  it('poolSize 0 disables keep-alive', () =>
    withServer({ poolSize: 0 }, async (engine, server) => {
      for (let i = 0; i < 3; i++) await conn(engine, server.port)
      assert.equal(server.connections, 3)
      assert.equal(engine.stats().idle, 0)
      await waitFor(() => server.sockets.size === 0, 2000, 'connections to close')
    }))

  it('closes idle connections after idleTimeout', () =>
    withServer({ idleTimeout: 80 }, async (engine, server) => {
      await conn(engine, server.port)
      assert.equal(engine.stats().idle, 1)
      await waitFor(() => engine.stats().idle === 0, 2000, 'idle timeout')
      await waitFor(() => server.sockets.size === 0, 2000, 'server to see the close')
      await conn(engine, server.port)
      assert.equal(server.connections, 2)
    }))

  it('idle timer restarts with each reuse', () =>
    withServer({ idleTimeout: 150 }, async (engine, server) => {
      for (let i = 0; i < 5; i++) {
        await conn(engine, server.port)
        await new Promise((r) => setTimeout(r, 60))
      }
      assert.equal(server.connections, 1)
    }))

  it('closes a connection after maxRequests requests', () =>
    withServer({ maxRequests: 3 }, async (engine, server) => {
      const ids = []
      for (let i = 0; i < 7; i++) ids.push(await conn(engine, server.port))
      assert.deepEqual(ids, ['1', '1', '1', '2', '2', '2', '3'])
    }))

  it('maxRequests 0 is unlimited', () =>
    withServer({ maxRequests: 0 }, async (engine, server) => {
      for (let i = 0; i < 30; i++) await conn(engine, server.port)
      assert.equal(server.connections, 1)
    }))

  it('does not reuse after a response with Connection: close', () =>
    withServer({}, async (engine, server) => {
      assert.equal(await conn(engine, server.port, '/close'), '1')
      assert.equal(engine.stats().idle, 0)
      assert.equal(await conn(engine, server.port), '2')
    }))

  it('does not reuse after a request with Connection: close', () =>
    withServer({}, async (engine, server) => {
      await send(engine, target(server.port), request({ headers: ['Host', 'h', 'Connection', 'close'] }))
        .result
      assert.equal(engine.stats().idle, 0)
      assert.equal(await conn(engine, server.port), '2')
    }))

  it('does not reuse an HTTP/1.0 connection without keep-alive, nor a close-delimited one', () =>
    withServer(
      {},
      async (engine, server) => {
        await send(engine, target(server.port), request({ target: '/10' })).result
        await send(engine, target(server.port), request({ target: '/eof' })).result
        assert.equal(server.connections, 2)
        assert.equal(engine.stats().idle, 0)
      },
      () =>
        scriptedServer((req, _i, socket) => {
          if (req.startsWith('GET /10 ')) socket.write('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok')
          else socket.end('HTTP/1.1 200 OK\r\n\r\nuntil eof')
        }),
    ))

  it('honours the upstream Keep-Alive timeout hint (minus a margin)', () =>
    withServer(
      {},
      async (engine, server) => {
        await send(engine, target(server.port), request()).result
        // timeout=1 leaves no time once the margin is taken: not kept.
        assert.equal(engine.stats().idle, 0)
      },
      () =>
        scriptedServer((_req, _i, socket) => {
          socket.write('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 0\r\n\r\n')
        }),
    ))

  it('discards an idle connection that the upstream closes', () =>
    withServer({}, async (engine, server) => {
      await conn(engine, server.port)
      assert.equal(engine.stats().idle, 1)
      for (const s of server.sockets) s.end()
      await waitFor(() => engine.stats().idle === 0, 2000, 'idle connection to be dropped')
      assert.equal(await conn(engine, server.port), '2')
      assert.equal(engine.stats().staleRetries, 0)
    }))

  it("closes an idle connection before node:http's keepAliveTimeout does (Keep-Alive hint)", async () => {
    const server = await connServer()
    // Node announces `Keep-Alive: timeout=2`; the engine keeps the connection 2 s - 1 s margin.
    ;(server.server as import('node:http').Server).keepAliveTimeout = 2000
    const engine = new UpstreamEngine()
    try {
      const t0 = Date.now()
      assert.equal(await conn(engine, server.port), '1')
      assert.equal(await conn(engine, server.port), '1')
      await waitFor(() => engine.stats().idle === 0, 3000, 'the engine to close the idle connection')
      const closedAfter = Date.now() - t0
      assert.ok(closedAfter >= 900 && closedAfter < 1900, `closed after ${closedAfter} ms`)
      assert.equal(await conn(engine, server.port), '2')
      assert.equal(engine.stats().staleRetries, 0)
    } finally {
      engine.close()
      await server.close()
    }
  })

  it('discards an idle connection that receives data', () =>
    withServer({}, async (engine, server) => {
      await conn(engine, server.port)
      for (const s of server.sockets) s.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')
      await waitFor(() => engine.stats().idle === 0, 2000, 'idle connection to be dropped')
      assert.equal(await conn(engine, server.port), '2')
    }))

  it('close() destroys idle and active connections; requests in flight get a reset error', () =>
    withServer({}, async (engine, server) => {
      await conn(engine, server.port)
      const pending = send(engine, target(server.port), request({ target: '/?delay=5000' }))
      await waitFor(() => engine.stats().active === 1, 2000, 'request in flight')
      engine.close()
      const err = (await outcome(pending)) as UpstreamError
      assert.equal(err.kind, 'reset')
      assert.deepEqual(engine.stats(), {
        pools: 0,
        idle: 0,
        active: 0,
        connectionsCreated: 1,
        staleRetries: 0,
      })
      await waitFor(() => server.sockets.size === 0, 2000, 'all connections closed')
      const late = (await outcome(send(engine, target(server.port), request()))) as UpstreamError
      assert.equal(late.kind, 'connect_error')
      assert.equal(server.connections, 1)
    }))
})

/**
 * The keep-alive race: the upstream closes an idle connection just as a request is sent on it.
 * Simulated by a server that answers the first request of a connection and then drops the
 * connection when the next request arrives (destroy = RST, end = FIN).
 */
function racyServer(how: 'destroy' | 'end', killAll: { on: boolean } = { on: false }): Promise<TestServer> {
  return scriptedServer((_req, index, socket) => {
    if (index === 0 && !killAll.on) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
    else if (how === 'destroy') socket.destroy()
    else socket.end()
  })
}

describe('engine: stale keep-alive connection retry', () => {
  for (const how of ['destroy', 'end'] as const) {
    it(`replays a GET once on a fresh connection when a reused one dies (${how})`, () =>
      withServer(
        {},
        async (engine, server) => {
          await send(engine, target(server.port), request()).result
          const r = await send(engine, target(server.port), request()).result
          assert.equal(r.body.toString(), 'ok')
          assert.equal(server.connections, 2)
          assert.equal(engine.stats().staleRetries, 1)
        },
        () => racyServer(how),
      ))
  }

  it('replays a POST with a Buffer body by default', () =>
    withServer(
      {},
      async (engine, server) => {
        await send(engine, target(server.port), request()).result
        const r = await send(engine, target(server.port), request({ method: 'POST', body: Buffer.from('x') }))
          .result
        assert.equal(r.status, 200)
        assert.equal(engine.stats().staleRetries, 1)
      },
      () => racyServer('destroy'),
    ))

  it('with staleRetryNonIdempotent=false a POST fails instead (not retryable by the proxy either)', () =>
    withServer(
      { staleRetryNonIdempotent: false },
      async (engine, server) => {
        await send(engine, target(server.port), request()).result
        const err = (await outcome(
          send(engine, target(server.port), request({ method: 'POST', body: Buffer.from('x') })),
        )) as UpstreamError
        assert.equal(err.kind, 'reset')
        assert.equal(err.retryable, false)
        assert.equal(engine.stats().staleRetries, 0)
      },
      () => racyServer('destroy'),
    ))

  it('never replays a streamed body', () =>
    withServer(
      {},
      async (engine, server) => {
        await send(engine, target(server.port), request()).result
        const body = Readable.from([Buffer.from('abc')])
        const err = (await outcome(
          send(engine, target(server.port), request({ method: 'PUT', body })),
        )) as UpstreamError
        assert.equal(err.kind, 'reset')
        assert.equal(engine.stats().staleRetries, 0)
      },
      () => racyServer('destroy'),
    ))

  it('replays only once: a failure on the fresh connection is reported', () => {
    const killAll = { on: false }
    return withServer(
      {},
      async (engine, server) => {
        await send(engine, target(server.port), request()).result
        killAll.on = true
        const err = (await outcome(send(engine, target(server.port), request()))) as UpstreamError
        assert.equal(err.kind, 'reset')
        assert.equal(err.retryable, true)
        assert.equal(engine.stats().staleRetries, 1)
        assert.equal(server.connections, 2)
      },
      () => racyServer('destroy', killAll),
    )
  })

  it('a failure on a fresh connection is never replayed by the engine', () =>
    withServer(
      {},
      async (engine, server) => {
        const err = (await outcome(send(engine, target(server.port), request()))) as UpstreamError
        assert.equal(err.kind, 'reset')
        assert.equal(engine.stats().staleRetries, 0)
      },
      () => scriptedServer((_req, _i, socket) => socket.destroy()),
    ))

  it('a reused connection that dies after response bytes is not replayed', () =>
    withServer(
      {},
      async (engine, server) => {
        await send(engine, target(server.port), request()).result
        const err = (await outcome(send(engine, target(server.port), request()))) as UpstreamError
        assert.equal(err.kind, 'reset')
        assert.equal(engine.stats().staleRetries, 0)
      },
      () =>
        scriptedServer((_req, index, socket) => {
          if (index === 0) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
          else {
            socket.write('HTTP/1.1 200 O')
            setTimeout(() => socket.destroy(), 20)
          }
        }),
    ))
})
