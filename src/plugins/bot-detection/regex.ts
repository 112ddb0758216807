// Regexes of bot-detection: PCRE patterns (what Kong runs them with) compiled to JavaScript.
import { translatePcre } from '../../util/pcre.js'

/** A compiled pattern, or the reason it cannot be used. */
export function compile(pattern: string): RegExp | string {
  const t = translatePcre(pattern)
  return 'error' in t ? t.error : new RegExp(t.source, t.flags)
}

/** Schema validator of `allow`/`deny` entries (Kong's `is_regex`). */
export function validateRegex(value: string): string | undefined {
  return typeof compile(value) === 'string' ? `not a valid regex: ${value}` : undefined
}

/** Compiles validated patterns (an invalid one, which the schema refuses, is skipped). */
export function compileAll(patterns: readonly string[]): RegExp[] {
  const out: RegExp[] = []
  for (const p of patterns) {
    const r = compile(p)
    if (typeof r !== 'string') out.push(r)
  }
  return out
}
