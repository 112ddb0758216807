// cors (plugins.md §6.9): preflight requests (OPTIONS with Origin and
// Access-Control-Request-Method) are answered with 200 and the CORS headers, unless
// `preflight_continue` sends them upstream untouched; every other response gets
// Access-Control-Allow-Origin / -Credentials / -Expose-Headers in header_filter.
import type { Kong } from '../../pdk/types.js'
import { KONG_COMPAT_VERSION } from '../../version.js'
import { definePlugin } from '../definition.js'
import { luaNumber, matchOrigin, normalizeOrigin, type OriginRule, originRule } from './origins.js'
import schema from './schema.js'

const ACAO = 'Access-Control-Allow-Origin'
const ACAC = 'Access-Control-Allow-Credentials'

interface Conf {
  rule: OriginRule
  /** Access-Control-Allow-Headers, or null to echo Access-Control-Request-Headers. */
  headers: string | null
  exposed: string | null
  methods: string
  maxAge: string | null
  credentials: boolean
  privateNetwork: boolean
  preflightContinue: boolean
  allowOriginAbsent: boolean
}

/** Vary: Origin — replaces before the response exists (preflight), adds to the upstream's after. */
function vary(kong: Kong, filter: boolean): void {
  if (filter) kong.response.addHeader('Vary', 'Origin')
  else kong.response.setHeader('Vary', 'Origin')
}

/** Sets Access-Control-Allow-Origin; true when it is `*` (any origin allowed). */
function configureOrigin(conf: Conf, kong: Kong, filter: boolean, origin: string | null): boolean {
  const rule = conf.rule
  if (rule.kind === 'any') {
    kong.response.setHeader(ACAO, '*')
    return true
  }
  // Always (the response depends on Origin, whatever the outcome).
  vary(kong, filter)
  if (rule.kind === 'fixed') {
    kong.response.setHeader(ACAO, rule.value)
    return false
  }
  if (origin !== null && origin !== '') {
    if (rule.star) {
      kong.response.setHeader(ACAO, '*')
      return true
    }
    const matched = matchOrigin(rule.entries, normalizeOrigin(origin))
    if (matched !== null) {
      kong.response.setHeader(ACAO, matched)
      return false
    }
  }
  kong.response.clearHeader(ACAO)
  return false
}

function configureCredentials(
  conf: Conf,
  kong: Kong,
  allowAll: boolean,
  filter: boolean,
  origin: string | null,
): void {
  if (!conf.credentials) return
  if (!allowAll) {
    kong.response.setHeader(ACAC, 'true')
    return
  }
  // `*` may not go with credentials: echo the request's Origin instead.
  if (origin !== null && origin !== '') {
    vary(kong, filter)
    kong.response.setHeader(ACAO, origin)
    kong.response.setHeader(ACAC, 'true')
  }
}

export default definePlugin(schema, {
  priority: 2000,
  version: KONG_COMPAT_VERSION,
  prepare(config): Conf {
    return {
      rule: originRule(config.origins),
      headers: config.headers && config.headers.length > 0 ? config.headers.join(',') : null,
      exposed:
        config.exposed_headers && config.exposed_headers.length > 0 ? config.exposed_headers.join(',') : null,
      methods: config.methods
        ? config.methods.join(',')
        : 'GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT',
      maxAge: config.max_age === null ? null : luaNumber(config.max_age),
      credentials: config.credentials,
      privateNetwork: config.private_network,
      preflightContinue: config.preflight_continue,
      allowOriginAbsent: config.allow_origin_absent,
    }
  },
  access(conf, kong) {
    const req = kong.request
    const origin = req.getHeader('Origin')
    if (
      req.getMethod() !== 'OPTIONS' ||
      origin === null ||
      origin === '' ||
      req.getHeader('Access-Control-Request-Method') === null
    )
      return
    // A preflight: the response headers are either all set here, or left to the upstream.
    kong.ctx.plugin.skipResponseHeaders = true
    if (conf.preflightContinue) return
    const allowAll = configureOrigin(conf, kong, false, origin)
    configureCredentials(conf, kong, allowAll, false, origin)
    const res = kong.response
    if (conf.headers !== null) res.setHeader('Access-Control-Allow-Headers', conf.headers)
    else {
      const requested = req.getHeader('Access-Control-Request-Headers')
      if (requested !== null) res.setHeader('Access-Control-Allow-Headers', requested)
      else res.clearHeader('Access-Control-Allow-Headers')
    }
    res.setHeader('Access-Control-Allow-Methods', conf.methods)
    if (conf.maxAge !== null) res.setHeader('Access-Control-Max-Age', conf.maxAge)
    if (conf.privateNetwork && req.getHeader('Access-Control-Request-Private-Network') === 'true')
      res.setHeader('Access-Control-Allow-Private-Network', 'true')
    res.exit(200)
  },
  headerFilter(conf, kong) {
    if (kong.ctx.plugin.skipResponseHeaders === true) return
    const origin = kong.request.getHeader('Origin')
    if ((origin === null || origin === '') && !conf.allowOriginAbsent) return
    const allowAll = configureOrigin(conf, kong, true, origin)
    configureCredentials(conf, kong, allowAll, true, origin)
    if (conf.exposed !== null) kong.response.setHeader('Access-Control-Expose-Headers', conf.exposed)
  },
})
