// kong.response: the response to the client (plugins.md §4.2). Before the response exists
// (rewrite, access) header and status changes are recorded and applied to it when it comes;
// exit() and error() record the response that ends the request (the first call wins).
import {
  CONTENT_TYPES,
  grpcMessage,
  grpcStatus,
  isGrpcRequest,
  responseFormat,
  statusMessage,
} from '../proxy/errors.js'
import { addHeader, checkHeader, clearHeader, firstValue, headerTable, setHeader } from './headers.js'
import { checkPhase, P, Phase } from './phase.js'
import type { ExitResponse, RequestState } from './state.js'
import type { ExitHeaders, HeaderTable, KongResponse, Row } from './types.js'

function flatHeaders(headers: ExitHeaders | undefined): string[] {
  const out: string[] = []
  if (!headers) return out
  if (typeof headers !== 'object') throw new TypeError('headers must be a table')
  for (const [name, value] of Object.entries(headers)) {
    checkHeader(name, value)
    if (Array.isArray(value)) for (const v of value) out.push(name, String(v))
    else out.push(name, String(value))
  }
  return out
}

function hasHeader(list: readonly string[], name: string): boolean {
  return firstValue(list, name) !== null
}

function checkStatus(status: unknown, min: number, max: number): asserts status is number {
  if (typeof status !== 'number' || !Number.isInteger(status) || status < min || status > max)
    throw new TypeError(`code must be a number between ${min} and ${max}`)
}

/** The response `kong.response.exit(status, body, headers)` describes. */
export function exitResponse(
  s: RequestState,
  status: number,
  body: unknown,
  headers?: ExitHeaders,
): ExitResponse {
  checkStatus(status, 100, 599)
  const list = flatHeaders(headers)
  if (isGrpcRequest(firstValue(s.req.rawHeaders, 'content-type') ?? undefined)) {
    const code = grpcStatus(status)
    let message = grpcMessage(code)
    if (
      body &&
      typeof body === 'object' &&
      !Buffer.isBuffer(body) &&
      typeof (body as Row).message === 'string'
    )
      message = (body as Row).message as string
    else if (typeof body === 'string' && body !== '') message = body
    if (!hasHeader(list, 'content-type')) list.push('Content-Type', 'application/grpc')
    list.push('grpc-status', String(code), 'grpc-message', message, 'Content-Length', '0')
    return { status, headers: list, body: null }
  }
  let data: Buffer | null = null
  if (body === undefined || body === null) data = null
  else if (Buffer.isBuffer(body)) data = body
  else if (typeof body === 'string') data = Buffer.from(body)
  else if (typeof body === 'object') {
    data = Buffer.from(JSON.stringify(body))
    if (!hasHeader(list, 'content-type')) list.push('Content-Type', 'application/json; charset=utf-8')
  } else throw new TypeError('body must be a string or a table')
  // Like nginx, no Content-Length on a 204 (RFC 9110 §8.6: it must not carry one).
  if (status !== 204 && !hasHeader(list, 'content-length'))
    list.push('Content-Length', String(data ? data.length : 0))
  return { status, headers: list, body: data }
}

/** Kong's templated error for `status` (content negotiation by Accept). */
export function errorResponse(
  s: RequestState,
  status: number,
  message?: string,
  headers?: ExitHeaders,
): ExitResponse {
  checkStatus(status, 400, 599)
  const list = flatHeaders(headers)
  const text = message ?? statusMessage(status)
  const contentType = firstValue(s.req.rawHeaders, 'content-type') ?? undefined
  if (isGrpcRequest(contentType)) return exitResponse(s, status, { message: text }, headers)
  const format = responseFormat(firstValue(s.req.rawHeaders, 'accept') ?? undefined)
  const data = Buffer.from(s.settings.templates.render(format, text, s.requestId))
  setHeader(list, 'Content-Type', CONTENT_TYPES[format])
  setHeader(list, 'Content-Length', String(data.length))
  return { status, headers: list, body: data }
}

export class PdkResponse implements KongResponse {
  constructor(private readonly s: RequestState) {}

  getStatus(): number {
    checkPhase(this.s.phase, P.RESPONSE, 'kong.response.get_status')
    return this.s.status
  }

  getHeader(name: string): string | null {
    checkPhase(this.s.phase, P.RESPONSE, 'kong.response.get_header')
    return firstValue(this.s.headers ?? [], name)
  }

