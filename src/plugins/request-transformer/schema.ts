// request-transformer: change the request (method, path, headers, query, body) before proxying.
import { f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'
import { validateHeaderName } from '../../db/schema/validators/headers.js'
import { pluginSchema } from '../definition.js'
import { compileTemplate } from './template.js'

/** `name:value` as Kong splits it (`^([^:]+):*(.-)$`): every colon after the name is skipped. */
export function splitPair(entry: string): { name: string; value: string } | null {
  const m = /^([^:]+):*([\s\S]*)$/.exec(entry)
  return m ? { name: m[1], value: m[2] } : null
}

/** The name part must be a header name. */
function validateHeaderPair(pair: string): string | undefined {
  const p = splitPair(pair)
  if (p === null || validateHeaderName(p.name) !== undefined)
    return `'${p?.name ?? 'nil'}' is not a valid header`
  return undefined
}

/** Both parts of `old:new` must be header names. */
export function validateColonHeaders(pair: string): string | undefined {
  const err = validateHeaderPair(pair)
  if (err !== undefined) return err
  const p = splitPair(pair)!
  if (validateHeaderName(p.value) !== undefined) return `'${p.value}' is not a valid header`
  return undefined
}

/** Query and body entries need a value, and a value's `$(…)` expressions must parse. */
function checkForValue(entry: string): string | undefined {
  const p = splitPair(entry)
  if (p === null || p.value === '') return `key '${p?.name ?? ''}' has no value`
  const t = compileTemplate(p.value)
  if (t.error !== null) return `value '${p.value}' is not in supported format, error:${t.error}`
  return undefined
}

const COLON_PAIR = /^[^:]+:[\s\S]*$/

const stringsArray = f.array(f.string(), { required: true, default: [] })
const headersArray = f.array(f.string({ custom_validator: validateHeaderPair }), {
  required: true,
  default: [],
})
const colonStringsArray = f.array(f.string({ custom_validator: checkForValue }), {
  required: true,
  default: [],
})
const colonHeaderValueArray = f.array(f.string({ match: COLON_PAIR, custom_validator: validateHeaderPair }), {
  required: true,
  default: [],
})
const colonHeadersArray = f.array(f.string({ match: COLON_PAIR, custom_validator: validateColonHeaders }), {
  required: true,
  default: [],
})

export default pluginSchema({
  name: 'request-transformer',
  protocols: typedefs.protocols,
  config: {
    http_method: typedefs.httpMethod,
    remove: f.record(
      { body: stringsArray, headers: headersArray, querystring: stringsArray },
      { required: true },
    ),
    rename: f.record(
      { body: colonStringsArray, headers: colonHeadersArray, querystring: colonStringsArray },
      { required: true },
    ),
    replace: f.record(
      {
        body: colonStringsArray,
        headers: colonHeaderValueArray,
        querystring: colonStringsArray,
        uri: f.string(),
      },
      { required: true },
    ),
    add: f.record(
      { body: colonStringsArray, headers: colonHeaderValueArray, querystring: colonStringsArray },
      { required: true },
    ),
    append: f.record(
      { body: colonStringsArray, headers: colonHeaderValueArray, querystring: colonStringsArray },
      { required: true },
    ),
  },
})
