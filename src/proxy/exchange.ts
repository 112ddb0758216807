// One proxied request: picks the peer, sends the request upstream through the engine, streams
// the response back with Kong's headers, and retries failed attempts (`service.retries`) per
// proxying.md §3. The object is the engine's response handler, so no closures are created per
// request.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Address as BalancedAddress, Handle } from '../balancer/address.js'
import { newHandle, splitTarget } from '../balancer/address.js'
import type { Balancer } from '../balancer/balancer.js'
import type { HashResult } from '../balancer/hash-value.js'
import { classify, type HealthEvent } from '../balancer/health.js'
import { type Address, DnsError, type DnsResolver } from '../dns/resolver.js'
import type { RequestState, TryRecord } from '../pdk/state.js'
import { hasPhase, runBodyFilter, runHeaderFilter, runResponse } from './plugins/runner.js'
import { type GatewayResponseContext, sendError, sendExit, writeFailure } from './respond.js'
import type { ProxySettings } from './settings.js'
import type { ServiceData } from './snapshot.js'
import { type ClientUpgrade, openTunnel } from './tunnel.js'
import type {
  Attempt,
  UpstreamEngine,
  UpstreamError,
  UpstreamHandler,
  UpstreamTarget,
} from './upstream/index.js'
import type { UpstreamTls } from './upstream-tls.js'

/** Response headers never forwarded to the client (RFC 9110 §7.6.1, plus the ones we rewrite). */
const HOP_BY_HOP_RESPONSE = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
])

export interface ExchangeDeps {
  engine: UpstreamEngine
  dns: DnsResolver
  settings: ProxySettings
  /** TLS settings of https services (per snapshot). */
  tls: UpstreamTls
  /** Reports unexpected errors to the error log. */
  log?: (err: unknown) => void
  /** Passive health reports to the node's checker (balancer.md §6.3). */
  health?: (upstreamId: string, addressKey: string, event: HealthEvent) => void
}

