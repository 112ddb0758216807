// The `headers` and `headers_upstream` tokens. Tokens are case-insensitive; `server_tokens` stands
// for Server + Via and `latency_tokens` for the four latency headers; `off` disables them all.
import type { Conf } from './types.js'
import type { ValidationContext } from './validate-context.js'

export const HEADER_NAMES = {
  VIA: 'Via',
  SERVER: 'Server',
  PROXY_LATENCY: 'X-Kong-Proxy-Latency',
  RESPONSE_LATENCY: 'X-Kong-Response-Latency',
  ADMIN_LATENCY: 'X-Kong-Admin-Latency',
  UPSTREAM_LATENCY: 'X-Kong-Upstream-Latency',
  UPSTREAM_STATUS: 'X-Kong-Upstream-Status',
  REQUEST_ID: 'X-Kong-Request-Id',
} as const

/** Lower-case token → name used as key of Conf.enabled_headers. */
const RESPONSE_TOKENS: ReadonlyMap<string, string> = new Map([
  ['server_tokens', 'server_tokens'],
  ['latency_tokens', 'latency_tokens'],
  ...Object.values(HEADER_NAMES).map((name) => [name.toLowerCase(), name] as [string, string]),
])

const UPSTREAM_TOKENS: ReadonlyMap<string, string> = new Map([
  [HEADER_NAMES.REQUEST_ID.toLowerCase(), HEADER_NAMES.REQUEST_ID],
])

export function validateHeaders(conf: Conf, ctx: ValidationContext) {
  for (const token of conf.headers) {
    if (token !== 'off' && !RESPONSE_TOKENS.has(token.toLowerCase())) {
      ctx.errors.push(`headers: invalid entry '${token}'`)
    }
  }
  for (const token of conf.headers_upstream) {
    if (token !== 'off' && !UPSTREAM_TOKENS.has(token.toLowerCase())) {
      ctx.errors.push(`headers_upstream: invalid entry '${token}'`)
    }
  }
}

function enabledSet(tokens: readonly string[], known: ReadonlyMap<string, string>): Record<string, boolean> {
  const enabled: Record<string, boolean> = {}
  for (const name of known.values()) enabled[name] = false
  if (tokens.length === 0 || tokens[0] === 'off') return enabled
  for (const token of tokens) {
    const name = known.get(token.toLowerCase())
    if (name !== undefined) enabled[name] = true
  }
  return enabled
}

/** Header name (and `server_tokens`/`latency_tokens`) → whether the gateway adds it. */
export function enabledHeaders(tokens: readonly string[]): Record<string, boolean> {
  const enabled = enabledSet(tokens, RESPONSE_TOKENS)
  if (enabled.server_tokens) {
    enabled[HEADER_NAMES.VIA] = true
    enabled[HEADER_NAMES.SERVER] = true
  }
  if (enabled.latency_tokens) {
    enabled[HEADER_NAMES.PROXY_LATENCY] = true
    enabled[HEADER_NAMES.RESPONSE_LATENCY] = true
    enabled[HEADER_NAMES.ADMIN_LATENCY] = true
    enabled[HEADER_NAMES.UPSTREAM_LATENCY] = true
  }
  return enabled
}

export function enabledUpstreamHeaders(tokens: readonly string[]): Record<string, boolean> {
  return enabledSet(tokens, UPSTREAM_TOKENS)
}
