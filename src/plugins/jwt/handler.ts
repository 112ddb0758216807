// jwt (plugins.md §6.4): a signed JSON Web Token in the query string, a cookie or a
// `Bearer` header names a jwt_secrets credential (by its `key` claim); the signature is verified
// with the credential's secret or public key, then the `exp`/`nbf` claims. Failures answer 401
// with a plain JSON body (kong.response.exit, not the templated error).
import { type KeyObject, webcrypto } from 'node:crypto'
import { flattenedVerify } from 'jose'
import type { Kong, Row } from '../../pdk/types.js'
import { KONG_COMPAT_VERSION } from '../../version.js'
import { definePlugin } from '../definition.js'
import { type AuthFailure, authenticate, credentialConsumer, setConsumer } from '../shared/auth.js'
import { jwtSecrets } from './daos.js'
import { migrations } from './migrations.js'
import schema from './schema.js'
import {
  bearerToken,
  checkMaximumExpiration,
  cookieValue,
  type DecodedJwt,
  decodeBase64Url,
  decodeToken,
  keyClaim,
  parsePublicKey,
  verifyRegisteredClaims,
} from './token.js'

interface Conf {
  uriParamNames: string[]
  /** Lower-case cookie names. */
  cookieNames: string[]
  headerNames: string[]
  keyClaimName: string
  secretIsBase64: boolean
  claimsToVerify: string[]
  maximumExpiration: number
  anonymous: string | null
  runOnPreflight: boolean
  /** WWW-Authenticate when no token was found. */
  challenge: string
  /** WWW-Authenticate of every other failure. */
  invalidToken: string
}

/** A failure; `errors` (claim → message) replaces `{message}` as the body when present. */
interface JwtFailure extends AuthFailure {
  errors?: Record<string, string>
}

function isJwtFailure(f: AuthFailure): f is JwtFailure {
  return 'errors' in f
}

function invalid(conf: Conf, message: string): JwtFailure {
  return { status: 401, message, headers: { 'WWW-Authenticate': conf.invalidToken } }
}

function claimErrors(conf: Conf, errors: Record<string, string>): JwtFailure {
  return { status: 401, message: '', errors, headers: { 'WWW-Authenticate': conf.invalidToken } }
}

/**
 * Every distinct token of the request: query arguments (a valueless `?jwt` counts as the value
 * `true`, as in Kong), cookies, then the first value of each header (`Bearer <token>`).
 */
function collectTokens(conf: Conf, kong: Kong): Set<string | true> {
  const tokens = new Set<string | true>()
  if (conf.uriParamNames.length > 0) {
    const args = kong.request.getQuery()
    for (const name of conf.uriParamNames) {
      const v = args[name]
      if (v === undefined) continue
      for (const t of Array.isArray(v) ? v : [v]) if (t !== '') tokens.add(t)
    }
  }
  if (conf.cookieNames.length > 0) {
    const raw = kong.request.getHeaders(1000).cookie
    const headers = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]
    for (const name of conf.cookieNames) {
      const v = cookieValue(headers, name)
      if (v) tokens.add(v)
    }
  }
  for (const name of conf.headerNames) {
    const v = kong.request.getHeader(name)
    if (v === null) continue
    const t = bearerToken(v)
    if (t) tokens.add(t)
  }
  return tokens
}

/** A credential's verification key: an imported HMAC key, or its public key. */
type VerificationKey = Promise<webcrypto.CryptoKey | KeyObject>

/** Verification keys per credential row (rows are immutable; a changed credential is a new row). */
const keyCache = new WeakMap<Row, Map<string, VerificationKey | null>>()

/**
 * The key a credential verifies tokens with: its HMAC secret (base64url-decoded with
 * `secret_is_base64`), imported once, or its public key; null when there is none
 * (`Invalid key/secret`). A stored public key OpenSSL cannot load is a server-side error (500),
 * as in Kong.
 */
function verificationKey(
  credential: Row,
  algorithm: string,
  secretIsBase64: boolean,
): VerificationKey | null {
  const symmetric = algorithm.startsWith('HS')
  const variant = symmetric ? (secretIsBase64 ? 'hs64' : 'hs') : 'pk'
  let perRow = keyCache.get(credential)
  const cached = perRow?.get(variant)
  if (cached !== undefined) return cached
  let key: VerificationKey | null = null
  if (symmetric) {
    const secret = credential.secret
    if (typeof secret === 'string') {
      const bytes = secretIsBase64 ? decodeBase64Url(secret) : Buffer.from(secret, 'utf8')
      if (bytes !== null) {
        const hash = { name: 'HMAC', hash: `SHA-${algorithm.slice(2)}` }
        key = webcrypto.subtle.importKey('raw', bytes, hash, false, ['verify'])
        // an unusable secret (empty) fails verification, never the request
        key.catch(() => undefined)
      }
    }
  } else if (typeof credential.rsa_public_key === 'string') {
    const pk = parsePublicKey(credential.rsa_public_key)
    if (pk === null) throw new Error(`jwt_secrets ${String(credential.id)}: Consumer Public Key is Invalid`)
    key = Promise.resolve(pk)
  }
  if (!perRow) {
    perRow = new Map()
    keyCache.set(credential, perRow)
  }
  perRow.set(variant, key)
  return key
}

