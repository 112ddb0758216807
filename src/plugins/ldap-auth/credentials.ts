// Pure parts of ldap-auth: reading `<header_type> base64(username:password)` from a header, the
// DN bound as, and the cache key of an attempt (a hash: the password never appears in clear).
import { createHash } from 'node:crypto'
import { decodeBase64 } from '../basic-auth/crypto.js'

export interface LdapCredentials {
  username: string
  /** Raw bytes, sent to the directory as they came. */
  password: Buffer
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The scheme pattern for a `header_type` (compared case-insensitively, leading blanks allowed). */
export function schemePattern(headerType: string): RegExp {
  return new RegExp(`^[ \\t\\n\\v\\f\\r]*${escapeRegExp(headerType.toLowerCase())}[ \\t\\n\\v\\f\\r]+`)
}

// PCRE's `^(.*?):(.+)$` as Kong matches the decoded bytes: the user may be empty, the password
// may not, neither spans a line feed, and `$` also matches before a final line feed.
const USER_PASSWORD = /^([^\n]*?):([^\n]+)\n?$/

/** The username and password of one header value, or null. */
export function parseCredentials(value: string | null, scheme: RegExp): LdapCredentials | null {
  if (value === null) return null
  const m = scheme.exec(value.toLowerCase())
  if (!m) return null
  const decoded = decodeBase64(value.slice(m[0].length))
  if (!decoded) return null
  const parts = USER_PASSWORD.exec(decoded.toString('latin1'))
  if (!parts) return null
  return {
    username: Buffer.from(parts[1], 'latin1').toString('utf8'),
    password: Buffer.from(parts[2], 'latin1'),
  }
}

export interface KeyConfig {
  ldap_host: string
  ldap_port: number
  base_dn: string
  attribute: string
  cache_ttl: number
  /** The transport (`ldap`, `ldaps`, `start_tls`, `+verify`): a verified setup never reuses an unverified answer. */
  transport: string
}

/**
 * The cache key of a bind: a SHA-256 over the directory, the DN parts, the TTL, the transport and
 * the credentials, so two configurations never share an answer and the password is not readable.
 */
export function cacheKey(conf: KeyConfig, given: LdapCredentials): string {
  const h = createHash('sha256')
  h.update(
    `${conf.ldap_host.toLowerCase()}:${conf.ldap_port}:${conf.base_dn}:${conf.attribute}:${conf.cache_ttl}:${conf.transport}:${given.username}:`,
  )
  h.update(given.password)
  return `ldap_auth_cache:${h.digest('hex')}`
}

/** The DN bound as: `<attribute>=<username>,<base_dn>` (the username is not escaped, as in Kong). */
export function bindDn(attribute: string, username: string, baseDn: string): string {
  return `${attribute}=${username},${baseDn}`
}
