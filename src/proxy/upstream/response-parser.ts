// Incremental HTTP/1.1 response parser (RFC 9112) for the upstream engine.
//
// Pull-based: the connection feeds a chunk, then calls next() until it returns NeedMore. Each
// event (head, body piece, end…) is returned instead of being pushed through callbacks, so the
// owner decides after every event whether to go on (a handler may abort, pause, or even start a
// new request on the same connection from inside a callback).
//
// - The head (status line + fields) is located in the raw bytes first (one native search for the
//   end of the head), then decoded once as latin1 and split with string searches. Bytes arriving
//   in pieces are accumulated until the head is complete, bounded by `maxHeaderSize`.
// - Bodies are never copied: Content-Length and chunk data are returned as subarrays of the
//   socket's chunks. Chunk-size lines are parsed byte by byte with a small state machine, so they
//   may be split anywhere.
// - Line terminators: CRLF, or a bare LF (as nginx accepts). A CR anywhere else is invalid, as are
//   NUL and other control characters in the head (Node's writeHead would reject them anyway). The
//   head is validated and split in one pass over char codes (no regular expression).
// - Framing (RFC 9112 §6.3): no body for HEAD, 1xx, 204, 304; chunked when it is the final transfer
//   coding; Content-Length; otherwise the body ends when the connection closes. Content-Length
//   together with Transfer-Encoding, differing Content-Length values, or chunked that is not the
//   final coding are rejected.
// - Interim 1xx responses are skipped, except 101 which stops the parser (protocol switch).
import {
  isOws,
  keepAliveTimeoutHint,
  listElements,
  nameIs,
  parseContentLength,
  TOKEN_CHAR,
} from './header-syntax.js'

/** What next() found. */
export enum ParseEvent {
  /** All input consumed; feed more. */
  NeedMore = 0,
  /** Final response head: statusCode, statusText, headers. */
  Head = 1,
  /** A piece of the decoded body: chunk. */
  Body = 2,
  /** The message is complete: trailers. hasRest() tells whether bytes followed it. */
  End = 3,
  /** A 101 head: statusCode, statusText, headers; takeRest() returns the bytes after it. */
  Upgrade = 4,
  /** Invalid response: error. */
  Error = 5,
}

enum State {
  Head = 0,
  /** Head parsed, Head/Upgrade event not yet returned. */
  HeadReady = 1,
  BodyLength = 2,
  ChunkSize = 3,
  ChunkExt = 4,
  ChunkSizeLf = 5,
  ChunkData = 6,
  ChunkDataCr = 7,
  ChunkDataLf = 8,
  Trailers = 9,
  BodyClose = 10,
  /** Message complete, End event not yet returned. */
  EndReady = 11,
  Done = 12,
  Upgraded = 13,
  Error = 14,
}

const CR = 0x0d
const LF = 0x0a
const LF_CR_LF = Buffer.from('\n\r\n', 'latin1')
const LF_LF = Buffer.from('\n\n', 'latin1')
/** Bytes allowed in a chunk-size line after the size (extensions), to bound a hostile upstream. */
const MAX_CHUNK_EXT = 4096
/** More interim responses than this before the final one is treated as hostile. */
const MAX_INTERIM = 32
/** 13 hex digits < 2^52: chunk sizes stay exact integers. */
const MAX_CHUNK_DIGITS = 13
const EMPTY = Buffer.alloc(0)
const CHUNKED: readonly string[] = ['chunked']
export const NO_TRAILERS: readonly string[] = Object.freeze([])

const HEX = new Int8Array(256).fill(-1)
for (let c = 0; c < 10; c++) HEX[0x30 + c] = c
for (let c = 0; c < 6; c++) {
  HEX[0x41 + c] = 10 + c
  HEX[0x61 + c] = 10 + c
}

export class ResponseParser {
  /** Reason of the last Error event. */
  error = ''
  statusCode = 0
  statusText = ''
  /** Raw headers [name, value, ...] of the last Head/Upgrade event. */
  headers: string[] = []
  /** Body piece of the last Body event. */
  chunk: Buffer = EMPTY
  /** Trailers of the End event (NO_TRAILERS when none). */
  trailers: readonly string[] = NO_TRAILERS
  /** The upstream allows reusing the connection after this response (request-side rules aside). */
  keepAlive = false
  /** `Keep-Alive: timeout=N` of the response in ms, or -1. */
  keepAliveHint = -1
  /** Bytes received for this exchange (interim responses included). */
  bytesReceived = 0

