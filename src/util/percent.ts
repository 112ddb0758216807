// Percent-decoding that keeps invalid UTF-8 visible. Kong validates raw bytes; JavaScript strings
// cannot hold them, so a byte that is not part of a valid UTF-8 sequence becomes a lone surrogate
// (U+DC80 + byte, Python's "surrogateescape"), which the validators report as invalid UTF-8 at
// the right byte position (see utf8.ts). Malformed escapes (`%zz`) stay as written.

function bytesOf(s: string): number[] {
  const out: number[] = []
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 0x25 && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      out.push(Number.parseInt(s.slice(i + 1, i + 3), 16))
      i += 2
    } else if (c < 0x80) out.push(c)
    else {
      // Already-decoded characters (rare in URLs): keep their UTF-8 bytes.
      const cp = s.codePointAt(i) as number
      out.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'))
      if (cp > 0xffff) i++
    }
  }
  return out
}

/** Decodes UTF-8 bytes, turning each invalid byte into U+DC80+byte. */
export function decodeUtf8Lossless(bytes: readonly number[]): string {
  let out = ''
  let i = 0
  while (i < bytes.length) {
    const b = bytes[i]
    let need = 0
    let cp = 0
    let min = 0
    if (b < 0x80) {
      out += String.fromCharCode(b)
      i++
      continue
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1
      cp = b & 0x1f
      min = 0x80
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2
      cp = b & 0x0f
      min = 0x800
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3
      cp = b & 0x07
      min = 0x10000
    } else {
      out += String.fromCharCode(0xdc00 + b)
      i++
      continue
    }
    let ok = i + need <= bytes.length - 1
    for (let k = 1; ok && k <= need; k++) {
      const c = bytes[i + k]
      if ((c & 0xc0) !== 0x80) ok = false
      else cp = (cp << 6) | (c & 0x3f)
    }
    if (ok && cp >= min && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) {
      out += String.fromCodePoint(cp)
      i += need + 1
    } else {
      out += String.fromCharCode(0xdc00 + b)
      i++
    }
  }
  return out
}

/** `decodeURIComponent` that never throws and keeps invalid UTF-8 detectable. */
export function percentDecode(s: string): string {
  if (!s.includes('%')) return s
  return decodeUtf8Lossless(bytesOf(s))
}
