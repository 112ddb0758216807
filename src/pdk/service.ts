// kong.service, kong.service.request and kong.service.response (plugins.md §4.3–4.5): where the
// request goes, what is sent upstream, and the upstream's response as received.
import { escapeUpstreamPath } from '../router/index.js'
import { encodeArgs, encodeBody, mimeOf, parseArgs } from './body.js'
import { addHeader, checkHeader, clearHeader, firstValue, headerTable, setHeader } from './headers.js'
import { checkPhase, P } from './phase.js'
import { readClientBody } from './request.js'
import type { RequestState } from './state.js'
import type {
  ExitHeaders,
  HeaderTable,
  KongService,
  KongServiceRequest,
  KongServiceResponse,
  Row,
} from './types.js'

/** Headers the gateway sets upstream itself; a plugin setting one replaces the gateway's value. */
const GATEWAY_HEADERS = new Set([
  'x-real-ip',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-path',
  'x-forwarded-prefix',
  'via',
  'x-kong-request-id',
])
/** Lengths of `host` and the gateway headers: most names are neither, told without lower-casing. */
const WATCHED_LENGTHS = new Set([4, ...[...GATEWAY_HEADERS].map((h) => h.length)])

const METHODS = new Set([
  'GET',
  'HEAD',
  'PUT',
  'POST',
  'DELETE',
  'OPTIONS',
  'MKCOL',
  'COPY',
  'MOVE',
  'PROPFIND',
  'PROPPATCH',
  'LOCK',
  'UNLOCK',
  'PATCH',
  'TRACE',
  'CONNECT',
])

function nonNegativeInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new TypeError(`${what} must be an integer >= 0`)
  return v
}

export class PdkServiceRequest implements KongServiceRequest {
  constructor(private readonly s: RequestState) {}

  private check(fn: string): void {
    checkPhase(this.s.phase, P.R | P.A, fn)
  }

  enableBuffering(): void {
    this.check('kong.service.request.enable_buffering')
    this.s.buffering = true
  }

  setScheme(scheme: string): void {
    this.check('kong.service.request.set_scheme')
    if (scheme !== 'http' && scheme !== 'https') throw new TypeError('invalid scheme: ' + String(scheme))
    this.s.upScheme = scheme
  }

  setPath(path: string): void {
    this.check('kong.service.request.set_path')
    if (typeof path !== 'string' || !path.startsWith('/')) throw new TypeError('path must start with /')
    this.s.upPath = escapeUpstreamPath(path)
  }

  setRawQuery(query: string): void {
    this.check('kong.service.request.set_raw_query')
    if (typeof query !== 'string') throw new TypeError('query must be a string')
    this.s.upQuery = query === '' ? null : query
  }

  setQuery(args: Record<string, string | true | readonly (string | true)[]>): void {
    this.check('kong.service.request.set_query')
    if (typeof args !== 'object' || args === null) throw new TypeError('args must be a table')
    const q = encodeArgs(args)
    this.s.upQuery = q === '' ? null : q
  }

  clearQueryArg(name: string): void {
    this.check('kong.service.request.clear_query_arg')
    if (this.s.upQuery === null) return
    const args = parseArgs(this.s.upQuery, 1000)
    if (!(name in args)) return
    delete args[name]
    const q = encodeArgs(args)
    this.s.upQuery = q === '' ? null : q
  }

  setMethod(method: string): void {
    this.check('kong.service.request.set_method')
    if (!METHODS.has(method)) throw new TypeError(`invalid method: ${String(method)}`)
    this.s.upMethod = method
  }

  private touch(name: string): boolean {
    if (!WATCHED_LENGTHS.has(name.length)) return false
    const lower = name.toLowerCase()
    if (lower === 'host') return true
    if (GATEWAY_HEADERS.has(lower)) {
      this.s.overridden ??= new Set()
      this.s.overridden.add(lower)
    }
    return false
  }

  setHeader(name: string, value: string | number | readonly string[]): void {
    this.check('kong.service.request.set_header')
    checkHeader(name, value)
    if (this.touch(name)) {
      this.s.upHost = String(Array.isArray(value) ? value[0] : value)
      return
    }
    setHeader(this.s.upHeaders, name, value)
  }

  addHeader(name: string, value: string | number): void {
    this.check('kong.service.request.add_header')
    checkHeader(name, value)
    if (this.touch(name)) {
      this.s.upHost = String(value)
      return
    }
    addHeader(this.s.upHeaders, name, value)
  }

