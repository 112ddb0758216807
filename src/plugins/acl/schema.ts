// acl: allow or deny consumers by the groups they belong to.
import { f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'
import { pluginSchema } from '../definition.js'

export default pluginSchema({
  name: 'acl',
  noConsumer: true,
  protocols: typedefs.protocolsHttp,
  config: {
    allow: f.array(f.string(), {
      description:
        'Arbitrary group names that are allowed to consume the service or route. One of `config.allow` or `config.deny` must be specified.',
    }),
    deny: f.array(f.string(), {
      description:
        'Arbitrary group names that are not allowed to consume the service or route. One of `config.allow` or `config.deny` must be specified.',
    }),
    hide_groups_header: f.boolean({
      required: true,
      default: false,
      description:
        'If enabled (`true`), prevents the `X-Consumer-Groups` header from being sent in the request to the upstream service.',
    }),
    always_use_authenticated_groups: f.boolean({
      required: true,
      default: false,
      description:
        "If enabled (`true`), the authenticated groups will always be used even when an authenticated consumer already exists. If the authenticated groups don't exist, it will fallback to use the groups associated with the consumer. By default the authenticated groups will only be used when there is no consumer or the consumer is anonymous.",
    }),
  },
  entityChecks: [
    { only_one_of: ['config.allow', 'config.deny'] },
    { at_least_one_of: ['config.allow', 'config.deny'] },
  ],
})
