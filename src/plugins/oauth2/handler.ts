// oauth2 (plugins.md §6.6): Kong's OAuth 2.0 provider. On every route it is enabled on, a path
// ending in `/oauth2/authorize` or `/oauth2/token` is answered by the plugin itself (the
// authorization and token endpoints of RFC 6749: authorization code with PKCE, implicit, client
// credentials, password, refresh); any other request must carry an access token it issued.
//
// Workers have no store: credentials and tokens are read through the node cache (a miss asks
// the primary), and codes and tokens are written by the primary process (primary.ts, through
// kong.primary). A request with a cached token is authenticated without awaiting anything.
import { createHash } from 'node:crypto'
import type { ExitHeaders, Kong, Row } from '../../pdk/types.js'
import { randomString } from '../../util/random.js'
import { KONG_COMPAT_VERSION } from '../../version.js'
import { definePlugin } from '../definition.js'
import { cachedConsumer, credentialConsumer, setConsumer } from '../shared/auth.js'
import { oauth2AuthorizationCodes, oauth2CredentialHooks, oauth2Credentials, oauth2Tokens } from './daos.js'
import { migrations } from './migrations.js'
import { primaryFunctions } from './primary.js'
import schema from './schema.js'
import { needsRehash, verifySecret } from './secret.js'
import { type ArgValue, buildUrl, decodeArgs, encodeArgs, type ParsedUrl, parseUrl } from './url.js'

interface Conf {
  scopes: string[] | null
  mandatoryScope: boolean
  provisionKey: string
  tokenExpiration: number
  enableAuthorizationCode: boolean
  enableImplicitGrant: boolean
  enableClientCredentials: boolean
  enablePasswordGrant: boolean
  hideCredentials: boolean
  acceptHttpIfAlreadyTerminated: boolean
  anonymous: string | null
  globalCredentials: boolean
  authHeaderName: string
  /** Seconds a token row (and its refresh token) is kept; undefined: forever. */
  refreshTokenTtl: number | undefined
  reuseRefreshToken: boolean
  pkce: string
  /** ` realm="<realm>"`, or empty. */
  realm: string
  /** The 401 of a missing token and of an invalid one. */
  missing: Failure
  invalid: Failure
}

/** An RFC 6749/6750 response body: `error`, `error_description`, or the success parameters. */
type Params = Record<string, unknown>

interface Failure {
  status: number
  body: Params
  headers: ExitHeaders
}

const PRIMARY_TIMEOUT_MS = 5000
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' }
const INVALID_TOKEN = 'The access token is invalid or has expired'
/** Lua's `%s`: ASCII whitespace. */
const SPACES = /[ \t-\r]+/

const error = (code: string, description: string): Params => ({ error: code, error_description: description })
const invalidClient = (): Params => error('invalid_client', 'Invalid client authentication')
const invalidCode = (): Params => error('invalid_request', 'Invalid code')

/** Lua truthiness of a parameter: absent, null and false are "not given" (an empty string is). */
const given = (v: unknown): boolean => v !== undefined && v !== null && v !== false

/** Kong's `strip`: the value as a string without surrounding ASCII whitespace. */
const strip = (v: unknown): string =>
  (v === undefined || v === null ? '' : String(v)).replace(/^[ \t-\r]+|[ \t-\r]+$/g, '')

const blank = (v: unknown): boolean => !given(v) || strip(v) === ''

const refId = (v: unknown): string | undefined =>
  v !== null && typeof v === 'object' && typeof (v as Row).id === 'string'
    ? ((v as Row).id as string)
    : undefined

function bearerChallenge(realm: string, code: string, description: string): string {
  return `Bearer${realm} error="${code}" error_description="${description}"`
}

// ---------------------------------------------------------------------------------------------
// Request parameters and shared checks

