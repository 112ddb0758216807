// Responses produced by the gateway itself (no upstream): Kong's templated errors with content
// negotiation, redirects, plugin exits, and the headers every gateway response carries. When
// plugins run on the request, the response passes through their header_filter and body_filter
// phases before it is written, and their log phase runs after.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ExitResponse, RequestState } from '../pdk/state.js'
import {
  CONTENT_TYPES,
  grpcMessage,
  grpcStatus,
  isGrpcRequest,
  lowLevelFormat,
  responseFormat,
  statusMessage,
} from './errors.js'
import { hasPhase, runBodyFilter, runHeaderFilter } from './plugins/runner.js'
import type { ProxySettings } from './settings.js'

export interface GatewayResponseContext {
  req: IncomingMessage
  res: ServerResponse
  settings: ProxySettings
  requestId: string
  /** process.hrtime.bigint() at request start. */
  started: bigint
  /** The request's plugin state, when plugins run on it. */
  plugins: RequestState | null
}

function elapsedMs(started: bigint): number {
  return Number((process.hrtime.bigint() - started) / 1_000_000n)
}

/** Server, X-Kong-Response-Latency and X-Kong-Request-Id, per the `headers` setting. */
function baseHeaders(ctx: GatewayResponseContext, out: string[]): string[] {
  const s = ctx.settings
  if (s.serverHeader) out.push('Server', s.serverHeader)
  if (s.responseLatency) out.push('X-Kong-Response-Latency', String(elapsedMs(ctx.started)))
  if (s.requestIdResponse) out.push('X-Kong-Request-Id', ctx.requestId)
  return out
}

/**
 * Writes a complete response. With plugins, header_filter and body_filter run first (the body
 * as one last chunk).
 */
export function writeResponse(
  ctx: GatewayResponseContext,
  status: number,
  headers: string[],
  body: Buffer | null,
): void {
  const { req, res } = ctx
  const st = ctx.plugins
  if (st !== null) {
    const exit = st.exit
    st.status = status
    st.headers = headers
    runHeaderFilter(st)
    if (st.exit !== exit) {
      // a header_filter handler failed: Kong's 500 instead, without running the plugins again
      writeFailure(ctx, st)
      return
    }
    status = st.status
    if (hasPhase(st, 'bodyFilter')) body = runBodyFilter(st, body, true)
  }
  res.writeHead(status, headers)
  if (req.method === 'HEAD' || body === null) res.end()
  else res.end(body)
}

/**
 * Sends a gateway error. `lowLevel` errors (transport/protocol: 502, 504, 413...) fall back on the
 * request Content-Type and `error_default_type` when there is no Accept header.
 */
export function sendError(
  ctx: GatewayResponseContext,
  status: number,
  message: string = statusMessage(status),
  opts: { lowLevel?: boolean; headers?: Record<string, string> } = {},
): void {
  const { req, res } = ctx
  if (res.headersSent || res.destroyed) {
    res.destroy()
    return
  }
  if (ctx.plugins !== null && ctx.plugins.source === 'service') ctx.plugins.source = 'error'
  const headers = baseHeaders(ctx, [])
  if (opts.headers) for (const [k, v] of Object.entries(opts.headers)) headers.push(k, v)
  const contentType = req.headers['content-type']
  if (isGrpcRequest(contentType)) {
    const code = grpcStatus(status)
    headers.push('Content-Type', 'application/grpc', 'grpc-status', String(code))
    headers.push('grpc-message', message || grpcMessage(code), 'Content-Length', '0')
    writeResponse(ctx, status, headers, null)
    return
  }
  const accept = req.headers.accept
  const format = opts.lowLevel
    ? lowLevelFormat(accept, contentType, ctx.settings.errorDefault)
    : responseFormat(accept)
  const body = Buffer.from(ctx.settings.templates.render(format, message, ctx.requestId))
  headers.push('Content-Type', CONTENT_TYPES[format], 'Content-Length', String(body.length))
  writeResponse(ctx, status, headers, body)
}

/** HTTPS redirect for https-only routes (301/302/307/308): empty body, Location. */
export function sendRedirect(ctx: GatewayResponseContext, status: number, location: string): void {
  const headers = baseHeaders(ctx, [])
  headers.push('Location', location, 'Content-Length', '0')
  writeResponse(ctx, status, headers, null)
}

/** Sends the response a plugin ended the request with (`kong.response.exit` / `error`). */
export function sendExit(ctx: GatewayResponseContext, st: RequestState): void {
  const exit = st.exit!
  writeResponse(ctx, exit.status, exitHeaders(ctx, exit), exit.body)
}

/** The 500 that replaces a response whose header_filter failed (the plugins do not run again). */
export function writeFailure(ctx: GatewayResponseContext, st: RequestState): void {
  const exit = st.exit!
  ctx.res.writeHead(exit.status, exitHeaders(ctx, exit))
  if (ctx.req.method === 'HEAD' || exit.body === null) ctx.res.end()
  else ctx.res.end(exit.body)
}

/** The gateway's headers plus those of an exit response (the exit's win over Server and X-Kong-Request-Id). */
function exitHeaders(ctx: GatewayResponseContext, exit: ExitResponse): string[] {
  const headers = baseHeaders(ctx, [])
  for (let i = 0; i < exit.headers.length; i += 2) {
    const lower = exit.headers[i].toLowerCase()
    // A header the plugin gave replaces the gateway's of the same name.
    if (lower === 'server' || lower === 'x-kong-request-id') {
      for (let j = 0; j < headers.length; j += 2) {
        if (headers[j].toLowerCase() === lower) headers.splice(j, 2)
      }
    }
    headers.push(exit.headers[i], exit.headers[i + 1])
  }
  return headers
}
