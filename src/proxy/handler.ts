// The proxy's request entry: route the request against the current snapshot, apply the route's
// protocol rules, run the plugins that apply (rewrite, then access), compute the upstream
// request (target, headers, body) and hand it to an Exchange. Requests on routes without
// plugins take the same path with no plugin state at all.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isIP } from 'node:net'
import type { TLSSocket } from 'node:tls'
import {
  cookieValue,
  type HashResult,
  type HashSource,
  hashValue,
  queryValues,
} from '../balancer/hash-value.js'
import type { HealthEvent } from '../balancer/health.js'
import type { DnsResolver } from '../dns/resolver.js'
import type { PdkEnv } from '../pdk/state.js'
import { RequestState } from '../pdk/state.js'
import { escapeUpstreamPath, normalizeRequestPath, type RouteMatch, upstreamPath } from '../router/index.js'
import { REQUEST_ID } from './access-log.js'
import { Exchange, tokenSet } from './exchange.js'
import type { Chain } from './plugins/index.js'
import { hasPhase, recordGlobal, runAccess, runLog, runRewrite } from './plugins/runner.js'
import { type RequestHead, scanHeaders } from './request-head.js'
import { requestId } from './request-id.js'
import { type GatewayResponseContext, sendError, sendExit, sendRedirect } from './respond.js'
import type { ProxySettings } from './settings.js'
import type { RouteData, ServiceData, Snapshot } from './snapshot.js'
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

/** The upstream request, as computed from the route and the plugins. */
interface Upstream {
  service: ServiceData
  method: string
  target: string
  headers: string[]
  clientTrailers: boolean
  upstreamHost: string
  /** Consistent hashing: the request's hash value (and a cookie made up for it). */
  balance: HashResult | null
  /** Each attempt's Host names its target (balancer.md §7). */
  hostFromTarget: boolean
}