/** OAuth parameters: the query string, overridden by the body on POST, PUT and PATCH. */
async function parameters(kong: Kong): Promise<Params> {
  const query: Params = { ...kong.request.getQuery() }
  const method = kong.request.getMethod()
  if (method !== 'POST' && method !== 'PUT' && method !== 'PATCH') return query
  try {
    return { ...query, ...(await kong.request.getBody()).body }
  } catch {
    return query
  }
}

/**
 * Kong's check_https: the request came over TLS, or (with accept_http_if_already_terminated) a
 * trusted peer says it did in one X-Forwarded-Proto header. A string is the error to report.
 */
function checkHttps(conf: Conf, kong: Kong): boolean | string {
  if (kong.request.getScheme().toLowerCase() === 'https') return true
  if (!conf.acceptHttpIfAlreadyTerminated) return false
  if (!kong.ip.isTrusted(kong.client.getIp())) return false
  const proto = kong.request.getHeaders()['x-forwarded-proto']
  if (proto === undefined) return false
  const value = Array.isArray(proto) ? proto.join(', ') : proto
  if (value.includes(',')) return 'Only one X-Forwarded-Proto header allowed'
  return value.toLowerCase() === 'https'
}

/** The scope a request asks for, checked against `scopes`: space-separated, or an error. */
function requestedScope(params: Params, conf: Conf): { scope?: string; error?: Params } {
  const scope = params.scope
  const scopes: string[] = []
  if (conf.scopes !== null && scope !== undefined && scope !== null) {
    if (typeof scope !== 'string') return { error: error('invalid_scope', 'scope must be a string') }
    for (const s of scope.split(SPACES)) {
      if (s === '') continue
      if (!conf.scopes.includes(s)) return { error: error('invalid_scope', `"${s}" is an invalid scope`) }
      scopes.push(s)
    }
  } else if (!given(scope) && conf.mandatoryScope) {
    return { error: error('invalid_scope', 'You must specify a scope') }
  }
  return scopes.length > 0 ? { scope: scopes.join(' ') } : {}
}

/** A client application by client_id, through the cache. */
async function loadClient(kong: Kong, clientId: unknown): Promise<Row | null> {
  if (typeof clientId !== 'string' || clientId === '') return null
  return kong.cache.select('oauth2_credentials', 'client_id', clientId)
}

function redirectUris(client: Row | null): string[] | null {
  const uris = client?.redirect_uris
  return Array.isArray(uris) ? (uris as string[]) : null
}

/** The base64url code challenge, normalized as Kong does (decoded and encoded again). */
function normalizeChallenge(challenge: string): string {
  const standard = challenge.replace(/-/g, '+').replace(/_/g, '/')
  const eq = standard.indexOf('=')
  const data = eq === -1 ? standard : standard.slice(0, eq)
  if (!/^[A-Za-z0-9+/]*$/.test(data) || data.length % 4 === 1) return challenge
  return Buffer.from(data, 'base64').toString('base64url')
}

function codeChallenge(params: Params): { challenge?: string; method?: string; error?: string } {
  const challenge = given(params.code_challenge) ? String(params.code_challenge) : undefined
  let method = given(params.code_challenge_method) ? params.code_challenge_method : undefined
  if (method !== undefined && challenge === undefined)
    return { error: 'code_challenge is required when code_method is present' }
  if (challenge === undefined) return {}
  if (method !== undefined && method !== 'S256') {
    if (method !== 's256') return { error: 'code_challenge_method is not supported, must be S256' }
    method = 'S256'
  }
  return { challenge: normalizeChallenge(challenge), method: 'S256' }
}

/** PKCE applies to a code made with a challenge, public clients (unless `none`), and all clients with `strict`. */
function requiresPkce(conf: Conf, client: Row | null, usedPkce?: unknown): boolean {
  if (!client) return false
  return (
    given(usedPkce) ||
    (client.client_type === 'public' && conf.pkce !== 'none') ||
    (client.client_type === 'confidential' && conf.pkce === 'strict')
  )
}

