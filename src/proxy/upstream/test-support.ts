// Helpers for the upstream engine tests: loopback servers that are always stopped, and a
// handler that collects a response into a promise. Not used by production code.
import { once } from 'node:events'
import http from 'node:http'
import net from 'node:net'
import type { Duplex } from 'node:stream'
import type { UpstreamEngine } from './engine.js'
import type { UpstreamError } from './errors.js'
import type { Attempt, UpstreamHandler, UpstreamRequest, UpstreamTarget } from './types.js'

export interface Response {
  status: number
  statusText: string
  headers: string[]
  body: Buffer
  trailers: readonly string[]
}

/** A server plus every socket it accepted, so close() can stop everything. */
export interface TestServer<S extends net.Server = net.Server> {
  server: S
  port: number
  /** Connections accepted so far. */
  connections: number
  sockets: Set<net.Socket>
  close(): Promise<void>
}

async function track<S extends net.Server>(server: S): Promise<TestServer<S>> {
  const t: TestServer<S> = {
    server,
    port: 0,
    connections: 0,
    sockets: new Set(),
    async close() {
      for (const s of t.sockets) s.destroy()
      if (server.listening) {
        server.close()
        await once(server, 'close')
      }
    },
  }
  server.on('connection', (s: net.Socket) => {
    t.connections++
    t.sockets.add(s)
    s.on('close', () => t.sockets.delete(s))
  })
  // TLS servers report their plain connections through 'connection' as well.
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.port = (server.address() as net.AddressInfo).port
  return t
}

export function httpServer(
  handler: http.RequestListener,
  opts: http.ServerOptions = {},
): Promise<TestServer<http.Server>> {
  return track(http.createServer(opts, handler))
}

export function rawServer(onSocket: (socket: net.Socket) => void): Promise<TestServer<net.Server>> {
  return track(net.createServer(onSocket))
}

export function listenServer<S extends net.Server>(server: S): Promise<TestServer<S>> {
  return track(server)
}

/**
 * A raw server that answers each request head it receives with `respond(index)` (index counts
 * requests on that connection). Request bodies are not supported.
 */
export function scriptedServer(
  respond: (req: string, index: number, socket: net.Socket) => void,
): Promise<TestServer<net.Server>> {
  return rawServer((socket) => {
    let buf = ''
    let index = 0
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1')
      let end = buf.indexOf('\r\n\r\n')
      while (end !== -1) {
        const req = buf.slice(0, end + 4)
        buf = buf.slice(end + 4)
        respond(req, index++, socket)
        end = buf.indexOf('\r\n\r\n')
      }
    })
    socket.on('error', () => {})
  })
}

export function target(port: number, extra: Partial<UpstreamTarget> = {}): UpstreamTarget {
  return { key: `127.0.0.1|${port}`, host: '127.0.0.1', port, ...extra }
}

export function request(extra: Partial<UpstreamRequest> = {}): UpstreamRequest {
  return {
    method: 'GET',
    target: '/',
    headers: ['Host', 'upstream.test'],
    body: null,
    connectTimeout: 2000,
    writeTimeout: 2000,
    readTimeout: 2000,
    ...extra,
  }
}

/** Collects one response; rejects with the UpstreamError. */
export class Collector implements UpstreamHandler {
  readonly result: Promise<Response>
  attempt: Attempt | null = null
  events: string[] = []
  upgraded: { status: number; headers: string[]; socket: Duplex; head: Buffer } | null = null
  private status = 0
  private statusText = ''
  private headers: string[] = []
  private chunks: Buffer[] = []
  private resolve!: (r: Response) => void
  private reject!: (e: UpstreamError) => void

  constructor() {
    this.result = new Promise<Response>((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
    // Tests that expect a rejection attach their own handler; avoid unhandled-rejection noise.
    this.result.catch(() => {})
  }

  onHeaders(status: number, rawHeaders: string[], statusText: string): void {
    this.events.push('headers')
    this.status = status
    this.statusText = statusText
    this.headers = rawHeaders
  }

  onData(chunk: Buffer): boolean {
    this.events.push('data')
    this.chunks.push(chunk)
    return true
  }

  onEnd(trailers: readonly string[]): void {
    this.events.push('end')
    this.resolve({
      status: this.status,
      statusText: this.statusText,
      headers: this.headers,
      body: Buffer.concat(this.chunks),
      trailers,
    })
  }

  onError(err: UpstreamError): void {
    this.events.push(`error:${err.kind}`)
    this.reject(err)
  }

  onUpgrade(status: number, headers: string[], socket: Duplex, head: Buffer): void {
    this.events.push('upgrade')
    this.upgraded = { status, headers, socket, head }
    this.resolve({ status, statusText: '', headers, body: head, trailers: [] })
  }
}

export function send(engine: UpstreamEngine, t: UpstreamTarget, r: UpstreamRequest): Collector {
  const c = new Collector()
  c.attempt = engine.request(t, r, c)
  return c
}

/** The response, or the error (as a value) when the exchange failed. */
export async function outcome(c: Collector): Promise<Response | UpstreamError> {
  try {
    return await c.result
  } catch (err) {
    return err as UpstreamError
  }
}

/** Value of the first header named `name` (case-insensitive) in a flat list. */
export function header(raw: readonly string[], name: string): string | undefined {
  const lower = name.toLowerCase()
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === lower) return raw[i + 1]
  return undefined
}

/** Polls `cond` every few ms until it holds (or fails after `ms`). */
export async function waitFor(cond: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}
