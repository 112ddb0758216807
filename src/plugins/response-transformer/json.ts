// What response-transformer does to a JSON body, with the semantics of Kong's body_transformer
// (Lua truthiness, cjson's escaping of configured values), and which Content-Types are JSON.
import { stringToNumber } from '../request-transformer/template.js'

export type JsonType = 'string' | 'number' | 'boolean'

export interface JsonOps {
  remove: string[]
  /** [old, new]; new is null when the entry has nothing after the colon. */
  rename: [string, string | null][]
  /** Values already converted; undefined: the entry is skipped (as Kong's nil). */
  replace: { name: string; value: unknown }[]
  add: { name: string; value: unknown }[]
  append: { name: string; value: unknown }[]
}

/** cjson.encode of a string: `/` and DEL are escaped too; other controls as \uXXXX. */
function cjsonString(s: string): string {
  let out = '"'
  for (const ch of s) {
    const c = ch.codePointAt(0)!
    if (ch === '"') out += '\\"'
    else if (ch === '\\') out += '\\\\'
    else if (ch === '/') out += '\\/'
    else if (c === 8) out += '\\b'
    else if (c === 9) out += '\\t'
    else if (c === 10) out += '\\n'
    else if (c === 12) out += '\\f'
    else if (c === 13) out += '\\r'
    else if (c < 0x20 || c === 0x7f) out += `\\u${c.toString(16).padStart(4, '0')}`
    else out += ch
  }
  return `${out}"`
}

/**
 * Kong's json_value(): the configured text as cjson encodes it, quotes and `\"`, `\/` undone
 * (so a backslash comes out doubled), then cast by `json_types` (a failed number cast skips).
 * An entry without value gives the text `null`.
 */
export function jsonValue(value: string | null, type: string | undefined): unknown {
  let v = value === null ? 'null' : cjsonString(value).slice(1, -1).replaceAll('\\"', '"')
  v = v.replaceAll('\\/', '/')
  if (type === 'number') return stringToNumber(v)
  if (type === 'boolean') return v === 'true'
  return v
}

function own(obj: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined
}

function put(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true })
}

/** Lua truthiness: JSON null (cjson.null) is a value, false is not. */
function truthy(v: unknown): boolean {
  return v !== undefined && v !== false
}

function appendValue(current: unknown, value: unknown): unknown {
  if (typeof current === 'string') return [current, value]
  if (Array.isArray(current)) {
    current.push(value)
    return current
  }
  if (current !== null && typeof current === 'object') {
    // table.insert on an object: the next free integer key.
    const o = current as Record<string, unknown>
    let i = 1
    while (Object.hasOwn(o, String(i))) i++
    put(o, String(i), value)
    return o
  }
  return [value]
}

/**
 * Applies the operations to the top-level keys: remove → rename → replace (existing keys) →
 * add (missing keys) → append. Returns the new body, or undefined when it is not JSON. A JSON
 * value that is not an object is re-encoded unchanged.
 */
export function transformJson(ops: JsonOps, body: string): string | undefined {
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    return undefined
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return JSON.stringify(json)
  const obj = json as Record<string, unknown>
  for (const name of ops.remove) delete obj[name]
  for (const [oldName, newName] of ops.rename) {
    const v = own(obj, oldName)
    if (v === undefined || newName === null) continue
    put(obj, newName, v)
    delete obj[oldName]
  }
  for (const { name, value } of ops.replace)
    if (truthy(own(obj, name)) && value !== undefined) put(obj, name, value)
  for (const { name, value } of ops.add)
    if (!truthy(own(obj, name)) && value !== undefined) put(obj, name, value)
  for (const { name, value } of ops.append)
    if (value !== undefined) put(obj, name, appendValue(own(obj, name), value))
  return JSON.stringify(obj)
}

// RFC 2045 media type, as Kong's mime_type.parse_mime_type reads it (lpeg grammar).
const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+"
const MEDIA_TYPE = new RegExp(
  `^(?:(${TOKEN})/(${TOKEN})|\\*)(?:[ \\t]*;[ \\t]*${TOKEN}=(?:${TOKEN}|"[^\\x00-\\x1f\\x7f"]*"))*$`,
)

function includesJson(mediaType: string): boolean {
  const m = MEDIA_TYPE.exec(mediaType)
  if (!m || m[1] === undefined) return false
  if (m[1].toLowerCase() !== 'application') return false
  const sub = m[2].toLowerCase()
  return sub === 'json' || sub.endsWith('+json')
}

const cache = new Map<string, boolean>()

/** Kong's is_json_body(): one of the comma-separated media types is application/json or *+json. */
export function isJsonContentType(contentType: string | null | undefined): boolean {
  if (!contentType) return false
  let v = cache.get(contentType)
  if (v === undefined) {
    v = contentType.split(',').some((ct) => includesJson(ct.trim()))
    if (cache.size >= 256) cache.clear()
    cache.set(contentType, v)
  }
  return v
}