function pkceError(params: Params, code: Row): Params | null {
  const verifier = params.code_verifier
  if (!given(verifier))
    return error('invalid_request', 'code_verifier is required for PKCE authorization requests')
  if (typeof verifier !== 'string') return error('invalid_request', 'code_verifier is not a string')
  const length = Buffer.byteLength(verifier)
  if (length < 43 || length > 128)
    return error('invalid_request', 'code_verifier must be between 43 and 128 characters')
  const challenge = createHash('sha256').update(verifier).digest('base64url')
  if (typeof code.challenge !== 'string' || code.challenge === '' || challenge !== code.challenge)
    return error('invalid_grant', 'Invalid code')
  return null
}

// ---------------------------------------------------------------------------------------------
// Tokens

function serviceId(conf: Conf, kong: Kong): string | undefined {
  return conf.globalCredentials ? undefined : refId(kong.router.getService())
}

/** What a new token row holds (the access token is generated by the store). */
function newToken(
  conf: Conf,
  kong: Kong,
  client: Row,
  userid: unknown,
  scope: unknown,
  refresh: boolean,
): Row {
  const service = serviceId(conf, kong)
  const token: Row = {
    service: service ? { id: service } : null,
    credential: { id: client.id },
    expires_in: conf.tokenExpiration,
  }
  if (given(userid)) token.authenticated_userid = userid
  if (given(scope)) token.scope = scope
  if (refresh && conf.tokenExpiration > 0) token.refresh_token = randomString()
  return token
}

/** Token rows (and their refresh tokens) are deleted `refresh_token_ttl` after they were issued. */
const tokenTtl = (conf: Conf): number | undefined =>
  conf.tokenExpiration > 0 ? conf.refreshTokenTtl : undefined

function tokenResponse(conf: Conf, token: Row): Params {
  const out: Params = { access_token: token.access_token, token_type: 'bearer' }
  if (conf.tokenExpiration > 0) out.expires_in = token.expires_in
  if (given(token.refresh_token)) out.refresh_token = token.refresh_token
  return out
}

function call(kong: Kong, method: string, args: unknown): Promise<Row | null> {
  return kong.primary.call(method, args, PRIMARY_TIMEOUT_MS) as Promise<Row | null>
}

async function issue(conf: Conf, kong: Kong, token: Row): Promise<Params> {
  const created = await call(kong, 'createToken', { token, ttl: tokenTtl(conf) })
  return tokenResponse(conf, created ?? {})
}

// ---------------------------------------------------------------------------------------------
// The authorization endpoint

