// Origin matching of the cors plugin (plugins.md §6.9), precompiled once per configuration.
// Origins are normalized the way Kong does it with LuaSocket's url.parse: `scheme://host[:port]`
// with the scheme's default port dropped; a value without `//` authority stays as it is.

export interface NormalizedOrigin {
  /** `scheme://host[:port]`, or the value itself when it has no authority. */
  domain: string
  host: string
}

/** LuaSocket `url.parse` reduced to what Kong's `normalize_origin` uses. */
export function normalizeOrigin(value: string): NormalizedOrigin {
  let rest = value
  let scheme: string | null = null
  const s = /^([A-Za-z0-9][A-Za-z0-9+\-.]*):/.exec(rest)
  if (s) {
    scheme = s[1]
    rest = rest.slice(s[0].length)
  }
  const a = /^\/\/([^/]*)/.exec(rest)
  if (!a) return { domain: value, host: value }
  let authority = a[1]
  // The authority ends at the first `/`; a `#`, `?` or `;` inside it still belongs to it.
  const at = authority.indexOf('@')
  if (at !== -1) authority = authority.slice(at + 1)
  let port: string | null = null
  const p = /:([^:\]]*)$/.exec(authority)
  if (p) {
    port = p[1]
    authority = authority.slice(0, p.index)
  }
  if (authority === '') return { domain: value, host: value }
  const v6 = /^\[(.+)\]$/.exec(authority)
  const host = v6 ? v6[1] : authority
  if ((scheme === 'http' && port === '80') || (scheme === 'https' && port === '443')) port = null
  return {
    domain: `${scheme !== null ? `${scheme}://` : ''}${host}${port !== null ? `:${port}` : ''}`,
    host,
  }
}

/** A plain origin: letters, digits and `.:/-` only; anything else makes an entry a regex. */
const PLAIN = /^[A-Za-z0-9.:/-]+$/

interface Entry {
  /** Compiled regex entry (anchored at both ends), or null for a plain one. */
  regex: RegExp | null
  /** Plain entries: the normalized origin. */
  domain: string
  /** Regexes without `:` are tested against the request host only. */
  byHost: boolean
}

export type OriginRule =
  /** No origins, or only `*`: `Access-Control-Allow-Origin: *`. */
  | { kind: 'any' }
  /** One plain origin: always that value. */
  | { kind: 'fixed'; value: string }
  /** Several entries or a regex: echo the normalized request origin when one matches. */
  | { kind: 'match'; star: boolean; entries: Entry[] }

/** Compiles a regex entry as Kong uses it: `^` dropped, `$` added, anchored at the start. */
export function compileOriginRegex(entry: string): RegExp {
  let source = entry
  if (!source.endsWith('$')) source += '$'
  if (source.startsWith('^')) source = source.slice(1)
  return new RegExp(`^(?:${source})`)
}

export function originRule(origins: readonly string[] | null): OriginRule {
  const list = origins ?? []
  if (list.length === 0 || (list.length === 1 && list[0] === '*')) return { kind: 'any' }
  if (list.length === 1 && PLAIN.test(list[0])) return { kind: 'fixed', value: list[0] }
  const entries: Entry[] = []
  let star = false
  for (const origin of list) {
    if (origin === '*') {
      star = true
      continue
    }
    const byHost = !origin.includes(':')
    if (PLAIN.test(origin)) entries.push({ regex: null, domain: normalizeOrigin(origin).domain, byHost })
    else entries.push({ regex: compileOriginRegex(origin), domain: '', byHost })
  }
  return { kind: 'match', star, entries }
}

/** The normalized request origin when an entry matches it, else null. */
export function matchOrigin(entries: readonly Entry[], origin: NormalizedOrigin): string | null {
  for (const e of entries) {
    const found = e.regex ? e.regex.test(e.byHost ? origin.host : origin.domain) : e.domain === origin.domain
    if (found) return origin.domain
  }
  return null
}

/** Lua's `tostring` of a number (`%.14g`), as Kong writes `Access-Control-Max-Age`. */
export function luaNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e14) return String(n)
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'nan' : n > 0 ? 'inf' : '-inf'
  const exp = Number(n.toExponential(13).split('e')[1])
  if (exp < -4 || exp >= 14) {
    const [mantissa, e] = n.toExponential(13).split('e')
    const m = mantissa.includes('.') ? mantissa.replace(/\.?0+$/, '') : mantissa
    const sign = e.startsWith('-') ? '-' : '+'
    const digits = e.replace(/^[+-]/, '').padStart(2, '0')
    return `${m}e${sign}${digits}`
  }
  const fixed = n.toFixed(Math.max(0, 13 - exp))
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed
}
