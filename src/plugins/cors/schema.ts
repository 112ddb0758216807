// cors: answer CORS preflight requests and add CORS headers to responses.
import { f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'
import { pluginSchema } from '../definition.js'

export const METHODS = [
  'GET',
  'HEAD',
  'PUT',
  'PATCH',
  'POST',
  'DELETE',
  'OPTIONS',
  'TRACE',
  'CONNECT',
] as const

function asteriskOrRegex(value: string): string | undefined {
  if (value === '*') return undefined
  try {
    new RegExp(value)
    return undefined
  } catch {
    return `'${value}' is not a valid regex`
  }
}

export default pluginSchema({
  name: 'cors',
  noConsumer: true,
  protocols: typedefs.protocolsHttp,
  config: {
    origins: f.array(
      f.string({ custom_validator: asteriskOrRegex as (value: never) => string | undefined }),
      {
        description:
          "List of allowed domains for the `Access-Control-Allow-Origin` header. If you want to allow all origins, add `*` as a single value to this configuration field. The accepted values can either be flat strings or PCRE regexes. NOTE: If you don't specify any allowed domains, all origins are allowed.",
      },
    ),
    headers: f.array(f.string(), { description: 'Value for the `Access-Control-Allow-Headers` header.' }),
    exposed_headers: f.array(f.string(), {
      description:
        'Value for the `Access-Control-Expose-Headers` header. If not specified, no custom headers are exposed.',
    }),
    methods: f.array(f.string({ one_of: METHODS }), {
      default: METHODS,
      description:
        "'Value for the `Access-Control-Allow-Methods` header. Available options include `GET`, `HEAD`, `PUT`, `PATCH`, `POST`, `DELETE`, `OPTIONS`, `TRACE`, `CONNECT`. By default, all options are allowed.'",
    }),
    max_age: f.number({
      description: 'Indicates how long the results of the preflight request can be cached, in `seconds`.',
    }),
    credentials: f.boolean({
      required: true,
      default: false,
      description:
        'Flag to determine whether the `Access-Control-Allow-Credentials` header should be sent with `true` as the value.',
    }),
    private_network: f.boolean({
      required: true,
      default: false,
      description:
        'Flag to determine whether the `Access-Control-Allow-Private-Network` header should be sent with `true` as the value.',
    }),
    preflight_continue: f.boolean({
      required: true,
      default: false,
      description:
        'A boolean value that instructs the plugin to proxy the `OPTIONS` preflight request to the Upstream service.',
    }),
    allow_origin_absent: f.boolean({
      required: true,
      default: true,
      description: 'A boolean value that skip cors response headers when origin header of request is empty',
    }),
  },
})