  private readonly maxHeaderSize: number
  private state = State.Head
  private noBody = false
  /** Current input and position in it. */
  private buf: Buffer = EMPTY
  private pos = 0
  /** Incomplete head or trailer section accumulated across chunks. */
  private pending: Buffer | null = null
  /** Where the next end-of-section search starts in `pending`. */
  private scanFrom = 0
  /** Content-Length or chunk bytes still expected. */
  private remaining = 0
  private chunkDigits = 0
  private chunkExt = 0
  private interim = 0

  constructor(maxHeaderSize: number) {
    this.maxHeaderSize = maxHeaderSize
  }

  /** Prepares for the response to a new request. HEAD responses have no body whatever they say. */
  reset(isHead: boolean): void {
    this.state = State.Head
    this.noBody = isHead
    this.buf = EMPTY
    this.pos = 0
    this.pending = null
    this.scanFrom = 0
    this.remaining = 0
    this.interim = 0
    this.error = ''
    this.statusCode = 0
    this.statusText = ''
    this.headers = []
    this.chunk = EMPTY
    this.trailers = NO_TRAILERS
    this.keepAlive = false
    this.keepAliveHint = -1
    this.bytesReceived = 0
  }

  /** True while the body is delimited by the connection closing. */
  get closeDelimited(): boolean {
    return this.state === State.BodyClose
  }

  /** True when the next event is End (the body is complete). */
  get endReady(): boolean {
    return this.state === State.EndReady
  }

