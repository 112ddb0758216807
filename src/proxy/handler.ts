// The proxy's request entry: route the request against the current snapshot, apply the route's
// protocol rules, compute the upstream request (target, headers, body) and hand it to an Exchange.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TLSSocket } from 'node:tls'
import type { DnsResolver } from '../dns/resolver.js'
import { escapeUpstreamPath, normalizeRequestPath, upstreamPath } from '../router/index.js'
import { Exchange, tokenSet } from './exchange.js'
import { type RequestHead, scanHeaders } from './request-head.js'
import { requestId } from './request-id.js'
import { sendError, sendRedirect } from './respond.js'
import type { ProxySettings } from './settings.js'
import type { RouteData, Snapshot } from './snapshot.js'
import { clientAddress } from './trusted.js'
import { type ClientUpgrade, wantsWebSocket } from './tunnel.js'
import type { UpstreamEngine } from './upstream/index.js'
import type { UpstreamTls } from './upstream-tls.js'

export interface ListenerInfo {
  /** Port the client connected to. */
  port: number
  /** X-Forwarded-Port value: the port, or its `port_maps` mapping. */
  forwardedPort: string
  scheme: 'http' | 'https'
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({})

function ignore(): void {}

/** Request bodies up to this size are read before forwarding, so failed attempts can be retried. */
const BUFFER_LIMIT = 1024 * 1024

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

  /**
   * Entry point of every proxied request. `upgrade` is given for requests node:http handed over
   * as protocol upgrades (then `res` is an `upgradeResponse`); they carry no body.
   */
  handle(req: IncomingMessage, res: ServerResponse, listener: ListenerInfo, upgrade?: ClientUpgrade): void {
    const started = process.hrtime.bigint()
    const s = this.settings
    const ctx = { req, res, settings: s, requestId: requestId(), started }
    const snapshot = this.snapshot
    const rawUrl = req.url ?? '/'
    const head = scanHeaders(req.rawHeaders, s.realIpHeader)
    const hostHeader = head.host
    if (hostHeader === undefined && req.httpVersionMinor === 1 && req.httpVersionMajor === 1) {
      sendError(ctx, 400, 'Bad request', { lowLevel: true })
      return
    }
    if (s.maxBody > 0 && head.contentLength !== undefined && Number(head.contentLength) > s.maxBody) {
      sendError(ctx, 413, 'Payload too large', { lowLevel: true })
      return
    }
    const path = normalizeRequestPath(rawUrl)
    const match = snapshot.router.match({
      method: req.method ?? 'GET',
      host: hostHeader,
      port: listener.port,
      path,
      // Node builds req.headers lazily: only routes matching on headers need it.
      headers: snapshot.headerRoutes ? req.headers : NO_HEADERS,
      sni: listener.scheme === 'https' ? (req.socket as TLSSocket).servername || undefined : undefined,
      scheme: listener.scheme,
    })
    if (!match) {
      sendError(ctx, 404, 'no Route matched with those values')
      return
    }
    const route = match.route
    const peer = req.socket.remoteAddress ?? ''
    const trusted = s.trusted.has(peer)
    const fwdProto = (trusted && head.xForwardedProto) || listener.scheme
    if (route.httpsOnly && fwdProto !== 'https') {
      this.httpsRequired(ctx, route, hostHeader, rawUrl, trusted ? head.xForwardedHost : undefined)
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
    const upPath = escapeUpstreamPath(upstreamPath(service.path, match, path, route.strip_path))
    const target = q === -1 ? upPath : upPath + rawUrl.slice(q)

    const upstreamHost = route.preserve_host && hostHeader !== undefined ? hostHeader : service.hostHeader
    const headers = head.forward
    this.addUpstreamHeaders(
      headers,
      head,
      req,
      upstreamHost,
      listener,
      peer,
      trusted,
      route,
      rawUrl,
      q,
      match.matchedPath,
      ctx.requestId,
    )
    const method = req.method ?? 'GET'
    const clientTrailers = head.te !== undefined && tokenSet(head.te).has('trailers')
    if (clientTrailers) headers.push('TE', 'trailers')

    const hasBody =
      head.transferEncoding !== undefined || (head.contentLength !== undefined && head.contentLength !== '0')
    if (!hasBody || upgrade !== undefined) {
      const websocket = upgrade !== undefined && wantsWebSocket(head.upgrade, head.connection)
      if (websocket) headers.push('Connection', 'keep-alive, Upgrade', 'Upgrade', 'websocket')
      const exchange = new Exchange(
        req,
        res,
        s,
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
      )
      if (websocket) exchange.tunnel = upgrade
      exchange.start()
      return
    }
    const cl = head.transferEncoding === undefined ? Number(head.contentLength) : Number.NaN
    if (route.request_buffering && Number.isFinite(cl) && cl <= BUFFER_LIMIT) {
      // Small bodies are read first: attempts can then be retried with the same bytes.
      this.readBody(req, cl, (body) => {
        if (!body) return
        headers.push('Content-Length', String(body.length))
        new Exchange(
          req,
          res,
          s,
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
      s,
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
    trustedForwardedHost: string | undefined,
  ): void {
    const code = route.https_redirect_status_code ?? 426
    if (code === 426) {
      sendError(ctx, 426, 'Please use HTTPS protocol', {
        headers: { Connection: 'Upgrade', Upgrade: 'TLS/1.2, HTTP/1.1' },
      })
      return
    }
    const fwdHost = trustedForwardedHost || hostHeader || ''
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

  /** Appends the headers the gateway sets upstream (proxying.md §4.2) to the forwarded ones. */
  private addUpstreamHeaders(
    out: string[],
    head: RequestHead,
    req: IncomingMessage,
    upstreamHost: string,
    listener: ListenerInfo,
    peer: string,
    trusted: boolean,
    route: RouteData,
    rawUrl: string,
    q: number,
    matchedPath: string | undefined,
    id: string,
  ): void {
    const s = this.settings
    out.push('Host', upstreamHost)
    const client = trusted ? clientAddress(peer, head.realIp, s.trusted, s.realIpRecursive) : peer
    out.push('X-Real-IP', client)
    out.push('X-Forwarded-For', head.xForwardedFor ? `${head.xForwardedFor}, ${peer}` : client)
    out.push('X-Forwarded-Proto', (trusted && head.xForwardedProto) || listener.scheme)
    const fwdHost = (trusted && head.xForwardedHost) || (head.host ? hostName(head.host) : '')
    if (fwdHost) out.push('X-Forwarded-Host', fwdHost)
    out.push('X-Forwarded-Port', (trusted && head.xForwardedPort) || listener.forwardedPort)
    out.push('X-Forwarded-Path', (trusted && head.xForwardedPath) || (q === -1 ? rawUrl : rawUrl.slice(0, q)))
    const prefix =
      (trusted && head.xForwardedPrefix) ||
      (route.strip_path && matchedPath && matchedPath !== '/' ? matchedPath : '')
    if (prefix) out.push('X-Forwarded-Prefix', prefix)
    const version = req.httpVersionMajor === 2 ? s.via2 : req.httpVersionMinor === 0 ? s.via10 : s.via11
    out.push('Via', head.via ? `${head.via}, ${version}` : version)
    if (s.requestIdUpstream) out.push('X-Kong-Request-Id', id)
  }
}
