// Response framing and request forms against real loopback servers: node:http for well-formed
// traffic, raw net servers for exact bytes on the wire.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { UpstreamEngine } from './engine.js'
import { UpstreamError } from './errors.js'
import {
  header,
  httpServer,
  outcome,
  request,
  scriptedServer,
  send,
  type TestServer,
  target,
} from './test-support.js'

describe('engine: response framing (raw upstream)', () => {
  const engine = new UpstreamEngine()
  const responses: Record<string, string> = {
    '/cl': 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Case: MiXeD\r\n\r\nhello',
    '/chunked':
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n4\r\nwiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Sum: 9\r\n\r\n',
    '/close': 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end',
    '/204': 'HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n',
    '/304': 'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n',
    '/continue':
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok',
    '/http10': 'HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nold',
    '/lf': 'HTTP/1.1 200 OK\nContent-Length: 2\n\nlf',
  }
  let server: TestServer
  const seen: string[] = []
  before(async () => {
    server = await scriptedServer((req, _i, socket) => {
      seen.push(req)
      const path = req.split(' ')[1]
      const res = responses[path] ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'
      // Send the response in small pieces to exercise incremental parsing on real sockets.
      const bytes = Buffer.from(res, 'latin1')
      const mid = Math.floor(bytes.length / 2)
      socket.write(bytes.subarray(0, mid))
      setImmediate(() => {
        socket.write(bytes.subarray(mid))
        if (path === '/close' || path === '/http10') socket.end()
      })
    })
  })
  after(async () => {
    engine.close()
    await server.close()
  })

  it('Content-Length body, raw header names', async () => {
    const r = await send(engine, target(server.port), request({ target: '/cl' })).result
    assert.equal(r.status, 200)
    assert.equal(r.statusText, 'OK')
    assert.deepEqual(r.headers, ['Content-Length', '5', 'X-Case', 'MiXeD'])
    assert.equal(r.body.toString(), 'hello')
    assert.deepEqual(r.trailers, [])
  })

  it('chunked body decoded, trailers delivered to onEnd', async () => {
    const r = await send(engine, target(server.port), request({ target: '/chunked' })).result
    assert.equal(r.body.toString(), 'wikipedia')
    assert.deepEqual(r.trailers, ['X-Sum', '9'])
  })

  it('close-delimited body ends with the connection', async () => {
    const r = await send(engine, target(server.port), request({ target: '/close' })).result
    assert.equal(r.body.toString(), 'until the end')
  })

  it('HTTP/1.0 response with Content-Length', async () => {
    const r = await send(engine, target(server.port), request({ target: '/http10' })).result
    assert.equal(r.body.toString(), 'old')
  })

  it('204 and 304 end at the head', async () => {
    for (const path of ['/204', '/304']) {
      const c = send(engine, target(server.port), request({ target: path }))
      const r = await c.result
      assert.equal(r.status, Number(path.slice(1)))
      assert.equal(r.body.length, 0)
      assert.deepEqual(c.events, ['headers', 'end'])
    }
  })

  it('HEAD ignores the announced length', async () => {
    const c = send(engine, target(server.port), request({ method: 'HEAD', target: '/cl' }))
    const r = await c.result
    assert.equal(header(r.headers, 'content-length'), '5')
    assert.equal(r.body.length, 0)
    // The connection stays usable: the next request on it gets its own response.
    const next = await send(engine, target(server.port), request({ target: '/cl' })).result
    assert.equal(next.body.toString(), 'hello')
  })

  it('interim 1xx responses are skipped', async () => {
    const c = send(engine, target(server.port), request({ target: '/continue' }))
    const r = await c.result
    assert.equal(r.status, 201)
    assert.equal(r.body.toString(), 'ok')
    assert.equal(c.events.filter((e) => e === 'headers').length, 1)
  })

  it('bare-LF responses are accepted', async () => {
    const r = await send(engine, target(server.port), request({ target: '/lf' })).result
    assert.equal(r.body.toString(), 'lf')
  })

  it('writes the request head exactly as given, plus framing', async () => {
    seen.length = 0
    await send(
      engine,
      target(server.port),
      request({
        target: '/cl?x=1&y',
        headers: ['Host', 'h.test', 'x-lower', 'v', 'X-Dup', '1', 'X-Dup', '2'],
      }),
    ).result
    assert.equal(
      seen[0],
      'GET /cl?x=1&y HTTP/1.1\r\nHost: h.test\r\nx-lower: v\r\nX-Dup: 1\r\nX-Dup: 2\r\n\r\n',
    )
  })
})

describe('engine: request bodies (node:http upstream)', () => {
  const engine = new UpstreamEngine()
  let server: TestServer
  before(async () => {
    server = await httpServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        res.setHeader('X-Method', req.method ?? '')
        res.setHeader('X-TE', req.headers['transfer-encoding'] ?? '-')
        res.setHeader('X-CL', req.headers['content-length'] ?? '-')
        res.end(Buffer.concat(chunks))
      })
    })
  })
  after(async () => {
    engine.close()
    await server.close()
  })

  it('Buffer bodies, small (one write) and large (corked writes)', async () => {
    for (const size of [0, 10, 16 * 1024, 200_000]) {
      const body = Buffer.alloc(size, 'b')
      const r = await send(engine, target(server.port), request({ method: 'PUT', body })).result
      assert.equal(r.body.length, size)
      assert.equal(header(r.headers, 'x-cl'), String(size))
      assert.equal(header(r.headers, 'x-te'), '-')
    }
  })

  it('null body on POST is announced as Content-Length: 0', async () => {
    const r = await send(engine, target(server.port), request({ method: 'POST' })).result
    assert.equal(header(r.headers, 'x-cl'), '0')
  })

  it('methods pass through untouched', async () => {
    for (const method of ['DELETE', 'OPTIONS', 'PATCH', 'PROPFIND']) {
      const r = await send(engine, target(server.port), request({ method })).result
      assert.equal(header(r.headers, 'x-method'), method)
    }
  })

  it('a request that cannot be serialized throws synchronously', () => {
    assert.throws(() =>
      engine.request(target(server.port), request({ headers: ['X-A', 'a\r\nb'] }), {
        onHeaders() {},
        onData: () => true,
        onEnd() {},
        onError() {},
      }),
    )
  })

  it('an UpstreamError is an Error with the documented fields', async () => {
    const err = await outcome(send(engine, target(1), request()))
    assert.ok(err instanceof UpstreamError)
    assert.ok(err instanceof Error)
    assert.equal(err.kind, 'connect_refused')
    assert.equal(err.requestSent, false)
    assert.equal(err.responseStarted, false)
    assert.equal(err.retryable, true)
  })
})
