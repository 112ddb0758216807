// Streaming a Readable request body to the upstream: chunked transfer coding, or a fixed length
// when the caller passed Content-Length. Backpressure both ways: the stream is paused while the
// socket's buffer is full (write timeout running) and resumed on 'drain'.
//
// Listeners are module-level functions; the stream finds its exchange through a symbol property,
// so nothing is allocated per chunk or per request for event handling.
import type { Readable } from 'node:stream'
import type { Connection } from './connection.js'
import type { Exchange } from './exchange.js'

const kExchange = Symbol('upstreamExchange')
type OwnedStream = Readable & { [kExchange]?: Exchange | null }

const CRLF = '\r\n'
const LAST_CHUNK = '0\r\n\r\n'

export function attachStream(conn: Connection, ex: Exchange, body: Readable): void {
  if (body.readableEnded) {
    // Already fully consumed (an empty body, typically): nothing more will be emitted.
    ex.stream = null
    finishBody(conn, ex)
    return
  }
  if (body.destroyed) {
    ex.bodyStreamStarted = true
    conn.fail(ex, 'reset', 'request body stream was destroyed before it was sent')
    return
  }
  const s = body as OwnedStream
  s[kExchange] = ex
  ex.stream = body
  s.on('data', onStreamData)
  s.on('end', onStreamEnd)
  s.on('error', onStreamError)
  s.on('close', onStreamClose)
  // The caller may have paused it (for instance while the connection was being established).
  s.resume()
}

/** Stops consuming the stream (exchange over): listeners removed, stream paused, data kept. */
export function detachStream(ex: Exchange): void {
  const s = ex.stream as OwnedStream | null
  ex.stream = null
  if (s === null) return
  s[kExchange] = null
  s.removeListener('data', onStreamData)
  s.removeListener('end', onStreamEnd)
  s.removeListener('error', onStreamError)
  s.removeListener('close', onStreamClose)
  s.pause()
}

function finishBody(conn: Connection, ex: Exchange): void {
  if (ex.streamLength >= 0 && ex.bodySent !== ex.streamLength) {
    conn.fail(ex, 'reset', `request body ended after ${ex.bodySent} of ${ex.streamLength} bytes`)
    return
  }
  const socket = conn.socket
  const flushed = ex.streamLength >= 0 ? !socket.writableNeedDrain : socket.write(LAST_CHUNK, 'latin1')
  ex.bodyDone = true
  conn.requestProgress(ex, flushed)
}

function onStreamData(this: OwnedStream, chunk: Buffer | string): void {
  const ex = this[kExchange]
  const conn = ex?.conn
  if (!ex || !conn) return
  const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
  if (data.length === 0) return
  ex.bodyStreamStarted = true
  const socket = conn.socket
  let flushed: boolean
  if (ex.streamLength >= 0) {
    ex.bodySent += data.length
    if (ex.bodySent > ex.streamLength) {
      conn.fail(ex, 'reset', `request body longer than its content-length (${ex.streamLength})`)
      return
    }
    flushed = socket.write(data)
  } else {
    ex.bodySent += data.length
    // One writev for size line, data and CRLF.
    socket.cork()
    socket.write(`${data.length.toString(16)}${CRLF}`, 'latin1')
    socket.write(data)
    flushed = socket.write(CRLF, 'latin1')
    socket.uncork()
  }
  conn.touchWrite()
  if (!flushed) {
    this.pause()
    conn.requestProgress(ex, false)
  }
}

function onStreamEnd(this: OwnedStream): void {
  const ex = this[kExchange]
  const conn = ex?.conn
  if (!ex || !conn) return
  detachStream(ex)
  finishBody(conn, ex)
}

function onStreamError(this: OwnedStream, err: Error): void {
  const ex = this[kExchange]
  const conn = ex?.conn
  if (!ex || !conn) return
  ex.bodyStreamStarted = true
  conn.fail(ex, 'reset', `request body stream failed: ${err.message}`, err)
}

function onStreamClose(this: OwnedStream): void {
  // 'close' without 'end': the client went away mid-body.
  const ex = this[kExchange]
  const conn = ex?.conn
  if (!ex || !conn) return
  ex.bodyStreamStarted = true
  conn.fail(ex, 'reset', 'request body stream closed before its end')
}
