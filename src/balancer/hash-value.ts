// The value a consistent-hashing upstream hashes for a request (balancer.md §3.2.1): `hash_on`,
// then `hash_fallback` when the first yields nothing, else the empty string. A `cookie` that the
// client did not send is made up (a random UUID) and set on the response.
import { randomUUID } from 'node:crypto'

export type HashOn = 'none' | 'consumer' | 'ip' | 'header' | 'cookie' | 'path' | 'query_arg' | 'uri_capture'

export interface HashConfig {
  on: HashOn
  fallback: HashOn
  onHeader: string | null
  fallbackHeader: string | null
  cookie: string | null
  cookiePath: string
  onQueryArg: string | null
  fallbackQueryArg: string | null
  onUriCapture: string | null
  fallbackUriCapture: string | null
}

export function hashConfig(row: Record<string, unknown>): HashConfig {
  const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null)
  return {
    on: (str(row.hash_on) ?? 'none') as HashOn,
    fallback: (str(row.hash_fallback) ?? 'none') as HashOn,
    onHeader: str(row.hash_on_header),
    fallbackHeader: str(row.hash_fallback_header),
    cookie: str(row.hash_on_cookie),
    cookiePath: str(row.hash_on_cookie_path) ?? '/',
    onQueryArg: str(row.hash_on_query_arg),
    fallbackQueryArg: str(row.hash_fallback_query_arg),
    onUriCapture: str(row.hash_on_uri_capture),
    fallbackUriCapture: str(row.hash_fallback_uri_capture),
  }
}

/** What the request offers to hash (read lazily: only the configured kinds are looked at). */
export interface HashSource {
  /** The authenticated consumer's id, else the credential's. */
  consumerId(): string | null
  clientIp(): string
  /** All values of a request header, or none. */
  headerValues(name: string): string[]
  /** The value of a cookie the client sent. */
  cookie(name: string): string | null
  /** The normalized request path (no query). */
  path(): string
  /** All values of a query argument (`true` for one without a value), or none. */
  queryValues(name: string): string[]
  uriCapture(name: string): string | null
}

export interface HashResult {
  value: string
  /** A `Set-Cookie` value to add to the response (a cookie was made up). */
  setCookie: string | null
}

/** The value of one kind; `out.setCookie` is set when a missing cookie was made up. */
function kindValue(
  kind: HashOn,
  name: string | null,
  c: HashConfig,
  src: HashSource,
  out: HashResult,
): string | null {
  switch (kind) {
    case 'consumer':
      return src.consumerId()
    case 'ip':
      return src.clientIp()
    case 'header': {
      const v = name === null ? [] : src.headerValues(name)
      return v.length === 0 ? null : v.join(', ')
    }
    case 'cookie': {
      if (c.cookie === null) return null
      const sent = src.cookie(c.cookie)
      if (sent !== null && sent !== '') return sent
      const made = randomUUID()
      out.setCookie = `${c.cookie}=${made}; Path=${c.cookiePath}; Same-Site=Lax; HttpOnly`
      return made
    }
    case 'path':
      return src.path()
    case 'query_arg': {
      const v = name === null ? [] : src.queryValues(name)
      return v.length === 0 ? null : [...v].sort().join(',')
    }
    case 'uri_capture':
      return name === null ? null : src.uriCapture(name)
    default:
      return null
  }
}

export function hashValue(c: HashConfig, src: HashSource): HashResult {
  const out: HashResult = { value: '', setCookie: null }
  const onName = c.on === 'header' ? c.onHeader : c.on === 'query_arg' ? c.onQueryArg : c.onUriCapture
  const first = kindValue(c.on, onName, c, src, out)
  if (first !== null && first !== '') {
    out.value = first
    return out
  }
  if (c.fallback === 'none') return out
  const fbName =
    c.fallback === 'header'
      ? c.fallbackHeader
      : c.fallback === 'query_arg'
        ? c.fallbackQueryArg
        : c.fallbackUriCapture
  const second = kindValue(c.fallback, fbName, c, src, out)
  if (second !== null) out.value = second
  return out
}

/** The value of cookie `name` in a Cookie header. */
export function cookieValue(header: string, name: string): string | null {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq === -1) continue
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return null
}

function decode(s: string): string {
  const plus = s.replace(/\+/g, ' ')
  try {
    return decodeURIComponent(plus)
  } catch {
    return plus
  }
}

/** All values of query argument `name` in a request target (`true` for one without `=`). */
export function queryValues(rawUrl: string, name: string): string[] {
  const q = rawUrl.indexOf('?')
  if (q === -1) return []
  const out: string[] = []
  for (const part of rawUrl.slice(q + 1).split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    if (decode(eq === -1 ? part : part.slice(0, eq)) !== name) continue
    out.push(eq === -1 ? 'true' : decode(part.slice(eq + 1)))
  }
  return out
}