async function authorize(conf: Conf, kong: Kong): Promise<void> {
  let response: Params = {}
  const params = await parameters(kong)
  const state = params.state
  let redirect: ParsedUrl | undefined
  let implicit = false

  const https = checkHttps(conf, kong)
  if (https !== true) {
    response = error('access_denied', typeof https === 'string' ? https : 'You must use HTTPS')
  } else if (conf.provisionKey !== params.provision_key) {
    response = error('invalid_provision_key', 'Invalid provision_key')
  } else if (blank(params.authenticated_userid)) {
    response = error('invalid_authenticated_userid', 'Missing authenticated_userid parameter')
  } else {
    const responseType = params.response_type
    if (
      !(
        (responseType === 'code' && conf.enableAuthorizationCode) ||
        (responseType === 'token' && conf.enableImplicitGrant)
      )
    )
      response = error('unsupported_response_type', 'Invalid response_type')

    const scope = requestedScope(params, conf)
    if (scope.error) response = scope.error

    const client = await loadClient(kong, params.client_id)
    const allowed = redirectUris(client)
    let redirectUri: string | undefined
    if (allowed === null) {
      response = invalidClient()
    } else {
      const asked = given(params.redirect_uri) ? params.redirect_uri : allowed[0]
      if (typeof asked === 'string' && allowed.includes(asked)) redirectUri = asked
      else {
        response = error(
          'invalid_request',
          'Invalid redirect_uri that does not match with any redirect_uri created with the application',
        )
        redirectUri = allowed[0]
      }
    }
    if (redirectUri !== undefined) redirect = parseUrl(redirectUri)

    const pkce = codeChallenge(params)
    if (pkce.error !== undefined) response = error('invalid_request', pkce.error)
    else if (client && pkce.challenge === undefined && requiresPkce(conf, client))
      response = error(
        'invalid_request',
        `code_challenge is required for ${String(client.client_type)} clients`,
      )

    if (response.error === undefined && client) {
      if (responseType === 'code') {
        const service = serviceId(conf, kong)
        const code: Row = {
          service: service ? { id: service } : null,
          credential: { id: client.id },
          authenticated_userid: params.authenticated_userid,
          plugin: { id: kong.plugin.getId() },
        }
        if (scope.scope !== undefined) code.scope = scope.scope
        if (pkce.challenge !== undefined) {
          code.challenge = pkce.challenge
          code.challenge_method = pkce.method
        }
        const created = await call(kong, 'createCode', { code })
        response = { code: created?.code }
      } else {
        response = await issue(
          conf,
          kong,
          newToken(conf, kong, client, params.authenticated_userid, scope.scope, false),
        )
        implicit = true
      }
    }
  }

  if (state !== undefined) response.state = state

  let body: Params = response
  if (redirect !== undefined) {
    const args = decodeArgs((implicit ? redirect.fragment : redirect.query) ?? '')
    for (const [k, v] of Object.entries(response)) if (v !== undefined) args.set(k, v as ArgValue)
    if (implicit) redirect.fragment = encodeArgs(args)
    else redirect.query = encodeArgs(args)
    body = { redirect_uri: buildUrl(redirect) }
  }
  kong.response.exit(response.error !== undefined ? 400 : 200, body, NO_STORE)
}

// ---------------------------------------------------------------------------------------------
// The token endpoint

/** client_id and client_secret from the parameters, else from `Basic` credentials in the auth header. */
function clientCredentials(
  params: Params,
  conf: Conf,
  kong: Kong,
): { id: unknown; secret: unknown; fromHeader: boolean } {
  if (given(params.client_id) && given(params.client_secret))
    return { id: params.client_id, secret: params.client_secret, fromHeader: false }
  const header = kong.request.getHeader(conf.authHeaderName)
  if (header !== null) {
    const m = /\s*[Bb]asic\s*(.+)/.exec(header)
    if (m) {
      const decoded = decodeBase64(m[1])
      if (decoded !== null) {
        const parts = decoded.split(':')
        return { id: parts[0], secret: parts[1], fromHeader: true }
      }
    }
    return { id: undefined, secret: undefined, fromHeader: true }
  }
  return { id: given(params.client_id) ? params.client_id : undefined, secret: undefined, fromHeader: false }
}

/** Strict base64 (nginx's decoder: no stray characters, nothing after padding matters). */
function decodeBase64(value: string): string | null {
  const eq = value.indexOf('=')
  const data = eq === -1 ? value : value.slice(0, eq)
  if (!/^[A-Za-z0-9+/]*$/.test(data) || data.length % 4 === 1) return null
  return Buffer.from(data, 'base64').toString('utf8')
}

async function authenticated(kong: Kong, client: Row, secret: unknown): Promise<boolean> {
  if (client.hash_secret !== true) return (client.client_secret ?? null) === (secret ?? null)
  const ok = await verifySecret(secret, client.client_secret)
  if (ok && needsRehash(client.client_secret)) {
    try {
      await call(kong, 'rehashSecret', { id: client.id, client_secret: secret })
    } catch (err) {
      kong.log.warn(err instanceof Error ? err.message : String(err))
    }
  }
  return ok
}

