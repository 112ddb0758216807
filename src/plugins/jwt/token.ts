// The pure parts of the jwt plugin: finding tokens in cookies and Authorization-style headers,
// decoding a compact JWT the way Kong's jwt_parser does (strict base64url, the same error
// messages), checking the registered claims, and loading public keys. Signatures are verified
// in handler.ts with `jose`.
import { createPublicKey, type KeyObject } from 'node:crypto'

/** The algorithms of jwt_secrets, and those a token may name (Kong's `alg_verify` table). */
export const ALGORITHMS = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
] as const

export const TOKEN_ALGORITHMS: ReadonlySet<string> = new Set(ALGORITHMS)

// base64url alphabet: A-Z a-z 0-9 - _
function isBase64UrlChar(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95
}

/**
 * nginx's base64url decoding (what Kong uses): the input ends at the first `=`; any character
 * outside the base64url alphabet before it, or a length of 4n+1, is an error (null).
 */
export function decodeBase64Url(input: string): Buffer | null {
  let len = 0
  for (; len < input.length; len++) {
    const c = input.charCodeAt(len)
    if (c === 61) break
    if (!isBase64UrlChar(c)) return null
  }
  if (len % 4 === 1) return null
  return Buffer.from(len === input.length ? input : input.slice(0, len), 'base64url')
}

const NOT_JSON: unique symbol = Symbol('not json')

function parseJson(bytes: Buffer | null): unknown {
  if (bytes === null) return NOT_JSON
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch {
    return NOT_JSON
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** A decoded (not yet verified) compact JWT. */
export interface DecodedJwt {
  header64: string
  claims64: string
  signature64: string
  /** The JOSE header (always an object here). */
  header: Record<string, unknown>
  /** The claims; a JSON value that is not an object reads as an empty object (no claim found). */
  claims: Record<string, unknown>
  alg: string
}

/**
 * Splits and decodes a token like Kong's jwt_parser: `invalid JSON` when the header or claims are
 * not base64url-encoded JSON (or parts are missing), `invalid alg` when the header has no known
 * `alg`, `invalid signature` when the signature is not base64url. Anything after the second dot
 * is the signature (so a fourth part makes it undecodable).
 */
export function decodeToken(token: string): DecodedJwt | { error: string } {
  const d1 = token.indexOf('.')
  const d2 = d1 === -1 ? -1 : token.indexOf('.', d1 + 1)
  if (d2 === -1) return { error: 'invalid JSON' }
  const header64 = token.slice(0, d1)
  const claims64 = token.slice(d1 + 1, d2)
  const signature64 = token.slice(d2 + 1)
  const header = parseJson(decodeBase64Url(header64))
  const claims = parseJson(decodeBase64Url(claims64))
  if (header === NOT_JSON || claims === NOT_JSON) return { error: 'invalid JSON' }
  if (!isObject(header)) return { error: 'invalid alg' }
  const alg = own(header, 'alg')
  if (typeof alg !== 'string' || !TOKEN_ALGORITHMS.has(alg)) return { error: 'invalid alg' }
  if (decodeBase64Url(signature64) === null) return { error: 'invalid signature' }
  return {
    header64,
    claims64,
    signature64,
    header,
    claims: isObject(claims) ? claims : {},
    alg,
  }
}

/** An own property of a decoded JSON object (never an inherited one such as `constructor`). */
export function own(obj: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(obj, name) ? obj[name] : undefined
}

/**
 * The key claim: from the claims, else from the header (a JSON `false` counts as absent, as in
 * Lua; a JSON `null` does not).
 */
export function keyClaim(jwt: DecodedJwt, name: string): unknown {
  const v = own(jwt.claims, name)
  return v === undefined || v === false ? own(jwt.header, name) : v
}

/** Errors of the registered claims to verify (`exp`, `nbf`), or null; `now` in seconds. */
export function verifyRegisteredClaims(
  claims: Record<string, unknown>,
  toVerify: readonly string[],
  now: number,
): Record<string, string> | null {
  let errors: Record<string, string> | null = null
  for (const name of toVerify) {
    const v = own(claims, name)
    let err: string | undefined
    if (typeof v !== 'number') err = 'must be a number'
    else if (name === 'exp' && v <= now) err = 'token expired'
    else if (name === 'nbf' && v > now) err = 'token not valid yet'
    if (err !== undefined) {
      errors ??= {}
      errors[name] = err
    }
  }
  return errors
}

/** The `exp` error when the token lives longer than `maximum` seconds from `now` (or has no exp). */
export function checkMaximumExpiration(
  claims: Record<string, unknown>,
  maximum: number,
  now: number,
): Record<string, string> | null {
  if (maximum <= 0) return null
  const exp = own(claims, 'exp')
  if (typeof exp !== 'number' || exp - now > maximum) return { exp: 'exceeds maximum allowed expiration' }
  return null
}

/** The token of a `Bearer <token>` header value (found anywhere in the value, as Kong's regex does). */
const BEARER = /[Bb]earer[ \t\n\v\f\r]+([^\n]+)/

export function bearerToken(value: string): string | null {
  const m = BEARER.exec(value)
  return m ? m[1] : null
}

function asciiLower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c
}

/**
 * nginx's `$cookie_<name>`: the first cookie named `lowerName` (ASCII case-insensitive) in the
 * Cookie header(s); its value runs to the next `;`. Null when there is none.
 */
export function cookieValue(headers: readonly string[], lowerName: string): string | null {
  const n = lowerName.length
  for (const h of headers) {
    const end = h.length
    let start = 0
    while (start < end) {
      let matched = start + n <= end
      for (let i = 0; matched && i < n; i++) {
        if (asciiLower(h.charCodeAt(start + i)) !== lowerName.charCodeAt(i)) matched = false
      }
      if (matched) {
        let p = start + n
        while (p < end && h.charCodeAt(p) === 32) p++
        // like nginx, the character after the name is consumed even when it is not `=`
        if (p < end && h.charCodeAt(p++) === 61) {
          while (p < end && h.charCodeAt(p) === 32) p++
          let last = p
          while (last < end && h.charCodeAt(last) !== 59) last++
          return h.slice(p, last)
        }
        start = p
      }
      // skip to the next cookie
      while (start < end) {
        const c = h.charCodeAt(start++)
        if (c === 59 || c === 44) break
      }
      while (start < end && h.charCodeAt(start) === 32) start++
    }
  }
  return null
}

/** A public key from PEM (a private key yields its public half), or null when OpenSSL cannot load it. */
export function parsePublicKey(pem: string): KeyObject | null {
  try {
    return createPublicKey(pem)
  } catch {
    return null
  }
}
