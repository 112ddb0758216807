// HTTP listeners for the primary's APIs (Admin, Status): plain HTTP, HTTPS, and HTTP/2 over TLS
// (with HTTP/1.1 fallback), bound per `*_listen` entry, with connection/request counters.
import { once } from 'node:events'
import http from 'node:http'
import http2 from 'node:http2'
import https from 'node:https'
import type { Socket } from 'node:net'
import type { ServerStats } from '../admin/context.js'
import type { Listener } from '../conf/index.js'
import type { CertPair } from './prefix.js'

export type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void
type AnyServer = http.Server | https.Server | http2.Http2SecureServer

export class StatsCounter {
  totalRequests = 0
  accepted = 0
  active = 0
  writing = 0

  snapshot(): ServerStats {
    return {
      total_requests: this.totalRequests,
      connections_active: this.active,
      connections_accepted: this.accepted,
      connections_handled: this.accepted,
      connections_reading: 0,
      connections_writing: this.writing,
      connections_waiting: Math.max(0, this.active - this.writing),
    }
  }
}

export class ServerGroup {
  private readonly servers: AnyServer[] = []
  private readonly sockets = new Set<Socket>()

  constructor(
    private handler: RequestHandler,
    private readonly stats: StatsCounter,
  ) {}

  /** Serves the next requests with `handler` (a reload that keeps the listeners). */
  setHandler(handler: RequestHandler): void {
    this.handler = handler
  }

  private counted(): RequestHandler {
    return (req, res) => {
      this.stats.totalRequests++
      this.stats.writing++
      res.once('close', () => {
        this.stats.writing--
      })
      this.handler(req, res)
    }
  }

  /** Binds one listener; rejects with the listen error (EADDRINUSE...). */
  async listen(l: Listener, certs: () => CertPair[]): Promise<void> {
    let server: AnyServer
    const handler = this.counted()
    if (l.ssl) {
      const pairs = certs()
      const tlsOpts = { cert: pairs.map((p) => p.cert), key: pairs.map((p) => p.key) }
      server = l.http2
        ? http2.createSecureServer({ ...tlsOpts, allowHTTP1: true }, handler as never)
        : https.createServer(tlsOpts, handler)
    } else {
      server = http.createServer({ keepAliveTimeout: 60_000 }, handler)
    }
    const track = (socket: Socket) => {
      this.stats.accepted++
      this.stats.active++
      this.sockets.add(socket)
      socket.once('close', () => {
        this.stats.active--
        this.sockets.delete(socket)
      })
    }
    server.on(l.ssl ? 'secureConnection' : 'connection', track)
    server.listen({ host: l.ip, port: l.port, backlog: l.backlog, ipv6Only: l.ipv6only === 'on' })
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([err]) => {
        throw err
      }),
    ])
    this.servers.push(server)
  }

  /** Stops accepting; with `graceful`, waits (up to timeoutMs) for open requests to finish. */
  async close(graceful: boolean, timeoutMs = 10_000): Promise<void> {
    const closing = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))
    for (const s of this.servers) {
      if ('closeIdleConnections' in s && typeof s.closeIdleConnections === 'function')
        s.closeIdleConnections()
    }
    if (!graceful) for (const socket of this.sockets) socket.destroy()
    const timer = setTimeout(() => {
      for (const socket of this.sockets) socket.destroy()
    }, timeoutMs)
    timer.unref()
    await Promise.all(closing)
    clearTimeout(timer)
    this.servers.length = 0
  }
}
