// ip-restriction: allow or deny requests by the client's IP address.
import { extend, f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'
import { pluginSchema } from '../definition.js'

export default pluginSchema({
  name: 'ip-restriction',
  protocols: extend(typedefs.protocols, { default: ['http', 'https', 'tcp', 'tls', 'grpc', 'grpcs'] }),
  config: {
    allow: f.array(typedefs.ipOrCidr, {
      description:
        'List of IPs or CIDR ranges to allow. One of `config.allow` or `config.deny` must be specified.',
    }),
    deny: f.array(typedefs.ipOrCidr, {
      description:
        'List of IPs or CIDR ranges to deny. One of `config.allow` or `config.deny` must be specified.',
    }),
    status: f.number({
      required: false,
      description: 'The HTTP status of the requests that will be rejected by the plugin.',
    }),
    message: f.string({
      required: false,
      description: 'The message to send as a response body to rejected requests.',
    }),
  },
  entityChecks: [{ at_least_one_of: ['config.allow', 'config.deny'] }],
})