/** One request on its way through the handler (one object, every field set: one shape). */
class ProxyRequest implements GatewayResponseContext {
  plugins: RequestState | null = null
  path = ''
  peer = ''
  trusted = false

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly settings: ProxySettings,
    readonly requestId: string,
    readonly started: bigint,
    readonly head: RequestHead,
    readonly rawUrl: string,
    readonly listener: ListenerInfo,
    readonly upgrade: ClientUpgrade | undefined,
    readonly snapshot: Snapshot,
  ) {}
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
    /** What plugins see of the worker (null: plugins cannot run, e.g. in unit tests). */
    private readonly pdk: PdkEnv | null = null,
    /** Passive health reports to the node's checker. */
    private readonly health?: (upstreamId: string, addressKey: string, event: HealthEvent) => void,
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
    const rawUrl = req.url ?? '/'
    const head = scanHeaders(req.rawHeaders, s.realIpHeader)
    const snapshot = this.snapshot
    const id = requestId()
    ;(res as ServerResponse & { [REQUEST_ID]?: string })[REQUEST_ID] = id
    const p = new ProxyRequest(req, res, s, id, started, head, rawUrl, listener, upgrade, snapshot)
    if (head.host === undefined && req.httpVersionMinor === 1 && req.httpVersionMajor === 1) {
      sendError(p, 400, 'Bad request', { lowLevel: true })
      return
    }
    if (s.maxBody > 0 && head.contentLength !== undefined && Number(head.contentLength) > s.maxBody) {
      sendError(p, 413, 'Payload too large', { lowLevel: true })
      return
    }
    p.path = normalizeRequestPath(rawUrl)
    p.peer = req.socket.remoteAddress ?? ''
    p.trusted = s.trusted.has(p.peer)
    const rewrite = snapshot.plugins?.rewrite ?? null
    if (rewrite !== null && this.pdk !== null) {
      // Global plugins' rewrite handlers run before routing.
      const st = this.state(p)
      runRewrite(st, rewrite, () => {
        if (st.exit !== null) {
          recordGlobal(st, snapshot.plugins!.global)
          sendExit(p, st)
          return
        }
        this.route(p)
      })
      return
    }
    this.route(p)
  }

  /** Plugin state for the request (made once), with its log phase scheduled after the response. */
  private state(p: ProxyRequest): RequestState {
    if (p.plugins !== null) return p.plugins
    const s = this.settings
    const client = p.trusted ? clientAddress(p.peer, p.head.realIp, s.trusted, s.realIpRecursive) : p.peer
    const st = new RequestState(
      p.req,
      p.res,
      this.pdk!,
      s,
      p.requestId,
      p.started,
      p.head,
      p.rawUrl,
      p.listener,
      p.peer,
      p.trusted,
      p.snapshot,
      p.path,
      client,
    )
    p.plugins = st
    // Log handlers run after the response; without any, nothing needs to watch for its end.
    if (p.snapshot.plugins?.logging !== true) return st
    const socket = p.req.socket
    const written = socket.bytesWritten
    p.res.once('close', () => {
      st.responseBytes = socket.bytesWritten - written
      if (!hasPhase(st, 'log')) return
      setImmediate(() => {
        runLog(st)
      })
    })
    return st
  }

  /** Requests that end before the plugin loop: global plugins' header_filter and log still run. */
  private early(p: ProxyRequest): void {
    const global = p.snapshot.plugins?.global ?? null
    if (global === null || this.pdk === null) return
    const st = this.state(p)
    if (st.recorded.length === 0) recordGlobal(st, global)
  }

  private route(p: ProxyRequest): void {
    const { req, head, snapshot, listener } = p
    const match = snapshot.router.match({
      method: req.method ?? 'GET',
      host: head.host,
      port: listener.port,
      path: p.path,
      // Node builds req.headers lazily: only routes matching on headers need it.
      headers: snapshot.headerRoutes ? req.headers : NO_HEADERS,
      sni: listener.scheme === 'https' ? (req.socket as TLSSocket).servername || undefined : undefined,
      scheme: listener.scheme,
    })
    if (!match) {
      this.early(p)
      sendError(p, 404, 'no Route matched with those values')
      return
    }
    const route = match.route
    const fwdProto = (p.trusted && head.xForwardedProto) || listener.scheme
    if (route.httpsOnly && fwdProto !== 'https') {
      this.early(p)
      this.httpsRequired(p, route)
      return
    }
    if (route.grpc && !this.grpcAllowed(p, route, fwdProto)) return
    const service = route.serviceData
    if (!service) {
      this.early(p)
      sendError(p, 503, 'no Service found with those values')
      return
    }
    const chain = this.pdk === null ? null : (snapshot.plugins?.chainFor(route.id, service.id) ?? null)
    if (chain !== null) {
      this.access(p, chain, match, route, service)
      return
    }
    this.forward(p, match, route, service)
  }

  /** Runs the access phase of the route's plugins, then proxies (or sends their exit). */
  private access(
    p: ProxyRequest,
    chain: Chain,
    match: RouteMatch<RouteData>,
    route: RouteData,
    service: ServiceData,
  ): void {
    const st = this.state(p)
    st.match = match
    st.route = route
    st.service = service
    st.upPath = escapeUpstreamPath(upstreamPath(service.path, match, p.path, route.strip_path))
    runAccess(st, chain, () => {
      if (st.exit !== null) {
        sendExit(p, st)
        return
      }
      if (p.res.destroyed) return
      this.forward(p, match, route, service)
    })
  }

  /** Computes the upstream request and starts the exchange. */
  private forward(
    p: ProxyRequest,
    match: RouteMatch<RouteData>,
    route: RouteData,
    service: ServiceData,
  ): void {
    const { req, head, rawUrl } = p
    const st = p.plugins
    let target: string
    let q = -1
    if (st === null) {
      // The service path combined with the (stripped) request path, re-escaped, plus the
      // original query string unchanged.
      q = rawUrl.indexOf('?', 1)
      const upPath = escapeUpstreamPath(upstreamPath(service.path, match, p.path, route.strip_path))
      target = q === -1 ? upPath : upPath + rawUrl.slice(q)
    } else {
      target = st.upQuery === null ? st.upPath! : `${st.upPath!}?${st.upQuery}`
      st.upstreamUri = target
      q = rawUrl.indexOf('?', 1)
      service = serviceFor(st, service)
    }
    const upstreamHost =
      st?.upHost ?? (route.preserve_host && head.host !== undefined ? head.host : service.hostHeader)
    const headers = head.forward
    this.addUpstreamHeaders(headers, p, upstreamHost, route, q, match.matchedPath, st?.overridden ?? null)
    const method = st?.upMethod ?? req.method ?? 'GET'
    const clientTrailers = head.te !== undefined && tokenSet(head.te).has('trailers')
    if (clientTrailers) headers.push('TE', 'trailers')
    const hash = service.upstream?.hash
    const balance = hash ? hashValue(hash, this.hashSource(p, match)) : null
    const hostFromTarget =
      service.upstream !== null &&
      service.upstream.hostHeader === null &&
      !st?.upHost &&
      !(route.preserve_host && head.host !== undefined)
    const up: Upstream = {
      service,
      method,
      target,
      headers,
      clientTrailers,
      upstreamHost,
      balance,
      hostFromTarget,
    }
    const replaced = st?.upBody ?? st?.clientBody
    if (replaced !== undefined) {
      this.start(p, up, replaced)
      return
    }
    const hasBody =
      head.transferEncoding !== undefined || (head.contentLength !== undefined && head.contentLength !== '0')
    if (!hasBody || p.upgrade !== undefined) {
      this.start(p, up, null)
      return
    }
    const cl = head.transferEncoding === undefined ? Number(head.contentLength) : Number.NaN
    if (route.request_buffering && Number.isFinite(cl) && cl <= BUFFER_LIMIT) {
      // Small bodies are read first: attempts can then be retried with the same bytes.
      this.readBody(req, cl, (body) => {
        if (!body) return
        headers.push('Content-Length', String(body.length))
        this.start(p, up, body)
      })
      return
    }
    if (Number.isFinite(cl)) headers.push('Content-Length', String(cl))
    // The engine detaches from the body stream when done; a late client error must not throw.
    req.on('error', ignore)
    this.limitBody(p)
    this.start(p, up, req)
  }

  private start(p: ProxyRequest, up: Upstream, body: Buffer | IncomingMessage | null): void {
    const websocket =
      p.upgrade !== undefined && body === null && wantsWebSocket(p.head.upgrade, p.head.connection)
    if (websocket) up.headers.push('Connection', 'keep-alive, Upgrade', 'Upgrade', 'websocket')
    const exchange = new Exchange(
      p.req,
      p.res,
      this.settings,
      p.requestId,
      p.started,
      this.deps(),
      up.service,
      up.method,
      up.target,
      up.headers,
      body,
      up.clientTrailers,
      up.upstreamHost,
      p.plugins,
    )
    if (websocket) exchange.tunnel = p.upgrade!
    exchange.balance = up.balance
    exchange.hostFromTarget = up.hostFromTarget
    exchange.start()
  }

  /** What a consistent-hashing upstream may hash of this request (balancer.md §3.2.1). */
  private hashSource(p: ProxyRequest, match: RouteMatch<RouteData>): HashSource {
    const raw = p.req.rawHeaders
    const values = (name: string): string[] => {
      const out: string[] = []
      for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === name) out.push(raw[i + 1])
      return out
    }
    const s = this.settings
    return {
      consumerId: () => {
        const st = p.plugins
        const id = st?.consumer?.id ?? st?.credential?.id
        return typeof id === 'string' ? id : null
      },
      clientIp: () =>
        p.plugins?.clientIp ??
        (p.trusted ? clientAddress(p.peer, p.head.realIp, s.trusted, s.realIpRecursive) : p.peer),
      headerValues: (name) => values(name.toLowerCase()),
      cookie: (name) => {
        for (const h of values('cookie')) {
          const v = cookieValue(h, name)
          if (v !== null) return v
        }
        return null
      },
      path: () => p.path,
      queryValues: (name) => queryValues(p.rawUrl, name),
      uriCapture: (name) => match.captures?.named[name] ?? null,
    }
  }

  private deps() {
    return {
      engine: this.engine,
      dns: this.dns,
      settings: this.settings,
      log: this.log,
      tls: this.tls,
      health: this.health,
    }
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
  private limitBody(p: ProxyRequest): void {
    const max = this.settings.maxBody
    if (max <= 0 || p.head.contentLength !== undefined) return
    let size = 0
    p.req.on('data', (c: Buffer) => {
      size += c.length
      if (size > max) {
        p.req.destroy()
        sendError(p, 413, 'Payload too large', { lowLevel: true })
      }
    })
  }

  private httpsRequired(p: ProxyRequest, route: RouteData): void {
    const code = route.https_redirect_status_code ?? 426
    if (code === 426) {
      sendError(p, 426, 'Please use HTTPS protocol', {
        headers: { Connection: 'Upgrade', Upgrade: 'TLS/1.2, HTTP/1.1' },
      })
      return
    }
    const fwdHost = (p.trusted ? p.head.xForwardedHost : undefined) || p.head.host || ''
    sendRedirect(p, code, `https://${hostName(fwdHost)}${p.rawUrl}`)
  }

  private grpcAllowed(p: ProxyRequest, route: RouteData, fwdProto: string): boolean {
    const ct = p.req.headers['content-type']
    if (!ct?.startsWith('application/grpc')) {
      this.early(p)
      sendError(p, 415, 'Non-gRPC request matched gRPC route')
      return false
    }
    if (p.req.httpVersionMajor < 2) {
      this.early(p)
      sendError(p, 426, 'Please use HTTP2 protocol', {
        headers: { Connection: 'Upgrade', Upgrade: 'HTTP/2' },
      })
      return false
    }
    if (route.grpcsOnly && fwdProto !== 'https') {
      p.res.writeHead(200, {
        'content-type': 'application/grpc',
        'grpc-status': '1',
        'grpc-message': 'gRPC request matched gRPCs route',
      })
      p.res.end()
      return false
    }
    return true
  }

  /**
   * Appends the headers the gateway sets upstream (proxying.md §4.2) to the forwarded ones,
   * except those a plugin set itself (`overridden`).
   */
  private addUpstreamHeaders(
    out: string[],
    p: ProxyRequest,
    upstreamHost: string,
    route: RouteData,
    q: number,
    matchedPath: string | undefined,
    overridden: ReadonlySet<string> | null,
  ): void {
    const s = this.settings
    const { head, listener, peer, trusted, rawUrl } = p
    out.push('Host', upstreamHost)
    const keep = (name: string): boolean => overridden === null || !overridden.has(name)
    const client = trusted ? clientAddress(peer, head.realIp, s.trusted, s.realIpRecursive) : peer
    if (keep('x-real-ip')) out.push('X-Real-IP', client)
    if (keep('x-forwarded-for'))
      out.push('X-Forwarded-For', head.xForwardedFor ? `${head.xForwardedFor}, ${peer}` : client)
    if (keep('x-forwarded-proto'))
      out.push('X-Forwarded-Proto', (trusted && head.xForwardedProto) || listener.scheme)
    const fwdHost = (trusted && head.xForwardedHost) || (head.host ? hostName(head.host) : '')
    if (fwdHost && keep('x-forwarded-host')) out.push('X-Forwarded-Host', fwdHost)
    if (keep('x-forwarded-port'))
      out.push('X-Forwarded-Port', (trusted && head.xForwardedPort) || listener.forwardedPort)
    if (keep('x-forwarded-path'))
      out.push(
        'X-Forwarded-Path',
        (trusted && head.xForwardedPath) || (q === -1 ? rawUrl : rawUrl.slice(0, q)),
      )
    const prefix =
      (trusted && head.xForwardedPrefix) ||
      (route.strip_path && matchedPath && matchedPath !== '/' ? matchedPath : '')
    if (prefix && keep('x-forwarded-prefix')) out.push('X-Forwarded-Prefix', prefix)
    const req = p.req
    const version = req.httpVersionMajor === 2 ? s.via2 : req.httpVersionMinor === 0 ? s.via10 : s.via11
    if (keep('via')) out.push('Via', head.via ? `${head.via}, ${version}` : version)
    if (s.requestIdUpstream && keep('x-kong-request-id')) out.push('X-Kong-Request-Id', p.requestId)
  }
}

/** The service as plugins redirected it (`set_target`, `set_upstream`, timeouts, retries, scheme). */
function serviceFor(st: RequestState, service: ServiceData): ServiceData {
  if (
    st.target === null &&
    st.upstreamName === null &&
    st.timeouts === null &&
    st.retries === null &&
    st.upScheme === null
  )
    return service
  const out: ServiceData = { ...service }
  if (st.target !== null) {
    out.host = st.target.host
    out.port = st.target.port
    out.upstream = null
    out.hostIsIp = isIP(st.target.host) !== 0
    out.plainPoolKey = `${st.target.host}|${st.target.port}`
  } else if (st.upstreamName !== null) {
    out.upstream = st.snapshot.upstreams.get(st.upstreamName) ?? null
  }
  if (st.timeouts !== null) [out.connectTimeout, out.writeTimeout, out.readTimeout] = st.timeouts
  if (st.retries !== null) out.retries = st.retries
  if (st.upScheme !== null && st.upScheme !== service.protocol) {
    out.protocol = st.upScheme
    out.tls =
      st.upScheme === 'https'
        ? (service.tls ?? { verify: false, verifyDepth: null, caIds: null, clientCertificate: null })
        : null
  }
  return out
}