  /** Supplies the next chunk. Unconsumed input (normally none) is kept in front of it. */
  feed(chunk: Buffer): void {
    this.bytesReceived += chunk.length
    if (this.pos < this.buf.length) {
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk])
    } else {
      this.buf = chunk
    }
    this.pos = 0
  }

  /** True when unconsumed input remains (bytes after the end of the message, or not yet parsed). */
  hasRest(): boolean {
    return this.pos < this.buf.length
  }

  /** The unconsumed input (used after Upgrade); clears it. */
  takeRest(): Buffer {
    const rest = this.pos === 0 ? this.buf : this.buf.subarray(this.pos)
    this.buf = EMPTY
    this.pos = 0
    return rest
  }

  /**
   * The connection reached EOF. Returns End when that completes a close-delimited body (trailers
   * are empty), NeedMore when the response was incomplete (or nothing was received).
   */
  finish(): ParseEvent {
    if (this.state === State.BodyClose && this.pos >= this.buf.length) {
      this.state = State.Done
      this.trailers = NO_TRAILERS
      return ParseEvent.End
    }
    return ParseEvent.NeedMore
  }

  next(): ParseEvent {
    while (true) {
      const buf = this.buf
      const len = buf.length
      switch (this.state) {
        case State.Head:
        case State.Trailers:
          if (this.pos >= len) return ParseEvent.NeedMore
          if (!this.section()) return this.error === '' ? ParseEvent.NeedMore : ParseEvent.Error
          break
        case State.HeadReady:
          return this.headReady()
        case State.BodyLength: {
          const pos = this.pos
          if (pos >= len) return ParseEvent.NeedMore
          const avail = len - pos
          const n = Math.min(avail, this.remaining)
          this.remaining -= n
          this.pos = pos + n
          this.chunk = pos === 0 && n === len ? buf : buf.subarray(pos, pos + n)
          if (this.remaining === 0) this.toEnd(NO_TRAILERS)
          return ParseEvent.Body
        }
        case State.ChunkData: {
          const pos = this.pos
          if (pos >= len) return ParseEvent.NeedMore
          const avail = len - pos
          const n = Math.min(avail, this.remaining)
          this.remaining -= n
          this.pos = pos + n
          this.chunk = buf.subarray(pos, pos + n)
          if (this.remaining === 0) this.state = State.ChunkDataCr
          return ParseEvent.Body
        }
        case State.BodyClose: {
          const pos = this.pos
          if (pos >= len) return ParseEvent.NeedMore
          this.pos = len
          this.chunk = pos === 0 ? buf : buf.subarray(pos)
          return ParseEvent.Body
        }
        case State.EndReady:
          this.state = State.Done
          return ParseEvent.End
        case State.Done:
          return ParseEvent.NeedMore
        case State.Upgraded:
          return ParseEvent.NeedMore
        case State.Error:
          return ParseEvent.Error
        default:
          if (!this.chunkFraming()) return this.error === '' ? ParseEvent.NeedMore : ParseEvent.Error
      }
    }
  }

  private fail(reason: string): false {
    this.state = State.Error
    this.error = reason
    this.pending = null
    return false
  }

  private toEnd(trailers: readonly string[]): void {
    this.trailers = trailers
    this.state = State.EndReady
  }

  /**
   * Consumes chunk-size lines and the CRLFs after chunk data. Returns true once the state moved on
   * (to ChunkData or Trailers), false when the input ran out or on error.
   */
  private chunkFraming(): boolean {
    const buf = this.buf
    const len = buf.length
    let pos = this.pos
    while (pos < len) {
      const c = buf[pos++]
      switch (this.state) {
        case State.ChunkSize: {
          const v = HEX[c]
          if (v !== -1) {
            if (++this.chunkDigits > MAX_CHUNK_DIGITS) return this.fail('chunk size too large')
            this.remaining = this.remaining * 16 + v
          } else if (this.chunkDigits === 0) {
            return this.fail('invalid chunk size')
          } else if (c === CR) {
            this.state = State.ChunkSizeLf
          } else if (c === LF) {
            return this.chunkSizeDone(pos)
          } else if (c === 0x3b /* ; */ || isOws(c)) {
            this.state = State.ChunkExt
            this.chunkExt = 1
          } else {
            return this.fail('invalid chunk size')
          }
          break
        }
        case State.ChunkExt:
          if (c === CR) this.state = State.ChunkSizeLf
          else if (c === LF) return this.chunkSizeDone(pos)
          else if (c === 0 || ++this.chunkExt > MAX_CHUNK_EXT) return this.fail('invalid chunk extension')
          break
        case State.ChunkSizeLf:
          if (c !== LF) return this.fail('invalid chunk size line')
          return this.chunkSizeDone(pos)
        case State.ChunkDataCr:
          if (c === CR) this.state = State.ChunkDataLf
          else if (c === LF) this.startChunkSize()
          else return this.fail('missing CRLF after chunk data')
          break
        default:
          // ChunkDataLf
          if (c !== LF) return this.fail('missing CRLF after chunk data')
          this.startChunkSize()
      }
    }
    this.pos = pos
    return false
  }

  private startChunkSize(): void {
    this.state = State.ChunkSize
    this.remaining = 0
    this.chunkDigits = 0
    this.chunkExt = 0
  }

  private chunkSizeDone(pos: number): true {
    this.pos = pos
    this.state = this.remaining === 0 ? State.Trailers : State.ChunkData
    return true
  }

  /**
   * Head or trailer section starting at the current position. Returns true once it was parsed
   * (state moved on), false when more bytes are needed (kept in `pending`) or on error.
   */
  private section(): boolean {
    let buf = this.buf
    let pos = this.pos
    let from: number
    if (this.pending !== null) {
      buf = Buffer.concat([this.pending, pos === 0 ? buf : buf.subarray(pos)])
      from = this.scanFrom
      pos = 0
      this.pending = null
      this.buf = buf
    } else {
      if (this.state === State.Head) {
        // Tolerate empty lines before the status line (as llhttp does).
        while (pos < buf.length && (buf[pos] === CR || buf[pos] === LF)) pos++
        if (pos >= buf.length) {
          this.pos = pos
          return false
        }
      }
      from = pos
    }
    if (this.state === State.Trailers) {
      // The common trailer section is just the final empty line ("0\r\n\r\n"); it has no LF
      // before it within the section, so the search below would not find it.
      const c = buf[pos]
      if (c === LF || (c === CR && pos + 1 < buf.length && buf[pos + 1] === LF)) {
        this.pos = pos + (c === LF ? 1 : 2)
        this.toEnd(NO_TRAILERS)
        return true
      }
      if (c === CR && pos + 1 === buf.length) {
        this.pending = buf.subarray(pos)
        this.scanFrom = 0
        this.pos = buf.length
        return false
      }
    }
    let end = buf.indexOf(LF_CR_LF, from)
    if (end !== -1) end += 3
    else {
      end = buf.indexOf(LF_LF, from)
      if (end !== -1) end += 2
    }
    if (end === -1) {
      if (buf.length - pos > this.maxHeaderSize) return this.fail('response header too large')
      this.pending = pos === 0 ? buf : buf.subarray(pos)
      // The terminator may straddle chunks: rescan the last two bytes.
      this.scanFrom = Math.max(0, this.pending.length - 2)
      this.pos = buf.length
      return false
    }
    const text = buf.toString('latin1', pos, end)
    const consumed = this.state === State.Head ? this.parseHead(text) : this.parseTrailers(text)
    if (consumed < 0) return false
    if (consumed > this.maxHeaderSize) return this.fail('response header too large')
    this.pos = pos + consumed
    return true
  }

  private failHead(reason: string): -1 {
    this.fail(reason)
    return -1
  }

  /**
   * Parses a response head. `text` contains at least one empty line; returns the length of the
   * head up to and including the first empty line, or -1 (error set).
   */
  private parseHead(text: string): number {
    // Status line: HTTP/1.x SP 3DIGIT [SP reason-phrase]
    const lineEnd = scanLine(text, 0)
    if (lineEnd < 0) return this.failHead('invalid status line')
    if (
      lineEnd < 12 ||
      !text.startsWith('HTTP/1.') ||
      text.charCodeAt(8) !== 0x20 ||
      (lineEnd > 12 && text.charCodeAt(12) !== 0x20)
    ) {
      return this.failHead('invalid status line')
    }
    const minor = text.charCodeAt(7) - 0x30
    const d0 = text.charCodeAt(9) - 0x30
    const d1 = text.charCodeAt(10) - 0x30
    const d2 = text.charCodeAt(11) - 0x30
    if (minor < 0 || minor > 9 || d0 < 1 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) {
      return this.failHead('invalid status line')
    }
    const status = d0 * 100 + d1 * 10 + d2
    const statusText = lineEnd > 13 ? text.slice(13, lineEnd) : ''
    const headers: string[] = []
    const pos = parseFields(text, lineEnd + (text.charCodeAt(lineEnd) === CR ? 2 : 1), headers)
    if (pos < 0) return this.failHead('invalid header line')

    let contentLength = -1
    let chunked = false
    let transferEncoding = false
    let connClose = false
    let connKeepAlive = false
    let keepAliveHint = -1
    // Only four names matter here; nameIs() compares lengths first, so most names cost a few
    // integer comparisons.
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]
      const value = headers[i + 1]
      if (nameIs(name, 'content-length')) {
        const n = parseContentLength(value)
        if (n === -1 || (contentLength !== -1 && n !== contentLength)) {
          return this.failHead('invalid content-length')
        }
        contentLength = n
      } else if (nameIs(name, 'transfer-encoding')) {
        transferEncoding = true
        const codings = value === 'chunked' ? CHUNKED : listElements(value)
        for (let j = 0; j < codings.length; j++) {
          // chunked must be the final coding and appear once (RFC 9112 §6.1).
          if (codings[j] === 'chunked') {
            if (chunked || j !== codings.length - 1) return this.failHead('invalid transfer-encoding')
            chunked = true
          } else if (chunked) {
            return this.failHead('invalid transfer-encoding')
          }
        }
      } else if (nameIs(name, 'connection')) {
        // Fast path for the usual single token.
        if (value === 'keep-alive') connKeepAlive = true
        else if (value === 'close') connClose = true
        else {
          for (const el of listElements(value)) {
            if (el === 'close') connClose = true
            else if (el === 'keep-alive') connKeepAlive = true
          }
        }
      } else if (nameIs(name, 'keep-alive')) {
        keepAliveHint = keepAliveTimeoutHint(value)
      }
    }

    if (status < 200 && status !== 101) {
      // Interim response: skip it; the next head follows.
      if (++this.interim > MAX_INTERIM) return this.failHead('too many interim responses')
      return pos
    }
    if (transferEncoding && contentLength !== -1) {
      return this.failHead('both content-length and transfer-encoding')
    }
    this.statusCode = status
    this.statusText = statusText
    this.headers = headers
    this.state = State.HeadReady
    if (status === 101) {
      this.keepAlive = false
      return pos
    }
    this.keepAliveHint = keepAliveHint
    this.keepAlive = minor === 0 ? connKeepAlive && !connClose : !connClose
    // Framing is decided now and applied in headReady(), once the Head event was returned.
    if (this.noBody || status === 204 || status === 304) this.remaining = 0
    else if (chunked) this.remaining = -1
    else if (transferEncoding || contentLength === -1) this.remaining = -2
    else this.remaining = contentLength
    return pos
  }

  /** Returns the Head/Upgrade event and moves to the body state chosen by parseHead(). */
  private headReady(): ParseEvent {
    if (this.statusCode === 101) {
      this.state = State.Upgraded
      return ParseEvent.Upgrade
    }
    const r = this.remaining
    if (r === 0) this.toEnd(NO_TRAILERS)
    else if (r === -1) this.startChunkSize()
    else if (r === -2) {
      // No framing, or a final coding other than chunked: the body ends with the connection.
      this.state = State.BodyClose
      this.keepAlive = false
    } else this.state = State.BodyLength
    return ParseEvent.Head
  }

  /** Trailer section: field lines then an empty line. Returns its length or -1 (error set). */
  private parseTrailers(text: string): number {
    const trailers: string[] = []
    const pos = parseFields(text, 0, trailers)
    if (pos < 0) return this.failHead('invalid trailer line')
    this.toEnd(trailers)
    return pos
  }
}

