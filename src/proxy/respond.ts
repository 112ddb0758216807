// Responses produced by the gateway itself (no upstream): Kong's templated errors with content
// negotiation, redirects, and the headers every gateway response carries.
import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  CONTENT_TYPES,
  grpcMessage,
  grpcStatus,
  isGrpcRequest,
  lowLevelFormat,
  responseFormat,
  statusMessage,
} from './errors.js'
import type { ProxySettings } from './settings.js'

export interface GatewayResponseContext {
  req: IncomingMessage
  res: ServerResponse
  settings: ProxySettings
  requestId: string
  /** process.hrtime.bigint() at request start. */
  started: bigint
}

function elapsedMs(started: bigint): number {
  return Number((process.hrtime.bigint() - started) / 1_000_000n)
}

function baseHeaders(ctx: GatewayResponseContext): Record<string, string | number> {
  const h: Record<string, string | number> = {}
  const s = ctx.settings
  if (s.serverHeader) h.Server = s.serverHeader
  if (s.responseLatency) h['X-Kong-Response-Latency'] = elapsedMs(ctx.started)
  if (s.requestIdResponse) h['X-Kong-Request-Id'] = ctx.requestId
  return h
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
  const headers = baseHeaders(ctx)
  if (opts.headers) Object.assign(headers, opts.headers)
  const contentType = req.headers['content-type']
  if (isGrpcRequest(contentType)) {
    const code = grpcStatus(status)
    headers['Content-Type'] = 'application/grpc'
    headers['grpc-status'] = code
    headers['grpc-message'] = message || grpcMessage(code)
    headers['Content-Length'] = 0
    res.writeHead(status, headers)
    res.end()
    return
  }
  const accept = req.headers.accept
  const format = opts.lowLevel
    ? lowLevelFormat(accept, contentType, ctx.settings.errorDefault)
    : responseFormat(accept)
  const body = Buffer.from(ctx.settings.templates.render(format, message, ctx.requestId))
  headers['Content-Type'] = CONTENT_TYPES[format]
  headers['Content-Length'] = body.length
  res.writeHead(status, headers)
  if (req.method === 'HEAD') res.end()
  else res.end(body)
}

/** HTTPS redirect for https-only routes (301/302/307/308): empty body, Location. */
export function sendRedirect(ctx: GatewayResponseContext, status: number, location: string): void {
  const headers = baseHeaders(ctx)
  headers.Location = location
  headers['Content-Length'] = 0
  ctx.res.writeHead(status, headers)
  ctx.res.end()
}
