// Differential tests: the same requests through our engine and through an undici Client, against
// the same upstreams; status, reason phrase, headers (minus hop-by-hop and Date), body and
// trailers must be equal. Known, deliberate differences (not compared): undici keeps trailing
// whitespace of header values (normalized below), and rejects identical duplicate Content-Length
// headers, which RFC 9110 §8.6 allows and the engine accepts.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { Client, type Dispatcher } from 'undici'
import { UpstreamEngine } from './engine.js'
import { httpServer, request, scriptedServer, send, type TestServer, target } from './test-support.js'

interface Outcome {
  status: number
  statusText: string
  headers: string[]
  body: string
  trailers: string[]
}

const SKIP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date'])

function comparable(raw: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < raw.length; i += 2) if (!SKIP.has(raw[i].toLowerCase())) out.push(raw[i], raw[i + 1])
  return out
}

const digest = (b: Buffer): string =>
  `${b.length}:${createHash('sha256').update(b).digest('hex').slice(0, 16)}`

interface Spec {
  name: string
  method: string
  path: string
  headers?: string[]
  /** Body factory: a fresh one for each client. */
  body?: () => Buffer | Readable
}

async function viaEngine(engine: UpstreamEngine, port: number, s: Spec): Promise<Outcome> {
  const r = await send(
    engine,
    target(port),
    request({
      method: s.method,
      target: s.path,
      headers: ['Host', `127.0.0.1:${port}`, ...(s.headers ?? [])],
      body: s.body ? s.body() : null,
    }),
  ).result
  return {
    status: r.status,
    statusText: r.statusText,
    headers: comparable(r.headers),
    body: digest(r.body),
    trailers: [...r.trailers],
  }
}

function viaUndici(client: Client, s: Spec): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let status = 0
    let statusText = ''
    let headers: string[] = []
    // The legacy handler API gives the raw header list (names as sent, in order).
    const handler: Dispatcher.DispatchHandler = {
      onConnect() {},
      onHeaders(code, raw, _resume, text) {
        status = code
        statusText = text
        // llhttp keeps trailing whitespace in values; RFC 9110 §5.5 (and nginx, and we) exclude it.
        headers = comparable(
          raw.map((b, i) => (i % 2 ? b.toString('latin1').replace(/[ \t]+$/, '') : b.toString('latin1'))),
        )
        return true
      },
      onData(chunk) {
        chunks.push(chunk)
        return true
      },
      onComplete(trailers) {
        resolve({
          status,
          statusText,
          headers,
          body: digest(Buffer.concat(chunks)),
          trailers: (trailers ?? []).map((t) => String(t)),
        })
      },
      onError: reject,
    }
    client.dispatch(
      {
        method: s.method as Dispatcher.HttpMethod,
        path: s.path,
        headers: s.headers ?? [],
        body: s.body ? s.body() : null,
      },
      handler,
    )
  })
}

function compare(specs: Spec[], getPort: () => number): void {
  let engine: UpstreamEngine
  let client: Client
  before(() => {
    engine = new UpstreamEngine()
    client = new Client(`http://127.0.0.1:${getPort()}`, { pipelining: 1 })
  })
  after(async () => {
    engine.close()
    await client.close()
  })
  for (const s of specs) {
    it(`${s.name}: same result as undici`, async () => {
      const ours = await viaEngine(engine, getPort(), s)
      const theirs = await viaUndici(client, s)
      assert.deepEqual(ours, theirs)
    })
  }
}

