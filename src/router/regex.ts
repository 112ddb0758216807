// Regexes of routes: regex paths (`~…`) and header values (`~*…`), translated from the PCRE
// syntax users write (src/util/pcre.ts) into JavaScript RegExps. The router must not import
// src/db, so this mirrors the path compilation of src/db/schema/validators/paths.ts.
import { translatePcre } from '../util/pcre.js'
import { translateSimple } from './simple-regex.js'

export type CompiledRegex = { regex: RegExp } | { error: string }

type Translation = { source: string; flags: string } | { error: string }

/**
 * Translations shared by all builds: a router is rebuilt after every configuration change,
 * mostly with the same regexes. Bounded; the oldest entry goes first.
 */
const memo = new Map<string, Translation>()
const MEMO_LIMIT = 20_000

function translate(pattern: string): Translation {
  let t = memo.get(pattern)
  if (t !== undefined) return t
  t = translateSimple(pattern)
  if (t === undefined) {
    const r = translatePcre(pattern)
    t =
      'error' in r
        ? { error: `invalid regex '${pattern}': ${r.error}` }
        : { source: r.source, flags: r.flags }
  }
  if (memo.size >= MEMO_LIMIT) {
    const oldest = memo.keys().next()
    if (oldest.done !== true) memo.delete(oldest.value)
  }
  memo.set(pattern, t)
  return t
}

/** Compiles route regexes (RegExp objects are per route: cheap next to the translation). */
export class RegexCompiler {
  /**
   * A regex path without its `~`: Kong matches `"^" .. regex` (textual prefix, so a top-level
   * alternation `/a|/b` anchors only its first branch) and searches it unanchored at the end.
   */
  path(pattern: string): CompiledRegex {
    const t = translate(pattern)
    if ('error' in t) return t
    return { regex: new RegExp(`^${t.source}`, t.flags) }
  }

  /**
   * A header value regex without its `~*`. Kong lower-cases the whole pattern text (so `\D`
   * becomes `\d`: write patterns in lower case) and searches it unanchored in the lower-cased
   * header value.
   */
  header(pattern: string): CompiledRegex {
    const t = translate(pattern.toLowerCase())
    if ('error' in t) return t
    return { regex: new RegExp(t.source, t.flags) }
  }
}

const META = new Set('\\^$.|?*+()[]{}')
const QUANTIFIER = new Set('?*+{')

/**
 * Scans a PCRE pattern for an alternation at the top level (outside groups and classes).
 * Returns undefined when the pattern uses constructs where a cheap scan could be fooled
 * (`\Q…\E` quoting, `(?#…)` comments, extended mode): callers then assume the worst.
 */
function hasTopLevelAlternation(p: string): boolean | undefined {
  let depth = 0
  for (let i = 0; i < p.length; i++) {
    const c = p[i]
    if (c === '\\') {
      if (p[i + 1] === 'Q') return undefined
      i++
    } else if (c === '[') {
      // Class: `]` right after `[` or `[^` is literal; POSIX `[:name:]` nests a `]`.
      i++
      if (p[i] === '^') i++
      if (p[i] === ']') i++
      for (; i < p.length && p[i] !== ']'; i++) {
        if (p[i] === '\\') i++
        else if (p[i] === '[' && p[i + 1] === ':') {
          const end = p.indexOf(':]', i + 2)
          if (end === -1) return undefined
          i = end + 1
        }
      }
      if (i >= p.length) return undefined
    } else if (c === '(') {
      if (p[i + 1] === '?') {
        if (p[i + 2] === '#') return undefined
        // Inline options: `(?x)` / `(?ix:` … make whitespace and `#…` insignificant.
        const opts = /^\(\?\^?([a-zA-Z-]*)[):]/.exec(p.slice(i, i + 16))
        if (opts?.[1].includes('x')) return undefined
      }
      depth++
    } else if (c === ')') {
      depth--
    } else if (c === '|' && depth === 0) {
      return true
    }
  }
  return false
}

/**
 * The literal text every match of the anchored path regex starts with (`/api/v\d+` →
 * `/api/v`), used to index regex paths in the prefix tree so that only regexes whose literal
 * prefix the request path starts with are executed. Conservative: '' when unsure.
 */
export function regexLiteralPrefix(pattern: string): string {
  if (hasTopLevelAlternation(pattern) !== false) return ''
  let out = ''
  let i = 0
  while (i < pattern.length) {
    const c = pattern[i]
    if (c === '\\') {
      const e = pattern[i + 1]
      // A backslash before a non-alphanumeric ASCII character is that literal character.
      if (e === undefined || /[A-Za-z0-9]/.test(e) || e.charCodeAt(0) > 0x7f) break
      if (QUANTIFIER.has(pattern[i + 2] ?? '')) break
      out += e
      i += 2
      continue
    }
    // Non-ASCII stops the scan: a quantifier after an astral character would apply to both
    // of its UTF-16 units, which this per-unit scan does not track.
    if (META.has(c) || c.charCodeAt(0) > 0x7f) break
    // A quantifier applies to the character before it, which is then not certain to appear.
    if (QUANTIFIER.has(pattern[i + 1] ?? '')) break
    out += c
    i++
  }
  return out
}
