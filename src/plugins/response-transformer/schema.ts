// response-transformer: change the response headers and the top-level keys of a JSON body.
import { f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'
import { pluginSchema } from '../definition.js'
import { validateColonHeaders } from '../request-transformer/schema.js'

const COLON_PAIR = /^[^:]+:[\s\S]*$/

const stringArray = f.array(f.string(), { required: true, default: [] })
const colonStringArray = f.array(f.string({ match: COLON_PAIR }), { required: true, default: [] })
const colonHeadersArray = f.array(f.string({ match: COLON_PAIR, custom_validator: validateColonHeaders }), {
  required: true,
  default: [],
})
const jsonTypes = f.array(f.string({ one_of: ['boolean', 'number', 'string'] }), {
  required: true,
  default: [],
  description:
    'List of JSON type names. Specify the types of the JSON values returned when appending\n' +
    'JSON properties. Each string element can be one of: boolean, number, or string.',
})
const colonStringRecord = f.record(
  { json: colonStringArray, json_types: jsonTypes, headers: colonStringArray },
  { required: true },
)

export default pluginSchema({
  name: 'response-transformer',
  protocols: typedefs.protocolsHttp,
  config: {
    remove: f.record({ json: stringArray, headers: stringArray }, { required: true }),
    rename: f.record({ json: colonStringArray, headers: colonHeadersArray }, { required: true }),
    replace: colonStringRecord,
    add: colonStringRecord,
    append: colonStringRecord,
  },
})
