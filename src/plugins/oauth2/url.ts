// The URL handling oauth2 needs, with the behaviour Kong gets from LuaSocket's `socket.url` and
// its own `encode_args`: parsing a redirect URI into parts (and building it back), escaping
// query values, and adding parameters to a redirect URI's query string or fragment.

/** A URL split into LuaSocket's parts; absent parts are undefined. */
export interface ParsedUrl {
  scheme?: string
  authority?: string
  host?: string
  path?: string
  params?: string
  query?: string
  fragment?: string
}

const SCHEME = /^([A-Za-z0-9][A-Za-z0-9+\-.]*):/

/**
 * Splits a URL as LuaSocket's `url.parse` does: fragment, scheme, `//authority`, query, `;params`,
 * and the path as what is left. Never fails: a part that is not there is undefined.
 */
export function parseUrl(url: string): ParsedUrl {
  const out: ParsedUrl = {}
  let rest = url
  const hash = rest.indexOf('#')
  if (hash !== -1) {
    out.fragment = rest.slice(hash + 1)
    rest = rest.slice(0, hash)
  }
  const scheme = SCHEME.exec(rest)
  if (scheme) {
    out.scheme = scheme[1]
    rest = rest.slice(scheme[0].length)
  }
  if (rest.startsWith('//')) {
    const end = rest.indexOf('/', 2)
    out.authority = end === -1 ? rest.slice(2) : rest.slice(2, end)
    rest = end === -1 ? '' : rest.slice(end)
  }
  const q = rest.indexOf('?')
  if (q !== -1) {
    out.query = rest.slice(q + 1)
    rest = rest.slice(0, q)
  }
  const semi = rest.indexOf(';')
  if (semi !== -1) {
    out.params = rest.slice(semi + 1)
    rest = rest.slice(0, semi)
  }
  if (rest !== '') out.path = rest
  if (out.authority !== undefined) {
    let authority = out.authority
    const at = authority.indexOf('@')
    if (at !== -1) authority = authority.slice(at + 1)
    authority = authority.replace(/:[^:\]]*$/, '')
    if (authority !== '') out.host = /^\[(.+)\]$/.exec(authority)?.[1] ?? authority
  }
  return out
}

/** Puts a parsed URL back together (the authority as it was written). */
export function buildUrl(u: ParsedUrl): string {
  let url = u.path ?? ''
  if (u.params !== undefined) url += `;${u.params}`
  if (u.query !== undefined) url += `?${u.query}`
  if (u.authority !== undefined) url = `//${u.authority}${url}`
  if (u.scheme !== undefined) url = `${u.scheme}:${url}`
  if (u.fragment !== undefined) url += `#${u.fragment}`
  return url
}

/**
 * Validates a credential's redirect URI (Kong's check): it needs a scheme and a host, and no
 * fragment. Returns the error message, or undefined.
 */
export function redirectUriError(uri: string): string | undefined {
  const u = parseUrl(uri)
  if (u.host === undefined || u.scheme === undefined) return `cannot parse '${uri}'`
  if (u.fragment !== undefined) return `fragment not allowed in '${uri}'`
  return undefined
}

/** LuaSocket's `url.escape`: every byte but [A-Za-z0-9_] as `%xx` (lower-case hex). */
export function urlEscape(value: string): string {
  let out = ''
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte)
    out += /[A-Za-z0-9_]/.test(c) ? c : `%${byte.toString(16).padStart(2, '0')}`
  }
  return out
}

function urlUnescape(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '))
  } catch {
    return value
  }
}

/** A query argument's value: a string, `true` for a bare name, or the values of a repeated name. */
export type ArgValue = string | number | boolean | null | ArgValue[]

/** Decodes a query string into arguments (ngx.decode_args): repeated names collect their values. */
export function decodeArgs(query: string): Map<string, ArgValue> {
  const args = new Map<string, ArgValue>()
  for (const part of query.split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    const key = urlUnescape(eq === -1 ? part : part.slice(0, eq))
    if (key === '') continue
    const value: ArgValue = eq === -1 ? true : urlUnescape(part.slice(eq + 1))
    const prev = args.get(key)
    if (prev === undefined) args.set(key, value)
    else args.set(key, Array.isArray(prev) ? [...prev, value] : [prev, value])
  }
  return args
}

function encodeOne(out: string[], key: string, value: ArgValue): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      encodeOne(out, `${key}[${i + 1}]`, v)
    })
    return
  }
  if (value === null) {
    out.push(`${urlEscape(key)}=`)
    return
  }
  const s = String(value)
  out.push(s === '' ? urlEscape(key) : `${urlEscape(key)}=${urlEscape(s)}`)
}

/**
 * Kong's `encode_args`: names in sorted order, names and values escaped, an empty value as the
 * bare name, and a list as `name[1]=…&name[2]=…`.
 */
export function encodeArgs(args: Map<string, ArgValue>): string {
  const out: string[] = []
  for (const key of [...args.keys()].sort()) encodeOne(out, key, args.get(key)!)
  return out.join('&')
}
