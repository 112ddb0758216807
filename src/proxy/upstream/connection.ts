// One upstream connection: a net/tls socket, its response parser and one timer. It runs at most
// one exchange at a time (no pipelining) and moves between its pool's idle list and active use.
//
// Invariants:
// - `exchange` is the only exchange whose handler may be called; every path that ends an exchange
//   detaches it (exchange = null, ex.conn = null, ex.done = true) *before* calling its handler, so
//   a handler may start a new request (even on this very connection) from inside a callback.
// - Socket listeners are module-level functions that find the connection through a symbol
//   property: nothing is allocated per request for event handling.
// - One Node timer per connection covers connect, write, read and idle timeouts. It is re-armed
//   lazily: progress only records a timestamp, and the timer, when it fires, re-checks and
//   re-arms for the remaining time. In the steady state a request costs no timer operation.
import net, { type Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import type { Readable } from 'node:stream'
import tls, { type TLSSocket } from 'node:tls'
import { connectErrorKind, UpstreamError, type UpstreamErrorKind } from './errors.js'
import type { Exchange } from './exchange.js'
import type { Pool } from './pool.js'
import { attachStream, detachStream } from './request-body.js'
import { ParseEvent, ResponseParser } from './response-parser.js'
import type { SessionCache } from './session-cache.js'
import { checkVerifyDepth, tlsConnectOptions } from './tls-context.js'

enum ConnState {
  Connecting = 0,
  Active = 1,
  Idle = 2,
  Closed = 3,
}

enum TimerKind {
  None = 0,
  Connect = 1,
  Write = 2,
  Read = 3,
  Idle = 4,
}

/** Head + Buffer body up to this size are copied into one buffer and written with one write(). */
const COALESCE_LIMIT = 16 * 1024
/** Larger Buffer bodies are written in slices of this size (see pumpBuffer). */
const WRITE_SLICE = 256 * 1024
/** Margin under the upstream's `Keep-Alive: timeout` so we never send on a connection it is closing. */
const KEEPALIVE_HINT_MARGIN = 1000

const kConn = Symbol('upstreamConnection')
type OwnedSocket = Socket & { [kConn]: Connection | null }

/** What a connection needs from the engine (kept as an interface to avoid an import cycle). */
export interface EngineContext {
  readonly poolSize: number
  readonly idleTimeout: number
  readonly maxRequests: number
  readonly maxHeaderSize: number
  readonly staleRetryNonIdempotent: boolean
  readonly closing: boolean
  /** TLS sessions by pool key: a new connection resumes instead of a full handshake. */
  readonly tlsSessions: SessionCache
  /** Replays an exchange on a fresh connection after a stale keep-alive connection failed. */
  retryStale(ex: Exchange): void
}

export class Connection {
  readonly pool: Pool
  readonly engine: EngineContext
  readonly socket: OwnedSocket
  readonly parser: ResponseParser
  state = ConnState.Connecting
  exchange: Exchange | null = null
  /** Requests started on this connection. */
  requests = 0
  private tcpConnected = false
  /** EOF seen while the handler was paused with input still held: handled on resume. */
  private eofPending = false
  private driving = false
  private resumeCalled = false
  /** We paused the socket for a paused handler. Invariant: false whenever no handler is paused. */
  private socketPaused = false
  private timer: NodeJS.Timeout | null = null
  /** performance.now() at which the pending Node timer fires. */
  private timerDue = 0
  private timerKind = TimerKind.None
  private timerMs = 0
  /** Start of the current timeout period; moved forward by progress. */
  private timerStart = 0

  /**
   * Opens a connection for `ex` (which it will run once connected). Throws synchronously only for
   * unusable TLS material (createSecureContext), which the engine reports as tls_error.
   */
  constructor(pool: Pool, engine: EngineContext, ex: Exchange) {
    const t = ex.target
    const socket = (
      t.tls !== undefined
        ? tls.connect(tlsConnectOptions(t.host, t.port, t.tls, engine.tlsSessions.get(t.key)))
        : net.connect({ host: t.host, port: t.port })
    ) as OwnedSocket
    this.pool = pool
    this.engine = engine
    this.socket = socket
    this.parser = new ResponseParser(engine.maxHeaderSize)
    socket[kConn] = this
    socket.on('connect', onSocketConnect)
    if (t.tls !== undefined) {
      socket.on('secureConnect', onSocketSecureConnect)
      socket.on('session', onSocketSession)
    }
    socket.on('data', onSocketData)
    socket.on('end', onSocketEnd)
    socket.on('error', onSocketError)
    socket.on('close', onSocketClose)
    socket.on('drain', onSocketDrain)
    this.exchange = ex
    ex.conn = this
    pool.add(this)
    this.arm(TimerKind.Connect, ex.request.connectTimeout)
  }

  // --- exchange lifecycle --------------------------------------------------------------------

  /** Runs `ex` on this idle connection (taken from the pool). */
  reuse(ex: Exchange): void {
    this.state = ConnState.Active
    this.socket.ref()
    this.exchange = ex
    ex.conn = this
    ex.reused = true
    this.start(ex)
  }

  private start(ex: Exchange): void {
    this.requests++
    this.parser.reset(ex.isHead)
    const req = ex.request
    const body = req.body
    const socket = this.socket
    ex.requestSent = true
    let flushed: boolean
    if (body === null) {
      flushed = socket.write(ex.head, 'latin1')
      ex.bodyDone = true
    } else if (Buffer.isBuffer(body)) {
      const headLen = ex.head.length
      if (body.length <= COALESCE_LIMIT) {
        const buf = Buffer.allocUnsafe(headLen + body.length)
        buf.write(ex.head, 0, headLen, 'latin1')
        body.copy(buf, headLen)
        flushed = socket.write(buf)
        ex.bodyDone = true
      } else {
        socket.write(ex.head, 'latin1')
        ex.bodyOffset = 0
        this.pumpBuffer(ex, body)
        return
      }
    } else {
      flushed = socket.write(ex.head, 'latin1')
      attachStream(this, ex, body as Readable)
      if (this.exchange !== ex) return
    }
    this.requestProgress(ex, flushed)
  }

  /**
   * Writes a large Buffer body in slices, the next one on 'drain': each drained slice counts as
   * write progress, so a slow but steady upstream does not hit the write timeout, while one that
   * stops reading does.
   */
  private pumpBuffer(ex: Exchange, body: Buffer): void {
    const socket = this.socket
    const length = body.length
    while (ex.bodyOffset < length) {
      const end = Math.min(length, ex.bodyOffset + WRITE_SLICE)
      const flushed = socket.write(body.subarray(ex.bodyOffset, end))
      ex.bodyOffset = end
      if (!flushed) {
        if (end === length) ex.bodyDone = true
        this.requestProgress(ex, false)
        return
      }
    }
    ex.bodyDone = true
    this.requestProgress(ex, true)
  }

  /**
   * Chooses the timer after a write: blocked writes are governed by the write timeout; once the
   * whole request is out, the read timeout runs; a streamed body waiting for the client has none
   * (the client side has its own timeout). Once the response started, reading governs.
   */
  requestProgress(ex: Exchange, flushed: boolean): void {
    if (ex.responseStarted) return
    if (!flushed) this.arm(TimerKind.Write, ex.request.writeTimeout)
    else if (ex.bodyDone) this.arm(TimerKind.Read, ex.request.readTimeout)
    else this.arm(TimerKind.None, 0)
  }

  /** @internal socket/timer event */
  onConnect(): void {
    this.tcpConnected = true
    this.socket.setNoDelay(true)
    if (this.exchange?.target.tls === undefined) this.onReady()
  }

  /** @internal socket/timer event */
  onReady(): void {
    const ex = this.exchange
    if (ex === null || this.state !== ConnState.Connecting) return
    const tlsOpts = ex.target.tls
    if (tlsOpts !== undefined) {
      const err = checkVerifyDepth(this.socket as unknown as TLSSocket, tlsOpts)
      if (err !== null) {
        this.fail(ex, 'tls_error', err)
        return
      }
    }
    this.state = ConnState.Active
    this.start(ex)
  }

  /** @internal socket/timer event */
  onData(chunk: Buffer): void {
    const ex = this.exchange
    if (ex === null) {
      // Bytes on an idle connection (or after a response ended): it cannot be reused safely.
      this.destroy()
      return
    }
    if (this.timerKind === TimerKind.Read) this.timerStart = performance.now()
    this.parser.feed(chunk)
    this.drive(ex)
  }

  /** Pulls parser events and hands them to the handler until input runs out or the exchange stops. */
  private drive(ex: Exchange): void {
    const parser = this.parser
    this.driving = true
    try {
      while (true) {
        switch (parser.next()) {
          case ParseEvent.NeedMore:
            return
          case ParseEvent.Head:
            ex.responseStarted = true
            if (this.timerKind !== TimerKind.Read) this.arm(TimerKind.Read, ex.request.readTimeout)
            ex.handler.onHeaders(parser.statusCode, parser.headers, parser.statusText)
            if (this.exchange !== ex) return
            break
          case ParseEvent.Body: {
            this.resumeCalled = false
            const more = ex.handler.onData(parser.chunk)
            if (this.exchange !== ex) return
            // Pause unless resume() came already or the message is complete anyway.
            if (!more && !this.resumeCalled && !parser.endReady) {
              ex.paused = true
              this.socketPaused = true
              this.socket.pause()
              this.arm(TimerKind.None, 0)
              return
            }
            break
          }
          case ParseEvent.End:
            this.complete(ex)
            return
          case ParseEvent.Upgrade:
            this.upgrade(ex)
            return
          default:
            this.fail(ex, 'invalid_response', `invalid response from upstream: ${parser.error}`)
            return
        }
      }
    } catch (err) {
      // A handler threw: the exchange cannot go on, and the parser state is unknown.
      if (this.exchange === ex) {
        this.detach(ex)
        this.destroy()
      }
      throw err
    } finally {
      this.driving = false
    }
  }

  resumeExchange(ex: Exchange): void {
    if (this.exchange !== ex) return
    if (this.driving) {
      // Called from inside a handler callback: the drive loop simply goes on.
      this.resumeCalled = true
      ex.paused = false
      return
    }
    if (!ex.paused) return
    ex.paused = false
    this.arm(TimerKind.Read, ex.request.readTimeout)
    this.drive(ex)
    if (this.exchange !== ex) return
    if (ex.paused) return
    if (this.eofPending) this.onEof()
    else this.flow()
  }

  /** Lets the socket's data flow again after a handler pause. */
  private flow(): void {
    if (this.socketPaused) {
      this.socketPaused = false
      this.socket.resume()
    }
  }

  private complete(ex: Exchange): void {
    const parser = this.parser
    const trailers = parser.trailers
    const engine = this.engine
    let reuse =
      parser.keepAlive &&
      !ex.connectionClose &&
      ex.bodyDone &&
      !parser.hasRest() &&
      !this.eofPending &&
      this.state === ConnState.Active &&
      !engine.closing &&
      engine.poolSize > 0 &&
      (engine.maxRequests === 0 || this.requests < engine.maxRequests)
    let idleMs = engine.idleTimeout
    if (reuse && parser.keepAliveHint >= 0) {
      const hinted = parser.keepAliveHint - KEEPALIVE_HINT_MARGIN
      if (hinted <= 0) reuse = false
      else if (idleMs === 0 || hinted < idleMs) idleMs = hinted
    }
    this.detach(ex)
    if (!reuse || !this.pool.release(this)) this.destroy()
    else {
      // Idle connections must read, to notice a close or stray bytes from the upstream.
      this.flow()
      this.state = ConnState.Idle
      this.socket.unref()
      this.arm(TimerKind.Idle, idleMs)
    }
    ex.handler.onEnd(trailers)
  }

  private upgrade(ex: Exchange): void {
    const h = ex.handler
    if (h.onUpgrade === undefined) {
      this.fail(ex, 'invalid_response', 'unexpected 101 response from upstream')
      return
    }
    const parser = this.parser
    const head = parser.takeRest()
    const socket = this.socket
    this.detach(ex)
    // The socket leaves the engine: no timer, no listeners of ours, not counted in the pool.
    this.state = ConnState.Closed
    this.clearTimer()
    this.pool.remove(this)
    socket.removeListener('connect', onSocketConnect)
    socket.removeListener('secureConnect', onSocketSecureConnect)
    socket.removeListener('session', onSocketSession)
    socket.removeListener('data', onSocketData)
    socket.removeListener('end', onSocketEnd)
    socket.removeListener('error', onSocketError)
    socket.removeListener('close', onSocketClose)
    socket.removeListener('drain', onSocketDrain)
    socket[kConn] = null
    socket.pause()
    h.onUpgrade(parser.statusCode, parser.headers, socket, head)
  }

  /** Engine shutdown: destroys the connection and returns its exchange (not notified yet), if any. */
  shutdown(): Exchange | null {
    const ex = this.exchange
    if (ex !== null) this.detach(ex)
    this.destroy()
    return ex
  }

  /** The caller aborted: destroy without any handler call. */
  abortExchange(ex: Exchange): void {
    if (this.exchange !== ex) return
    this.detach(ex)
    this.destroy()
  }

  /** Ends `ex` with an error (or replays it once when a reused connection turned out dead). */
  fail(ex: Exchange, kind: UpstreamErrorKind, message: string, cause?: unknown): void {
    if (this.exchange !== ex) return
    const engine = this.engine
    const stale =
      kind === 'reset' &&
      ex.reused &&
      !ex.staleRetried &&
      !ex.responseStarted &&
      this.parser.bytesReceived === 0 &&
      ex.replayable &&
      (ex.idempotent || engine.staleRetryNonIdempotent) &&
      !engine.closing
    this.detach(ex)
    this.destroy()
    if (stale) {
      ex.done = false
      ex.staleRetried = true
      ex.reused = false
      ex.requestSent = false
      ex.bodyDone = false
      ex.bodyOffset = 0
      engine.retryStale(ex)
      return
    }
    ex.handler.onError(new UpstreamError(kind, message, ex, cause))
  }

  private detach(ex: Exchange): void {
    this.exchange = null
    ex.conn = null
    ex.done = true
    ex.paused = false
    if (ex.stream !== null) detachStream(ex)
  }

  /** @internal socket/timer event */
  onEof(): void {
    const ex = this.exchange
    if (ex === null) {
      this.destroy()
      return
    }
    if (ex.paused || this.parser.hasRest()) {
      // Held input must reach the handler first; resume() comes back here.
      this.eofPending = true
      return
    }
    this.eofPending = true
    if (this.parser.finish() === ParseEvent.End) this.complete(ex)
    else {
      const nothing = this.parser.bytesReceived === 0
      this.fail(
        ex,
        'reset',
        nothing
          ? 'upstream closed the connection before responding'
          : 'upstream closed the connection prematurely',
      )
    }
  }

  /** @internal socket/timer event */
  onError(err: Error): void {
    const ex = this.exchange
    if (ex === null) {
      this.destroy()
      return
    }
    if (this.state === ConnState.Connecting) {
      const kind = connectErrorKind(err, this.tcpConnected)
      this.fail(
        ex,
        kind,
        `${kind === 'tls_error' ? 'TLS handshake with' : 'connecting to'} upstream failed: ${err.message}`,
        err,
      )
    } else {
      this.fail(ex, 'reset', `upstream connection failed: ${err.message}`, err)
    }
  }

  /** @internal socket/timer event */
  onClose(): void {
    const ex = this.exchange
    // A paused close-delimited body keeps its held input; resume() completes it.
    if (ex !== null && this.eofPending) return
    if (ex !== null) {
      if (this.state === ConnState.Connecting) {
        this.fail(
          ex,
          this.tcpConnected ? 'tls_error' : 'connect_error',
          'upstream connection closed while connecting',
        )
      } else {
        this.fail(ex, 'reset', 'upstream connection closed')
      }
    }
    this.destroy()
  }

  /** @internal socket/timer event */
  onDrain(): void {
    const ex = this.exchange
    if (ex === null) return
    if (ex.stream !== null) {
      // A streamed body was waiting for the socket: let the client's data flow again.
      ex.stream.resume()
      this.requestProgress(ex, true)
    } else if (!ex.bodyDone) {
      const body = ex.request.body
      if (Buffer.isBuffer(body)) this.pumpBuffer(ex, body)
    } else if (this.timerKind === TimerKind.Write) {
      this.requestProgress(ex, true)
    }
  }

  /** Idempotent. Removes the connection from its pool and closes the socket. */
  destroy(): void {
    if (this.state === ConnState.Closed) return
    this.state = ConnState.Closed
    this.clearTimer()
    this.pool.remove(this)
    this.socket.destroy()
  }

  // --- timer ---------------------------------------------------------------------------------

  /** Starts a timeout period of `ms` (0 or TimerKind.None: no timeout). */
  arm(kind: TimerKind, ms: number): void {
    if (ms <= 0) kind = TimerKind.None
    this.timerKind = kind
    if (kind === TimerKind.None) return
    const now = performance.now()
    this.timerMs = ms
    this.timerStart = now
    const due = now + ms
    if (this.timer !== null) {
      // A pending timer that fires earlier will re-check and re-arm: nothing to do.
      if (this.timerDue <= due) return
      clearTimeout(this.timer)
    }
    this.timer = setTimeout(onTimer, ms, this)
    this.timer.unref()
    this.timerDue = due
  }

  /** Write progress (a streamed body chunk went out): restart the write timeout period. */
  touchWrite(): void {
    if (this.timerKind === TimerKind.Write) this.timerStart = performance.now()
  }

  private clearTimer(): void {
    this.timerKind = TimerKind.None
    if (this.timer !== null) {
      clearTimeout(this.timer)
      this.timer = null
    }
  }

  /** @internal socket/timer event */
  onTimer(): void {
    this.timer = null
    const kind = this.timerKind
    if (kind === TimerKind.None || this.state === ConnState.Closed) return
    const now = performance.now()
    const left = this.timerStart + this.timerMs - now
    // Node timers run on the loop's cached clock and may fire up to ~1 ms "early".
    if (left > 1) {
      const ms = Math.ceil(left)
      this.timer = setTimeout(onTimer, ms, this)
      this.timer.unref()
      this.timerDue = now + ms
      return
    }
    this.timerKind = TimerKind.None
    if (kind === TimerKind.Idle) {
      this.destroy()
      return
    }
    const ex = this.exchange
    if (ex === null) return
    const ms = this.timerMs
    if (kind === TimerKind.Connect)
      this.fail(ex, 'connect_timeout', `timeout connecting to upstream after ${ms} ms`)
    else if (kind === TimerKind.Write)
      this.fail(ex, 'write_timeout', `timeout writing to upstream after ${ms} ms`)
    else this.fail(ex, 'read_timeout', `timeout reading from upstream after ${ms} ms`)
  }
}

// Socket listeners: `this` is the socket; its connection is found through kConn.
function onSocketConnect(this: OwnedSocket): void {
  const c = this[kConn]
  if (c) c.onConnect()
}
function onSocketSecureConnect(this: OwnedSocket): void {
  const c = this[kConn]
  if (c) c.onReady()
}
function onSocketSession(this: OwnedSocket, session: Buffer): void {
  // TLS session tickets: the next connection of the pool resumes instead of a full handshake.
  const c = this[kConn]
  if (c) c.engine.tlsSessions.set(c.pool.key, session)
}
function onSocketData(this: OwnedSocket, chunk: Buffer): void {
  const c = this[kConn]
  if (c) c.onData(chunk)
}
function onSocketEnd(this: OwnedSocket): void {
  const c = this[kConn]
  if (c) c.onEof()
}
function onSocketError(this: OwnedSocket, err: Error): void {
  const c = this[kConn]
  if (c) c.onError(err)
}
function onSocketClose(this: OwnedSocket): void {
  const c = this[kConn]
  if (c) c.onClose()
}
function onSocketDrain(this: OwnedSocket): void {
  const c = this[kConn]
  if (c) c.onDrain()
}
function onTimer(c: Connection): void {
  c.onTimer()
}
