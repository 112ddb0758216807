// Errors of the upstream engine. One class with a `kind` (what failed) and the three facts the
// proxy needs to choose between retrying another peer, 502 and 504 (proxying.md §3, §8.1).

export type UpstreamErrorKind =
  | 'connect_refused'
  | 'connect_timeout'
  | 'connect_error'
  | 'tls_error'
  | 'write_timeout'
  | 'read_timeout'
  | 'reset'
  | 'invalid_response'

/** Failures that happen while establishing the connection: retryable for every method. */
const CONNECT_KINDS: ReadonlySet<UpstreamErrorKind> = new Set([
  'connect_refused',
  'connect_timeout',
  'connect_error',
  'tls_error',
])

export interface UpstreamErrorState {
  /** The response head was delivered to the handler (onHeaders was called). */
  responseStarted: boolean
  /** Some bytes of the request were handed to the socket (nginx's `request_sent`). */
  requestSent: boolean
  /** POST, PATCH and LOCK are not idempotent (proxying.md §3). */
  idempotent: boolean
  /** A streamed (Readable) request body has been partly consumed: it cannot be replayed. */
  bodyStreamStarted: boolean
}

/**
 * Retry rule of proxying.md §3, evaluated once when the error is created:
 * - nothing of the response may have been delivered, and an invalid response is never retried;
 * - connection-establishment failures are always retryable;
 * - errors/timeouts while sending or before the response head are retryable for idempotent
 *   methods, unless a streamed body already started to be sent;
 * - for POST/PATCH/LOCK only failures before any request byte was sent are retryable.
 */
export function isRetryable(kind: UpstreamErrorKind, s: UpstreamErrorState): boolean {
  if (s.responseStarted || kind === 'invalid_response') return false
  if (CONNECT_KINDS.has(kind) || !s.requestSent) return true
  return s.idempotent && !s.bodyStreamStarted
}

export class UpstreamError extends Error {
  readonly kind: UpstreamErrorKind
  readonly responseStarted: boolean
  readonly requestSent: boolean
  readonly retryable: boolean
  /** errno-style code of the underlying socket error, when there is one (ECONNRESET, EPIPE…). */
  readonly code: string | undefined

  constructor(kind: UpstreamErrorKind, message: string, state: UpstreamErrorState, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause })
    this.name = 'UpstreamError'
    this.kind = kind
    this.responseStarted = state.responseStarted
    this.requestSent = state.requestSent
    this.retryable = isRetryable(kind, state)
    this.code = errnoCode(cause)
  }

  /** Timeouts end as 504, everything else as 502 (proxying.md §3). */
  get isTimeout(): boolean {
    return this.kind === 'connect_timeout' || this.kind === 'write_timeout' || this.kind === 'read_timeout'
  }
}

export function errnoCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined
  const code = (err as { code: unknown }).code
  return typeof code === 'string' ? code : undefined
}

/** Classifies a socket error raised before the connection (TCP, then TLS) was established. */
export function connectErrorKind(err: unknown, tcpConnected: boolean): UpstreamErrorKind {
  if (tcpConnected) return 'tls_error'
  const code = errnoCode(err)
  if (code === 'ECONNREFUSED') return 'connect_refused'
  // OpenSSL errors carry codes like ERR_SSL_* or certificate codes; they cannot occur before the
  // TCP connect, but a TLS socket reports them the same way.
  if (code !== undefined && (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS'))) return 'tls_error'
  return 'connect_error'
}
