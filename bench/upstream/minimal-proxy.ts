// Minimal reverse proxies for proxy.bench.ts: a node:http server forwarding every request to one
// upstream, through our engine or through undici's Pool.dispatch (the baseline's
// node-undici-proxy.cjs, same settings). No routing, no plugins.
//   PORT=… UPSTREAM_PORT=… CLIENT=engine|undici node --import tsx bench/upstream/minimal-proxy.ts
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import { Pool } from 'undici'
import {
  type Attempt,
  UpstreamEngine,
  type UpstreamError,
  type UpstreamHandler,
  type UpstreamTarget,
} from '../../src/proxy/upstream/index.js'

const PORT = Number(process.env.PORT ?? 19002)
const UPSTREAM_PORT = Number(process.env.UPSTREAM_PORT ?? 19000)
const CLIENT = process.env.CLIENT ?? 'engine'
const HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
])

const fail = (res: ServerResponse): void => {
  if (!res.headersSent) {
    res.statusCode = 502
    res.end()
  } else res.destroy()
}

function engineProxy(): http.RequestListener {
  const engine = new UpstreamEngine()
  const target: UpstreamTarget = { key: `127.0.0.1|${UPSTREAM_PORT}`, host: '127.0.0.1', port: UPSTREAM_PORT }
  const host = `127.0.0.1:${UPSTREAM_PORT}`
  // The handler is the per-request object; its methods are on the prototype (no closures).
  class Forward implements UpstreamHandler {
    attempt: Attempt | null = null
    constructor(readonly res: ServerResponse) {}
    onHeaders(status: number, raw: string[], statusText: string): void {
      const out: string[] = []
      for (let i = 0; i < raw.length; i += 2) if (!HOP.has(raw[i].toLowerCase())) out.push(raw[i], raw[i + 1])
      this.res.writeHead(status, statusText, out)
    }
    onData(chunk: Buffer): boolean {
      if (this.res.write(chunk)) return true
      this.res.once('drain', () => this.attempt?.resume())
      return false
    }
    onEnd(): void {
      this.res.end()
    }
    onError(_err: UpstreamError): void {
      fail(this.res)
    }
  }
  return (req: IncomingMessage, res: ServerResponse) => {
    const raw = req.rawHeaders
    const headers: string[] = ['Host', host]
    for (let i = 0; i < raw.length; i += 2)
      if (!HOP.has(raw[i].toLowerCase())) headers.push(raw[i], raw[i + 1])
    const h = new Forward(res)
    h.attempt = engine.request(
      target,
      {
        method: req.method ?? 'GET',
        target: req.url ?? '/',
        headers,
        body: req.method === 'GET' || req.method === 'HEAD' ? null : req,
        connectTimeout: 60_000,
        writeTimeout: 60_000,
        readTimeout: 60_000,
      },
      h,
    )
  }
}

function undiciProxy(): http.RequestListener {
  const pool = new Pool(`http://127.0.0.1:${UPSTREAM_PORT}`, {
    connections: 128,
    pipelining: 1,
    keepAliveTimeout: 120e3,
    keepAliveMaxTimeout: 600e3,
  })
  const clean = (h: http.IncomingHttpHeaders): Record<string, string | string[]> => {
    const o: Record<string, string | string[]> = {}
    for (const k in h) if (!HOP.has(k)) o[k] = h[k] as string | string[]
    return o
  }
  return (req: IncomingMessage, res: ServerResponse) => {
    pool.dispatch(
      {
        path: req.url ?? '/',
        method: (req.method ?? 'GET') as 'GET',
        headers: clean(req.headers),
        body: req.method === 'GET' || req.method === 'HEAD' ? null : req,
      },
      {
        onRequestStart() {},
        onResponseStart(_ctl, status, headers) {
          res.writeHead(status, clean(headers as http.IncomingHttpHeaders))
        },
        onResponseData(ctl, chunk) {
          if (!res.write(chunk)) {
            ctl.pause()
            res.once('drain', () => ctl.resume())
          }
        },
        onResponseEnd() {
          res.end()
        },
        onResponseError() {
          fail(res)
        },
      },
    )
  }
}

const server = http.createServer(CLIENT === 'undici' ? undiciProxy() : engineProxy())
server.keepAliveTimeout = 120_000
server.listen(PORT, '127.0.0.1', () => {
  const addr = server.address()
  process.stdout.write(`${typeof addr === 'object' && addr ? addr.port : PORT}\n`)
})
process.on('SIGTERM', () => process.exit(0))
