// proxy-cache's cache key (plugins.md §6.18): the SHA-256 (hex) of
// `<prefix>|<method>|<uri>|<params>|<headers>`, where the prefix names the consumer and route,
// the uri is the request line cut at its query, params are the query arguments (all of them,
// sorted, or only `vary_query_params` in that order) and headers only `vary_headers`.
import { createHash } from 'node:crypto'

export type ArgValue = string | readonly (string | true)[] | boolean | undefined | null

/** `name=value` pairs joined with `:`; lists sorted and comma-joined; a valueless arg is its name. */
function keyFrom(
  args: Readonly<Record<string, ArgValue>>,
  fields: readonly string[],
  lookup: (f: string) => string,
): string {
  const parts: string[] = []
  for (const field of fields) {
    const v = args[lookup(field)]
    if (v === undefined || v === null || v === false) continue
    if (Array.isArray(v))
      parts.push(
        `${field}=${v
          .map((x) => (x === true ? '' : x))
          .sort()
          .join(',')}`,
      )
    else if (v === true) parts.push(field)
    else parts.push(`${field}=${v}`)
  }
  return parts.join(':')
}

export function paramsKey(query: Readonly<Record<string, ArgValue>>, vary: readonly string[] | null): string {
  if (vary && vary.length > 0) return keyFrom(query, vary, (f) => f)
  const names = Object.keys(query).sort()
  return keyFrom(query, names, (f) => f)
}

export function headersKey(
  headers: Readonly<Record<string, ArgValue>>,
  vary: readonly string[] | null,
): string {
  if (!vary || vary.length === 0) return ''
  return keyFrom(headers, vary, (f) => f.toLowerCase())
}

/** The request line as nginx logs it (`GET /a?b=1 HTTP/1.1`), cut at the first `?`. */
export function requestUri(method: string, target: string, httpVersion: number, ignoreCase: boolean): string {
  const version = Number.isInteger(httpVersion) ? `${httpVersion}.0` : String(httpVersion)
  const line = `${method} ${target} HTTP/${version}`
  const q = line.indexOf('?')
  const uri = q === -1 ? line : line.slice(0, q)
  return ignoreCase ? uri.toLowerCase() : uri
}

export interface KeyInput {
  consumerId: string | null
  routeId: string | null
  method: string
  uri: string
  query: Readonly<Record<string, ArgValue>>
  headers: Readonly<Record<string, ArgValue>>
}

export function cacheKey(
  input: KeyInput,
  vary: { query: readonly string[] | null; headers: readonly string[] | null },
): string {
  let prefix = 'default'
  if (input.consumerId && input.routeId) prefix = `${input.consumerId}:${input.routeId}`
  else if (input.consumerId) prefix = input.consumerId
  else if (input.routeId) prefix = input.routeId
  const text = `${prefix}|${input.method}|${input.uri}|${paramsKey(input.query, vary.query)}|${headersKey(input.headers, vary.headers)}`
  return createHash('sha256').update(text).digest('hex')
}
