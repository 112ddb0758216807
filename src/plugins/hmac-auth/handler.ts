// hmac-auth (plugins.md §6.5): the client signs chosen request headers (and the request line)
// with its credential's secret and sends `hmac username=…, algorithm=…, headers=…, signature=…`
// in Proxy-Authorization (preferred) or Authorization, with a Date or X-Date header within
// `clock_skew` of now. With validate_request_body the body must match the Digest header.
import type { Kong } from '../../pdk/types.js'
import { KONG_COMPAT_VERSION } from '../../version.js'
import { definePlugin } from '../definition.js'
import { type AuthFailure, authenticate, credentialConsumer, setConsumer } from '../shared/auth.js'
import { hmacauthCredentials } from './daos.js'
import { migrations } from './migrations.js'
import schema from './schema.js'
import {
  ALGORITHMS,
  type Algorithm,
  bodyDigest,
  parseHmacHeader,
  parseHttpTime,
  type RequestView,
  signatureMatches,
  signingString,
} from './signing.js'

const DATE_REQUIRED =
  'HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication'
const NOT_VALID = 'HMAC signature cannot be verified'
const NOT_SAME = 'HMAC signature does not match'

interface Conf {
  anonymous: string | null
  hideCredentials: boolean
  clockSkew: number
  validateBody: boolean
  enforceHeaders: readonly string[]
  algorithms: ReadonlySet<string>
  /** The failures, built once. */
  unauthorized: AuthFailure
  dateRequired: AuthFailure
  notValid: AuthFailure
  notSame: AuthFailure
}

/** Whether the header holds an HTTP date within `skew` seconds of now. */
function dateWithinSkew(kong: Kong, name: string, skew: number): boolean {
  const value = kong.request.getHeader(name)
  if (value === null) return false
  const t = parseHttpTime(value)
  return t !== null && Math.abs(Math.floor(Date.now() / 1000) - t) <= skew
}

async function bodyMatchesDigest(kong: Kong): Promise<boolean> {
  let body: Buffer
  try {
    body = await kong.request.getRawBody()
  } catch (err) {
    kong.log.debug(err)
    return false
  }
  const digest = kong.request.getHeader('digest')
  if (digest === null) return body.length === 0
  return digest === bodyDigest(body)
}

async function attempt(conf: Conf, kong: Kong): Promise<AuthFailure | null> {
  const req = kong.request
  const authorization = req.getHeader('authorization')
  const proxyAuthorization = req.getHeader('proxy-authorization')
  if (authorization === null && proxyAuthorization === null) return conf.unauthorized

  if (!dateWithinSkew(kong, 'x-date', conf.clockSkew) && !dateWithinSkew(kong, 'date', conf.clockSkew)) {
    return conf.dateRequired
  }

  // Proxy-Authorization when it parses; otherwise Authorization. The header used goes with
  // hide_credentials (Authorization even when it does not parse, as in Kong).
  let params = parseHmacHeader(proxyAuthorization)
  if (params === null) {
    params = parseHmacHeader(authorization)
    if (conf.hideCredentials) kong.service.request.clearHeader('authorization')
  } else if (conf.hideCredentials) kong.service.request.clearHeader('proxy-authorization')

  if (params === null) {
    kong.log.debug('username or signature missing')
    return conf.notValid
  }
  for (const name of conf.enforceHeaders) {
    if (!params.headers.includes(name)) {
      kong.log.debug('enforced header not used for signature creation')
      return conf.notValid
    }
  }
  if (!conf.algorithms.has(params.algorithm)) {
    kong.log.debug(`algorithm ${params.algorithm} not supported`)
    return conf.notValid
  }

  const credential = await kong.cache.select('hmacauth_credentials', 'username', params.username)
  if (!credential) {
    kong.log.debug('failed to retrieve credential for ', params.username)
    return conf.notValid
  }

  const view: RequestView = {
    method: req.getMethod(),
    pathWithQuery: req.getPathWithQuery(),
    httpVersion: req.getHttpVersion(),
    header: (name) => req.getHeader(name),
  }
  const secret = typeof credential.secret === 'string' ? credential.secret : ''
  const data = signingString(params.headers, view)
  if (!signatureMatches(params.algorithm as Algorithm, secret, data, params.signature)) return conf.notSame
  if (conf.validateBody && !(await bodyMatchesDigest(kong))) {
    kong.log.debug('digest validation failed')
    return conf.notSame
  }

  const consumer = await credentialConsumer(kong, credential)
  setConsumer(kong, consumer, credential, credential.username as string)
  return null
}

export default definePlugin(
  schema,
  {
    priority: 1030,
    version: KONG_COMPAT_VERSION,
    prepare(config): Conf {
      const challenge = config.realm ? `hmac realm="${config.realm}"` : 'hmac'
      const fail = (message: string): AuthFailure => ({
        status: 401,
        message,
        headers: { 'WWW-Authenticate': challenge },
      })
      return {
        anonymous: config.anonymous ?? null,
        hideCredentials: config.hide_credentials === true,
        clockSkew: config.clock_skew ?? 300,
        validateBody: config.validate_request_body === true,
        enforceHeaders: config.enforce_headers ?? [],
        algorithms: new Set<string>(config.algorithms ?? ALGORITHMS),
        unauthorized: fail('Unauthorized'),
        dateRequired: fail(DATE_REQUIRED),
        notValid: fail(NOT_VALID),
        notSame: fail(NOT_SAME),
      }
    },
    access(conf, kong) {
      return authenticate(kong, conf.anonymous, () => attempt(conf, kong))
    },
  },
  { entities: [{ schema: hmacauthCredentials }], migrations },
)