  getHeaders(max?: number): HeaderTable {
    checkPhase(this.s.phase, P.RESPONSE, 'kong.response.get_headers')
    return headerTable(this.s.headers ?? [], max ?? 100)
  }

  getSource(): 'service' | 'exit' | 'error' {
    checkPhase(this.s.phase, P.RESPONSE, 'kong.response.get_source')
    return this.s.source
  }

  setStatus(status: number): void {
    checkPhase(this.s.phase, P.BEFORE_SEND, 'kong.response.set_status')
    checkStatus(status, 100, 599)
    if (this.s.headers === null) this.s.pendingStatus = status
    else this.s.status = status
  }

  /** Records a header change before the response exists; false when it exists (change it). */
  private pending(
    fn: string,
    op: 'set' | 'add' | 'clear',
    name: string,
    value: string | number | readonly string[],
  ): boolean {
    const s = this.s
    checkPhase(s.phase, P.BEFORE_SEND, fn)
    if (s.headers !== null) return false
    s.pendingHeaders ??= []
    s.pendingHeaders.push({ op, name, value })
    return true
  }

  setHeader(name: string, value: string | number | readonly string[]): void {
    checkHeader(name, value)
    if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') return
    if (!this.pending('kong.response.set_header', 'set', name, value)) setHeader(this.s.headers!, name, value)
  }

  addHeader(name: string, value: string | number): void {
    checkHeader(name, value)
    if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') return
    if (!this.pending('kong.response.add_header', 'add', name, value)) addHeader(this.s.headers!, name, value)
  }

  clearHeader(name: string): void {
    checkHeader(name, '')
    if (!this.pending('kong.response.clear_header', 'clear', name, '')) clearHeader(this.s.headers!, name)
  }

  setHeaders(headers: ExitHeaders): void {
    for (const [name, value] of Object.entries(headers)) this.setHeader(name, value)
  }

  getRawBody(): Buffer | null {
    const s = this.s
    checkPhase(s.phase, P.BF, 'kong.response.get_raw_body')
    s.bodyParts ??= []
    if (s.chunk && s.chunk.length > 0) s.bodyParts.push(s.chunk)
    // The chunk is held back: nothing is sent until the whole body is known.
    s.chunk = null
    if (!s.eof) return null
    // Kong: at the last chunk the whole body becomes the chunk (sent unless replaced) and the
    // buffer is emptied, so a later plugin's call returns this body again, not twice.
    const body = Buffer.concat(s.bodyParts)
    s.bodyParts = null
    s.chunk = body
    return body
  }

  getChunk(): { chunk: Buffer | null; eof: boolean } {
    const s = this.s
    checkPhase(s.phase, P.BF, 'kong.response.get_chunk')
    return { chunk: s.chunk, eof: s.eof }
  }

  setRawBody(body: string | Buffer): void {
    const s = this.s
    checkPhase(s.phase, P.BF, 'kong.response.set_raw_body')
    if (typeof body !== 'string' && !Buffer.isBuffer(body)) throw new TypeError('body must be a string')
    s.chunk = typeof body === 'string' ? Buffer.from(body) : body
  }

  exit(status: number, body?: string | Buffer | Row | null, headers?: ExitHeaders): void {
    const s = this.s
    checkPhase(s.phase, P.R | P.A | P.RS | P.HF, 'kong.response.exit')
    if (s.phase === Phase.headerFilter) {
      if (body !== undefined && body !== null) throw new TypeError('body may not be set in header_filter')
      checkStatus(status, 100, 599)
      s.status = status
      const list = s.headers ?? []
      for (const [name, value] of Object.entries(headers ?? {})) setHeader(list, name, value)
      s.source = 'exit'
      return
    }
    if (s.exit !== null) return
    s.exit = exitResponse(s, status, body, headers)
    s.source = 'exit'
  }

  error(status: number, message?: string, headers?: ExitHeaders): void {
    const s = this.s
    checkPhase(s.phase, P.R | P.A | P.RS | P.HF, 'kong.response.error')
    if (s.exit !== null) return
    s.exit = errorResponse(s, status, message, headers)
    s.source = 'exit'
  }
}

/** Applies the header changes recorded before the response existed. */
export function applyPending(s: RequestState, headers: string[]): void {
  const pending = s.pendingHeaders
  if (pending === null) return
  for (const p of pending) {
    if (p.op === 'set') setHeader(headers, p.name, p.value)
    else if (p.op === 'add') addHeader(headers, p.name, p.value as string)
    else clearHeader(headers, p.name)
  }
}
