// The proxy's request entry: route the request against the current snapshot, apply the route's
// protocol rules, compute the upstream request (target, headers, body) and hand it to an Exchange.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TLSSocket } from 'node:tls'
import type { DnsResolver } from '../dns/resolver.js'
import { escapeUpstreamPath, normalizeRequestPath, upstreamPath } from '../router/index.js'
import { Exchange, tokenSet } from './exchange.js'
import { requestId } from './request-id.js'
import { sendError, sendRedirect } from './respond.js'
import type { ProxySettings } from './settings.js'
import type { RouteData, Snapshot } from './snapshot.js'
import { clientAddress } from './trusted.js'
import type { UpstreamEngine } from './upstream/index.js'
import type { UpstreamTls } from './upstream-tls.js'

export interface ListenerInfo {
  /** Port the client connected to (after `port_maps`). */
  port: number
  scheme: 'http' | 'https'
}

/** Request headers never forwarded as received: hop-by-hop ones and those the gateway sets. */
const SKIP_REQUEST = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy',
  'te',
  'transfer-encoding',
  'upgrade',
  'expect',
  'trailer',
  'x-real-ip',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-path',
  'x-forwarded-prefix',
  'via',
  'x-kong-request-id',
])

function ignore(): void {}

/** Request bodies up to this size are read before forwarding, so failed attempts can be retried. */
const BUFFER_LIMIT = 1024 * 1024

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v.join(', ') : v
}

function hostName(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']')
    return (end > 0 ? host.slice(0, end + 1) : host).toLowerCase()
  }
  const colon = host.indexOf(':')
  return (colon === -1 ? host : host.slice(0, colon)).toLowerCase()
}

export class ProxyHandler {
  snapshot: Snapshot
  /** TLS settings for https services, rebuilt with each snapshot. */
  tls: UpstreamTls

  constructor(
    snapshot: Snapshot,
    private readonly settings: ProxySettings,
    private readonly engine: UpstreamEngine,
    private readonly dns: DnsResolver,
    private readonly log: (err: unknown) => void,
    tls: UpstreamTls,
  ) {
    this.snapshot = snapshot
    this.tls = tls
  }

