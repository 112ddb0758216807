// Upstreams: virtual hostnames load-balanced over targets, with health checks.
import { defineEntity, type EntityOf } from '../entity.js'
import { type EntityCheck, extend, type Fields, f } from '../field.js'
import { typedefs } from '../typedefs.js'
import { validateUpstreamName } from '../validators/hosts.js'

const HASH_ON = ['none', 'consumer', 'ip', 'header', 'cookie', 'path', 'query_arg', 'uri_capture'] as const
const hashOn = (description: string) => f.string({ default: 'none', one_of: HASH_ON, description })
const seconds = (dflt: number) => f.number({ between: [0, 65535], default: dflt })
const oneByte = (dflt: number) => f.integer({ between: [0, 255], default: dflt })
const statuses = (dflt: readonly number[]) => f.array(f.integer({ between: [100, 999] }), { default: dflt })
const checkType = f.string({ one_of: ['tcp', 'http', 'https', 'grpc', 'grpcs'], default: 'http' })
const simpleParam = f.string({ len_min: 1 })

export const ACTIVE_HEALTHY_STATUSES = [200, 302] as const
export const ACTIVE_UNHEALTHY_STATUSES = [429, 404, 500, 501, 502, 503, 504, 505] as const
export const PASSIVE_HEALTHY_STATUSES = [
  200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308,
] as const
export const PASSIVE_UNHEALTHY_STATUSES = [429, 500, 503] as const

const activeFields = {
  type: checkType,
  timeout: seconds(1),
  concurrency: f.integer({ between: [1, 2 ** 31], default: 10 }),
  http_path: extend(typedefs.path, { default: '/' }),
  https_sni: typedefs.sni,
  https_verify_certificate: f.boolean({ default: true, required: true }),
  headers: typedefs.headers,
  healthy: f.record({
    interval: seconds(0),
    http_statuses: statuses(ACTIVE_HEALTHY_STATUSES),
    successes: oneByte(0),
  }),
  unhealthy: f.record({
    interval: seconds(0),
    http_statuses: statuses(ACTIVE_UNHEALTHY_STATUSES),
    tcp_failures: oneByte(0),
    timeouts: oneByte(0),
    http_failures: oneByte(0),
  }),
} satisfies Fields

const passiveFields = {
  type: checkType,
  healthy: f.record({ http_statuses: statuses(PASSIVE_HEALTHY_STATUSES), successes: oneByte(0) }),
  unhealthy: f.record({
    http_statuses: statuses(PASSIVE_UNHEALTHY_STATUSES),
    tcp_failures: oneByte(0),
    timeouts: oneByte(0),
    http_failures: oneByte(0),
  }),
} satisfies Fields

/** The fully expanded default of `healthchecks` (entities.md §6.2). */
export const HEALTHCHECKS_DEFAULT = {
  active: {
    type: 'http',
    timeout: 1,
    concurrency: 10,
    http_path: '/',
    https_sni: null,
    https_verify_certificate: true,
    headers: null,
    healthy: { interval: 0, http_statuses: [...ACTIVE_HEALTHY_STATUSES], successes: 0 },
    unhealthy: {
      interval: 0,
      http_statuses: [...ACTIVE_UNHEALTHY_STATUSES],
      tcp_failures: 0,
      timeouts: 0,
      http_failures: 0,
    },
  },
  passive: {
    type: 'http',
    healthy: { http_statuses: [...PASSIVE_HEALTHY_STATUSES], successes: 0 },
    unhealthy: {
      http_statuses: [...PASSIVE_UNHEALTHY_STATUSES],
      tcp_failures: 0,
      timeouts: 0,
      http_failures: 0,
    },
  },
  threshold: 0,
}

const healthchecks = f.record(
  {
    active: f.record(activeFields, { default: HEALTHCHECKS_DEFAULT.active }),
    passive: f.record(passiveFields, { default: HEALTHCHECKS_DEFAULT.passive }),
    threshold: f.number({ default: 0, between: [0, 100] }),
  },
  { default: HEALTHCHECKS_DEFAULT },
)

const requiredWhen = (ifField: string, value: string, thenField: string): EntityCheck => ({
  conditional: {
    if_field: ifField,
    if_match: { match: new RegExp(`^${value}$`) },
    then_field: thenField,
    then_match: { required: true },
  },
})

