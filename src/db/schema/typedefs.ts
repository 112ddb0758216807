// Reusable field definitions (Kong's `typedefs`), shared by entity and plugin schemas.
import { extend, f } from './field.js'
import { validateCertificate, validateKey } from './validators/certificates.js'
import { validateCookieName, validateHeaderName } from './validators/headers.js'
import {
  validateHost,
  validateHostWithOptionalPort,
  validateIp,
  validateIpOrCidr,
  validateSni,
  validateWildcardHost,
} from './validators/hosts.js'
import { validateName, validateUtf8Name } from './validators/names.js'
import { validatePath } from './validators/paths.js'
import { validateTag } from './validators/tags.js'
import { validateUrl } from './validators/url.js'

export const PROTOCOLS = ['grpc', 'grpcs', 'http', 'https', 'tcp', 'tls', 'tls_passthrough', 'udp'] as const
export const HTTP_PROTOCOLS = ['grpc', 'grpcs', 'http', 'https'] as const
export const STREAM_PROTOCOLS = ['tcp', 'tls', 'tls_passthrough', 'udp'] as const

export const typedefs = {
  uuid: f.string({
    uuid: true,
    auto: true,
    description: 'A string representing a UUID (universally unique identifier).',
  }),
  autoTimestampS: f.integer({
    timestamp: true,
    auto: true,
    description: 'An integer representing an automatic Unix timestamp in seconds.',
  }),
  autoTimestampMs: f.number({
    timestamp: true,
    auto: true,
    description: 'A number representing an automatic Unix timestamp in milliseconds.',
  }),
  httpMethod: f.string({
    match: /^[A-Z]+$/,
    description: 'A string representing an HTTP method, such as GET, POST, PUT, or DELETE.',
  }),
  protocol: f.string({
    one_of: PROTOCOLS,
    description: 'A string representing a protocol, such as HTTP or HTTPS.',
  }),
  host: f.string({
    custom_validator: validateHost,
    description: 'A string representing a host name, such as example.com.',
  }),
  hostWithOptionalPort: f.string({
    custom_validator: validateHostWithOptionalPort,
    description: 'A string representing a host name with an optional port number.',
  }),
  wildcardHost: f.string({
    custom_validator: validateWildcardHost,
    description: 'A string representing a wildcard host name, such as *.example.com.',
  }),
  sni: f.string({
    custom_validator: validateSni,
    description: 'A string representing an SNI value for TLS.',
  }),
  ip: f.string({ custom_validator: validateIp, description: 'A string representing an IP address.' }),
  ipOrCidr: f.string({
    custom_validator: validateIpOrCidr,
    description: 'A string representing an IP address or CIDR block, such as 192.168.1.1 or 192.168.0.0/16.',
  }),
  port: f.integer({
    between: [0, 65535],
    description: 'An integer representing a port number between 0 and 65535.',
  }),
  path: f.string({
    starts_with: '/',
    match_none: [{ pattern: /\/\//, err: 'must not have empty segments' }],
    custom_validator: validatePath,
    description: 'A string representing a URL path, such as /path/to/resource.',
  }),
  url: f.string({
    custom_validator: validateUrl,
    description: 'A string representing a URL, such as https://example.com/path/to/resource?q=search.',
  }),
  headerName: f.string({
    custom_validator: validateHeaderName,
    description: 'A string representing an HTTP header name.',
  }),
  cookieName: f.string({
    custom_validator: validateCookieName,
    description: 'A string representing an HTTP token defined by RFC 2616.',
  }),
  timeout: f.integer({
    between: [0, 2 ** 31 - 2],
    description: 'An integer representing a timeout in milliseconds. Must be between 0 and 2^31-2.',
  }),
  name: f.string({
    unique: true,
    custom_validator: validateName,
    description: 'A unique string representing a name.',
  }),
  utf8Name: f.string({
    unique: true,
    custom_validator: validateUtf8Name,
    description: 'A unique string representing a UTF-8 encoded name.',
  }),
  certificate: f.string({
    custom_validator: validateCertificate,
    description: 'A string representing a certificate.',
  }),
  key: f.string({ custom_validator: validateKey, description: 'A string representing a key.' }),
  tags: f.set(
    f.string({ required: true, custom_validator: validateTag, description: 'A string representing a tag.' }),
    { description: 'A set of strings representing tags.' },
  ),
  protocols: f.set(f.string({ one_of: PROTOCOLS }), {
    required: true,
    default: HTTP_PROTOCOLS,
    description: 'A set of strings representing protocols.',
  }),
  protocolsHttp: f.set(f.string({ one_of: HTTP_PROTOCOLS }), {
    required: true,
    default: HTTP_PROTOCOLS,
    description: 'A set of strings representing HTTP protocols.',
  }),
  headers: f.map(f.string({ custom_validator: validateHeaderName }), f.array(f.string()), {
    description: 'A map of header names to arrays of header values.',
  }),
  noRoute: f.foreign('routes', { eq: null }),
  noService: f.foreign('services', { eq: null }),
  noConsumer: f.foreign('consumers', { eq: null }),
}

/** Source/destination sets of stream routes: records with an ip (or CIDR) and/or a port. */
export const endpointSet = f.set(
  f.record(
    { ip: typedefs.ipOrCidr, port: typedefs.port },
    { entity_checks: [{ at_least_one_of: ['ip', 'port'] }] },
  ),
)

export { extend }
