// Admin API arguments: query strings, form-urlencoded and multipart bodies are decoded into
// structured objects (`a.b=x`, `a[]=x`, `a[1]=x`, `a[key]=x`, repeated keys), then converted with
// the target schema (Kong's `infer`): "" → null, numbers, booleans, scalars wrapped into arrays.
// JSON bodies are used as they are.
import { entitySchema } from '../db/schema/entities/index.js'
import type { Field } from '../db/schema/field.js'
import {
  getSubschema,
  isPlainObject,
  type RecordDefinition,
  recordOf,
  resolveField,
} from '../db/schema/record.js'
import { percentDecode } from '../util/percent.js'

/** A decoded argument value: bare `a` (no `=`) is `true`, as in Kong. */
export type RawValue = string | true

type Segment = { key: string } | { index: number } | { push: true }

/** Splits `config.key_names[1]` into segments; null when the name has no structure. */
function parseName(name: string, allowMaps: boolean): Segment[] | null {
  const first = name.search(/[.[]/)
  if (first <= 0 || name.endsWith('.')) return null
  const segments: Segment[] = [{ key: name.slice(0, first) }]
  const re = /\.([^[.]+)|\[([^\]]*)\]/y
  re.lastIndex = first
  while (re.lastIndex < name.length) {
    const m = re.exec(name)
    if (!m) return null
    if (m[1] !== undefined) segments.push({ key: m[1] })
    else if (m[2] === '') segments.push({ push: true })
    else if (/^\d+$/.test(m[2])) segments.push({ index: Number(m[2]) })
    else {
      // `headers[x-version]=v1` is a map entry; only write methods accept maps.
      if (!allowMaps) return null
      segments.push({ key: m[2] })
    }
  }
  return segments
}

function container(seg: Segment | undefined): Record<string, unknown> | unknown[] {
  return seg && 'key' in seg ? {} : []
}

function assign(target: Record<string, unknown>, key: string, value: unknown): void {
  if (!Object.hasOwn(target, key)) {
    target[key] = value
    return
  }
  const existing = target[key]
  if (Array.isArray(existing)) {
    if (Array.isArray(value)) existing.push(...value)
    else existing.push(value)
  } else if (isPlainObject(existing) && isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) assign(existing, k, v)
  } else {
    target[key] = [existing, value]
  }
}

function place(root: Record<string, unknown>, path: Segment[], value: unknown): void {
  let cur: Record<string, unknown> | unknown[] = root
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]
    const last = i === path.length - 1
    if (Array.isArray(cur)) {
      const list: unknown[] = cur
      const pos = 'index' in seg ? Math.max(seg.index - 1, 0) : 'push' in seg ? list.length : 0
      if (last) {
        if ('push' in seg) list.push(value)
        else list[pos] = value
        return
      }
      if (list[pos] === undefined || list[pos] === null || typeof list[pos] !== 'object')
        list[pos] = container(path[i + 1])
      cur = list[pos] as Record<string, unknown> | unknown[]
    } else {
      const key = 'key' in seg ? seg.key : String('index' in seg ? seg.index : '')
      if (last) {
        assign(cur, key, value)
        return
      }
      const next = cur[key]
      if (next === undefined || next === null || typeof next !== 'object') cur[key] = container(path[i + 1])
      else if (!Array.isArray(next) && !('key' in path[i + 1])) cur[key] = Object.values(next)
      cur = cur[key] as Record<string, unknown> | unknown[]
    }
  }
}

function compact(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(compact)
  if (isPlainObject(value)) {
    for (const k of Object.keys(value)) value[k] = compact(value[k])
  }
  return value
}

/** Decodes name/value pairs (in order) into a structured object. */
export function decodeArgs(pairs: Iterable<[string, RawValue]>, allowMaps: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, value] of pairs) {
    const path = parseName(name, allowMaps)
    if (path) place(out, path, value)
    else assign(out, name, value)
  }
  return compact(out) as Record<string, unknown>
}

/** Name/value pairs of a query string or form body; a bare `a` (no `=`) gives `true`. */
export function parseQueryPairs(text: string): [string, RawValue][] {
  const pairs: [string, RawValue][] = []
  if (!text) return pairs
  for (const part of text.split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    const rawName = eq === -1 ? part : part.slice(0, eq)
    const name = decodeComponent(rawName)
    pairs.push([name, eq === -1 ? true : decodeComponent(part.slice(eq + 1))])
  }
  return pairs
}

function decodeComponent(s: string): string {
  return percentDecode(s.replace(/\+/g, ' '))
}

// ---------------------------------------------------------------------------------------------
// Schema-driven conversion

function toNumber(v: string): number | string {
  const t = v.trim()
  if (t === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^0[xX][0-9a-fA-F]+$/.test(t)) return v
  return Number(t)
}

/** Converts one decoded value for `field` (Kong's `infer_value`). */
export function inferValue(value: unknown, field: Field | undefined): unknown {
  if (value === undefined || value === null || !field) return value
  if (value === '') return null
  switch (field.type) {
    case 'number':
    case 'integer':
      return typeof value === 'string' ? toNumber(value) : value
    case 'boolean':
      if (value === 'true') return true
      if (value === 'false') return false
      return value
    case 'array':
    case 'set': {
      const list = Array.isArray(value) ? value : [value]
      return list.map((v) => inferValue(v, field.elements))
    }
    case 'foreign': {
      if (!isPlainObject(value)) return value
      const def = field.reference ? entitySchema(field.reference) : undefined
      return def ? inferRecord(value, def) : value
    }
    case 'map': {
      if (!isPlainObject(value)) return value
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(value)) out[k] = inferValue(v, field.values)
      return out
    }
    case 'record':
      return isPlainObject(value) ? inferRecord(value, recordOf(field)) : value
    default:
      return value
  }
}

/** Converts decoded arguments with a record definition (Kong's `infer`). */
export function inferRecord(args: Record<string, unknown>, def: RecordDefinition): Record<string, unknown> {
  const subschema = getSubschema(def, args)
  const out: Record<string, unknown> = { ...args }
  for (const name of Object.keys(args)) {
    const field = resolveField(def, name, subschema) ?? def.shorthand_fields?.[name]?.field
    if (field) out[name] = inferValue(args[name], field)
    else if (name === 'ttl' && def.ttl && typeof args.ttl === 'string') out.ttl = toNumber(args.ttl)
  }
  return out
}