/**
 * Scans the line starting at `pos` up to its LF. Returns the end of its content (the CR of a CRLF,
 * or the LF), or -1 when the line holds a control character other than HTAB (a CR anywhere but
 * right before the LF included). The caller guarantees an LF follows.
 */
function scanLine(text: string, pos: number): number {
  while (true) {
    const c = text.charCodeAt(pos)
    if (c < 0x20) {
      if (c === LF) return pos
      if (c === CR) return text.charCodeAt(pos + 1) === LF ? pos : -1
      if (c !== 0x09) return -1
    } else if (c === 0x7f) {
      return -1
    }
    pos++
  }
}

/**
 * Field lines (RFC 9112 §5) from `pos` up to and including the empty line that ends them, pushed
 * as [name, value, ...] with values trimmed of OWS. One pass, char codes only: names must be
 * tokens, values may hold HTAB, SP, VCHAR and obs-text; obs-fold continuation lines are joined
 * with a space (RFC 9112 §5.2). Returns the position after the empty line, or -1 when invalid.
 * `text` must contain that empty line (the caller found it), so every scan meets an LF.
 */
function parseFields(text: string, pos: number, out: string[]): number {
  while (true) {
    let c = text.charCodeAt(pos)
    if (c === LF) return pos + 1
    if (c === CR) return text.charCodeAt(pos + 1) === LF ? pos + 2 : -1
    let name = ''
    if (c === 0x20 || c === 0x09) {
      // obs-fold: continues the previous value.
      if (out.length === 0) return -1
    } else {
      const start = pos
      // LF is not a token character, so this loop stops at the end of the line at the latest.
      while (c !== 0x3a /* : */) {
        if (c > 127 || TOKEN_CHAR[c] === 0) return -1
        c = text.charCodeAt(++pos)
      }
      if (pos === start) return -1
      name = text.slice(start, pos)
      pos++
    }
    // Value: skip leading OWS, remember where the last non-OWS character ends.
    c = text.charCodeAt(pos)
    while (c === 0x20 || c === 0x09) c = text.charCodeAt(++pos)
    const start = pos
    let end = pos
    while (true) {
      if (c < 0x20) {
        if (c === LF) break
        if (c === CR) {
          if (text.charCodeAt(pos + 1) !== LF) return -1
          break
        }
        if (c !== 0x09) return -1
      } else if (c === 0x7f) {
        return -1
      } else if (c !== 0x20) {
        end = pos + 1
      }
      c = text.charCodeAt(++pos)
    }
    const value = end > start ? text.slice(start, end) : ''
    if (name === '') {
      if (value !== '') out[out.length - 1] += ` ${value}`
    } else {
      out.push(name, value)
    }
    pos += c === CR ? 2 : 1
  }
}
