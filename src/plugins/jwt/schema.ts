// jwt: authenticate consumers by a signed JSON Web Token (plugins.md §6.4). Fields, order and
// defaults are Kong's.
import { f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'
import { pluginSchema } from '../definition.js'

export default pluginSchema({
  name: 'jwt',
  noConsumer: true,
  protocols: typedefs.protocolsHttp,
  config: {
    uri_param_names: f.set(f.string(), {
      default: ['jwt'],
      description: 'A list of querystring parameters that Kong will inspect to retrieve JWTs.',
    }),
    cookie_names: f.set(f.string(), {
      default: [],
      description: 'A list of cookie names that Kong will inspect to retrieve JWTs.',
    }),
    key_claim_name: f.string({
      default: 'iss',
      description:
        'The name of the claim in which the key identifying the secret must be passed. The plugin will attempt to read this claim from the JWT payload and the header, in that order.',
    }),
    secret_is_base64: f.boolean({
      required: true,
      default: false,
      description:
        'If true, the plugin assumes the credential’s secret to be base64 encoded. You will need to create a base64-encoded secret for your Consumer, and sign your JWT with the original secret.',
    }),
    claims_to_verify: f.set(f.string({ one_of: ['exp', 'nbf'] }), {
      description:
        'A list of registered claims (according to RFC 7519) that Kong can verify as well. Accepted values: one of exp or nbf.',
    }),
    anonymous: f.string({
      description:
        'An optional string (consumer UUID or username) value to use as an “anonymous” consumer if authentication fails.',
    }),
    run_on_preflight: f.boolean({
      required: true,
      default: true,
      description:
        'A boolean value that indicates whether the plugin should run (and try to authenticate) on OPTIONS preflight requests. If set to false, then OPTIONS requests will always be allowed.',
    }),
    maximum_expiration: f.number({
      default: 0,
      between: [0, 31536000],
      description:
        'A value between 0 and 31536000 (365 days) limiting the lifetime of the JWT to maximum_expiration seconds in the future.',
    }),
    header_names: f.set(f.string(), {
      default: ['authorization'],
      description: 'A list of HTTP header names that Kong will inspect to retrieve JWTs.',
    }),
    realm: f.string({
      description:
        'When authentication fails the plugin sends `WWW-Authenticate` header with `realm` attribute value.',
    }),
  },
  entityChecks: [
    {
      conditional: {
        if_field: 'config.maximum_expiration',
        if_match: { gt: 0 },
        then_field: 'config.claims_to_verify',
        then_match: { contains: 'exp' },
      },
    },
  ],
})
