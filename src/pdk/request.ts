// kong.request: the client request as received (plugins.md §4.1).
import { BodyError, BodyTooLargeError, mimeOf, parseArgs, parseBody } from './body.js'
import { firstValue, headerTable } from './headers.js'
import { checkPhase, P } from './phase.js'
import type { RequestState } from './state.js'
import type { HeaderTable, KongRequest, QueryTable, Row } from './types.js'

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443 }

function limit(max: number | undefined): number {
  if (max === undefined) return 100
  if (!Number.isInteger(max) || max < 1 || max > 1000)
    throw new TypeError('max_args must be between 1 and 1000')
  return max
}

/** Host without userinfo and port (lower-cased); port separately when present. */
function splitHost(value: string): { host: string; port: number | null } {
  let v = value.trim()
  const at = v.lastIndexOf('@')
  if (at !== -1) v = v.slice(at + 1)
  if (v.startsWith('[')) {
    const end = v.indexOf(']')
    const port = end !== -1 && v[end + 1] === ':' ? Number(v.slice(end + 2)) : null
    return { host: v.slice(0, end + 1).toLowerCase(), port: Number.isInteger(port) ? port : null }
  }
  const colon = v.indexOf(':')
  if (colon === -1) return { host: v.toLowerCase(), port: null }
  const port = Number(v.slice(colon + 1))
  return { host: v.slice(0, colon).toLowerCase(), port: Number.isInteger(port) ? port : null }
}

function within(body: Buffer, limit: number): Promise<Buffer> {
  return body.length > limit
    ? Promise.reject(new BodyTooLargeError(`request body exceeds ${limit} bytes`))
    : Promise.resolve(body)
}

/**
 * Reads the whole client body once; later calls get the same buffer. With `limit`, counts the
 * bytes as they arrive and rejects with BodyTooLargeError as soon as there are more than `limit`
 * (the rest of the body is read and dropped, never kept).
 */
export function readClientBody(s: RequestState, limit = Number.POSITIVE_INFINITY): Promise<Buffer> {
  if (s.clientBody !== undefined) return within(s.clientBody, limit)
  if (s.bodyLoad !== null)
    return limit === Number.POSITIVE_INFINITY ? s.bodyLoad : s.bodyLoad.then((b) => within(b, limit))
  s.bodyLoad = new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let tooLarge = false
    const max = s.settings.maxBody
    const req = s.req
    req.on('data', (c: Buffer) => {
      if (tooLarge) return
      size += c.length
      if (max > 0 && size > max) {
        req.destroy()
        reject(new BodyError('request body exceeds client_max_body_size'))
        return
      }
      if (size > limit) {
        tooLarge = true
        chunks.length = 0
        reject(new BodyTooLargeError(`request body exceeds ${limit} bytes`))
        return
      }
      chunks.push(c)
    })
    req.once('end', () => {
      if (tooLarge) return
      const body = Buffer.concat(chunks, size)
      s.clientBody = body
      resolve(body)
    })
    req.once('error', (err) => reject(err))
  })
  return s.bodyLoad
}

export class PdkRequest implements KongRequest {
  constructor(private readonly s: RequestState) {}

  getScheme(): string {
    return this.s.listener.scheme
  }

  getHost(): string {
    return splitHost(this.s.head.host ?? '').host
  }

  getPort(): number {
    return this.s.listener.port
  }

  getForwardedScheme(): string {
    const s = this.s
    return (s.trusted && s.head.xForwardedProto?.toLowerCase()) || s.listener.scheme
  }

  getForwardedHost(): string {
    const s = this.s
    const fwd = s.trusted ? s.head.xForwardedHost : undefined
    return fwd ? splitHost(fwd.split(',')[0]).host : this.getHost()
  }

  getForwardedPort(): number {
    const s = this.s
    if (s.trusted) {
      const p = Number(s.head.xForwardedPort)
      if (s.head.xForwardedPort && Number.isInteger(p)) return p
      if (s.head.xForwardedHost) {
        const { port } = splitHost(s.head.xForwardedHost.split(',')[0])
        if (port !== null) return port
      }
    }
    return Number(s.listener.forwardedPort) || DEFAULT_PORTS[s.listener.scheme] || s.listener.port
  }

  getForwardedPath(): string {
    const s = this.s
    return (s.trusted && s.head.xForwardedPath) || this.getPath()
  }

  getForwardedPrefix(): string | null {
    const s = this.s
    if (s.trusted && s.head.xForwardedPrefix) return s.head.xForwardedPrefix
    const m = s.match
    if (m && s.route?.strip_path && m.matchedPath && m.matchedPath !== '/') return m.matchedPath
    return null
  }

  getHttpVersion(): number {
    const r = this.s.req
    return r.httpVersionMajor + r.httpVersionMinor / 10
  }

  getMethod(): string {
    return this.s.req.method ?? 'GET'
  }

  getPath(): string {
    return this.s.path
  }

  getRawPath(): string {
    const u = this.s.rawUrl
    const q = u.indexOf('?')
    return q === -1 ? u : u.slice(0, q)
  }

  getPathWithQuery(): string {
    return this.s.rawUrl
  }

  getRawQuery(): string {
    const u = this.s.rawUrl
    const q = u.indexOf('?')
    return q === -1 ? '' : u.slice(q + 1)
  }

  getQueryArg(name: string): string | true | null {
    const v = parseArgs(this.getRawQuery(), 1000)[name]
    if (v === undefined) return null
    return Array.isArray(v) ? v[0] : v
  }

  getQuery(max?: number): QueryTable {
    return parseArgs(this.getRawQuery(), limit(max))
  }

  getHeader(name: string): string | null {
    return firstValue(this.s.req.rawHeaders, name)
  }

  getHeaders(max?: number): HeaderTable {
    return headerTable(this.s.req.rawHeaders, limit(max))
  }

  getRawBody(max?: number): Promise<Buffer> {
    checkPhase(this.s.phase, P.R | P.A | P.RS, 'kong.request.get_raw_body')
    return readClientBody(this.s, max)
  }

  async getBody(mime?: string): Promise<{ body: Row; mime: string }> {
    checkPhase(this.s.phase, P.R | P.A | P.RS, 'kong.request.get_body')
    const contentType = firstValue(this.s.req.rawHeaders, 'content-type') ?? ''
    const raw = await readClientBody(this.s)
    const body = await parseBody(raw, contentType, mime)
    return { body, mime: mime ?? mimeOf(contentType) }
  }

  getStartTime(): number {
    return this.s.startedMs
  }

  getUriCaptures(): { unnamed: string[]; named: Record<string, string> } {
    const c = this.s.match?.captures
    return { unnamed: c ? ([...c.unnamed] as string[]) : [], named: c ? { ...c.named } : {} }
  }

  getId(): string {
    return this.s.requestId
  }
}
