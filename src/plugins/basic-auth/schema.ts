// basic-auth: authenticate consumers by a username and password (HTTP Basic authentication).
import { f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'
import { pluginSchema } from '../definition.js'

export default pluginSchema({
  name: 'basic-auth',
  noConsumer: true,
  protocols: typedefs.protocolsHttp,
  config: {
    anonymous: f.string({
      description:
        'An optional string (consumer UUID or username) value to use as an anonymous consumer if authentication fails.',
    }),
    hide_credentials: f.boolean({
      required: true,
      default: false,
      description:
        'Whether to strip the credential (the Authorization or Proxy-Authorization header) from the request before proxying it.',
    }),
    realm: f.string({
      required: true,
      default: 'service',
      description: 'Realm of the WWW-Authenticate header sent on authentication failures.',
    }),
  },
})
