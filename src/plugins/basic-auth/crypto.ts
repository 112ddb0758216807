// Pure parts of basic-auth: the stored password hash, nginx's base64 decoding and the parsing of
// an `Authorization: Basic ...` header, byte for byte as Kong does it.
import { createHash, timingSafeEqual } from 'node:crypto'

/**
 * The stored form of a password: lower-case hex SHA-1 of `password .. consumer_id` (Kong's
 * salt is the consumer's UUID string; a missing password hashes the id alone).
 */
export function hashPassword(consumerId: string, password: string | Buffer | null | undefined): string {
  const h = createHash('sha1')
  if (password !== null && password !== undefined) h.update(password)
  h.update(consumerId)
  return h.digest('hex')
}

/** Whether `password` (raw bytes) is the one whose hash is `stored`, for this consumer. */
export function passwordMatches(stored: unknown, consumerId: string, password: Buffer): boolean {
  if (typeof stored !== 'string') return false
  const given = Buffer.from(hashPassword(consumerId, password))
  const expected = Buffer.from(stored)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

const BASE64 = /^[A-Za-z0-9+/]*$/

/**
 * nginx's base64 decoding (`ngx.decode_base64`): the standard alphabet up to the first `=`
 * (the rest is ignored), padding optional; any other character, or a length of 4n+1, is an
 * error (null).
 */
export function decodeBase64(s: string): Buffer | null {
  const eq = s.indexOf('=')
  const data = eq === -1 ? s : s.slice(0, eq)
  if (data.length % 4 === 1 || !BASE64.test(data)) return null
  return Buffer.from(data, 'base64')
}

// PCRE's `\s` (no Unicode spaces) and `.` (anything but a line feed), as nginx compiles them.
const BASIC = /[ \t\n\v\f\r]*[Bb]asic[ \t\n\v\f\r]*([^\n]+)/
const USER_PASSWORD = /([^:]+):([^\n]*)/

export interface BasicCredentials {
  username: string
  /** Raw bytes: the hash is computed over them, whatever their encoding. */
  password: Buffer
}

/**
 * The username and password of a `Basic` header (Kong's unanchored match: `Basic` anywhere,
 * then base64 of `user:password`; the user is not empty, the password may contain `:`), or null.
 */
export function parseBasic(header: string | null): BasicCredentials | null {
  if (header === null) return null
  const m = BASIC.exec(header)
  if (!m) return null
  const decoded = decodeBase64(m[1])
  if (!decoded) return null
  const parts = USER_PASSWORD.exec(decoded.toString('latin1'))
  if (!parts) return null
  return {
    username: Buffer.from(parts[1], 'latin1').toString('utf8'),
    password: Buffer.from(parts[2], 'latin1'),
  }
}
