// On-the-fly migration of route paths written for Kong 2.x (`_format_version` "1.1"/"2.1",
// declarative.md §4.1): 3.0 marks regex paths with a leading `~` and stopped percent-decoding
// them, so old files are rewritten before validation, exactly once, like Kong's
// `migrate_path_280_300`.
import { isPlainObject } from '../schema/record.js'
import { normalizePath } from '../schema/validators/paths.js'

/** Characters of a plain (prefix) path in 2.x files; anything else made the path a regex. */
const PLAIN_PATH = /^[A-Za-z0-9.\-_~/%]*$/

/** Escapes that stay escaped (upper-cased) when decoding a legacy regex. */
const RESERVED = new Set([
  0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2f, 0x3a, 0x3b, 0x3d, 0x3f, 0x40, 0x5b,
  0x5d,
])

/** Regex metacharacters that a decoded escape must not turn into syntax. */
const META: Readonly<Record<number, string>> = {
  46: '\\.',
  94: '\\^',
  45: '\\-',
  123: '\\{',
  125: '\\}',
  92: '\\\\',
  124: '\\|',
}

/** Decodes `%XX` escapes of a legacy regex path (bytes ≥ 0x80 are decoded as UTF-8). */
function decodeRegex(regex: string): string {
  if (!regex.includes('%')) return regex
  let out = ''
  let bytes: number[] = []
  const flush = () => {
    if (bytes.length > 0) out += Buffer.from(bytes).toString('utf8')
    bytes = []
  }
  for (let i = 0; i < regex.length; i++) {
    const hex = regex.slice(i + 1, i + 3)
    if (regex[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      const code = Number.parseInt(hex, 16)
      i += 2
      if (code >= 0x80) {
        bytes.push(code)
        continue
      }
      flush()
      if (RESERVED.has(code)) out += `%${hex.toUpperCase()}`
      else out += META[code] ?? String.fromCharCode(code)
    } else {
      flush()
      out += regex[i]
    }
  }
  flush()
  return out
}

/** A 2.x path in 3.0 form: normalized prefix path, or `~` + decoded regex. */
export function migratePath(path: string): string {
  if (PLAIN_PATH.test(path)) return normalizePath(path, true)
  return `~${decodeRegex(path)}`
}

function migrateRoutes(routes: unknown): void {
  if (!Array.isArray(routes)) return
  for (const route of routes) {
    if (!isPlainObject(route) || !Array.isArray(route.paths)) continue
    // Non-string paths are left for validation to report.
    route.paths = route.paths.map((p: unknown) => (typeof p === 'string' ? migratePath(p) : p))
  }
}

/**
 * Migrates, in place, the paths of top-level routes and of routes nested in top-level services
 * when the document declares format 1.1 or 2.1, then marks it as 3.0.
 */
export function migrateRoutePaths(doc: Record<string, unknown>): void {
  const version = doc._format_version
  if (version !== '1.1' && version !== '2.1') return
  migrateRoutes(doc.routes)
  if (Array.isArray(doc.services)) {
    for (const service of doc.services) if (isPlainObject(service)) migrateRoutes(service.routes)
  }
  doc._format_version = '3.0'
}