async function authorizationCodeGrant(conf: Conf, kong: Kong, params: Params, client: Row): Promise<Params> {
  const service = serviceId(conf, kong)
  const value = params.code
  const code =
    typeof value === 'string' && value !== '' ? await call(kong, 'findCode', { code: value }) : null
  if (!code || (service && service !== refId(code.service))) return invalidCode()
  if (refId(code.credential) !== client.id) return invalidCode()
  if (requiresPkce(conf, client, code.challenge_method)) {
    const e = pkceError(params, code)
    if (e) return e
  }
  const plugin = refId(code.plugin)
  if (conf.globalCredentials && plugin && plugin !== kong.plugin.getId()) return invalidCode()
  const token = newToken(conf, kong, client, code.authenticated_userid, code.scope, true)
  const created = await call(kong, 'exchangeCode', { codeId: code.id, token, ttl: tokenTtl(conf) })
  // another request exchanged the same code meanwhile
  if (!created) return invalidCode()
  return tokenResponse(conf, created)
}

async function refreshTokenGrant(conf: Conf, kong: Kong, params: Params, client: Row): Promise<Params> {
  const service = serviceId(conf, kong)
  const value = params.refresh_token
  const old =
    typeof value === 'string' ? await call(kong, 'findRefreshToken', { refresh_token: value }) : null
  const invalid = () => error('invalid_request', 'Invalid refresh_token')
  if (!old || (service && service !== refId(old.service))) return invalid()
  if (refId(old.credential) !== client.id) return invalidClient()
  if (typeof old.scope === 'string') {
    for (const s of old.scope.split(SPACES)) {
      if (s !== '' && !conf.scopes?.includes(s)) return error('invalid_scope', 'Scope mismatch')
    }
  }
  const reuse = conf.reuseRefreshToken
  const token = reuse
    ? {
        access_token: randomString(),
        expires_in: conf.tokenExpiration,
        created_at: Math.floor(Date.now() / 1000),
      }
    : newToken(conf, kong, client, old.authenticated_userid, old.scope, true)
  const created = await call(kong, 'refresh', { oldId: old.id, reuse, token, ttl: tokenTtl(conf) })
  if (!created) return invalid()
  return tokenResponse(conf, created)
}