  /** Entry point of every proxied request. */
  handle(req: IncomingMessage, res: ServerResponse, listener: ListenerInfo): void {
    const started = process.hrtime.bigint()
    const ctx = { req, res, settings: this.settings, requestId: requestId(), started }
    const snapshot = this.snapshot
    const rawUrl = req.url ?? '/'
    const hostHeader = req.headers.host ?? (req.headers[':authority'] as string | undefined)
    if (hostHeader === undefined && req.httpVersionMinor === 1 && req.httpVersionMajor === 1) {
      sendError(ctx, 400, 'Bad request', { lowLevel: true })
      return
    }
    const max = this.settings.maxBody
    if (max > 0) {
      const cl = Number(req.headers['content-length'])
      if (cl > max) {
        sendError(ctx, 413, 'Payload too large', { lowLevel: true })
        return
      }
    }
    const path = normalizeRequestPath(rawUrl)
    const socket = req.socket as TLSSocket
    const match = snapshot.router.match({
      method: req.method ?? 'GET',
      host: hostHeader,
      port: listener.port,
      path,
      headers: req.headers,
      sni: listener.scheme === 'https' ? socket.servername || undefined : undefined,
      scheme: listener.scheme,
    })
    if (!match) {
      sendError(ctx, 404, 'no Route matched with those values')
      return
    }
    const route = match.route
    const peer = req.socket.remoteAddress ?? ''
    const trusted = this.settings.trusted.has(peer)
    const fwdProto = (trusted && header(req, 'x-forwarded-proto')) || listener.scheme
    if (route.httpsOnly && fwdProto !== 'https') {
      this.httpsRequired(ctx, route, hostHeader, rawUrl, trusted)
      return
    }
    if (route.grpc && !this.grpcAllowed(ctx, route, fwdProto)) return
    const service = route.serviceData
    if (!service) {
      sendError(ctx, 503, 'no Service found with those values')
      return
    }

    // Upstream request target: the service path combined with the (stripped) request path,
    // re-escaped, plus the original query string unchanged.
    const q = rawUrl.indexOf('?', 1)
    const upPath = escapeUpstreamPath(upstreamPath(service.path, match, path, route.strip_path === true))
    const target = q === -1 ? upPath : upPath + rawUrl.slice(q)

    const upstreamHost =
      route.preserve_host === true && hostHeader !== undefined ? hostHeader : service.hostHeader
    const headers = this.upstreamHeaders(
      req,
      upstreamHost,
      hostHeader,
      listener,
      peer,
      trusted,
      route,
      rawUrl,
      match.matchedPath,
      ctx.requestId,
    )
    const method = req.method ?? 'GET'
    const hasBody =
      req.headers['transfer-encoding'] !== undefined ||
      (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0')
    const te = req.headers.te
    const clientTrailers = typeof te === 'string' && tokenSet(te).has('trailers')
    if (clientTrailers) headers.push('TE', 'trailers')

    if (!hasBody) {
      new Exchange(
        req,
        res,
        this.settings,
        ctx.requestId,
        started,
        this.deps(),
        service,
        method,
        target,
        headers,
        null,
        clientTrailers,
        upstreamHost,
      ).start()
      return
    }
    const cl = Number(req.headers['content-length'])
    if (route.request_buffering !== false && Number.isFinite(cl) && cl <= BUFFER_LIMIT) {
      // Small bodies are read first: attempts can then be retried with the same bytes.
      this.readBody(req, cl, (body) => {
        if (!body) return
        headers.push('Content-Length', String(body.length))
        new Exchange(
          req,
          res,
          this.settings,
          ctx.requestId,
          started,
          this.deps(),
          service,
          method,
          target,
          headers,
          body,
          clientTrailers,
          upstreamHost,
        ).start()
      })
      return
    }
    if (Number.isFinite(cl)) headers.push('Content-Length', String(cl))
    // The engine detaches from the body stream when done; a late client error must not throw.
    req.on('error', ignore)
    this.limitBody(ctx)
    new Exchange(
      req,
      res,
      this.settings,
      ctx.requestId,
      started,
      this.deps(),
      service,
      method,
      target,
      headers,
      req,
      clientTrailers,
      upstreamHost,
    ).start()
  }

  private deps() {
    return { engine: this.engine, dns: this.dns, settings: this.settings, log: this.log, tls: this.tls }
  }

  private readBody(req: IncomingMessage, expected: number, done: (body: Buffer | null) => void): void {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size <= expected) chunks.push(c)
    })
    req.once('end', () => done(Buffer.concat(chunks, Math.min(size, expected))))
    req.once('error', () => done(null))
  }

  /** Chunked bodies above `client_max_body_size` are cut off with a 413. */
  private limitBody(ctx: {
    req: IncomingMessage
    res: ServerResponse
    settings: ProxySettings
    requestId: string
    started: bigint
  }): void {
    const max = this.settings.maxBody
    if (max <= 0 || ctx.req.headers['content-length'] !== undefined) return
    let size = 0
    ctx.req.on('data', (c: Buffer) => {
      size += c.length
      if (size > max) {
        ctx.req.destroy()
        sendError(ctx, 413, 'Payload too large', { lowLevel: true })
      }
    })
  }

  private httpsRequired(
    ctx: Parameters<typeof sendError>[0],
    route: RouteData,
    hostHeader: string | undefined,
    rawUrl: string,
    trusted: boolean,
  ): void {
    const code = route.https_redirect_status_code ?? 426
    if (code === 426) {
      sendError(ctx, 426, 'Please use HTTPS protocol', {
        headers: { Connection: 'Upgrade', Upgrade: 'TLS/1.2, HTTP/1.1' },
      })
      return
    }
    const fwdHost = (trusted && header(ctx.req, 'x-forwarded-host')) || hostHeader || ''
    sendRedirect(ctx, code, `https://${hostName(fwdHost)}${rawUrl}`)
  }

  private grpcAllowed(ctx: Parameters<typeof sendError>[0], route: RouteData, fwdProto: string): boolean {
    const ct = ctx.req.headers['content-type']
    if (!ct?.startsWith('application/grpc')) {
      sendError(ctx, 415, 'Non-gRPC request matched gRPC route')
      return false
    }
    if (ctx.req.httpVersionMajor < 2) {
      sendError(ctx, 426, 'Please use HTTP2 protocol', {
        headers: { Connection: 'Upgrade', Upgrade: 'HTTP/2' },
      })
      return false
    }
    if (route.grpcsOnly && fwdProto !== 'https') {
      ctx.res.writeHead(200, {
        'content-type': 'application/grpc',
        'grpc-status': '1',
        'grpc-message': 'gRPC request matched gRPCs route',
      })
      ctx.res.end()
      return false
    }
    return true
  }

  /** The request headers sent upstream (proxying.md §4.2), as a flat [name, value...] list. */
  private upstreamHeaders(
    req: IncomingMessage,
    upstreamHost: string,
    hostHeader: string | undefined,
    listener: ListenerInfo,
    peer: string,
    trusted: boolean,
    route: RouteData,
    rawUrl: string,
    matchedPath: string | undefined,
    id: string,
  ): string[] {
    const s = this.settings
    const raw = req.rawHeaders
    const out: string[] = []
    const connection = req.headers.connection
    const listed = connection ? tokenSet(connection) : null
    for (let i = 0; i < raw.length; i += 2) {
      const lower = raw[i].toLowerCase()
      // HTTP/2 pseudo-headers (:method, :path, :authority, :scheme) are not HTTP/1.1 headers.
      if (lower.charCodeAt(0) === 58 || SKIP_REQUEST.has(lower)) continue
      if (lower === 'content-length') continue
      if (listed?.has(lower)) continue
      out.push(raw[i], raw[i + 1])
    }
    out.push('Host', upstreamHost)
    const client = clientAddress(peer, req.headers[s.realIpHeader], s.trusted, s.realIpRecursive)
    out.push('X-Real-IP', client)
    const xff = header(req, 'x-forwarded-for')
    out.push('X-Forwarded-For', xff ? `${xff}, ${peer}` : client)
    out.push('X-Forwarded-Proto', (trusted && header(req, 'x-forwarded-proto')) || listener.scheme)
    const fwdHost = (trusted && header(req, 'x-forwarded-host')) || (hostHeader ? hostName(hostHeader) : '')
    if (fwdHost) out.push('X-Forwarded-Host', fwdHost)
    const port = String(s.hostPorts.get(listener.port) ?? listener.port)
    out.push('X-Forwarded-Port', (trusted && header(req, 'x-forwarded-port')) || port)
    const q = rawUrl.indexOf('?', 1)
    out.push(
      'X-Forwarded-Path',
      (trusted && header(req, 'x-forwarded-path')) || (q === -1 ? rawUrl : rawUrl.slice(0, q)),
    )
    const prefix =
      (trusted && header(req, 'x-forwarded-prefix')) ||
      (route.strip_path && matchedPath && matchedPath !== '/' ? matchedPath : '')
    if (prefix) out.push('X-Forwarded-Prefix', prefix)
    const via = header(req, 'via')
    const version = req.httpVersionMajor === 2 ? '2' : req.httpVersionMinor === 0 ? '1' : '1.1'
    out.push('Via', via ? `${via}, ${version} ${s.token}` : `${version} ${s.token}`)
    if (s.requestIdUpstream) out.push('X-Kong-Request-Id', id)
    return out
  }
}