export class Exchange implements UpstreamHandler, GatewayResponseContext {
  /** Attempts made so far (exposed to log serialization later). */
  readonly tries: TryRecord[] = []
  private attempt: Attempt | null = null
  private dispatchedAt = 0n
  private headersAt = 0n
  private finished = false
  /** Set for a WebSocket upgrade request: the client connection to join on 101. */
  tunnel: ClientUpgrade | null = null
  /** Plugins' body_filter runs on each chunk. */
  private filterBody = false
  /** The response was replaced (header_filter failed): the upstream body is read and dropped. */
  private discard = false
  /** Buffered proxying: the response body collected before anything is sent. */
  private parts: Buffer[] | null = null
  private target: UpstreamTarget = { key: '', host: '', port: 0 }
  /** Consistent hashing: the request's hash value, and a cookie made up for it (handler). */
  balance: HashResult | null = null
  /**
   * The Host header names each attempt's target (balancer.md §7: an upstream without
   * host_header, the client's Host not preserved, no plugin's Host).
   */
  hostFromTarget = false
  /** The balancer's state for this request, and the address of the current attempt. */
  private handle: Handle | null = null
  private address: BalancedAddress | null = null
  private balancer: Balancer | null = null

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly settings: ProxySettings,
    readonly requestId: string,
    readonly started: bigint,
    private readonly deps: ExchangeDeps,
    private readonly service: ServiceData,
    private readonly method: string,
    private readonly requestTarget: string,
    private readonly headers: string[],
    private readonly body: Buffer | IncomingMessage | null,
    private readonly clientTrailers: boolean,
    /** The Host header sent upstream (its name is the TLS SNI). */
    private upstreamHost: string,
    /** The request's plugin state, when plugins run on it. */
    readonly plugins: RequestState | null = null,
  ) {
    if (plugins !== null) plugins.tries = this.tries
    res.on('close', this.onClientClose)
  }

  private readonly onClientClose = (): void => {
    // The client went away before the response ended: stop the upstream exchange.
    // (also while the first DNS answer is awaited: no attempt starts for a client gone)
    if (!this.finished) {
      this.finished = true
      this.attempt?.abort()
    }
    this.release()
  }

  /** Starts the first attempt. */
  start(): void {
    const peer = this.peer()
    if (peer === undefined) {
      // DNS cache miss: resolve, then continue.
      const port = this.missPort
      this.deps.dns.resolve(this.missName).then(
        (a) => this.send(a.ip, port),
        (err: unknown) => this.peerError(err),
      )
      return
    }
    if (peer instanceof Error) {
      this.peerError(peer)
      return
    }
    this.send(peer.host, peer.port)
  }

  /** The name (and port) `peer` found no cached address for. */
  private missName = ''
  private missPort = 0

  /**
   * The next peer: a balanced target, or the service host's address. Undefined: `missName` has
   * to be resolved first.
   */
  private peer(): { host: string; port: number } | Error | undefined {
    const s = this.service
    if (s.upstream) {
      // a retry: the failed attempt's address is done
      this.release()
      this.handle ??= newHandle()
      const balancer = s.upstream.balancer
      const t = balancer.pick(this.handle, this.balance?.value)
      if (!t) return new NoPeerError()
      this.address = t
      this.balancer = balancer
      if (t.isIp) return t
      const a = this.deps.dns.pick(t.host)
      if (a instanceof DnsError) return a
      if (a === undefined) {
        this.missName = t.host
        this.missPort = t.port
        return undefined
      }
      return { host: a.ip, port: t.port }
    }
    if (s.hostIsIp) return s
    const a: Address | DnsError | undefined = this.deps.dns.pick(s.host)
    if (a === undefined) {
      this.missName = s.host
      this.missPort = s.port
      return undefined
    }
    if (a instanceof DnsError) return a
    return { host: a.ip, port: s.port }
  }

  /**
   * Host header (and SNI) of an attempt on `a`: the target's host (an SRV record's target name
   * with `use_srv_name`), and the address's port unless the scheme's default.
   */
  private targetHost(a: BalancedAddress, protocol: string): void {
    const secure = protocol === 'https' || protocol === 'grpcs'
    const target = splitTarget(a.target).host
    const name = a.fromSrv && this.service.upstream?.useSrvName ? a.host : target
    const host = name.includes(':') ? `[${name}]` : name
    const value = a.port === (secure ? 443 : 80) ? host : `${host}:${a.port}`
    this.upstreamHost = value
    const h = this.headers
    for (let i = 0; i < h.length; i += 2) {
      if (h[i] === 'Host') {
        h[i + 1] = value
        return
      }
    }
  }

  /** The current attempt's address is done with; `seconds` feeds the latency average. */
  private release(seconds?: number): void {
    const a = this.address
    if (a === null) return
    this.address = null
    this.balancer?.done(a, seconds)
  }

  private peerError(err: unknown): void {
    this.release()
    if (this.finished) return
    this.finished = true
    if (err instanceof NoPeerError) sendError(this, 503, 'failure to get a peer from the ring-balancer')
    else if (err instanceof DnsError && err.notFound) sendError(this, 503, 'name resolution failed')
    else {
      const reason = err instanceof Error ? err.message : String(err)
      sendError(
        this,
        500,
        `failed the initial dns/balancer resolve for '${this.service.host}' with: ${reason}`,
      )
    }
  }

  private send(ip: string, port: number): void {
    if (this.finished) return
    const s = this.service
    const now = process.hrtime.bigint()
    this.tries.push({ ip, port, balancer_start: Date.now(), balancer_latency: 0 })
    this.target.host = ip
    this.target.port = port
    if (this.hostFromTarget && this.address !== null) this.targetHost(this.address, s.protocol)
    const tls = s.tls ? this.deps.tls.choose(s, this.upstreamHost) : null
    // The common case (an IP service host, plain HTTP) reuses the key made at snapshot build.
    const key = s.hostIsIp && ip === s.host && port === s.port ? s.plainPoolKey : `${ip}|${port}`
    if (tls) {
      this.target.key = key + tls.keySuffix
      this.target.tls = tls.tls
    } else this.target.key = key
    this.dispatchedAt = now
    try {
      this.attempt = this.startAttempt(s)
    } catch (err) {
      // The engine refuses what it cannot put on the wire (e.g. header values with CR/LF).
      this.finished = true
      sendError(this, 400, 'Bad request', { lowLevel: true })
      this.deps.log?.(err)
    }
  }

  private startAttempt(s: ServiceData): Attempt {
    return this.deps.engine.request(
      this.target,
      {
        method: this.method,
        target: this.requestTarget,
        headers: this.headers,
        body: this.body,
        connectTimeout: s.connectTimeout,
        writeTimeout: s.writeTimeout,
        readTimeout: s.readTimeout,
      },
      this,
    )
  }

  // --- UpstreamHandler -----------------------------------------------------------------------

  onHeaders(status: number, raw: string[], statusText: string): void {
    if (this.finished) return
    const up = this.service.upstream
    if (up?.passive && this.address !== null) {
      const event = status === 504 ? 'timeout' : classify(up.healthchecks, 'passive', status)
      if (event !== null) this.deps.health?.(up.id, this.address.key, event)
    }
    this.headersAt = process.hrtime.bigint()
    const headers = this.responseHeaders(status, raw, false)
    const st = this.plugins
    if (st === null) {
      this.res.writeHead(status, statusText, headers)
      return
    }
    st.upstreamStatus = status
    st.upstreamHeaders = raw
    st.status = status
    st.headers = headers
    st.proxyLatency = msBetween(this.started, this.dispatchedAt)
    st.upstreamLatency = msBetween(this.dispatchedAt, this.headersAt)
    if (st.buffering || hasPhase(st, 'response')) {
      this.parts = []
      return
    }
    this.sendHead(st, statusText)
  }

  /** Runs header_filter on the response in `st`, then writes its head. */
  private sendHead(st: RequestState, statusText?: string): boolean {
    const upstreamStatus = st.status
    const exit = st.exit
    runHeaderFilter(st)
    if (st.exit !== exit) {
      // a header_filter handler failed: Kong's 500 goes out instead, the upstream body is dropped
      this.discard = true
      writeFailure(this, st)
      return false
    }
    this.filterBody = hasPhase(st, 'bodyFilter')
    if (st.status === upstreamStatus && statusText !== undefined)
      this.res.writeHead(st.status, statusText, st.headers!)
    else this.res.writeHead(st.status, st.headers!)
    return true
  }

  /** Buffered proxying: the whole upstream response is here; run the response phase, then send. */
  private sendBuffered(st: RequestState, trailers: string[]): void {
    st.upstreamBody = Buffer.concat(this.parts!)
    this.parts = null
    runResponse(st, () => {
      if (this.res.destroyed) return
      if (st.exit !== null) {
        sendExit(this, st)
        return
      }
      if (!this.sendHead(st)) return
      let body: Buffer | null = st.upstreamBody
      if (this.filterBody) body = runBodyFilter(st, body, true)
      if (body !== null && body.length > 0) this.res.write(body)
      this.end(trailers)
    })
  }

  /**
   * The headers relayed to the client: the upstream's minus hop-by-hop ones (kept for a 101:
   * `Connection: Upgrade` and the Upgrade the client asked for), plus the gateway's.
   */
  private responseHeaders(status: number, raw: string[], upgraded: boolean): string[] {
    const s = this.settings
    const out: string[] = []
    // Header names listed in Connection are hop-by-hop too. The usual values (keep-alive, close)
    // name no other header, so the set is only made when something else is listed.
    let listed: Set<string> | null = null
    let via: string | null = null
    let hasServer = false
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]
      if (name.length === 10 && name.toLowerCase() === 'connection') {
        const v = raw[i + 1]
        const lv = v.length <= 10 ? v.toLowerCase() : ''
        if (lv !== 'keep-alive' && lv !== 'close') {
          listed ??= new Set()
          for (const t of tokenSet(v)) if (t !== 'upgrade') listed.add(t)
        }
      }
    }
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]
      const lower = name.toLowerCase()
      if (HOP_BY_HOP_RESPONSE.has(lower)) {
        if (lower === 'trailer' && this.clientTrailers) out.push(name, raw[i + 1])
        else if (upgraded && lower === 'upgrade' && raw[i + 1].toLowerCase() === 'websocket')
          out.push(name, raw[i + 1])
        continue
      }
      if (listed?.has(lower)) continue
      if (lower === 'via') {
        via = via ? `${via}, ${raw[i + 1]}` : raw[i + 1]
        continue
      }
      if (lower === 'server') hasServer = true
      if (lower === 'set-cookie' && this.balance?.setCookie && sameCookie(raw[i + 1], this.balance.setCookie))
        continue
      out.push(name, raw[i + 1])
    }
    if (this.balance?.setCookie) out.push('Set-Cookie', this.balance.setCookie)
    if (upgraded) out.push('Connection', 'upgrade')
    if (s.via) out.push('Via', via ? `${via}, ${s.via11}` : s.via11)
    else if (via) out.push('Via', via)
    if (!hasServer && s.serverHeader) out.push('Server', s.serverHeader)
    if (s.upstreamLatency)
      out.push('X-Kong-Upstream-Latency', String(msBetween(this.dispatchedAt, this.headersAt)))
    if (s.proxyLatency) out.push('X-Kong-Proxy-Latency', String(msBetween(this.started, this.dispatchedAt)))
    if (s.upstreamStatus) out.push('X-Kong-Upstream-Status', String(status))
    if (s.requestIdResponse) out.push('X-Kong-Request-Id', this.requestId)
    return out
  }

  onData(chunk: Buffer): boolean {
    if (this.finished || this.discard) return true
    if (this.parts !== null) {
      this.parts.push(chunk)
      return true
    }
    if (this.filterBody) {
      const out = runBodyFilter(this.plugins!, chunk, false)
      if (out === null || out.length === 0) return true
      chunk = out
    }
    if (this.res.write(chunk)) return true
    this.res.once('drain', this.onDrain)
    return false
  }

  private readonly onDrain = (): void => {
    this.attempt?.resume()
  }

  onEnd(trailers: string[]): void {
    if (this.address !== null) this.release(Number(process.hrtime.bigint() - this.dispatchedAt) / 1e9)
    if (this.finished) return
    this.finished = true
    if (this.discard) return
    if (this.parts !== null) {
      this.sendBuffered(this.plugins!, trailers)
      return
    }
    if (this.filterBody) {
      const last = runBodyFilter(this.plugins!, null, true)
      if (last !== null && last.length > 0) this.res.write(last)
    }
    this.end(trailers)
  }

  private end(trailers: string[]): void {
    if (trailers.length > 0 && this.clientTrailers) {
      const t: [string, string][] = []
      for (let i = 0; i < trailers.length; i += 2) t.push([trailers[i], trailers[i + 1]])
      this.res.addTrailers(t)
    }
    this.res.end()
  }

  onError(err: UpstreamError): void {
    if (this.finished) return
    const last = this.tries[this.tries.length - 1]
    const timeout =
      err.kind === 'connect_timeout' || err.kind === 'read_timeout' || err.kind === 'write_timeout'
    if (last) {
      last.state = 'failed'
      last.code = timeout ? 504 : 502
    }
    const retry = err.retryable && this.tries.length <= this.service.retries && !this.bodyConsumed()
    const up = this.service.upstream
    if (up?.passive && this.address !== null) {
      // a retried connection-level failure; the final one counts as its status (502 is in no
      // default list, 504 is a timeout)
      const event = timeout ? 'timeout' : retry ? 'tcp' : classify(up.healthchecks, 'passive', 502)
      if (event !== null) this.deps.health?.(up.id, this.address.key, event)
    }
    if (err.responseStarted || this.res.headersSent) {
      // Part of the response already went to the client: nothing better than cutting it.
      this.release()
      this.finished = true
      this.res.destroy()
      return
    }
    if (retry) {
      if (last) last.state = 'next'
      const peer = this.peer()
      if (peer !== undefined && !(peer instanceof Error)) {
        this.send(peer.host, peer.port)
        return
      }
      if (peer === undefined) {
        const port = this.missPort
        this.deps.dns.resolve(this.missName).then(
          (a) => this.send(a.ip, port),
          () => this.fail(503, 'The upstream server is currently unavailable'),
        )
        return
      }
      this.fail(503, 'The upstream server is currently unavailable')
      return
    }
    this.fail(timeout ? 504 : 502)
  }

  onUpgrade(status: number, raw: string[], upstream: Duplex, head: Buffer): void {
    const client = this.tunnel
    if (this.finished || client === null || client.socket.destroyed) {
      // The client is gone, or it did not ask for an upgrade (the engine only hands over a 101).
      upstream.destroy()
      this.fail(502)
      return
    }
    this.finished = true
    this.release()
    this.headersAt = process.hrtime.bigint()
    const headers = this.responseHeaders(status, raw, true)
    // The 101 head and the tunnel go to the socket directly. The response object stays attached
    // without writing: its 'close' (the socket's) ends the request's accounting in the worker.
    openTunnel(client, upstream, headers, head, this.service.readTimeout)
  }

  private bodyConsumed(): boolean {
    // A streamed body that started flowing cannot be sent again.
    const b = this.body
    return b !== null && !Buffer.isBuffer(b) && (b.readableDidRead || b.readableEnded)
  }

  private fail(status: number, message?: string): void {
    this.release()
    if (this.finished) return
    this.finished = true
    sendError(this, status, message, { lowLevel: true })
  }
}

class NoPeerError extends Error {}

/** Both Set-Cookie values set the same cookie name. */
function sameCookie(a: string, b: string): boolean {
  const name = (v: string) => v.slice(0, v.indexOf('=')).trim()
  return a.includes('=') && name(a) === name(b)
}

function msBetween(a: bigint, b: bigint): number {
  return Number((b - a) / 1_000_000n)
}

export function tokenSet(header: string): Set<string> {
  const set = new Set<string>()
  for (const t of header.split(',')) {
    const v = t.trim().toLowerCase()
    if (v) set.add(v)
  }
  return set
}