const fallbackAllowed = (value: string, allowed: readonly string[]): EntityCheck => ({
  conditional: {
    if_field: 'hash_on',
    if_match: { match: new RegExp(`^${value}$`) },
    then_field: 'hash_fallback',
    then_match: { one_of: allowed },
  },
})

export const upstreams = defineEntity({
  name: 'upstreams',
  primary_key: ['id'],
  endpoint_key: 'name',
  workspaceable: true,
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.autoTimestampS,
    name: f.string({
      required: true,
      unique: true,
      custom_validator: validateUpstreamName,
      description: 'A hostname, which must be equal to the host of a Service.',
    }),
    updated_at: typedefs.autoTimestampS,
    algorithm: f.string({
      default: 'round-robin',
      one_of: ['consistent-hashing', 'least-connections', 'round-robin', 'latency'],
      description: 'Which load balancing algorithm to use.',
    }),
    hash_on: hashOn('What to use as hashing input.'),
    hash_fallback: hashOn('What to use as hashing input if the primary hash_on does not return a hash.'),
    hash_on_header: typedefs.headerName,
    hash_fallback_header: typedefs.headerName,
    hash_on_cookie: typedefs.cookieName,
    hash_on_cookie_path: extend(typedefs.path, { default: '/' }),
    hash_on_query_arg: simpleParam,
    hash_fallback_query_arg: simpleParam,
    hash_on_uri_capture: simpleParam,
    hash_fallback_uri_capture: simpleParam,
    slots: f.integer({
      default: 10000,
      between: [10, 2 ** 16],
      description: 'The number of slots in the load balancer.',
    }),
    healthchecks,
    tags: typedefs.tags,
    host_header: typedefs.hostWithOptionalPort,
    client_certificate: f.foreign('certificates', {
      description:
        'If set, the certificate to be used as client certificate while TLS handshaking to the upstream.',
    }),
    use_srv_name: f.boolean({
      default: false,
      description: 'If set, the balancer will use SRV hostname as proxy upstream Host.',
    }),
  },
  entity_checks: [
    requiredWhen('hash_on', 'header', 'hash_on_header'),
    requiredWhen('hash_fallback', 'header', 'hash_fallback_header'),
    requiredWhen('hash_on', 'cookie', 'hash_on_cookie'),
    requiredWhen('hash_fallback', 'cookie', 'hash_on_cookie'),
    fallbackAllowed('none', ['none']),
    fallbackAllowed('cookie', ['none']),
    fallbackAllowed('consumer', ['none', 'ip', 'header', 'cookie', 'path', 'query_arg', 'uri_capture']),
    fallbackAllowed('ip', ['none', 'consumer', 'header', 'cookie', 'path', 'query_arg', 'uri_capture']),
    fallbackAllowed('path', ['none', 'consumer', 'header', 'cookie', 'query_arg', 'ip', 'uri_capture']),
    { distinct: ['hash_on_header', 'hash_fallback_header'] },
    requiredWhen('hash_on', 'query_arg', 'hash_on_query_arg'),
    requiredWhen('hash_fallback', 'query_arg', 'hash_fallback_query_arg'),
    { distinct: ['hash_on_query_arg', 'hash_fallback_query_arg'] },
    requiredWhen('hash_on', 'uri_capture', 'hash_on_uri_capture'),
    requiredWhen('hash_fallback', 'uri_capture', 'hash_fallback_uri_capture'),
    { distinct: ['hash_on_uri_capture', 'hash_fallback_uri_capture'] },
  ],
  shorthand_fields: {
    // Choosing least-connections/latency clears hashing; choosing a hash input selects the
    // consistent-hashing algorithm (and `none` round-robin). Order matters: algorithm first.
    algorithm: {
      field: f.string(),
      expand: (value: string) =>
        value === 'least-connections' || value === 'latency'
          ? { algorithm: value, hash_on: null }
          : { algorithm: value },
    },
    hash_on: {
      field: f.string(),
      expand: (value: string | null) => {
        if (value === null) return { hash_on: 'none' }
        if (value === 'none') return { hash_on: value, algorithm: 'round-robin' }
        return { hash_on: value, algorithm: 'consistent-hashing' }
      },
    },
  },
})

export type Upstream = EntityOf<typeof upstreams>
