// Large bodies both ways with backpressure, streamed request bodies and handler pause/resume.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
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
} from './test-support.js'
import type { Attempt, UpstreamHandler } from './types.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const MB = 1024 * 1024
const TOTAL = 50 * MB
const CHUNK = 64 * 1024

/** Live ArrayBuffer memory after a full collection (kernel socket buffers are not counted). */
function liveBuffers(): number {
  gc()
  return process.memoryUsage().arrayBuffers
}

/** Produces `total` bytes in fresh 64 KiB chunks, only when asked (honours backpressure). */
function generator(total: number): Readable & { produced: number; hash: () => string } {
  const h = createHash('sha256')
  let produced = 0
  const r = new Readable({
    highWaterMark: CHUNK,
    read() {
      if (produced >= total) {
        this.push(null)
        return
      }
      const n = Math.min(CHUNK, total - produced)
      const chunk = Buffer.allocUnsafe(n).fill(produced % 251)
      produced += n
      h.update(chunk)
      this.push(chunk)
    },
  })
  return Object.assign(r, {
    get produced() {
      return produced
    },
    hash: () => h.digest('hex'),
  })
}

describe('engine: large bodies with backpressure', () => {
  const engine = new UpstreamEngine()
  let server: TestServer
  before(async () => {
    server = await httpServer((req, res) => {
      if (req.url === '/download') {
        // Writes 50 MB, respecting the socket's backpressure.
        const h = createHash('sha256')
        let sent = 0
        res.setHeader('Content-Type', 'application/octet-stream')
        const pump = (): void => {
          while (sent < TOTAL) {
            const chunk = Buffer.allocUnsafe(CHUNK).fill(sent % 251)
            h.update(chunk)
            sent += CHUNK
            if (!res.write(chunk)) {
              res.once('drain', pump)
              return
            }
          }
          res.addTrailers({ 'X-Sha256': h.digest('hex') })
          res.end()
        }
        pump()
        return
      }
      // Upload sink: a slow reader (pauses every chunk) that reports size and digest.
      const h = createHash('sha256')
      let n = 0
      req.on('data', (c: Buffer) => {
        h.update(c)
        n += c.length
        req.pause()
        setImmediate(() => req.resume())
      })
      req.on('end', () => {
        res.setHeader('X-Received', String(n))
        res.setHeader('X-Sha256', h.digest('hex'))
        res.setHeader('X-TE', req.headers['transfer-encoding'] ?? '-')
        res.setHeader('X-CL', req.headers['content-length'] ?? '-')
        res.end()
      })
    })
  })
  after(async () => {
    engine.close()
    await server.close()
  })

  it('uploads a 50 MB streamed body (chunked) without buffering it', async (t) => {
    const base = liveBuffers()
    let peak = 0
    const body = generator(TOTAL)
    const sampler = setInterval(() => {
      peak = Math.max(peak, liveBuffers() - base)
    }, 20)
    try {
      const r = await send(
        engine,
        target(server.port),
        request({ method: 'POST', body, readTimeout: 30_000 }),
      ).result
      assert.equal(header(r.headers, 'x-received'), String(TOTAL))
      assert.equal(header(r.headers, 'x-sha256'), body.hash())
      assert.equal(header(r.headers, 'x-te'), 'chunked')
    } finally {
      clearInterval(sampler)
    }
    t.diagnostic(`peak live buffer growth ${(peak / MB).toFixed(1)} MB for ${TOTAL / MB} MB sent`)
    assert.ok(peak < 16 * MB, `live buffer memory grew by ${(peak / MB).toFixed(1)} MB`)
  })

  it('uploads with the caller Content-Length as a fixed-length stream', async () => {
    const body = generator(5 * MB)
    const r = await send(
      engine,
      target(server.port),
      request({ method: 'PUT', body, headers: ['Host', 'h', 'Content-Length', String(5 * MB)] }),
    ).result
    assert.equal(header(r.headers, 'x-received'), String(5 * MB))
    assert.equal(header(r.headers, 'x-cl'), String(5 * MB))
    assert.equal(header(r.headers, 'x-te'), '-')
    assert.equal(header(r.headers, 'x-sha256'), body.hash())
  })

  it('downloads 50 MB to a slow consumer (onData → false, resume later) without buffering it', async (t) => {
    const base = liveBuffers()
    let peak = 0
    const result = await new Promise<{
      bytes: number
      hash: string
      trailers: readonly string[]
      overlap: boolean
    }>((resolve, reject) => {
      const h = createHash('sha256')
      let bytes = 0
      let paused = false
      let overlap = false
      let chunks = 0
      const handler: UpstreamHandler & { attempt: Attempt | null } = {
        attempt: null,
        onHeaders() {},
        onData(chunk) {
          if (paused) overlap = true
          h.update(chunk)
          bytes += chunk.length
          if (++chunks % 64 === 0) peak = Math.max(peak, liveBuffers() - base)
          // Slow consumer: pause after every chunk, resume on a later turn of the loop.
          paused = true
          setImmediate(() => {
            paused = false
            handler.attempt?.resume()
          })
          return false
        },
        onEnd(trailers) {
          resolve({ bytes, hash: h.digest('hex'), trailers, overlap })
        },
        onError: reject,
      }
      handler.attempt = engine.request(
        target(server.port),
        request({ target: '/download', readTimeout: 30_000 }),
        handler,
      )
    })
    assert.equal(result.bytes, TOTAL)
    assert.deepEqual(result.trailers, ['X-Sha256', result.hash])
    assert.equal(result.overlap, false, 'no onData while paused')
    t.diagnostic(`peak live buffer growth ${(peak / MB).toFixed(1)} MB for ${TOTAL / MB} MB received`)
    assert.ok(peak < 16 * MB, `live buffer memory grew by ${(peak / MB).toFixed(1)} MB`)
  })

  it('resume() called inside onData before returning false keeps the data flowing', async () => {
    let calls = 0
    const bytes = await new Promise<number>((resolve, reject) => {
      let n = 0
      const handler: UpstreamHandler & { attempt: Attempt | null } = {
        attempt: null,
        onHeaders() {},
        onData(chunk) {
          calls++
          n += chunk.length
          handler.attempt?.resume()
          return false
        },
        onEnd: () => resolve(n),
        onError: reject,
      }
      handler.attempt = engine.request(target(server.port), request({ target: '/download' }), handler)
    })
    assert.equal(bytes, TOTAL)
    assert.ok(calls > 1)
  })
})

