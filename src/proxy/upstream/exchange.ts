// One request and its response: the attempt handle returned to the caller, and the per-request
// state the connection needs. A plain object with fixed fields (one allocation per request); the
// connection refers to it while it runs, and it refers back to its connection.
import type { Readable } from 'node:stream'
import type { Connection } from './connection.js'
import type { UpstreamErrorState } from './errors.js'
import type { HeadFacts } from './request-head.js'
import type { Attempt, UpstreamHandler, UpstreamRequest, UpstreamTarget } from './types.js'

export class Exchange implements Attempt, HeadFacts, UpstreamErrorState {
  readonly target: UpstreamTarget
  readonly request: UpstreamRequest
  readonly handler: UpstreamHandler
  /** Serialized once (by the engine, right after construction), reused by the stale-connection retry. */
  head = ''
  readonly idempotent: boolean
  readonly isHead: boolean

  /** Set while a connection runs (or connects for) this exchange. */
  conn: Connection | null = null
  /** No handler call may happen any more (completed, failed, aborted or upgraded). */
  done = false

  // HeadFacts
  connectionClose = false
  streamLength = -1

  // UpstreamErrorState
  responseStarted = false
  requestSent = false
  bodyStreamStarted = false

  /** Every byte of the request was handed to the socket. */
  bodyDone = false
  /** Next byte of a large Buffer body to write (written in slices). */
  bodyOffset = 0
  /** Bytes of a streamed body written so far. */
  bodySent = 0
  /** The Readable body while it is being consumed (listeners attached). */
  stream: Readable | null = null
  /** The handler asked to pause (onData returned false). */
  paused = false
  /** Runs on a connection taken from the idle pool (the keep-alive race can hit it). */
  reused = false
  staleRetried = false

  constructor(target: UpstreamTarget, request: UpstreamRequest, handler: UpstreamHandler) {
    this.target = target
    this.request = request
    this.handler = handler
    const m = request.method
    this.idempotent = m !== 'POST' && m !== 'PATCH' && m !== 'LOCK'
    this.isHead = m === 'HEAD'
  }

  abort(): void {
    if (this.done) return
    this.done = true
    const conn = this.conn
    if (conn !== null) conn.abortExchange(this)
  }

  resume(): void {
    // Forwarded even when not paused yet: resume() may come from inside onData, before it returns false.
    if (this.done) return
    const conn = this.conn
    if (conn !== null) conn.resumeExchange(this)
  }

  /** The body can be sent again on another connection. */
  get replayable(): boolean {
    return this.request.body === null || Buffer.isBuffer(this.request.body)
  }
}
