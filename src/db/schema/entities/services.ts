// Services: the upstream APIs the gateway forwards to.
import { defineEntity, type EntityOf } from '../entity.js'
import { extend, f } from '../field.js'
import { typedefs } from '../typedefs.js'
import { expandServiceUrl } from '../validators/url.js'

const nonzeroTimeout = (description: string) =>
  f.integer({ between: [1, 2 ** 31 - 2], default: 60000, description })

const notWithoutTls = (field: string) =>
  ({
    conditional: {
      if_field: 'protocol',
      if_match: { not_one_of: ['https', 'tls'] },
      then_field: field,
      then_match: { eq: null },
    },
  }) as const

export const services = defineEntity({
  name: 'services',
  primary_key: ['id'],
  endpoint_key: 'name',
  workspaceable: true,
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.autoTimestampS,
    updated_at: typedefs.autoTimestampS,
    name: extend(typedefs.utf8Name, { description: 'The service name.' }),
    retries: f.integer({
      default: 5,
      between: [0, 32767],
      description: 'The number of retries to execute upon failure to proxy.',
    }),
    protocol: extend(typedefs.protocol, {
      required: true,
      default: 'http',
      description: 'The protocol used to communicate with the upstream.',
    }),
    host: extend(typedefs.host, { required: true, description: 'The host of the upstream server.' }),
    port: extend(typedefs.port, { required: true, default: 80, description: 'The upstream server port.' }),
    path: extend(typedefs.path, { description: 'The path to be used in requests to the upstream server.' }),
    connect_timeout: nonzeroTimeout(
      'The timeout in milliseconds for establishing a connection to the upstream server.',
    ),
    write_timeout: nonzeroTimeout(
      'The timeout in milliseconds between two successive write operations for transmitting a request to the upstream server.',
    ),
    read_timeout: nonzeroTimeout(
      'The timeout in milliseconds between two successive read operations for transmitting a request to the upstream server.',
    ),
    tags: typedefs.tags,
    client_certificate: f.foreign('certificates', {
      description:
        'Certificate to be used as client certificate while TLS handshaking to the upstream server.',
    }),
    tls_verify: f.boolean({
      description: 'Whether to enable verification of upstream server TLS certificate.',
    }),
    tls_verify_depth: f.integer({
      between: [0, 64],
      description: 'Maximum depth of chain while verifying Upstream server TLS certificate.',
    }),
    ca_certificates: f.array(f.string({ uuid: true }), {
      description: 'Array of CA Certificate object UUIDs that are used to build the trust store.',
    }),
    enabled: f.boolean({ required: true, default: true, description: 'Whether the Service is active.' }),
  },
  entity_checks: [
    {
      conditional: {
        if_field: 'protocol',
        if_match: { one_of: ['tcp', 'tls', 'udp', 'grpc', 'grpcs'] },
        then_field: 'path',
        then_match: { eq: null },
      },
    },
    notWithoutTls('client_certificate'),
    notWithoutTls('tls_verify'),
    notWithoutTls('tls_verify_depth'),
    notWithoutTls('ca_certificates'),
  ],
  shorthand_fields: {
    url: {
      field: f.string(),
      // Input only: expands into protocol, host, port and path (overriding them).
      expand: (url: string) => {
        const parts = expandServiceUrl(url)
        if ('error' in parts) return {}
        return { protocol: parts.protocol, host: parts.host, port: parts.port, path: parts.path }
      },
    },
  },
})

export type Service = EntityOf<typeof services>
