// URL paths: the `path` typedef (service path, healthcheck http_path, hash_on_cookie_path) and
// route `paths` (prefix paths and `~` regex paths).
import { translatePcre } from '../../../util/pcre.js'
import { normalizePath } from '../../../util/uri.js'

export { normalizePath }

// RFC 3986 unreserved characters, `%`, and the reserved characters allowed in a path segment
// (`/`, `:`, `@` and the sub-delims). `?`, `#`, `[`, `]` would start another URL component.
const RFC3986_PATH = /^\/[A-Za-z0-9._~/%:@!$&'()*+,;=-]*$/

/**
 * The first malformed percent-escape: `%` and the (up to) two characters after it, taken from
 * the path with valid escapes blanked out first, exactly as Kong reports it (`/a%%41` → `%__`).
 */
function badEscape(path: string): string | undefined {
  const raw = path.replace(/%[0-9A-Fa-f]{2}/g, '___')
  const idx = raw.indexOf('%')
  return idx === -1 ? undefined : raw.slice(idx, idx + 3)
}

type PathProblem = { message: string; kind: 'rfc3986' | 'percent' }

/** Kong's validate_path (the typedef's custom validator), with the kind of failure. */
function pathProblem(path: string): PathProblem | undefined {
  if (!RFC3986_PATH.test(path)) {
    return {
      message: `invalid path: '${path}' (characters outside of the reserved list of RFC 3986 found)`,
      kind: 'rfc3986',
    }
  }
  const frag = badEscape(path)
  if (frag !== undefined) return { message: `invalid url-encoded value: '${frag}'`, kind: 'percent' }
  return undefined
}

/** `path` typedef: starts with `/`, no empty segment, RFC 3986 characters, valid `%XX` escapes. */
export function validatePath(path: string): string | undefined {
  if (!path.startsWith('/')) return 'should start with: /'
  if (path.includes('//')) return 'must not have empty segments'
  return pathProblem(path)?.message
}

/** Whether a route path is a regex path (`~/...`). */
export function isRegexPath(path: string): boolean {
  return path.startsWith('~')
}

export type RouteRegex = { regex: RegExp; names: string[] }

/**
 * Compiles the regex of a route path (the text after `~`) into a JavaScript RegExp.
 *
 * Kong (traditional_compatible flavor) matches `"^" .. regex` against the normalized request
 * path: anchored at the start, unanchored at the end. The `^` is prepended textually, as Kong
 * does, so a top-level alternation `/a|/b` anchors only its first branch.
 *
 * Errors: a pattern PCRE would refuse is a field error
 * `invalid regex: '<re>' (PCRE returned: pcre2_compile() failed: <msg> in "<re>")`; a valid
 * PCRE pattern using features JavaScript cannot run (possessive quantifiers, atomic groups,
 * recursion, conditionals, `\K`, …) is the entity error `Router Expression failed validation: …`
 * that Kong gives for regexes its router engine cannot run.
 */
export function compileRouteRegex(source: string): RouteRegex | { error: string; entity: boolean } {
  const t = translatePcre(source)
  if ('error' in t) {
    if (t.kind === 'unsupported') {
      return {
        error: `Router Expression failed validation: unsupported regex feature in '${source}': ${t.error}`,
        entity: true,
      }
    }
    return {
      error: `invalid regex: '${source}' (PCRE returned: pcre2_compile() failed: ${t.error} in "${source}")`,
      entity: false,
    }
  }
  return { regex: new RegExp(`^${t.source}`, t.flags), names: t.names }
}

/**
 * An element of a route's `paths` (field-level checks, Kong's `router_path` typedef):
 * `/prefix` or `~/regex`, no `//`; prefix paths made only of RFC 3986 characters must have
 * valid `%XX` escapes, and prefix paths must already be normalized; regex paths must compile.
 * Regexes that compile but cannot run are left to {@link validateRoutePathForRouter}.
 */
export function validateRoutePath(path: string): string | undefined {
  if (path.includes('//')) return 'must not have empty segments'
  if (!path.startsWith('/') && !path.startsWith('~/')) {
    return 'should start with: / (fixed path) or ~/ (regex path)'
  }
  const problem = pathProblem(path)
  // Only escapes are enforced here: other characters (spaces, UTF-8, …) are allowed in routes.
  if (problem?.kind === 'percent') return problem.message
  if (!isRegexPath(path)) {
    const normalized = normalizePath(path, true)
    if (normalized !== path) return `non-normalized path, consider use '${normalized}' instead`
    return undefined
  }
  const compiled = compileRouteRegex(path.slice(1))
  return 'error' in compiled && !compiled.entity ? compiled.error : undefined
}

/**
 * Entity-level check of a route path, run after the field checks passed: a regex path whose
 * regex cannot be executed yields `Router Expression failed validation: …`.
 */
export function validateRoutePathForRouter(path: string): string | undefined {
  if (!isRegexPath(path)) return undefined
  const compiled = compileRouteRegex(path.slice(1))
  return 'error' in compiled && compiled.entity ? compiled.error : undefined
}
