// key-auth: authenticate consumers by an API key in a header, the query string or the body.
import { f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'
import { pluginSchema } from '../definition.js'

export default pluginSchema({
  name: 'key-auth',
  noConsumer: true,
  protocols: typedefs.protocolsHttp,
  config: {
    key_names: f.array(typedefs.headerName, {
      required: true,
      default: ['apikey'],
      description: 'Parameter names where the plugin will look for a key.',
    }),
    hide_credentials: f.boolean({
      required: true,
      default: false,
      description: 'Whether to strip the credential from the request before proxying it.',
    }),
    anonymous: f.string({
      description: 'Consumer id or username used as an anonymous consumer when authentication fails.',
    }),
    key_in_header: f.boolean({
      required: true,
      default: true,
      description: 'Look for the key in request headers.',
    }),
    key_in_query: f.boolean({
      required: true,
      default: true,
      description: 'Look for the key in the query string.',
    }),
    key_in_body: f.boolean({
      required: true,
      default: false,
      description: 'Look for the key in the request body.',
    }),
    run_on_preflight: f.boolean({
      required: true,
      default: true,
      description: 'Whether to authenticate OPTIONS preflight requests.',
    }),
    realm: f.string({ description: 'Realm of the WWW-Authenticate header sent on authentication failures.' }),
  },
})