describe('engine vs undici: node:http upstream', () => {
  let server: TestServer
  before(async () => {
    server = await httpServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x')
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const body = Buffer.concat(chunks)
        switch (url.pathname) {
          case '/':
            res.setHeader('X-Multi', ['a', 'b'])
            res.setHeader('Set-Cookie', ['s=1; Path=/', 't=2; HttpOnly'])
            res.setHeader('X-Empty', '')
            res.end('hello')
            return
          case '/echo':
            res.setHeader('X-Method', req.method ?? '')
            res.setHeader('X-Url', req.url ?? '')
            res.setHeader('X-Request-CL', req.headers['content-length'] ?? '-')
            res.setHeader('X-Request-TE', req.headers['transfer-encoding'] ?? '-')
            res.end(body)
            return
          case '/status': {
            const code = Number(url.searchParams.get('code'))
            res.writeHead(code, url.searchParams.get('text') ?? undefined, {
              ETag: '"v1"',
              'Cache-Control': 'no-cache',
            })
            res.end(code === 204 || code === 304 ? undefined : `status ${code}`)
            return
          }
          case '/chunked':
            res.setHeader('Trailer', 'X-Checksum')
            res.write('part one, ')
            setTimeout(() => {
              res.write('part two')
              res.addTrailers({ 'X-Checksum': 'c0ffee' })
              res.end()
            }, 5)
            return
          case '/big':
            res.end(Buffer.alloc(1024 * 1024 + 7, 'z'))
            return
          case '/early':
            res.writeEarlyHints({ link: '</style.css>; rel=preload' })
            res.end('after hints')
            return
          default:
            res.statusCode = 404
            res.end()
        }
      })
    })
  })
  after(() => server.close())

  compare(
    [
      { name: 'GET /', method: 'GET', path: '/' },
      { name: 'query string', method: 'GET', path: '/echo?a=1&b=%20x&c' },
      { name: 'HEAD', method: 'HEAD', path: '/' },
      { name: 'HEAD on a large body', method: 'HEAD', path: '/big' },
      { name: 'POST Buffer', method: 'POST', path: '/echo', body: () => Buffer.from('{"a":1}') },
      { name: 'POST empty', method: 'POST', path: '/echo' },
      { name: 'PUT 100 KiB Buffer', method: 'PUT', path: '/echo', body: () => Buffer.alloc(100 * 1024, 7) },
      {
        name: 'PUT stream (chunked)',
        method: 'PUT',
        path: '/echo',
        body: () => Readable.from([Buffer.from('a'.repeat(1000)), Buffer.from('b'.repeat(5000))]),
      },
      { name: 'DELETE', method: 'DELETE', path: '/echo' },
      { name: 'OPTIONS', method: 'OPTIONS', path: '/echo' },
      { name: '204', method: 'GET', path: '/status?code=204' },
      { name: '304', method: 'GET', path: '/status?code=304' },
      { name: '418 custom reason', method: 'GET', path: '/status?code=418&text=Short%20and%20stout' },
      { name: '500', method: 'GET', path: '/status?code=500' },
      { name: '302', method: 'GET', path: '/status?code=302' },
      { name: 'chunked with trailers', method: 'GET', path: '/chunked', headers: ['TE', 'trailers'] },
      { name: '1 MiB body', method: 'GET', path: '/big' },
      { name: '103 Early Hints then 200', method: 'GET', path: '/early' },
      { name: '404', method: 'GET', path: '/nope' },
    ],
    () => server.port,
  )
})

describe('engine vs undici: raw upstream framing variants', () => {
  const responses: Record<string, string> = {
    '/ext': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;a=b\r\nabc\r\n0\r\nX-T: 1\r\n\r\n',
    '/http10': 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok',
    '/noreason': 'HTTP/1.1 200 \r\nContent-Length: 1\r\n\r\nx',
    '/spaces': 'HTTP/1.1 200 OK\r\nX-Pad:   padded value   \r\nX-Tab:\tt\t\r\nContent-Length: 0\r\n\r\n',
    '/obs-text': 'HTTP/1.1 200 OK\r\nX-Latin: caf\xe9\r\nContent-Length: 0\r\n\r\n',
    '/close': 'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nclose-delimited body',
  }
  let server: TestServer
  before(async () => {
    server = await scriptedServer((req, _i, socket) => {
      const path = req.split(' ')[1]
      socket.write(responses[path] ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n', 'latin1')
      if (path === '/close') socket.end()
    })
  })
  after(() => server.close())

  compare(
    Object.keys(responses).map((path) => ({ name: path, method: 'GET', path })),
    () => server.port,
  )
})
