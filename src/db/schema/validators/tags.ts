// Tags (the `tags` set on almost every entity).
import { invalidUtf8Message } from './names.js'

// Space, printable ASCII 0x21–0x7E except `,` (0x2C) and `/` (0x2F), and any non-ASCII character.
// `,` and `/` are excluded because `?tags=a,b` and `?tags=a/b` use them as and/or separators.
const TAG = /^[ !-+\-.0-~\u{80}-\u{10FFFF}]+$/u

/**
 * A single tag. The empty string is rejected by the generic `length must be at least 1` check
 * before this runs; on its own this function reports the pattern message for it.
 */
export function validateTag(tag: string): string | undefined {
  const bad = invalidUtf8Message(tag)
  if (bad) return bad
  if (!TAG.test(tag)) {
    return `invalid tag '${tag}': expected printable ascii (except \`,\` and \`/\`) or valid utf-8 sequences`
  }
  return undefined
}
