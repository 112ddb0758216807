// hmac-auth: authenticate consumers by an HMAC signature of request headers (and optionally the body).
import { f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'
import { pluginSchema } from '../definition.js'
import { ALGORITHMS } from './signing.js'

export default pluginSchema({
  name: 'hmac-auth',
  noConsumer: true,
  protocols: typedefs.protocolsHttp,
  config: {
    hide_credentials: f.boolean({
      required: true,
      default: false,
      description: 'Whether to strip the credential header from the request before proxying it.',
    }),
    clock_skew: f.number({
      default: 300,
      gt: 0,
      description: 'Clock skew in seconds to prevent replay attacks.',
    }),
    anonymous: f.string({
      description:
        'An optional string (consumer UUID or username) value to use as an anonymous consumer if authentication fails.',
    }),
    validate_request_body: f.boolean({
      required: true,
      default: false,
      description: 'Whether to check the request body against the Digest header.',
    }),
    enforce_headers: f.array(f.string(), {
      default: [],
      description: 'Headers the client must at least use for the signature.',
    }),
    algorithms: f.array(f.string({ one_of: ALGORITHMS }), {
      default: ALGORITHMS,
      description: 'HMAC digest algorithms accepted: hmac-sha1, hmac-sha256, hmac-sha384 and hmac-sha512.',
    }),
    realm: f.string({
      required: false,
      description: 'Realm of the WWW-Authenticate header sent on authentication failures.',
    }),
  },
})
