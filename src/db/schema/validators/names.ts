// Entity names: Kong's `utf8_name` typedef (services, routes, plugins' instance_name,
// workspaces) and the ASCII-only `name` typedef.
import { invalidUtf8Position } from '../../../util/utf8.js'

/** The message Kong gives for strings that are not valid UTF-8 (here: lone surrogates). */
export function invalidUtf8Message(s: string): string | undefined {
  const pos = invalidUtf8Position(s)
  return pos === undefined ? undefined : `invalid utf-8 character sequence detected at position ${pos}`
}

// ASCII letters, digits, `.`, `-`, `_`, `~`, and any non-ASCII character (Kong: bytes 0x80–0xF4).
const UTF8_NAME = /^[A-Za-z0-9._~\-\u{80}-\u{10FFFF}]+$/u

export function validateUtf8Name(name: string): string | undefined {
  const bad = invalidUtf8Message(name)
  if (bad) return bad
  if (!UTF8_NAME.test(name)) {
    return `invalid value '${name}': the only accepted ascii characters are alphanumerics or ., -, _, and ~`
  }
  return undefined
}

/** Kong's plain `name` typedef: ASCII only. */
export function validateName(name: string): string | undefined {
  if (!/^[A-Za-z0-9._~-]+$/.test(name)) {
    return `invalid value '${name}': it must only contain alphanumeric and '., -, _, ~' characters`
  }
  return undefined
}