async function verifySignature(jwt: DecodedJwt, key: VerificationKey): Promise<boolean> {
  try {
    await flattenedVerify(
      { protected: jwt.header64, payload: jwt.claims64, signature: jwt.signature64 },
      await key,
      { algorithms: [jwt.alg] },
    )
    return true
  } catch {
    return false
  }
}

async function attempt(conf: Conf, kong: Kong): Promise<JwtFailure | null> {
  const tokens = collectTokens(conf, kong)
  if (tokens.size === 0) {
    return { status: 401, message: 'Unauthorized', headers: { 'WWW-Authenticate': conf.challenge } }
  }
  if (tokens.size > 1) return invalid(conf, 'Multiple tokens provided')
  const [token] = tokens
  if (typeof token !== 'string') return invalid(conf, 'Unrecognizable token')

  const jwt = decodeToken(token)
  if ('error' in jwt) return invalid(conf, `Bad token; ${jwt.error}`)

  const claim = conf.keyClaimName
  const key = keyClaim(jwt, claim)
  if (key === undefined || key === false) return invalid(conf, `No mandatory '${claim}' in claims`)
  if (key === '') return invalid(conf, `Invalid '${claim}' in claims`)

  // Kong fails with a 500 on a key that is not a string (its DAO refuses the lookup): a client
  // cannot name a credential that way, so it is answered like an unknown key.
  const credential = typeof key === 'string' ? await kong.cache.select('jwt_secrets', 'key', key) : null
  if (!credential) return invalid(conf, `No credentials found for given '${claim}'`)

  const algorithm = typeof credential.algorithm === 'string' ? credential.algorithm : 'HS256'
  if (jwt.alg !== algorithm) return invalid(conf, 'Invalid algorithm')

  const verifyWith = verificationKey(credential, algorithm, conf.secretIsBase64)
  if (verifyWith === null) return invalid(conf, 'Invalid key/secret')
  if (!(await verifySignature(jwt, verifyWith))) return invalid(conf, 'Invalid signature')

  const now = Math.floor(Date.now() / 1000)
  const claimsError =
    verifyRegisteredClaims(jwt.claims, conf.claimsToVerify, now) ??
    checkMaximumExpiration(jwt.claims, conf.maximumExpiration, now)
  if (claimsError) return claimErrors(conf, claimsError)

  const consumer = await credentialConsumer(kong, credential)
  if (!consumer) return { status: 401, message: `Could not find consumer for '${claim}=${String(key)}'` }

  setConsumer(kong, consumer, credential, typeof credential.key === 'string' ? credential.key : null)
  kong.ctx.shared.authenticated_jwt_token = token
  return null
}

export default definePlugin(
  schema,
  {
    priority: 1450,
    version: KONG_COMPAT_VERSION,
    prepare(config): Conf {
      const realm = config.realm
      const challenge = realm ? `Bearer realm="${realm}"` : 'Bearer'
      return {
        uriParamNames: config.uri_param_names ?? [],
        cookieNames: (config.cookie_names ?? []).map((n) => n.toLowerCase()),
        headerNames: config.header_names ?? [],
        keyClaimName: config.key_claim_name ?? 'iss',
        secretIsBase64: config.secret_is_base64 === true,
        claimsToVerify: config.claims_to_verify ?? [],
        maximumExpiration: config.maximum_expiration ?? 0,
        anonymous: config.anonymous ?? null,
        runOnPreflight: config.run_on_preflight !== false,
        challenge,
        invalidToken: realm ? `${challenge}, error="invalid_token"` : 'Bearer error="invalid_token"',
      }
    },
    access(conf, kong) {
      if (!conf.runOnPreflight && kong.request.getMethod() === 'OPTIONS') return
      return authenticate(
        kong,
        conf.anonymous,
        () => attempt(conf, kong),
        (f) =>
          kong.response.exit(
            f.status,
            isJwtFailure(f) && f.errors ? f.errors : { message: f.message },
            f.headers,
          ),
      )
    },
  },
  { entities: [{ schema: jwtSecrets }], migrations },
)
