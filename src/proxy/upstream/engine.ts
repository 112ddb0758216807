// The upstream engine: HTTP/1.1 requests to upstream servers over pooled raw net/tls sockets.
// It is the proxy's hot path, built to do less than a general-purpose client: one request per
// connection at a time, caller-provided raw headers, handler objects instead of closures,
// zero-copy body delivery and one lazily re-armed timer per connection.
import { Connection, type EngineContext } from './connection.js'
import { UpstreamError, type UpstreamErrorKind } from './errors.js'
import { Exchange } from './exchange.js'
import { Pool } from './pool.js'
import { serializeHead } from './request-head.js'
import { SessionCache } from './session-cache.js'
import type {
  Attempt,
  UpstreamEngineOptions,
  UpstreamEngineStats,
  UpstreamHandler,
  UpstreamRequest,
  UpstreamTarget,
} from './types.js'

export const DEFAULT_POOL_SIZE = 512
export const DEFAULT_IDLE_TIMEOUT = 60_000
export const DEFAULT_MAX_REQUESTS = 10_000
export const DEFAULT_MAX_HEADER_SIZE = 64 * 1024

export class UpstreamEngine implements EngineContext {
  readonly poolSize: number
  readonly idleTimeout: number
  readonly maxRequests: number
  readonly maxHeaderSize: number
  readonly staleRetryNonIdempotent: boolean
  closing = false
  readonly tlsSessions = new SessionCache(1000)
  private readonly pools = new Map<string, Pool>()
  private connectionsCreated = 0
  private staleRetries = 0
  private readonly dropPool = (pool: Pool): void => {
    if (this.pools.get(pool.key) === pool) this.pools.delete(pool.key)
  }

  constructor(opts: UpstreamEngineOptions = {}) {
    this.poolSize = nonNegative(opts.poolSize, DEFAULT_POOL_SIZE, 'poolSize')
    this.idleTimeout = nonNegative(opts.idleTimeout, DEFAULT_IDLE_TIMEOUT, 'idleTimeout')
    this.maxRequests = nonNegative(opts.maxRequests, DEFAULT_MAX_REQUESTS, 'maxRequests')
    this.maxHeaderSize = nonNegative(opts.maxHeaderSize, DEFAULT_MAX_HEADER_SIZE, 'maxHeaderSize')
    this.staleRetryNonIdempotent = opts.staleRetryNonIdempotent ?? true
  }

  /**
   * Sends `request` to `target`; the response goes to `handler`. Throws synchronously only for a
   * request that cannot be serialized (InvalidRequestError); after close() the request fails
   * (asynchronously, like every failure) with connect_error.
   */
  request(target: UpstreamTarget, request: UpstreamRequest, handler: UpstreamHandler): Attempt {
    const ex = new Exchange(target, request, handler)
    ex.head = serializeHead(request.method, request.target, request.headers, request.body, ex)
    if (this.closing) process.nextTick(failLater, ex, 'connect_error', 'upstream engine is closed', undefined)
    else this.dispatch(ex, false)
    return ex
  }

  retryStale(ex: Exchange): void {
    this.staleRetries++
    this.dispatch(ex, true)
  }

  private dispatch(ex: Exchange, fresh: boolean): void {
    const key = ex.target.key
    let pool = this.pools.get(key)
    if (pool === undefined) {
      pool = new Pool(key, this.poolSize, this.dropPool)
      this.pools.set(key, pool)
    } else if (!fresh) {
      const conn = pool.take()
      if (conn !== null) {
        conn.reuse(ex)
        return
      }
    }
    try {
      new Connection(pool, this, ex)
      this.connectionsCreated++
    } catch (err) {
      // Unusable TLS material (bad PEM): reported like a handshake failure, asynchronously.
      if (pool.all.size === 0) this.dropPool(pool)
      const message = `invalid upstream TLS configuration: ${err instanceof Error ? err.message : String(err)}`
      process.nextTick(failLater, ex, 'tls_error', message, err)
    }
  }

  /**
   * Destroys every connection. Requests in flight end with a `reset` error, delivered once all
   * connections are gone (so a handler that retries cannot disturb the shutdown).
   */
  close(): void {
    if (this.closing) return
    this.closing = true
    const interrupted: Exchange[] = []
    for (const pool of [...this.pools.values()]) {
      for (const conn of [...pool.all]) {
        const ex = conn.shutdown()
        if (ex !== null) interrupted.push(ex)
      }
    }
    this.pools.clear()
    this.tlsSessions.clear()
    for (const ex of interrupted) {
      ex.handler.onError(new UpstreamError('reset', 'upstream engine closed', ex))
    }
  }

  stats(): UpstreamEngineStats {
    let idle = 0
    let active = 0
    for (const pool of this.pools.values()) {
      idle += pool.idle.length
      active += pool.activeCount
    }
    return {
      pools: this.pools.size,
      idle,
      active,
      connectionsCreated: this.connectionsCreated,
      staleRetries: this.staleRetries,
    }
  }
}

function failLater(ex: Exchange, kind: UpstreamErrorKind, message: string, cause: unknown): void {
  if (ex.done) return
  ex.done = true
  ex.handler.onError(new UpstreamError(kind, message, ex, cause))
}

function nonNegative(v: number | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`${name} must be a non-negative number`)
  return v
}
