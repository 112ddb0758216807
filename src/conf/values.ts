// Typing of raw property text (after merging sources and resolving vault references), with Kong's
// type and enum messages:
//   <name> is not a <boolean|number|...>: '<value>'
//   <name> has an invalid value: '<value>' (<allowed values joined by ", ">)
import { isUnsetDefault, type PropertySpec } from './defaults.js'
import { splitList } from './parse.js'
import { parseSize } from './sizes.js'

/** Text of a scalar property, or the items of a list property. */
export type RawValue = string | string[]
export type TypedValue = string | number | boolean | string[] | null

export type TypingResult = { ok: true; value: TypedValue } | { ok: false; error: string }

/**
 * Values refused with a dedicated message instead of the enum message. Kong 3.4+ still lists
 * `cassandra` among the database values only to be able to print this.
 */
const REJECTED_VALUES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  database: {
    cassandra:
      'Cassandra as a datastore for Kong is not supported in versions 3.4 and above. Please use Postgres.',
  },
}

// Lua's tonumber accepts decimals, exponents and hexadecimal; so do we (after trimming).
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^0[xX][0-9a-fA-F]+$/

export function parseBoolean(text: string): boolean | null {
  const lower = text.toLowerCase()
  if (lower === 'on' || lower === 'true') return true
  if (lower === 'off' || lower === 'false') return false
  return null
}

export function parseNumber(text: string): number | null {
  return NUMBER.test(text) ? Number(text) : null
}

const ok = (value: TypedValue): TypingResult => ({ ok: true, value })
const fail = (error: string): TypingResult => ({ ok: false, error })

export function typeValue(name: string, spec: PropertySpec, raw: RawValue): TypingResult {
  if (spec.type === 'array') return ok(Array.isArray(raw) ? raw : splitList(raw))
  const text = (Array.isArray(raw) ? raw.join(',') : raw).trim()
  if (text === '') return typeEmpty(name, spec)

  switch (spec.type) {
    case 'boolean':
    case 'ngx_boolean': {
      const value = parseBoolean(text)
      return value === null ? fail(`${name} is not a boolean: '${text}'`) : ok(value)
    }
    case 'number': {
      const value = parseNumber(text)
      return value === null ? fail(`${name} is not a number: '${text}'`) : ok(value)
    }
    case 'enum': {
      const rejected = REJECTED_VALUES[name]?.[text]
      if (rejected) return fail(rejected)
      return spec.values?.includes(text) ? ok(text) : fail(enumMessage(name, text, spec.values ?? []))
    }
    case 'workers':
      if (text === 'auto') return ok('auto')
      if (/^\d+$/.test(text) && Number(text) > 0) return ok(Number(text))
      return fail(`${name} has an invalid value: '${text}' (auto, or a positive integer)`)
    case 'size':
      return parseSize(text) === null ? fail(`${name} is not a size: '${text}'`) : ok(text)
    default:
      return ok(text)
  }
}

/** An explicitly emptied property ("name =" or an empty KONG_* variable). */
function typeEmpty(name: string, spec: PropertySpec): TypingResult {
  const unsetByDefault = isUnsetDefault(spec.default)
  switch (spec.type) {
    case 'boolean':
    case 'ngx_boolean':
      // Kong reads an empty boolean as false (`"" == "on"` is false).
      return ok(unsetByDefault ? null : false)
    case 'number':
      return unsetByDefault ? ok(null) : fail(`${name} is not a number: ''`)
    case 'enum':
      return fail(enumMessage(name, '', spec.values ?? []))
    case 'workers':
      return fail(`${name} has an invalid value: '' (auto, or a positive integer)`)
    case 'size':
      return fail(`${name} is not a size: ''`)
    default:
      // Unsetting an nginx directive removes it, as in Kong; other properties with a real default
      // have no meaning without a value (Kong fails later, at template time).
      if (unsetByDefault || name.startsWith('nginx_')) return ok(null)
      return fail(`${name} must not be empty`)
  }
}

export function enumMessage(name: string, value: string, values: readonly string[]): string {
  return `${name} has an invalid value: '${value}' (${values.join(', ')})`
}
