// The Admin API HTTP front: routing, HEAD/OPTIONS, CORS for Kong Manager, body decoding, error
// mapping and response headers. Endpoint behaviour lives in ./endpoints.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { type AdminRequest, type AdminResponse, errorResponse, type Handler, unexpected } from './http.js'
import { decodeBody, decodeQuery, RequestError, readBody } from './request.js'
import type { Method, Router } from './router.js'

export interface AdminServerOptions<C> {
  router: Router<Handler<C>>
  ctx: C
  /** Allowed CORS origins (`scheme://host[:port]` of each `admin_gui_url`). */
  allowedOrigins: readonly string[]
  /** `Server` header value, or null when disabled by the `headers` setting. */
  serverHeader: string | null
  /** Whether to send `X-Kong-Admin-Latency`. */
  latencyHeader: boolean
  /** Body size limit in bytes (0 = unlimited). */
  maxBodySize: number
  /** Paths whose POST accepts YAML bodies. */
  yamlPaths?: readonly string[]
  onError: (err: unknown, req: IncomingMessage) => void
  /** Called once per finished request (access log). */
  onResponse?: (req: IncomingMessage, status: number, ms: number) => void
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

function allowedMethods(methods: Partial<Record<Method, unknown>>): string {
  const set = new Set(Object.keys(methods))
  if (set.has('GET')) set.add('HEAD')
  set.add('OPTIONS')
  return [...set].sort().join(', ')
}

function corsOrigin(allowed: readonly string[], origin: string | undefined): string {
  if (allowed.length > 0) return origin && allowed.includes(origin) ? origin : allowed[0]
  return origin ?? '*'
}

export function createAdminHandler<C>(
  opts: AdminServerOptions<C>,
): (req: IncomingMessage, res: ServerResponse) => void {
  const yamlPaths = new Set(opts.yamlPaths ?? [])

  function send(req: IncomingMessage, res: ServerResponse, started: bigint, r: AdminResponse): void {
    const headers: Record<string, string | number> = {
      'Access-Control-Allow-Origin': corsOrigin(opts.allowedOrigins, req.headers.origin),
      'Access-Control-Allow-Credentials': 'true',
    }
    if (opts.serverHeader) headers.Server = opts.serverHeader
    if (opts.latencyHeader)
      headers['X-Kong-Admin-Latency'] = String(Number((process.hrtime.bigint() - started) / 1000000n))
    Object.assign(headers, r.headers)
    let payload: Buffer | undefined
    if (r.status !== 204 && r.status !== 304) {
      if (r.text !== undefined) {
        payload = Buffer.from(r.text)
        headers['Content-Type'] = r.contentType ?? 'text/plain; charset=utf-8'
      } else if (r.body !== undefined) {
        payload = Buffer.from(JSON.stringify(r.body))
        headers['Content-Type'] = r.contentType ?? 'application/json; charset=utf-8'
      }
    }
    headers['Content-Length'] = payload ? payload.length : 0
    res.writeHead(r.status, headers)
    if (req.method === 'HEAD' || !payload) res.end()
    else res.end(payload)
    opts.onResponse?.(req, r.status, Number(process.hrtime.bigint() - started) / 1e6)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint()
    let r: AdminResponse
    try {
      r = await route(req)
    } catch (err) {
      if (err instanceof RequestError) r = err.response
      else {
        const mapped = errorResponse(err)
        if (mapped) r = mapped
        else {
          opts.onError(err, req)
          r = unexpected()
        }
      }
    }
    if (res.headersSent || res.destroyed) return
    send(req, res, started, r)
  }

  async function route(req: IncomingMessage): Promise<AdminResponse> {
    const url = new URL(req.url ?? '/', 'http://admin.invalid')
    const method = (req.method ?? 'GET').toUpperCase()
    const match = opts.router.match(url.pathname)
    // Drain the body even for requests we reject before reading it.
    if (!match) {
      req.resume()
      return { status: 404, body: { message: 'Not found' } }
    }
    const methods = match.route.methods
    if (method === 'OPTIONS') {
      req.resume()
      const allow = allowedMethods(methods)
      const requested = req.headers['access-control-request-headers']
      return {
        status: 204,
        headers: {
          Allow: allow,
          'Access-Control-Allow-Methods': allow,
          'Access-Control-Allow-Headers': typeof requested === 'string' ? requested : 'Content-Type',
        },
      }
    }
    const handler = methods[(method === 'HEAD' ? 'GET' : method) as Method]
    if (!KNOWN_METHODS.has(method) || !handler) {
      req.resume()
      return { status: 405, body: { message: 'Method not allowed' } }
    }
    const query = decodeQuery(url.search, method)
    const raw = await readBody(req, opts.maxBodySize)
    const body = await decodeBody(req, method, raw, yamlPaths.has(match.route.template))
    const adminReq: AdminRequest = {
      method: method as Method,
      path: url.pathname,
      params: match.params,
      query,
      body: body.args,
      bodyKind: body.kind,
      rawBody: raw,
      headers: req.headers,
    }
    return handler(adminReq, opts.ctx)
  }

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      opts.onError(err, req)
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8' })
        res.end(JSON.stringify({ message: 'An unexpected error occurred' }))
      } else res.destroy()
    })
  }
}
