// Public shapes of the upstream engine. The proxy builds a target and a request per attempt and
// passes a handler object; the engine never needs per-request closures from the caller.
import type { Duplex, Readable } from 'node:stream'
import type { UpstreamError } from './errors.js'

/**
 * Upstream TLS settings (proxying.md §6.2). Strings are PEM. Keep one object per configuration
 * (per service): the SecureContext built from ca/cert/key is cached per object.
 */
export interface UpstreamTlsOptions {
  /** SNI. Omit for IP literals (Kong sends no SNI for them). */
  servername?: string
  /** Service `tls_verify`: verify the chain and the name. */
  rejectUnauthorized: boolean
  /** Trust store (service `ca_certificates`); unset → Node's default roots. */
  ca?: string[]
  /** Client certificate and key for mTLS (service `client_certificate`). */
  cert?: string
  key?: string
  /** Service `tls_verify_depth`: maximum number of intermediate CAs (OpenSSL semantics). */
  verifyDepth?: number
}

/** Where to send a request. The engine reads it until the exchange ends: mutate it only afterwards. */
export interface UpstreamTarget {
  /**
   * Pool key. Plain: `ip|port`. TLS: `ip|port|servername|verify|depth|ca ids|client cert id`
   * (proxying.md §7). Every connection in a pool must be interchangeable, so the key must cover
   * everything that distinguishes the connection (address and TLS settings).
   */
  key: string
  /** IP (or host name) to connect to. */
  host: string
  port: number
  tls?: UpstreamTlsOptions
}

/** The request. The engine reads it until the exchange ends: the caller may reuse it afterwards. */
export interface UpstreamRequest {
  method: string
  /** Path and query exactly as they go on the request line. */
  target: string
  /**
   * Flat raw headers [name, value, ...], written as given (latin1). The caller removed hop-by-hop
   * headers and set Host. Framing headers are the engine's: Content-Length/Transfer-Encoding from
   * the caller are dropped except a Content-Length that accompanies a Readable body (sent as a
   * fixed-length stream instead of chunked). An `Expect` header is not interpreted: the body is
   * sent immediately and an interim 100 is skipped (the proxy does not forward Expect, §5).
   */
  headers: string[]
  /** null: no body; Buffer: replayable body; Readable: streamed body (not replayable). */
  body: null | Buffer | Readable
  /** ms for TCP connect + TLS handshake; 0 = none. */
  connectTimeout: number
  /** ms without progress while writing the request; 0 = none. */
  writeTimeout: number
  /** ms without a byte from the upstream until the response ends; 0 = none. */
  readTimeout: number
}

/**
 * Receives one response. Calls come in this order: onHeaders, onData*, onEnd — or onError at any
 * point (after which nothing else is called), or onUpgrade alone. No call happens synchronously
 * inside engine.request(), and none after attempt.abort().
 */
export interface UpstreamHandler {
  /** Final response head (interim 1xx other than 101 are skipped). rawHeaders is [name, value, ...]. */
  onHeaders(status: number, rawHeaders: string[], statusText: string): void
  /**
   * A piece of the decoded body: a view of the socket's buffer, not copied (keep it if needed, it
   * is not reused). Return false to pause reading until attempt.resume(); the read timeout does not
   * run while paused.
   */
  onData(chunk: Buffer): boolean
  /** The response is complete. trailers: flat [name, value, ...] from a chunked body (often empty, shared: do not mutate). */
  onEnd(trailers: readonly string[]): void
  onError(err: UpstreamError): void
  /**
   * 101 Switching Protocols: the socket leaves the engine (no timers, no listeners of ours — add an
   * 'error' listener at once) and is handed over paused (resume() or pipe() it); `head` holds the
   * bytes that followed the response head. Tunnel timeouts are the caller's. Without this method a
   * 101 is an invalid response.
   */
  onUpgrade?(status: number, rawHeaders: string[], socket: Duplex, head: Buffer): void
}

/** Handle of one request in flight (returned by engine.request()). */
export interface Attempt {
  /** The client went away: destroy the upstream connection. No handler call happens afterwards. */
  abort(): void
  /**
   * Continue reading after onData returned false. May deliver held data synchronously (onData,
   * onEnd) before returning. Calling it from inside onData (before returning false) cancels the pause.
   */
  resume(): void
}

export type UpstreamAttempt = Attempt

export interface UpstreamEngineOptions {
  /** Idle connections kept per pool (`upstream_keepalive_pool_size`, default 512; 0 disables keep-alive). */
  poolSize?: number
  /** ms an idle connection is kept (`upstream_keepalive_idle_timeout`, default 60000; 0 = no limit). */
  idleTimeout?: number
  /** Requests per connection (`upstream_keepalive_max_requests`, default 10000; 0 = unlimited). */
  maxRequests?: number
  /** Limit of a response head and of a trailer section, in bytes (default 64 KiB). */
  maxHeaderSize?: number
  /**
   * The keep-alive race retry (a reused idle connection dies before any response byte) also for
   * POST/PATCH/LOCK with a Buffer/null body. Default true. With false it is limited to idempotent
   * methods, as Go's net/http does.
   */
  staleRetryNonIdempotent?: boolean
}

export interface UpstreamEngineStats {
  pools: number
  idle: number
  active: number
  /** Connections opened since the engine was created. */
  connectionsCreated: number
  /** Requests transparently replayed after a stale keep-alive connection failed. */
  staleRetries: number
}
