// Request path normalization before routing (router.md §3.1, Kong's
// kong/router/utils.lua strip_uri_args + kong/tools/uri.lua normalize with merge_slashes).
import { normalizePath } from '../util/uri.js'

const SLASH = 0x2f

// `%`, a segment starting with `.` (`/.`) or an empty segment (`//`): only then can
// normalization change a path that starts with `/`. One regex scan is cheaper than three
// indexOf calls (two-character searches are slow to set up).
const NEEDS_WORK = /%|\/[./]/

/**
 * The path the router matches on, from a raw request target (`req.url`):
 *   1. cut at the first `?` searching from the 2nd character (a target of `?x` keeps it);
 *   2. decode `%XX` except reserved characters (whose escapes are upper-cased);
 *   3. remove dot segments; 4. merge repeated slashes.
 * `/t/Abc%20123%C3%B8%2f/parent/..//test/./` → `/t/Abc 123ø%2F/test/`.
 *
 * Fast path (the common case, no allocation beyond the `?` cut): a path starting with `/`
 * without `%`, `/.` or `//` is already normalized, because dot segments need a segment
 * starting with `.` (i.e. `/.`) and merging needs `//`.
 */
export function normalizeRequestPath(rawTarget: string): string {
  const q = rawTarget.indexOf('?', 1)
  const path = q === -1 ? rawTarget : rawTarget.slice(0, q)
  if (path.charCodeAt(0) === SLASH && !NEEDS_WORK.test(path)) return path
  return normalizePath(path, true)
}

// After normalization every decodable escape of a non-reserved byte has been decoded and
// reserved characters are ASCII, so an escape of a byte ≥ 0x80 left in the path is a byte
// that was not valid UTF-8 (normalizePath keeps those encoded, JS strings cannot hold them).
const UNDECODABLE_ESCAPE = /%[89A-F][0-9A-F]/

/**
 * Whether a normalized path carries percent-decoded bytes that are not valid UTF-8. Kong's
 * router refuses such paths ("invalid utf-8 sequence", no route matches); the router does the
 * same so that a `/` catch-all does not receive them.
 */
export function hasInvalidUtf8(normalizedPath: string): boolean {
  return normalizedPath.indexOf('%') !== -1 && UNDECODABLE_ESCAPE.test(normalizedPath)
}
