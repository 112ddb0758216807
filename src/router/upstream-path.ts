// Upstream path construction (router.md §7.3, §7.5; Kong's kong/router/atc.lua set_upstream_uri,
// kong/router/utils.lua get_upstream_uri_v0 / sanitize_uri_postfix, and the v1 branch of
// kong/router/traditional.lua) and its escaping (kong/tools/uri.lua escape).
import type { PathHandling } from './types.js'

const SLASH = 0x2f

/**
 * After stripping, a leading `./` or `../` of the remainder is dropped and a remainder of `.`
 * or `..` becomes empty, so that stripping cannot create a dot segment upstream.
 */
export function sanitizePostfix(postfix: string): string {
  if (postfix === '') return postfix
  if (postfix === '.' || postfix === '..') return ''
  if (postfix.startsWith('./')) return postfix.slice(2)
  if (postfix.startsWith('../')) return postfix.slice(3)
  return postfix
}

/**
 * The upstream path (before escaping and before the query string is appended).
 *
 * `match.matchedPath` is the part removed by `strip_path` (the prefix path or regex group 0);
 * without it (route matched by host/method/headers only) nothing but the leading `/` is
 * considered matched, as in Kong. `servicePath` null means the service has no path (`/`).
 */
export function upstreamPath(
  servicePath: string | null | undefined,
  match: { readonly matchedPath?: string | undefined } | null,
  normalizedPath: string,
  stripPath: boolean,
  pathHandling: PathHandling = 'v0',
): string {
  const base = servicePath === null || servicePath === undefined || servicePath === '' ? '/' : servicePath
  const req = normalizedPath
  const prefix = stripPath && match?.matchedPath !== undefined ? match.matchedPath : '/'
  const rest = sanitizePostfix(req.slice(prefix.length))
  const baseEndsWithSlash = base.charCodeAt(base.length - 1) === SLASH

  if (pathHandling === 'v1') {
    if (!stripPath) return base + req.slice(1)
    if (baseEndsWithSlash && rest.charCodeAt(0) === SLASH) return base.slice(0, -1) + rest
    return base + rest
  }

  if (baseEndsWithSlash) {
    if (stripPath) {
      if (rest === '') {
        if (base === '/') return '/'
        return req.charCodeAt(req.length - 1) === SLASH ? base : base.slice(0, -1)
      }
      // Avoid a double slash: drop the service path's.
      if (rest.charCodeAt(0) === SLASH) return base.slice(0, -1) + rest
      return base + rest
    }
    // Keep the incoming path, prefixed by the service path, without its initial slash.
    return base + req.slice(1)
  }
  if (stripPath) {
    if (rest === '') return req.length > 1 && req.charCodeAt(req.length - 1) === SLASH ? `${base}/` : base
    if (rest.charCodeAt(0) === SLASH) return base + rest
    return `${base}/${rest}`
  }
  return req === '/' ? base : base + req
}

// Bytes sent as they are: RFC 3986 unreserved and reserved characters, and `%` (escapes of
// reserved characters, e.g. `%2F`, survive normalization and must reach the upstream as is).
const KEEP = new Uint8Array(128)
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~!#$&'()*+,/:;=?@[]%") {
  KEEP[c.charCodeAt(0)] = 1
}

const HEX = '0123456789ABCDEF'

function pct(b: number): string {
  return `%${HEX[b >> 4]}${HEX[b & 15]}`
}

/**
 * Percent-encodes (upper-case hex, UTF-8 bytes) every character outside
 * `A-Z a-z 0-9 - _ . ~ ! # $ & ' ( ) * + , / : ; = ? @ [ ] %` (router.md §7.5 "Finishing"
 * step 1): `/foo bar/ø` → `/foo%20bar/%C3%B8`. Returns the input itself when nothing needs
 * escaping (the common case).
 */
export function escapeUpstreamPath(path: string): string {
  let i = 0
  for (; i < path.length; i++) {
    const c = path.charCodeAt(i)
    if (c >= 128 || KEEP[c] === 0) break
  }
  if (i === path.length) return path
  let out = path.slice(0, i)
  for (; i < path.length; i++) {
    const c = path.charCodeAt(i)
    if (c < 128) {
      out += KEEP[c] === 1 ? path[i] : pct(c)
      continue
    }
    let cp = c
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < path.length) {
      const d = path.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00)
        i++
      }
    }
    // A lone surrogate is encoded as U+FFFD, as Buffer.from(…, 'utf8') would.
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd
    if (cp < 0x800) {
      out += pct(0xc0 | (cp >> 6)) + pct(0x80 | (cp & 63))
    } else if (cp < 0x10000) {
      out += pct(0xe0 | (cp >> 12)) + pct(0x80 | ((cp >> 6) & 63)) + pct(0x80 | (cp & 63))
    } else {
      out +=
        pct(0xf0 | (cp >> 18)) +
        pct(0x80 | ((cp >> 12) & 63)) +
        pct(0x80 | ((cp >> 6) & 63)) +
        pct(0x80 | (cp & 63))
    }
  }
  return out
}