async function issueToken(conf: Conf, kong: Kong): Promise<void> {
  let response: Params = {}
  let unauthorized = false
  const params = await parameters(kong)
  const state = params.state

  const https = checkHttps(conf, kong)
  if (https !== true) {
    response = error('access_denied', typeof https === 'string' ? https : 'You must use HTTPS')
  } else {
    const grantType = params.grant_type
    if (
      !(
        grantType === 'authorization_code' ||
        grantType === 'refresh_token' ||
        (grantType === 'client_credentials' && conf.enableClientCredentials) ||
        (grantType === 'password' && conf.enablePasswordGrant)
      )
    )
      response = error('unsupported_grant_type', 'Invalid grant_type')

    const credentials = clientCredentials(params, conf, kong)
    const client = await loadClient(kong, credentials.id)
    const allowed = redirectUris(client)
    if (grantType !== 'client_credentials') {
      if (allowed !== null) {
        const asked = given(params.redirect_uri) ? params.redirect_uri : allowed[0]
        if (typeof asked !== 'string' || !allowed.includes(asked))
          response = error(
            'invalid_request',
            'Invalid redirect_uri that does not match with any redirect_uri created with the application',
          )
      } else {
        response = invalidClient()
        if (credentials.fromHeader) unauthorized = true
      }
    }

    if (client) {
      if (client.client_type === 'confidential') {
        if (!(await authenticated(kong, client, credentials.secret))) {
          response = invalidClient()
          if (credentials.fromHeader) unauthorized = true
        }
      } else if (client.client_type === 'public' && strip(credentials.secret) !== '') {
        response = error('invalid_request', 'client_secret is disallowed for public clients')
      }
    }

    if (response.error === undefined) {
      if (grantType === 'client_credentials') {
        if (given(params.authenticated_userid) && conf.provisionKey !== params.provision_key) {
          response = error('invalid_provision_key', 'Invalid provision_key')
        } else if (!client) {
          response = invalidClient()
        } else {
          const scope = requestedScope(params, conf)
          response =
            scope.error ??
            (await issue(
              conf,
              kong,
              newToken(conf, kong, client, params.authenticated_userid, scope.scope, false),
            ))
        }
      } else if (!client) {
        response = invalidClient()
      } else if (grantType === 'authorization_code') {
        response = await authorizationCodeGrant(conf, kong, params, client)
      } else if (grantType === 'password') {
        if (conf.provisionKey !== params.provision_key) {
          response = error('invalid_provision_key', 'Invalid provision_key')
        } else if (blank(params.authenticated_userid)) {
          response = error('invalid_authenticated_userid', 'Missing authenticated_userid parameter')
        } else {
          const scope = requestedScope(params, conf)
          response =
            scope.error ??
            (await issue(
              conf,
              kong,
              newToken(conf, kong, client, params.authenticated_userid, scope.scope, true),
            ))
        }
      } else if (grantType === 'refresh_token') {
        response = await refreshTokenGrant(conf, kong, params, client)
      }
    }
  }

  if (state !== undefined) response.state = state
  const headers: ExitHeaders = { ...NO_STORE }
  if (unauthorized) headers['WWW-Authenticate'] = 'Basic realm="OAuth2.0"'
  const status = response.error === undefined ? 200 : unauthorized ? 401 : 400
  kong.response.exit(status, response, headers)
}

// ---------------------------------------------------------------------------------------------
// Protected requests

/** Authenticates the request as the token's consumer (or the anonymous one, without token). */
function setOAuthConsumer(kong: Kong, consumer: Row | null, credential: Row | null, token: Row | null): void {
  setConsumer(kong, consumer, credential, credential ? String(credential.client_id) : null)
  const req = kong.service.request
  if (token && given(token.scope) && token.scope !== '')
    req.setHeader('X-Authenticated-Scope', String(token.scope))
  else req.clearHeader('X-Authenticated-Scope')
  if (token && given(token.authenticated_userid) && token.authenticated_userid !== '')
    req.setHeader('X-Authenticated-UserId', String(token.authenticated_userid))
  else req.clearHeader('X-Authenticated-UserId')
}

/** Marks that the token may be in the body, which has to be read first. */
const IN_BODY = Symbol('in body')

/**
 * The access token from the auth header (`Bearer <token>` or `Token <token>`; any other value is
 * taken whole), else the `access_token` query argument, without awaiting: IN_BODY when the body
 * may hold it instead. With hide_credentials, the token's carrier is removed upstream.
 */
function tokenFromHead(conf: Conf, kong: Kong): string | null | typeof IN_BODY {
  const header = kong.request.getHeader(conf.authHeaderName)
  if (header !== null) {
    const parts = header.split(SPACES).filter((p) => p !== '')
    if (parts.length === 2 && (parts[0].toLowerCase() === 'bearer' || parts[0].toLowerCase() === 'token')) {
      if (conf.hideCredentials) kong.service.request.clearHeader(conf.authHeaderName)
      return parts[1]
    }
    if (conf.hideCredentials) return IN_BODY
    return header
  }
  const method = kong.request.getMethod()
  if (method === 'POST' || method === 'PUT' || method === 'PATCH') return IN_BODY
  const token = kong.request.getQuery().access_token
  if (typeof token !== 'string') return null
  if (conf.hideCredentials) kong.service.request.clearQueryArg('access_token')
  return token
}

