// The service `url` shorthand: `url` is removed from the input and expanded into protocol,
// host, port and path before validation (overriding those fields when present).
//
// Kong parses it with LuaSocket's socket.url (3.0-rc1), a lenient RFC 2396 splitter that never
// fails on non-empty input; its quirks are reproduced so that the later field validation gives
// Kong's errors (`localhost:8000` parses as scheme `localhost` and path `8000`, hence
// `protocol: expected one of: …`; `http://h:x` keeps the port string `x`, hence
// `port: expected an integer`; the query string is dropped).

export interface ServiceUrlParts {
  protocol: string
  /** null when the URL has no authority; validation then reports `host: required field missing`. */
  host: string | null
  /** A number, or the raw port text when it is not numeric (left for the integer check). */
  port: number | string
  /** null when the URL has no path (`http://a.test`), `/` for `http://a.test/`. */
  path: string | null
}

interface ParsedUrl {
  scheme?: string
  host?: string
  port?: string
  path?: string
}

/** socket.url.parse: fragment, scheme, authority, query, params, path, then the authority parts. */
function parseUrl(url: string): ParsedUrl {
  const parsed: ParsedUrl = {}
  let rest = url
  const hash = rest.indexOf('#')
  if (hash !== -1) rest = rest.slice(0, hash)
  const scheme = /^([A-Za-z0-9][A-Za-z0-9+\-.]*):/.exec(rest)
  if (scheme) {
    parsed.scheme = scheme[1]
    rest = rest.slice(scheme[0].length)
  }
  let authority: string | undefined
  const auth = /^\/\/([^/]*)/.exec(rest)
  if (auth) {
    authority = auth[1]
    rest = rest.slice(auth[0].length)
  }
  for (const sep of ['?', ';']) {
    const idx = rest.indexOf(sep)
    if (idx !== -1) rest = rest.slice(0, idx)
  }
  if (rest !== '') parsed.path = rest
  if (authority === undefined) return parsed
  authority = authority.replace(/^[^@]*@/, '')
  const port = /:([^:\]]*)$/.exec(authority)
  if (port) {
    parsed.port = port[1]
    authority = authority.slice(0, port.index)
  }
  if (authority !== '') parsed.host = /^\[(.+)\]$/.exec(authority)?.[1] ?? authority
  return parsed
}

/** Lua's tonumber on a string: decimal (with fraction/exponent) or 0x hex, surrounding spaces allowed. */
function luaToNumber(text: string): number | undefined {
  const s = text.trim()
  if (/^[+-]?0[xX][0-9A-Fa-f]+$/.test(s)) {
    const v = Number.parseInt(s.replace(/^[+-]/, ''), 16)
    return s.startsWith('-') ? -v : v
  }
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s)
  return undefined
}

/**
 * Expands a service `url` into its fields:
 *   1. protocol: the URL scheme; without scheme `https` if the URL's port is 443, else `http`;
 *   2. host: the URL host (IPv6 brackets removed), null when absent;
 *   3. port: the URL port; else 80 for http, 443 for https, 80 otherwise (`grpcs://h` → 80);
 *   4. path: the URL path, null when absent. Query string, params and fragment are dropped.
 * `http://example.test:443` → http, example.test, 443, null.
 */
export function expandServiceUrl(url: string): ServiceUrlParts | { error: string } {
  // socket.url refuses only the empty string; the schema's string check reports it first.
  if (url === '') return { error: 'length must be at least 1' }
  const parsed = parseUrl(url)
  const port = parsed.port === undefined ? undefined : luaToNumber(parsed.port)
  const protocol = parsed.scheme ?? (port === 80 ? 'http' : port === 443 ? 'https' : 'http')
  return {
    protocol,
    host: parsed.host ?? null,
    port: port ?? parsed.port ?? (protocol === 'https' ? 443 : 80),
    path: parsed.path ?? null,
  }
}

/** Kong's `typedefs.url` check: the URL (as socket.url splits it) needs a host, then a scheme. */
export function validateUrl(url: string): string | undefined {
  const parsed = parseUrl(url)
  if (parsed.host === undefined) return 'missing host in url'
  if (parsed.scheme === undefined) return 'missing scheme in url'
  return undefined
}
