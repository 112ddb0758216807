// One pass over a client request's raw headers: picks out what the proxy needs (Host, framing,
// forwarding headers...) and collects the headers to forward upstream. Node builds `req.headers`
// lazily; the hot path never asks for it, which saves building an object per request.

/** Header names seen so far → lower case (a header name costs one lookup, no allocation). */
const LOWER = new Map<string, string>()
const LOWER_MAX = 2048

export function lower(name: string): string {
  let l = LOWER.get(name)
  if (l === undefined) {
    l = name.toLowerCase()
    if (LOWER.size < LOWER_MAX) LOWER.set(name, l)
  }
  return l
}

/** What the proxy reads from the client's headers. Every field is always set (one shape). */
export class RequestHead {
  host: string | undefined = undefined
  contentLength: string | undefined = undefined
  transferEncoding: string | undefined = undefined
  connection: string | undefined = undefined
  te: string | undefined = undefined
  upgrade: string | undefined = undefined
  xForwardedFor: string | undefined = undefined
  xForwardedProto: string | undefined = undefined
  xForwardedHost: string | undefined = undefined
  xForwardedPort: string | undefined = undefined
  xForwardedPath: string | undefined = undefined
  xForwardedPrefix: string | undefined = undefined
  via: string | undefined = undefined
  /** Value of the configured real-IP header (`real_ip_header`). */
  realIp: string | undefined = undefined
  /** Headers forwarded as received: flat [name, value, ...]. */
  readonly forward: string[] = []
}

const join = (a: string | undefined, b: string): string => (a === undefined ? b : `${a}, ${b}`)

/**
 * Scans raw headers. `realIpHeader` is the lower-case name of `real_ip_header` (its value is
 * recorded; the header itself is still forwarded unless it is one the gateway rewrites).
 */
export function scanHeaders(raw: readonly string[], realIpHeader: string): RequestHead {
  const h = new RequestHead()
  const out = h.forward
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]
    const value = raw[i + 1]
    const l = lower(name)
    if (l === realIpHeader) h.realIp = join(h.realIp, value)
    switch (l) {
      case 'host':
      case ':authority':
        h.host ??= value
        continue
      case 'content-length':
        h.contentLength = value
        continue
      case 'transfer-encoding':
        h.transferEncoding = value
        continue
      case 'connection':
        h.connection = join(h.connection, value)
        continue
      case 'te':
        h.te = join(h.te, value)
        continue
      case 'upgrade':
        h.upgrade = value
        continue
      case 'x-forwarded-for':
        h.xForwardedFor = join(h.xForwardedFor, value)
        continue
      case 'x-forwarded-proto':
        h.xForwardedProto ??= value
        continue
      case 'x-forwarded-host':
        h.xForwardedHost ??= value
        continue
      case 'x-forwarded-port':
        h.xForwardedPort ??= value
        continue
      case 'x-forwarded-path':
        h.xForwardedPath ??= value
        continue
      case 'x-forwarded-prefix':
        h.xForwardedPrefix ??= value
        continue
      case 'via':
        h.via = join(h.via, value)
        continue
      // Hop-by-hop, or set by the gateway.
      case 'keep-alive':
      case 'proxy-connection':
      case 'proxy':
      case 'expect':
      case 'trailer':
      case 'x-real-ip':
      case 'x-kong-request-id':
        continue
    }
    // HTTP/2 pseudo-headers (:method, :path, :scheme) are not forwarded.
    if (l.charCodeAt(0) === 58) continue
    out.push(name, value)
  }
  // Headers the client lists in Connection are hop-by-hop too (rare beyond keep-alive/close).
  const c = h.connection
  if (c !== undefined && c !== 'keep-alive' && c !== 'close' && c !== 'Keep-Alive' && c !== 'Close') {
    const listed = new Set(c.split(',').map((t) => t.trim().toLowerCase()))
    for (let i = out.length - 2; i >= 0; i -= 2) if (listed.has(lower(out[i]))) out.splice(i, 2)
  }
  return h
}