/** The slow path of tokenFromHead: the parameters with the body, and hiding the token in them. */
async function tokenWithBody(conf: Conf, kong: Kong): Promise<string | null> {
  const header = kong.request.getHeader(conf.authHeaderName)
  let token: string | null = header
  if (header === null) {
    const found = (await parameters(kong)).access_token
    if (typeof found !== 'string') return null
    token = found
  }
  if (conf.hideCredentials) {
    kong.service.request.clearQueryArg('access_token')
    const type = kong.request.getHeader('content-type') ?? ''
    if (kong.request.getMethod() !== 'GET' && type.includes('application/x-www-form-urlencoded')) {
      let body: Row = {}
      try {
        body = { ...(await kong.request.getBody()).body }
      } catch {
        // an unreadable body is sent as it came
      }
      if ('access_token' in body) {
        delete body.access_token
        kong.service.request.setBody(body)
      }
    }
  }
  return token
}

function expired(token: Row): boolean {
  const expiresIn = Number(token.expires_in)
  return expiresIn > 0 && Date.now() / 1000 - Number(token.created_at) > expiresIn
}

/** The service check: a service-bound token only on its service; a global one only with global_credentials. */
function usable(conf: Conf, kong: Kong, token: Row): boolean {
  const bound = refId(token.service)
  if (bound) return bound === refId(kong.router.getService())
  return conf.globalCredentials
}

/** A cached token, credential and consumer, without awaiting. */
function cachedSuccess(conf: Conf, kong: Kong, accessToken: string): boolean {
  const cache = kong.cache
  const token = cache.probe<Row>(cache.entityKey('oauth2_tokens', 'access_token', accessToken))
  if (!token || !usable(conf, kong, token) || expired(token)) return false
  const credentialId = refId(token.credential)
  if (!credentialId) return false
  const credential = cache.probe<Row>(cache.entityKey('oauth2_credentials', 'id', credentialId))
  if (!credential) return false
  const consumer = cachedConsumer(kong, credential)
  if (consumer === undefined) return false
  setOAuthConsumer(kong, consumer, credential, token)
  return true
}

/**
 * A token through the cache, under its entity key (evicted when the row changes); a miss is read
 * by the primary on its main connection (primary.ts `findToken`).
 */
function loadToken(kong: Kong, accessToken: string): Promise<Row | null> {
  const cache = kong.cache
  return cache.get<Row>(cache.entityKey('oauth2_tokens', 'access_token', accessToken), null, () =>
    call(kong, 'findToken', { access_token: accessToken }),
  )
}

/** Sent at once, whatever `anonymous` says (Kong's own early exit). */
const EXITED = Symbol('exited')

async function attempt(
  conf: Conf,
  kong: Kong,
  found: string | null | typeof IN_BODY,
): Promise<Failure | null | typeof EXITED> {
  const accessToken = found === IN_BODY ? await tokenWithBody(conf, kong) : found
  if (accessToken === null || accessToken === '') return conf.missing
  const token = await loadToken(kong, accessToken)
  if (!token) return conf.invalid
  if (!conf.globalCredentials && !refId(token.service)) {
    kong.response.exit(
      401,
      error(
        'invalid_token',
        "The access token is global, but the current plugin is configured without 'global_credentials'",
      ),
      { 'WWW-Authenticate': bearerChallenge(conf.realm, 'invalid_token', INVALID_TOKEN) },
    )
    return EXITED
  }
  if (!usable(conf, kong, token) || expired(token)) return conf.invalid
  const credentialId = refId(token.credential)
  const credential = credentialId ? await kong.cache.select('oauth2_credentials', 'id', credentialId) : null
  if (!credential) return conf.invalid
  setOAuthConsumer(kong, await credentialConsumer(kong, credential), credential, token)
  return null
}

