// Pure parts of hmac-auth: parsing the `hmac ...` credential header, building the signing string,
// computing signatures and body digests, and nginx's HTTP date parser (the clock-skew check).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { decodeBase64 } from '../basic-auth/crypto.js'

export const ALGORITHMS = ['hmac-sha1', 'hmac-sha256', 'hmac-sha384', 'hmac-sha512'] as const
export type Algorithm = (typeof ALGORITHMS)[number]

const DIGESTS: Record<Algorithm, string> = {
  'hmac-sha1': 'sha1',
  'hmac-sha256': 'sha256',
  'hmac-sha384': 'sha384',
  'hmac-sha512': 'sha512',
}

export interface HmacParams {
  username: string
  algorithm: string
  /** The names listed in `headers="..."`, split on single spaces (empty names kept). */
  headers: string[]
  /** Base64 as sent. */
  signature: string
}

// Kong's pattern, unanchored and greedy, with PCRE's `\s` and `.` (anything but a line feed).
const S = '[ \\t\\n\\v\\f\\r]*'
const HMAC = new RegExp(
  `${S}[Hh]mac${S}username="([^\\n]+)",${S}algorithm="([^\\n]+)",${S}headers="([^\\n]+)",${S}signature="([^\\n]+)"`,
)

/** The parameters of an `hmac username="…", algorithm="…", headers="…", signature="…"` header. */
export function parseHmacHeader(header: string | null): HmacParams | null {
  if (header === null) return null
  const m = HMAC.exec(header)
  if (!m) return null
  return { username: m[1], algorithm: m[2], headers: m[3].split(' '), signature: m[4] }
}

export interface RequestView {
  method: string
  /** Path with query, as received. */
  pathWithQuery: string
  httpVersion: number
  header(name: string): string | null
}

/**
 * The signing string: one line per listed name, joined by `\n`. A request header of that name
 * gives `name: value`; otherwise `@request-target` gives `@request-target: <method> <uri>`
 * (lower-case method), `request-line` gives `METHOD <uri> HTTP/<x.y>`, anything else `name:`.
 */
export function signingString(names: readonly string[], req: RequestView): string {
  const lines: string[] = []
  for (const name of names) {
    const value = req.header(name)
    if (value !== null) lines.push(`${name}: ${value}`)
    else if (name === '@request-target')
      lines.push(`${name}: ${req.method.toLowerCase()} ${req.pathWithQuery}`)
    else if (name === 'request-line')
      lines.push(`${req.method} ${req.pathWithQuery} HTTP/${req.httpVersion.toFixed(1)}`)
    else lines.push(`${name}:`)
  }
  return lines.join('\n')
}

export function sign(algorithm: Algorithm, secret: string, data: string): Buffer {
  return createHmac(DIGESTS[algorithm], secret).update(data).digest()
}

