// Fills what the client did not send: generated ids, timestamps and secrets, defaults (also
// inside nested records), set de-duplication, and shorthand expansion (a service's `url`).
import { randomUUID } from 'node:crypto'
import { randomString } from '../../util/random.js'
import type { Field } from './field.js'
import {
  deepCopy,
  type FieldErrors,
  getSubschema,
  isPlainObject,
  type RecordDefinition,
  recordOf,
  resolveField,
} from './record.js'
import { validateField } from './validate.js'

export type Context = 'insert' | 'upsert' | 'update' | 'select'

export interface Clock {
  /** Seconds since the epoch, with millisecond precision. */
  now(): number
}

const systemClock: Clock = { now: () => Date.now() / 1000 }

function handleMissing(field: Field): unknown {
  if (field.default !== undefined) return deepCopy(field.default)
  if (field.required !== true) return null
  if (field.type === 'record') {
    const res = processAutoFields(recordOf(field), {}, 'insert')
    return 'value' in res ? res.value : undefined
  }
  return undefined
}

function dedupe(values: unknown[]): unknown[] {
  const seen = new Set<unknown>()
  const out: unknown[] = []
  for (const v of values) {
    // Only scalars compare equal in Kong's sets (tables compare by identity).
    if (v !== null && typeof v === 'object') {
      out.push(v)
      continue
    }
    if (seen.has(v)) continue
    seen.add(v)
    out.push(v)
  }
  return out
}

function adjust(field: Field, value: unknown, context: Context, clock: Clock): unknown {
  if (field.type === 'record') {
    const recurse =
      context === 'update'
        ? value !== null && value !== undefined
        : value !== null && (value !== undefined || field.required === true)
    if (recurse) {
      const v = value ?? handleMissing(field)
      if (isPlainObject(v)) {
        const res = processAutoFields(recordOf(field), v, context, clock)
        return 'value' in res ? res.value : v
      }
      value = v
    }
  } else if (Array.isArray(value) || isPlainObject(value)) {
    if (field.type === 'array' || field.type === 'set') {
      let list: unknown[] = Array.isArray(value)
        ? value
        : Object.keys(value).length === 0
          ? []
          : (value as never)
      if (Array.isArray(list)) {
        if (field.type === 'set') list = dedupe(list)
        const el = field.elements!
        value = list.map((v) => adjust(el, v, context, clock))
      }
    } else if (field.type === 'map' && isPlainObject(value)) {
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(value)) out[k] = adjust(field.values!, v, context, clock)
      value = out
    }
  }
  if (value === undefined && context !== 'update') return handleMissing(field)
  return value
}

/**
 * Returns a processed copy of `input` for the given CRUD context, or the errors of invalid
 * shorthand values. `select` fills fields added to a schema after a row was stored.
 */
export function processAutoFields(
  def: RecordDefinition,
  input: Record<string, unknown>,
  context: Context,
  clock: Clock = systemClock,
): { value: Record<string, unknown> } | { errors: FieldErrors } {
  const data = deepCopy(input)
  // Shorthands are input only: stored rows read back (`select`) are never re-expanded.
  if (def.shorthand_fields && context !== 'select') {
    const errors: FieldErrors = {}
    for (const [name, shorthand] of Object.entries(def.shorthand_fields)) {
      const value = data[name]
      if (value === undefined) continue
      const err = validateField(shorthand.field, value)
      if (err !== undefined) {
        errors[name] = err
        continue
      }
      delete data[name]
      for (const [k, v] of Object.entries(shorthand.expand(value as never))) {
        data[k] = isPlainObject(v) && isPlainObject(data[k]) ? { ...(data[k] as object), ...v } : v
      }
    }
    if (Object.keys(errors).length > 0) return { errors }
  }

  const subschema = getSubschema(def, data)
  const isCreate = context === 'insert' || context === 'upsert'
  let now: number | undefined
  for (const key of Object.keys(def.fields)) {
    const field = resolveField(def, key, subschema)!
    let value = data[key]
    if (field.auto && context !== 'select') {
      if (field.uuid) {
        // An explicit null id is treated as absent: an entity is never stored without its key.
        if (isCreate && (value === undefined || value === null)) value = randomUUID()
      } else if (field.type === 'string') {
        if (isCreate && value === undefined) value = randomString()
      } else if (
        (key === 'created_at' && isCreate && (value === null || value === undefined)) ||
        (key === 'updated_at' && (isCreate || context === 'update'))
      ) {
        now ??= clock.now()
        value = field.type === 'integer' ? Math.floor(now) : Math.floor(now * 1000) / 1000
      }
    }
    value = adjust(field, value, context, clock)
    if (value === undefined) delete data[key]
    else data[key] = value
  }
  return { value: data }
}

/**
 * Kong's schema-aware merge for PATCH: values of `top` win; nested records merge key by key;
 * arrays, sets and maps are replaced whole.
 */
export function mergeValues(
  def: RecordDefinition,
  top: Record<string, unknown>,
  bottom: Record<string, unknown> | null | undefined,
): Record<string, unknown> {
  const base = bottom ?? {}
  const out: Record<string, unknown> = { ...base, ...top }
  for (const [key, field] of Object.entries(def.fields)) {
    const t = top[key]
    if (t === undefined) {
      if (Object.hasOwn(base, key)) out[key] = base[key]
    } else if (field.type === 'record' && isPlainObject(t)) {
      const b = base[key]
      out[key] = mergeValues(recordOf(field), t, isPlainObject(b) ? b : null)
    }
  }
  return out
}
