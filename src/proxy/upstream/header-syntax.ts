// Small, allocation-light helpers for HTTP/1.1 field syntax (RFC 9110 §5.6). They run for every
// response head on the hot path, so they work on char codes instead of regular expressions.

/** tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */
export const TOKEN_CHAR = new Uint8Array(128)
for (let c = 0x30; c <= 0x39; c++) TOKEN_CHAR[c] = 1
for (let c = 0x41; c <= 0x5a; c++) TOKEN_CHAR[c] = 1
for (let c = 0x61; c <= 0x7a; c++) TOKEN_CHAR[c] = 1
for (const ch of "!#$%&'*+-.^_`|~") TOKEN_CHAR[ch.charCodeAt(0)] = 1

/** True when s[start, end) is a non-empty token. */
export function isToken(s: string, start: number, end: number): boolean {
  if (end <= start) return false
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c > 127 || TOKEN_CHAR[c] === 0) return false
  }
  return true
}

const SP = 0x20
const HTAB = 0x09

export function isOws(c: number): boolean {
  return c === SP || c === HTAB
}

/**
 * Content-Length value: 1*DIGIT, or a list of identical values ("5, 5", RFC 9110 §8.6).
 * Returns -1 when invalid. At most 15 digits so the result is an exact integer.
 */
export function parseContentLength(v: string): number {
  let result = -1
  let i = 0
  const n = v.length
  while (i <= n) {
    while (i < n && isOws(v.charCodeAt(i))) i++
    let value = 0
    let digits = 0
    while (i < n) {
      const c = v.charCodeAt(i)
      if (c < 0x30 || c > 0x39) break
      value = value * 10 + (c - 0x30)
      digits++
      i++
    }
    while (i < n && isOws(v.charCodeAt(i))) i++
    if (digits === 0 || digits > 15) return -1
    if (result !== -1 && result !== value) return -1
    result = value
    if (i === n) return result
    if (v.charCodeAt(i) !== 0x2c /* , */) return -1
    i++
  }
  return -1
}

/**
 * Elements of a comma-separated list value, trimmed and lower-cased, empty elements skipped.
 * Used for Connection, Transfer-Encoding and Keep-Alive, which are short and rare enough that a
 * small array per value is fine.
 */
export function listElements(v: string): string[] {
  const out: string[] = []
  let start = 0
  const n = v.length
  for (let i = 0; i <= n; i++) {
    if (i === n || v.charCodeAt(i) === 0x2c) {
      let s = start
      let e = i
      while (s < e && isOws(v.charCodeAt(s))) s++
      while (e > s && isOws(v.charCodeAt(e - 1))) e--
      if (e > s) out.push(v.slice(s, e).toLowerCase())
      start = i + 1
    }
  }
  return out
}

/**
 * Case-insensitive comparison of a token against a lower-case constant made of letters and '-',
 * without allocating. `c | 0x20` folds ASCII upper case; among token characters only letters fold
 * onto letters, and '-' onto itself, so the comparison is exact for tokens.
 */
export function nameIs(name: string, lower: string): boolean {
  const n = lower.length
  if (name.length !== n) return false
  for (let i = 0; i < n; i++) if ((name.charCodeAt(i) | 0x20) !== lower.charCodeAt(i)) return false
  return true
}

/**
 * `Keep-Alive: timeout=N` hint of the upstream (RFC 2068 §19.7.1, sent by Node and others).
 * Returns the timeout in ms, or -1 when absent or invalid.
 */
export function keepAliveTimeoutHint(v: string): number {
  // Upstreams send the same value on every response: remember the last one.
  if (v === lastHintValue) return lastHint
  lastHintValue = v
  lastHint = parseKeepAliveTimeout(v)
  return lastHint
}

let lastHintValue = ''
let lastHint = -1

function parseKeepAliveTimeout(v: string): number {
  for (const el of listElements(v)) {
    if (!el.startsWith('timeout')) continue
    const eq = el.indexOf('=')
    if (eq === -1) continue
    const n = Number(el.slice(eq + 1).trim())
    if (Number.isFinite(n) && n >= 0) return n * 1000
  }
  return -1
}
