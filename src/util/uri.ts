// URI path normalization, following Kong's kong/tools/uri.lua `normalize`. Route prefix paths
// must already be in this form (entity validation) and the router normalizes request paths the
// same way before matching.

// RFC 3986 reserved characters (plus `%`): their escapes keep their meaning, so they are never
// decoded, only upper-cased.
const RESERVED = new Set("!*'();:@&=+$,/?%#[]")

function hex2(b: number): string {
  return `%${b.toString(16).toUpperCase().padStart(2, '0')}`
}

// Length and allowed range of the first continuation byte of a UTF-8 sequence, by lead byte.
function utf8Lead(b: number): { len: number; lo: number; hi: number } | undefined {
  if (b >= 0xc2 && b <= 0xdf) return { len: 2, lo: 0x80, hi: 0xbf }
  if (b === 0xe0) return { len: 3, lo: 0xa0, hi: 0xbf }
  if ((b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef) return { len: 3, lo: 0x80, hi: 0xbf }
  if (b === 0xed) return { len: 3, lo: 0x80, hi: 0x9f }
  if (b === 0xf0) return { len: 4, lo: 0x90, hi: 0xbf }
  if (b >= 0xf1 && b <= 0xf3) return { len: 4, lo: 0x80, hi: 0xbf }
  if (b === 0xf4) return { len: 4, lo: 0x80, hi: 0x8f }
  return undefined
}

/**
 * Decodes percent-decoded bytes into text. Kong works on raw bytes and happily produces invalid
 * UTF-8 (`%FF` → byte 0xFF); a JavaScript string cannot hold such a byte, so bytes that do not
 * form a valid UTF-8 sequence stay percent-encoded (upper-case) instead.
 */
function decodeBytes(bytes: number[]): string {
  let out = ''
  let i = 0
  while (i < bytes.length) {
    const b = bytes[i]
    if (b < 0x80) {
      out += String.fromCharCode(b)
      i++
      continue
    }
    const lead = utf8Lead(b)
    let ok = lead !== undefined && i + lead.len <= bytes.length
    if (lead && ok) {
      ok = bytes[i + 1] >= lead.lo && bytes[i + 1] <= lead.hi
      for (let k = 2; ok && k < lead.len; k++) ok = bytes[i + k] >= 0x80 && bytes[i + k] <= 0xbf
    }
    if (!lead || !ok) {
      out += hex2(b)
      i++
      continue
    }
    let cp = b & (0xff >> (lead.len + 1))
    for (let k = 1; k < lead.len; k++) cp = (cp << 6) | (bytes[i + k] & 0x3f)
    out += String.fromCodePoint(cp)
    i += lead.len
  }
  return out
}

/** Decodes `%XX` escapes of unreserved/other characters, upper-cases escapes of reserved ones. */
function percentDecode(uri: string): string {
  let out = ''
  let pending: number[] = []
  const flush = () => {
    if (pending.length > 0) out += decodeBytes(pending)
    pending = []
  }
  for (let i = 0; i < uri.length; i++) {
    const ch = uri[i]
    if (ch === '%' && /^[0-9A-Fa-f]{2}$/.test(uri.slice(i + 1, i + 3))) {
      const b = Number.parseInt(uri.slice(i + 1, i + 3), 16)
      if (b < 0x80 && RESERVED.has(String.fromCharCode(b))) {
        flush()
        out += hex2(b)
      } else {
        pending.push(b)
      }
      i += 2
    } else {
      flush()
      out += ch
    }
  }
  flush()
  return out
}

/**
 * Kong's uri.normalize: percent-decodes escapes of non-reserved characters (reserved escapes
 * are upper-cased instead), removes dot segments (`/./`, `/../`, RFC 3986 §5.2.4) and, with
 * `mergeSlashes` (what routes and the router use), collapses repeated slashes.
 * `normalizePath('/a/b/c/./../../g')` → `/a/g`; `normalizePath('/endel%C3%B8st')` → `/endeløst`.
 */
export function normalizePath(path: string, mergeSlashes = true): string {
  if (path === '' || path === '/') return path
  let uri = path.includes('%') ? percentDecode(path) : path

  // Fast exit, as in Kong: nothing to remove without dots (and without '//' when merging).
  if (!uri.includes('.') && (!mergeSlashes || !uri.includes('//'))) return uri

  const output: string[] = []
  while (uri.length > 0) {
    if (uri === '/.') {
      uri = '/'
    } else if (uri === '/..') {
      uri = '/'
      output.pop()
    } else if (uri === '.' || uri === '..') {
      uri = ''
    } else if (uri.startsWith('../')) {
      uri = uri.slice(3)
    } else if (uri.startsWith('./')) {
      uri = uri.slice(2)
    } else if (uri.startsWith('/./')) {
      uri = uri.slice(2)
    } else if (uri.startsWith('/../')) {
      uri = uri.slice(3)
      output.pop()
    } else if (mergeSlashes && uri.startsWith('//')) {
      uri = uri.slice(1)
    } else {
      // Move the first segment (its leading '/' included) to the output.
      const next = uri.indexOf('/', 1)
      if (next === -1) {
        output.push(uri)
        uri = ''
      } else {
        output.push(uri.slice(0, next))
        uri = uri.slice(next)
      }
    }
  }
  return output.join('')
}