describe('engine: streamed request bodies', () => {
  it('an empty stream is sent as a chunked empty body', async () => {
    const server = await httpServer((req, res) => {
      let n = 0
      req.on('data', (c: Buffer) => {
        n += c.length
      })
      req.on('end', () => res.end(`${req.headers['transfer-encoding']}:${n}`))
    })
    const engine = new UpstreamEngine()
    try {
      const r = await send(engine, target(server.port), request({ method: 'POST', body: Readable.from([]) }))
        .result
      assert.equal(r.body.toString(), 'chunked:0')
      // A stream that already ended before the request started.
      const ended = Readable.from([])
      ended.resume()
      await new Promise((r) => ended.once('end', r))
      const r2 = await send(engine, target(server.port), request({ method: 'POST', body: ended })).result
      assert.equal(r2.body.toString(), 'chunked:0')
      assert.equal(server.connections, 1)
    } finally {
      engine.close()
      await server.close()
    }
  })

  it('a stream shorter or longer than its Content-Length fails the request', async () => {
    const server = await httpServer((req, res) => {
      req.resume()
      req.on('end', () => res.end())
    })
    const engine = new UpstreamEngine()
    try {
      const short = (await outcome(
        send(
          engine,
          target(server.port),
          request({
            method: 'PUT',
            body: Readable.from([Buffer.from('abc')]),
            headers: ['Content-Length', '5'],
          }),
        ),
      )) as UpstreamError
      assert.equal(short.kind, 'reset')
      assert.match(short.message, /3 of 5/)
      const long = (await outcome(
        send(
          engine,
          target(server.port),
          request({
            method: 'PUT',
            body: Readable.from([Buffer.from('abcdef')]),
            headers: ['Content-Length', '5'],
          }),
        ),
      )) as UpstreamError
      assert.equal(long.kind, 'reset')
      assert.equal(long.retryable, false)
    } finally {
      engine.close()
      await server.close()
    }
  })

  it('a failing body stream ends the request with a non-retryable error', async () => {
    const server = await httpServer((req, res) => {
      req.resume()
      req.on('end', () => res.end())
    })
    const engine = new UpstreamEngine()
    try {
      const body = new Readable({ read() {} })
      const c = send(engine, target(server.port), request({ method: 'PUT', body }))
      body.push(Buffer.from('first'))
      setTimeout(() => body.destroy(new Error('client went away')), 30)
      const err = (await outcome(c)) as UpstreamError
      assert.equal(err.kind, 'reset')
      assert.equal(err.retryable, false)
      assert.match(err.message, /client went away|closed before its end/)
    } finally {
      engine.close()
      await server.close()
    }
  })

  it('an early response while the body is still streaming is delivered; the connection is not reused', async () => {
    const server = await scriptedServer((_req, _i, socket) => {
      socket.write('HTTP/1.1 413 Payload Too Large\r\nContent-Length: 4\r\n\r\nbig!')
    })
    const engine = new UpstreamEngine()
    try {
      const body = new Readable({ read() {} })
      body.push(Buffer.alloc(1000))
      const r = await send(engine, target(server.port), request({ method: 'POST', body })).result
      assert.equal(r.status, 413)
      assert.equal(r.body.toString(), 'big!')
      assert.equal(engine.stats().idle, 0)
      assert.equal(body.isPaused(), true, 'the rest of the body is left to the caller')
      body.destroy()
    } finally {
      engine.close()
      await server.close()
    }
  })
})
