// ldap-auth: authenticate requests by binding to an LDAP directory as the user they name.
import { extend, f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'
import { pluginSchema } from '../definition.js'

export default pluginSchema({
  name: 'ldap-auth',
  noConsumer: true,
  protocols: typedefs.protocolsHttp,
  config: {
    ldap_host: extend(typedefs.host, {
      required: true,
      description: 'Host on which the LDAP server is running.',
    }),
    ldap_port: extend(typedefs.port, {
      required: true,
      default: 389,
      description: 'TCP port where the LDAP server is listening (636 for LDAPS).',
    }),
    ldaps: f.boolean({
      required: true,
      default: false,
      description: 'Connect with LDAPS (LDAP over TLS); not together with `start_tls`.',
    }),
    start_tls: f.boolean({
      required: true,
      default: false,
      description:
        'Issue the StartTLS extended operation over a plain `ldap` connection; not together with `ldaps`.',
    }),
    verify_ldap_host: f.boolean({
      required: true,
      default: false,
      description: "Verify the LDAP server's TLS certificate and host name.",
    }),
    base_dn: f.string({
      required: true,
      description: 'Base DN under which users are bound, e.g. dc=example,dc=com.',
    }),
    attribute: f.string({ required: true, description: 'Attribute naming the user in its DN, e.g. cn.' }),
    cache_ttl: f.number({ required: true, default: 60, description: 'Cache expiry time in seconds.' }),
    hide_credentials: f.boolean({
      required: true,
      default: false,
      description: 'Remove the Authorization and Proxy-Authorization headers before proxying the request.',
    }),
    timeout: f.number({
      default: 10000,
      description: 'Milliseconds to wait for the LDAP server (connection and bind).',
    }),
    keepalive: f.number({
      default: 60000,
      description:
        'Milliseconds an idle connection to the LDAP server lives (accepted; Silverback does not pool).',
    }),
    anonymous: f.string({
      description: 'Consumer id or username used as an anonymous consumer when authentication fails.',
    }),
    header_type: f.string({
      default: 'ldap',
      description: 'The scheme expected in the Authorization header (`ldap`, or e.g. `basic`).',
    }),
    realm: f.string({
      description: 'Realm of the WWW-Authenticate header sent on authentication failures.',
    }),
  },
  configChecks: [
    {
      conditional: {
        if_field: 'ldaps',
        if_match: { eq: true },
        then_field: 'start_tls',
        then_match: { eq: false },
        then_err: "'ldaps' and 'start_tls' cannot be enabled simultaneously",
      },
    },
  ],
})
