// UTF-8 well-formedness of JavaScript strings.
//
// Kong validates raw bytes (kong.tools.string.validate_utf8). Strings reaching Silverback were
// already decoded (JSON, form bodies, YAML), so the only thing that cannot be encoded back to
// UTF-8 is a lone UTF-16 surrogate (e.g. from a JSON "\ud800" escape). Those count as invalid.

/**
 * 1-based byte offset, in the UTF-8 encoding of `s`, of the first code unit that has no UTF-8
 * encoding (a lone surrogate), or undefined when `s` is well-formed. The offset matches the
 * index Kong reports in `invalid utf-8 character sequence detected at position N`.
 */
export function invalidUtf8Position(s: string): number | undefined {
  let bytes = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) bytes += 1
    else if (c < 0x800) bytes += 2
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1)
      if (!(next >= 0xdc00 && next <= 0xdfff)) return bytes + 1
      bytes += 4
      i++
    } else if (c >= 0xdc00 && c <= 0xdfff) return bytes + 1
    else bytes += 3
  }
  return undefined
}

export function isValidUtf8(s: string): boolean {
  return invalidUtf8Position(s) === undefined
}