/** Whether the base64 `signature` is the HMAC of `data` (nginx base64 rules: bad base64 never matches). */
export function signatureMatches(
  algorithm: Algorithm,
  secret: string,
  data: string,
  signature: string,
): boolean {
  const given = decodeBase64(signature)
  if (!given) return false
  const expected = sign(algorithm, secret, data)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/** The `Digest` header value of a body: `SHA-256=<base64 of its SHA-256>`. */
export function bodyDigest(body: Buffer | string): string {
  return `SHA-256=${createHash('sha256').update(body).digest('base64')}`
}

const MDAY = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/**
 * nginx's `ngx_parse_http_time` (what `ngx.parse_http_time` calls): seconds since the epoch of
 * an RFC 1123 (`Tue, 10 Nov 2002 23:50:13 GMT`), RFC 850 (`Tuesday, 10-Nov-02 23:50:13 GMT`) or
 * asctime (`Tue Nov 10 23:50:13 2002`) date, or null. Like nginx it ignores the weekday and the
 * zone, and only looks at the first letters of the month.
 */
export function parseHttpTime(value: string): number | null {
  const RFC822 = 1
  const RFC850 = 2
  const ISOC = 3
  const end = value.length
  const at = (i: number): string => (i < end ? value[i] : '\0')
  const digit = (i: number): boolean => {
    const c = at(i)
    return c >= '0' && c <= '9'
  }
  const num = (i: number): number => value.charCodeAt(i) - 48
  let fmt = 0
  let p = 0
  for (; p < end; p++) {
    if (value[p] === ',') break
    if (value[p] === ' ') {
      fmt = ISOC
      break
    }
  }
  for (p++; p < end; p++) if (value[p] !== ' ') break
  if (end - p < 18) return null

  let day = 0
  let year = 0
  if (fmt !== ISOC) {
    if (!digit(p) || !digit(p + 1)) return null
    day = num(p) * 10 + num(p + 1)
    p += 2
    if (at(p) === ' ') {
      if (end - p < 18) return null
      fmt = RFC822
    } else if (at(p) === '-') fmt = RFC850
    else return null
    p++
  }

  let month: number
  switch (at(p)) {
    case 'J':
      month = at(p + 1) === 'a' ? 0 : at(p + 2) === 'n' ? 5 : 6
      break
    case 'F':
      month = 1
      break
    case 'M':
      month = at(p + 2) === 'r' ? 2 : 4
      break
    case 'A':
      month = at(p + 1) === 'p' ? 3 : 7
      break
    case 'S':
      month = 8
      break
    case 'O':
      month = 9
      break
    case 'N':
      month = 10
      break
    case 'D':
      month = 11
      break
    default:
      return null
  }
  p += 3
  if ((fmt === RFC822 && at(p) !== ' ') || (fmt === RFC850 && at(p) !== '-')) return null
  p++

  if (fmt === RFC822) {
    if (!digit(p) || !digit(p + 1) || !digit(p + 2) || !digit(p + 3)) return null
    year = num(p) * 1000 + num(p + 1) * 100 + num(p + 2) * 10 + num(p + 3)
    p += 4
  } else if (fmt === RFC850) {
    if (!digit(p) || !digit(p + 1)) return null
    year = num(p) * 10 + num(p + 1)
    year += year < 70 ? 2000 : 1900
    p += 2
  }

  if (fmt === ISOC) {
    if (at(p) === ' ') p++
    if (!digit(p)) return null
    day = num(p++)
    if (at(p) !== ' ') {
      if (!digit(p)) return null
      day = day * 10 + num(p++)
    }
    if (end - p < 14) return null
  }

  if (at(p++) !== ' ') return null
  if (!digit(p) || !digit(p + 1)) return null
  const hour = num(p) * 10 + num(p + 1)
  p += 2
  if (at(p++) !== ':') return null
  if (!digit(p) || !digit(p + 1)) return null
  const min = num(p) * 10 + num(p + 1)
  p += 2
  if (at(p++) !== ':') return null
  if (!digit(p) || !digit(p + 1)) return null
  const sec = num(p) * 10 + num(p + 1)

  if (fmt === ISOC) {
    p += 2
    if (at(p++) !== ' ') return null
    if (!digit(p) || !digit(p + 1) || !digit(p + 2) || !digit(p + 3)) return null
    year = num(p) * 1000 + num(p + 1) * 100 + num(p + 2) * 10 + num(p + 3)
  }

  if (hour > 23 || min > 59 || sec > 59) return null
  if (day === 29 && month === 1) {
    if (year & 3 || (year % 100 === 0 && year % 400 !== 0)) return null
  } else if (day > MDAY[month]) return null

  // Gauss' formula, with the year starting on March 1 and months counted from 1.
  month -= 1
  if (month <= 0) {
    month += 12
    year -= 1
  }
  const days =
    365 * year +
    Math.floor(year / 4) -
    Math.floor(year / 100) +
    Math.floor(year / 400) +
    Math.floor((367 * month) / 12) -
    30 +
    day -
    1 -
    719527 +
    31 +
    28
  return days * 86400 + hour * 3600 + min * 60 + sec
}