async function authenticateRequest(
  conf: Conf,
  kong: Kong,
  found: string | null | typeof IN_BODY,
): Promise<void> {
  const result = await attempt(conf, kong, found)
  if (result === null || result === EXITED) return
  if (!conf.anonymous) {
    kong.response.exit(result.status, result.body, result.headers)
    return
  }
  const consumer = await kong.client.loadConsumer(conf.anonymous, true)
  if (!consumer) {
    kong.response.error(500, `anonymous consumer ${conf.anonymous} is configured but doesn't exist`)
    return
  }
  setOAuthConsumer(kong, consumer, null, null)
}

// ---------------------------------------------------------------------------------------------

/** The path ends with `/oauth2/<endpoint>`, optionally followed by one slash. */
function isEndpoint(path: string, endpoint: string): boolean {
  return path.endsWith(endpoint) || path.endsWith(`${endpoint}/`)
}

function invalidMethod(conf: Conf, kong: Kong, endpoint: string): void {
  const description = `The HTTP method ${kong.request.getMethod()} is invalid for the ${endpoint} endpoint`
  kong.response.exit(405, error('invalid_method', description), {
    'WWW-Authenticate': bearerChallenge(conf.realm, 'invalid_method', description),
  })
}

export default definePlugin(
  schema,
  {
    priority: 1400,
    version: KONG_COMPAT_VERSION,
    prepare(config): Conf {
      const realm = config.realm ? ` realm="${config.realm}"` : ''
      const ttl = Math.floor(config.refresh_token_ttl ?? 0)
      return {
        scopes: config.scopes ?? null,
        mandatoryScope: config.mandatory_scope === true,
        provisionKey: config.provision_key,
        tokenExpiration: config.token_expiration ?? 7200,
        enableAuthorizationCode: config.enable_authorization_code === true,
        enableImplicitGrant: config.enable_implicit_grant === true,
        enableClientCredentials: config.enable_client_credentials === true,
        enablePasswordGrant: config.enable_password_grant === true,
        hideCredentials: config.hide_credentials === true,
        acceptHttpIfAlreadyTerminated: config.accept_http_if_already_terminated === true,
        anonymous: config.anonymous ?? null,
        globalCredentials: config.global_credentials === true,
        authHeaderName: config.auth_header_name ?? 'authorization',
        refreshTokenTtl: ttl > 0 ? ttl : undefined,
        reuseRefreshToken: config.reuse_refresh_token === true,
        pkce: config.pkce ?? 'lax',
        realm,
        missing: {
          status: 401,
          body: error('invalid_request', 'The access token is missing'),
          headers: { 'WWW-Authenticate': `Bearer${realm}` },
        },
        invalid: {
          status: 401,
          body: error('invalid_token', INVALID_TOKEN),
          headers: { 'WWW-Authenticate': bearerChallenge(realm, 'invalid_token', INVALID_TOKEN) },
        },
      }
    },
    access(conf, kong) {
      const path = kong.request.getPath()
      if (isEndpoint(path, '/oauth2/token')) {
        if (kong.request.getMethod() !== 'POST') return invalidMethod(conf, kong, 'token')
        return issueToken(conf, kong)
      }
      if (isEndpoint(path, '/oauth2/authorize')) {
        if (kong.request.getMethod() !== 'POST') return invalidMethod(conf, kong, 'authorization')
        return authorize(conf, kong)
      }
      if (conf.anonymous && kong.client.getCredential()) {
        // another plugin authenticated the request (logical OR of the auth plugins)
        kong.service.request.clearHeader('X-Authenticated-Scope')
        kong.service.request.clearHeader('X-Authenticated-UserId')
        return
      }
      const found = tokenFromHead(conf, kong)
      if (typeof found === 'string' && found !== '' && cachedSuccess(conf, kong, found)) return
      return authenticateRequest(conf, kong, found)
    },
  },
  {
    entities: [
      { schema: oauth2Credentials, hooks: oauth2CredentialHooks },
      { schema: oauth2AuthorizationCodes },
      { schema: oauth2Tokens },
    ],
    migrations,
    primary: primaryFunctions,
  },
)
