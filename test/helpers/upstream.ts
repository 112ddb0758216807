// Real upstream servers on 127.0.0.1 for proxy tests: an echo server by default (answers with the
// request it received as JSON), or a custom handler.
import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface EchoBody {
  method: string
  url: string
  headers: Record<string, string | string[] | undefined>
  rawHeaders: string[]
  body: string
  httpVersion: string
  remotePort: number
}

export interface Upstream {
  port: number
  url: string
  server: http.Server
  /** Requests received so far. */
  requests: number
  /** TCP connections accepted so far. */
  connections: number
  close(): Promise<void>
}

export type UpstreamHandler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void

export function echo(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
  const payload: EchoBody = {
    method: req.method ?? '',
    url: req.url ?? '',
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    body: body.toString(),
    httpVersion: req.httpVersion,
    remotePort: req.socket.remotePort ?? 0,
  }
  const text = JSON.stringify(payload)
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

export async function startUpstream(
  handler: UpstreamHandler = echo,
  opts: { collectBody?: boolean } = {},
): Promise<Upstream> {
  const sockets = new Set<Socket>()
  const state = { requests: 0, connections: 0 }
  const server = http.createServer((req, res) => {
    state.requests++
    if (opts.collectBody === false) {
      handler(req, res, Buffer.alloc(0))
      return
    }
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => handler(req, res, Buffer.concat(chunks)))
  })
  server.on('connection', (s: Socket) => {
    state.connections++
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    server,
    get requests() {
      return state.requests
    },
    get connections() {
      return state.connections
    },
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}
