// proxy-cache's HTTP caching rules (plugins.md §6.18): which requests and responses may be
// cached, for how long, and whether a stored response is fresh enough for a request.

/** Cache-Control directives: lower-cased names, numeric values as numbers, others `true`. */
export type Directives = Readonly<Record<string, number | string | true>>

export function parseCacheControl(header: string | string[] | null | undefined): Directives {
  const out: Record<string, number | string | true> = {}
  if (header === null || header === undefined) return out
  const text = Array.isArray(header) ? header.join(',') : header
  for (const part of text.split(',')) {
    const item = part.trim()
    if (item === '') continue
    const eq = item.indexOf('=')
    if (eq === -1) {
      out[item.toLowerCase()] = true
      continue
    }
    const name = item.slice(0, eq).trim().toLowerCase()
    const raw = item
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
    const n = Number(raw)
    out[name] = raw !== '' && Number.isFinite(n) ? n : raw
  }
  return out
}

function num(d: Directives, name: string): number | undefined {
  const v = d[name]
  return typeof v === 'number' ? v : undefined
}

export interface CacheRules {
  request_method: readonly string[]
  response_code: readonly number[]
  content_type: readonly string[]
  cache_control: boolean
  cache_ttl: number
}

export function cacheableRequest(
  conf: CacheRules,
  method: string,
  cc: Directives,
  hasAuthorization: boolean,
): boolean {
  if (!conf.request_method.includes(method)) return false
  if (conf.cache_control && (cc['no-store'] || cc['no-cache'] || hasAuthorization)) return false
  return true
}

interface MimeType {
  type: string
  subtype: string
  params: Record<string, string>
}

function parseMime(text: string): MimeType | null {
  const [essence, ...rest] = text.split(';')
  const slash = essence.indexOf('/')
  if (slash === -1) return null
  const type = essence.slice(0, slash).trim().toLowerCase()
  const subtype = essence
    .slice(slash + 1)
    .trim()
    .toLowerCase()
  if (type === '' || subtype === '') return null
  const params: Record<string, string> = {}
  for (const p of rest) {
    const eq = p.indexOf('=')
    if (eq === -1) continue
    params[p.slice(0, eq).trim().toLowerCase()] = p
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase()
  }
  return { type, subtype, params }
}

/** Whether the response's content type is one of the configured ones (`*` matches any part). */
export function contentTypeMatches(
  configured: readonly string[],
  contentType: string | null | undefined,
): boolean {
  if (!contentType) return false
  const actual = parseMime(contentType)
  if (!actual) return false
  for (const entry of configured) {
    const want = parseMime(entry)
    if (!want) continue
    if (want.type !== '*' && want.type !== actual.type) continue
    if (want.subtype !== '*' && want.subtype !== actual.subtype) continue
    if (Object.entries(want.params).every(([k, v]) => actual.params[k] === v)) return true
  }
  return false
}

/** Seconds a response may be kept by its own headers (`s-maxage`, `max-age`, `Expires`). */
export function resourceTtl(cc: Directives, expires: string | null | undefined, nowSeconds: number): number {
  let maxAge = num(cc, 's-maxage') ?? num(cc, 'max-age')
  if (maxAge === undefined && expires) {
    const at = Date.parse(expires)
    if (!Number.isNaN(at)) maxAge = at / 1000 - nowSeconds
  }
  return maxAge === undefined ? 0 : Math.max(maxAge, 0)
}

export function cacheableResponse(
  conf: CacheRules,
  status: number,
  contentType: string | null | undefined,
  cc: Directives,
  expires: string | null | undefined,
  nowSeconds: number,
): boolean {
  if (!conf.response_code.includes(status)) return false
  if (!contentTypeMatches(conf.content_type, contentType)) return false
  if (conf.cache_control) {
    if (cc.private || cc['no-store'] || cc['no-cache']) return false
    if (resourceTtl(cc, expires, nowSeconds) <= 0) return false
  }
  return true
}

/** Whether a stored response (stored at `timestamp`, kept `ttl` s) must be fetched again. */
export function needsRefresh(
  conf: CacheRules,
  requestCc: Directives,
  entry: { timestamp: number; ttl: number },
  nowSeconds: number,
): boolean {
  const age = nowSeconds - entry.timestamp
  if (conf.cache_control) {
    const maxAge = num(requestCc, 'max-age')
    if (maxAge !== undefined && age > maxAge) return true
    const maxStale = num(requestCc, 'max-stale')
    if (maxStale !== undefined && age - entry.ttl > maxStale) return true
    const minFresh = num(requestCc, 'min-fresh')
    if (minFresh !== undefined && entry.ttl - age < minFresh) return true
    return false
  }
  return age > conf.cache_ttl
}
