// Failures: refused connections, each timeout kind, resets, invalid responses, abort.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import { describe, it } from 'node:test'
import { UpstreamEngine } from './engine.js'
import type { UpstreamError } from './errors.js'
import {
  Collector,
  httpServer,
  outcome,
  rawServer,
  request,
  scriptedServer,
  send,
  type TestServer,
  target,
  waitFor,
} from './test-support.js'
import type { UpstreamHandler } from './types.js'

async function fails(
  server: TestServer | number,
  req: Partial<Parameters<typeof request>[0]> = {},
  engine = new UpstreamEngine(),
): Promise<UpstreamError> {
  const port = typeof server === 'number' ? server : server.port
  try {
    const r = await outcome(send(engine, target(port), request(req)))
    assert.ok(r instanceof Error, `expected an error, got status ${'status' in r ? r.status : '?'}`)
    return r as UpstreamError
  } finally {
    engine.close()
  }
}

async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1')
  await once(s, 'listening')
  const { port } = s.address() as net.AddressInfo
  s.close()
  await once(s, 'close')
  return port
}

/**
 * A listener whose process never accepts (its event loop is blocked) with a backlog of 1: once
 * the kernel queue is full, further connection attempts hang — a deterministic connect timeout.
 */
async function blackhole(): Promise<{ port: number; stop: () => void }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const s = require('net').createServer();
       s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
         process.stdout.write(s.address().port + '\\n');
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
       })`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const [data] = (await once(child.stdout!, 'data')) as [Buffer]
  const port = Number(data.toString().trim())
  const fillers: net.Socket[] = []
  let connected = 0
  for (let i = 0; i < 4; i++) {
    const s = net.connect({ host: '127.0.0.1', port })
    s.on('connect', () => connected++)
    s.on('error', () => {})
    fillers.push(s)
  }
  await waitFor(() => connected >= 2, 2000, 'the accept queue to fill')
  await new Promise((r) => setTimeout(r, 50))
  return {
    port,
    stop() {
      for (const s of fillers) s.destroy()
      child.kill('SIGKILL')
    },
  }
}

describe('engine: connection failures', () => {
  it('refused port → connect_refused, retryable, nothing sent', async () => {
    const err = await fails(await freePort(), { method: 'POST', body: Buffer.from('x') })
    assert.equal(err.kind, 'connect_refused')
    assert.equal(err.code, 'ECONNREFUSED')
    assert.equal(err.requestSent, false)
    assert.equal(err.responseStarted, false)
    assert.equal(err.retryable, true)
  })

  it('connect timeout (TCP) → connect_timeout, retryable', async () => {
    const bh = await blackhole()
    try {
      const t0 = Date.now()
      const err = await fails(bh.port, { connectTimeout: 150, method: 'POST' })
      assert.equal(err.kind, 'connect_timeout')
      assert.equal(err.retryable, true)
      assert.ok(Date.now() - t0 >= 140, 'not before the timeout')
      assert.ok(err.isTimeout)
    } finally {
      bh.stop()
    }
  })

  it('connect timeout covers the TLS handshake', async () => {
    const server = await rawServer((s) => s.on('error', () => {})) // accepts, never answers the ClientHello
    try {
      const engine = new UpstreamEngine()
      const c = send(
        engine,
        target(server.port, { tls: { rejectUnauthorized: false } }),
        request({ connectTimeout: 150 }),
      )
      const err = (await outcome(c)) as UpstreamError
      engine.close()
      assert.equal(err.kind, 'connect_timeout')
    } finally {
      await server.close()
    }
  })

  it('a host name that does not resolve → connect_error', async () => {
    const engine = new UpstreamEngine()
    const err = (await outcome(
      send(engine, { key: 'bad', host: 'no-such-host.invalid', port: 80 }, request()),
    )) as UpstreamError
    engine.close()
    assert.equal(err.kind, 'connect_error')
    assert.equal(err.retryable, true)
  })
})

describe('engine: timeouts', () => {
  it('read timeout before the response head → read_timeout, retryable for GET, not for POST', async () => {
    const server = await rawServer((s) => s.resume())
    try {
      const get = await fails(server, { readTimeout: 100 })
      assert.equal(get.kind, 'read_timeout')
      assert.equal(get.requestSent, true)
      assert.equal(get.responseStarted, false)
      assert.equal(get.retryable, true)
      const post = await fails(server, { readTimeout: 100, method: 'POST', body: Buffer.from('x') })
      assert.equal(post.kind, 'read_timeout')
      assert.equal(post.retryable, false)
    } finally {
      await server.close()
    }
  })

  it('read timeout after the head → responseStarted, not retryable', async () => {
    const server = await scriptedServer((_r, _i, s) =>
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'),
    )
    try {
      const engine = new UpstreamEngine()
      const c = send(engine, target(server.port), request({ readTimeout: 100 }))
      const err = (await outcome(c)) as UpstreamError
      engine.close()
      assert.equal(err.kind, 'read_timeout')
      assert.equal(err.responseStarted, true)
      assert.equal(err.retryable, false)
      assert.deepEqual(c.events, ['headers', 'data', 'error:read_timeout'])
    } finally {
      await server.close()
    }
  })

  it('read timeout is about inactivity, not a total deadline', async () => {
    const server = await scriptedServer((_r, _i, s) => {
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n')
      let n = 0
      const t = setInterval(() => {
        s.write('x')
        if (++n === 8) clearInterval(t)
      }, 60)
    })
    try {
      const engine = new UpstreamEngine()
      const r = await send(engine, target(server.port), request({ readTimeout: 200 })).result
      engine.close()
      assert.equal(r.body.toString(), 'xxxxxxxx')
    } finally {
      await server.close()
    }
  })

  it('write timeout when the upstream stops reading the request', async () => {
    const server = await rawServer((s) => s.pause())
    try {
      const body = Buffer.alloc(64 * 1024 * 1024)
      const err = await fails(server, { method: 'PUT', body, writeTimeout: 150, readTimeout: 10_000 })
      assert.equal(err.kind, 'write_timeout')
      assert.equal(err.requestSent, true)
      assert.equal(err.retryable, true)
    } finally {
      await server.close()
    }
  })

  it('a slow but steady reader does not trigger the write timeout', async () => {
    // ~10 MB/s: the 24 MB body takes well over the write timeout in total, but the socket keeps
    // becoming writable (kernel buffers are several MB, so progress shows every ~200 ms).
    const server = await httpServer((req, res) => {
      let n = 0
      req.on('data', (c: Buffer) => {
        n += c.length
        req.pause()
        setTimeout(() => req.resume(), 5)
      })
      req.on('end', () => res.end(String(n)))
    })
    try {
      const engine = new UpstreamEngine()
      const body = Buffer.alloc(24 * 1024 * 1024)
      const t0 = Date.now()
      const r = await send(engine, target(server.port), request({ method: 'PUT', body, writeTimeout: 1000 }))
        .result
      assert.ok(Date.now() - t0 > 1000, 'the upload outlasted the write timeout')
      engine.close()
      assert.equal(r.body.toString(), String(body.length))
    } finally {
      await server.close()
    }
  })

  it('timeouts of 0 mean none', async () => {
    const server = await scriptedServer((_r, _i, s) => {
      setTimeout(() => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'), 100)
    })
    try {
      const engine = new UpstreamEngine()
      const r = await send(
        engine,
        target(server.port),
        request({ readTimeout: 0, writeTimeout: 0, connectTimeout: 0 }),
      ).result
      engine.close()
      assert.equal(r.body.toString(), 'ok')
    } finally {
      await server.close()
    }
  })
})

describe('engine: resets and invalid responses', () => {
  it('EOF before any response byte → reset, retryable for GET', async () => {
    const server = await scriptedServer((_r, _i, s) => s.end())
    try {
      const err = await fails(server)
      assert.equal(err.kind, 'reset')
      assert.equal(err.retryable, true)
      assert.match(err.message, /before responding/)
    } finally {
      await server.close()
    }
  })

  it('reset in the middle of the body → reset, responseStarted, not retryable', async () => {
    const server = await scriptedServer((_r, _i, s) => {
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial')
      setTimeout(() => s.destroy(), 30)
    })
    try {
      const engine = new UpstreamEngine()
      const c = send(engine, target(server.port), request())
      const err = (await outcome(c)) as UpstreamError
      engine.close()
      assert.equal(err.kind, 'reset')
      assert.equal(err.responseStarted, true)
      assert.equal(err.retryable, false)
      assert.deepEqual(c.events, ['headers', 'data', 'error:reset'])
    } finally {
      await server.close()
    }
  })

  it('EOF in the middle of a chunked body → reset', async () => {
    const server = await scriptedServer((_r, _i, s) =>
      s.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab'),
    )
    try {
      assert.equal((await fails(server)).kind, 'reset')
    } finally {
      await server.close()
    }
  })

  const invalid: [string, string][] = [
    ['garbage status line', 'SSH-2.0-OpenSSH_9.2\r\n\r\n'],
    ['bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n'],
    [
      'both Content-Length and Transfer-Encoding',
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n',
    ],
    [
      'differing duplicate Content-Length',
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
    ],
    ['header too large', `HTTP/1.1 200 OK\r\nX-Big: ${'b'.repeat(70 * 1024)}\r\n\r\n`],
    ['header too large, never terminated', `HTTP/1.1 200 OK\r\nX-Big: ${'b'.repeat(70 * 1024)}`],
  ]
  for (const [name, raw] of invalid) {
    it(`invalid response (${name}) → invalid_response, not retryable`, async () => {
      const server = await scriptedServer((_r, _i, s) => s.write(raw))
      try {
        const err = await fails(server)
        assert.equal(err.kind, 'invalid_response')
        assert.equal(err.retryable, false)
        // Only a broken body comes after the head was delivered.
        assert.equal(err.responseStarted, name === 'bad chunk size')
      } finally {
        await server.close()
      }
    })
  }

  it('maxHeaderSize is configurable', async () => {
    const server = await scriptedServer((_r, _i, s) =>
      s.write(`HTTP/1.1 200 OK\r\nX-A: ${'a'.repeat(600)}\r\nContent-Length: 0\r\n\r\n`),
    )
    try {
      assert.equal(
        (await fails(server, {}, new UpstreamEngine({ maxHeaderSize: 512 }))).kind,
        'invalid_response',
      )
      const engine = new UpstreamEngine({ maxHeaderSize: 1024 })
      assert.equal((await send(engine, target(server.port), request()).result).status, 200)
      engine.close()
    } finally {
      await server.close()
    }
  })

  it('a 101 without an onUpgrade handler is invalid', async () => {
    const server = await scriptedServer((_r, _i, s) =>
      s.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n'),
    )
    try {
      const engine = new UpstreamEngine()
      const err = await new Promise<UpstreamError>((resolve) => {
        const h: UpstreamHandler = {
          onHeaders() {},
          onData: () => true,
          onEnd() {},
          onError: resolve,
        }
        engine.request(target(server.port), request(), h)
      })
      engine.close()
      assert.equal(err.kind, 'invalid_response')
    } finally {
      await server.close()
    }
  })
})

describe('engine: abort', () => {
  it('abort while connecting: no callback, connection gone', async () => {
    const bh = await blackhole()
    try {
      const engine = new UpstreamEngine()
      const c = new Collector()
      const attempt = engine.request(target(bh.port), request({ connectTimeout: 100 }), c)
      attempt.abort()
      attempt.abort() // idempotent
      await new Promise((r) => setTimeout(r, 200))
      assert.deepEqual(c.events, [])
      assert.equal(engine.stats().active, 0)
      engine.close()
    } finally {
      bh.stop()
    }
  })

  it('abort during the body: no more callbacks, upstream connection destroyed', async () => {
    const server = await scriptedServer((_r, _i, s) => {
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n')
      const t = setInterval(() => s.write(Buffer.alloc(1000)), 5)
      s.on('close', () => clearInterval(t))
    })
    try {
      const engine = new UpstreamEngine()
      const c = new Collector()
      c.attempt = engine.request(target(server.port), request(), c)
      await waitFor(() => c.events.includes('data'), 2000, 'body data')
      c.attempt.abort()
      const n = c.events.length
      await waitFor(() => server.sockets.size === 0, 2000, 'upstream connection to close')
      await new Promise((r) => setTimeout(r, 30))
      assert.equal(c.events.length, n)
      assert.deepEqual(engine.stats(), {
        pools: 0,
        idle: 0,
        active: 0,
        connectionsCreated: 1,
        staleRetries: 0,
      })
      engine.close()
    } finally {
      await server.close()
    }
  })

  it('abort after the end is a no-op and does not disturb the pooled connection', async () => {
    const server = await httpServer((_req, res) => res.end('ok'))
    try {
      const engine = new UpstreamEngine()
      const c = send(engine, target(server.port), request())
      await c.result
      c.attempt?.abort()
      c.attempt?.resume()
      assert.equal(engine.stats().idle, 1)
      await send(engine, target(server.port), request()).result
      assert.equal(server.connections, 1)
      engine.close()
    } finally {
      await server.close()
    }
  })
})