  clearHeader(name: string): void {
    this.check('kong.service.request.clear_header')
    checkHeader(name, '')
    this.touch(name)
    clearHeader(this.s.upHeaders, name)
  }

  setHeaders(headers: ExitHeaders): void {
    this.check('kong.service.request.set_headers')
    for (const [name, value] of Object.entries(headers)) this.setHeader(name, value)
  }

  setRawBody(body: string | Buffer): void {
    this.check('kong.service.request.set_raw_body')
    if (typeof body !== 'string' && !Buffer.isBuffer(body)) throw new TypeError('body must be a string')
    this.s.upBody = typeof body === 'string' ? Buffer.from(body) : body
  }

  setBody(body: Row, mime?: string): void {
    this.check('kong.service.request.set_body')
    const current = firstValue(this.s.upHeaders, 'content-type')
    const type = mime ?? mimeOf(current)
    const encoded = encodeBody(body, type)
    this.s.upBody = encoded.data
    if (mime !== undefined || type === 'multipart/form-data' || current === null)
      setHeader(this.s.upHeaders, 'Content-Type', encoded.contentType)
  }

  getHeaders(max?: number): HeaderTable {
    this.check('kong.service.request.get_headers')
    return headerTable(this.s.upHeaders, max ?? 100)
  }

  getRawQuery(): string {
    this.check('kong.service.request.get_raw_query')
    return this.s.upQuery ?? ''
  }

  getRawBody(): Promise<Buffer> {
    this.check('kong.service.request.get_raw_body')
    return this.s.upBody !== undefined ? Promise.resolve(this.s.upBody) : readClientBody(this.s)
  }
}

export class PdkServiceResponse implements KongServiceResponse {
  constructor(private readonly s: RequestState) {}

  getStatus(): number | null {
    checkPhase(this.s.phase, P.RESPONSE, 'kong.service.response.get_status')
    return this.s.upstreamStatus
  }

  getHeader(name: string): string | null {
    checkPhase(this.s.phase, P.RESPONSE, 'kong.service.response.get_header')
    return firstValue(this.s.upstreamHeaders ?? [], name)
  }

  getHeaders(max?: number): HeaderTable {
    checkPhase(this.s.phase, P.RESPONSE, 'kong.service.response.get_headers')
    return headerTable(this.s.upstreamHeaders ?? [], max ?? 100)
  }

  getRawBody(): Buffer {
    checkPhase(this.s.phase, P.RESPONSE, 'kong.service.response.get_raw_body')
    if (this.s.upstreamBody === null) throw new Error('service body is only available with buffered proxying')
    return this.s.upstreamBody
  }
}

export class PdkService implements KongService {
  readonly request: PdkServiceRequest
  readonly response: PdkServiceResponse

  constructor(private readonly s: RequestState) {
    this.request = new PdkServiceRequest(s)
    this.response = new PdkServiceResponse(s)
  }

  setUpstream(name: string): void {
    checkPhase(this.s.phase, P.A, 'kong.service.set_upstream')
    if (typeof name !== 'string') throw new TypeError('name must be a string')
    if (!this.s.snapshot.upstreams.has(name)) throw new Error(`could not find an Upstream named '${name}'`)
    this.s.upstreamName = name
    this.s.target = null
  }

  setTarget(host: string, port: number): void {
    checkPhase(this.s.phase, P.A, 'kong.service.set_target')
    if (typeof host !== 'string' || host === '') throw new TypeError('host must be a string')
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new TypeError('port must be an integer between 0 and 65535')
    this.s.target = { host, port }
    this.s.upstreamName = null
  }

  setRetries(retries: number): void {
    checkPhase(this.s.phase, P.A, 'kong.service.set_retries')
    if (!Number.isInteger(retries) || retries < 0 || retries > 32767)
      throw new TypeError('retries must be an integer between 0 and 32767')
    this.s.retries = retries
  }

  setTimeouts(connectMs: number, writeMs: number, readMs: number): void {
    checkPhase(this.s.phase, P.A, 'kong.service.set_timeouts')
    this.s.timeouts = [
      nonNegativeInt(connectMs, 'connect_timeout'),
      nonNegativeInt(writeMs, 'write_timeout'),
      nonNegativeInt(readMs, 'read_timeout'),
    ]
  }
}
