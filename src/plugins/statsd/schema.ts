// statsd: request metrics sent to a StatsD server over UDP (or TCP).
import { extend, f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'
import { pluginSchema } from '../definition.js'
import { legacyQueueFields, queueConfig } from '../shared/logging.js'

export const METRIC_NAMES = [
  'kong_latency',
  'latency',
  'request_count',
  'request_per_user',
  'request_size',
  'response_size',
  'status_count',
  'status_count_per_user',
  'unique_users',
  'upstream_latency',
  'status_count_per_workspace',
  'status_count_per_user_per_route',
  'shdict_usage',
] as const

export const STAT_TYPES = ['counter', 'gauge', 'histogram', 'meter', 'set', 'timer'] as const
export const CONSUMER_IDENTIFIERS = ['consumer_id', 'custom_id', 'username'] as const
export const SERVICE_IDENTIFIERS = [
  'service_id',
  'service_name',
  'service_host',
  'service_name_or_host',
] as const
export const WORKSPACE_IDENTIFIERS = ['workspace_id', 'workspace_name'] as const
export const TAG_STYLES = ['dogstatsd', 'influxdb', 'librato', 'signalfx'] as const

function metric(name: string, stat_type: string, sample_rate: number | null) {
  return {
    name,
    stat_type,
    sample_rate,
    consumer_identifier: null,
    service_identifier: null,
    workspace_identifier: null,
  }
}

/** Kong's default metric list (its order included). */
export const DEFAULT_METRICS = [
  metric('request_count', 'counter', 1),
  metric('latency', 'timer', null),
  metric('request_size', 'counter', 1),
  metric('status_count', 'counter', 1),
  metric('response_size', 'counter', 1),
  metric('unique_users', 'set', null),
  metric('request_per_user', 'counter', 1),
  metric('upstream_latency', 'timer', null),
  metric('kong_latency', 'timer', null),
  metric('status_count_per_user', 'counter', 1),
  metric('status_count_per_workspace', 'counter', 1),
  metric('status_count_per_user_per_route', 'counter', 1),
  metric('shdict_usage', 'gauge', 1),
]

export default pluginSchema({
  name: 'statsd',
  protocols: typedefs.protocols,
  config: {
    host: extend(typedefs.host, {
      default: 'localhost',
      description: 'The IP address or hostname of StatsD server to send data to.',
    }),
    port: extend(typedefs.port, { default: 8125, description: 'The port of StatsD server to send data to.' }),
    prefix: f.string({ default: 'kong', description: "String to prefix to each metric's name." }),
    metrics: f.array(
      f.record(
        {
          name: f.string({ required: true, one_of: METRIC_NAMES, description: 'StatsD metric’s name.' }),
          stat_type: f.string({
            required: true,
            one_of: STAT_TYPES,
            description: 'Determines what sort of event a metric represents.',
          }),
          sample_rate: f.number({ gt: 0, description: 'Sampling rate' }),
          consumer_identifier: f.string({
            one_of: CONSUMER_IDENTIFIERS,
            description: 'Authenticated user detail.',
          }),
          service_identifier: f.string({ one_of: SERVICE_IDENTIFIERS, description: 'Service detail.' }),
          workspace_identifier: f.string({ one_of: WORKSPACE_IDENTIFIERS, description: 'Workspace detail.' }),
        },
        {
          entity_checks: [
            {
              conditional: {
                if_field: 'stat_type',
                if_match: { one_of: ['counter', 'gauge'] },
                then_field: 'sample_rate',
                then_match: { required: true },
              },
            },
          ],
        },
      ),
      { default: DEFAULT_METRICS, description: 'List of metrics to be logged.' },
    ),
    allow_status_codes: f.array(f.string({ match: /^[0-9]+-[0-9]+$/ }), {
      description: 'List of status code ranges that are allowed to be logged in metrics.',
    }),
    // several metrics per datagram, up to this size (0: one metric per datagram); 65507 bytes is
    // the largest UDP payload over IPv4
    udp_packet_size: f.number({ between: [0, 65507], default: 0 }),
    use_tcp: f.boolean({ default: false }),
    hostname_in_prefix: f.boolean({ default: false }),
    consumer_identifier_default: f.string({
      required: true,
      default: 'custom_id',
      one_of: CONSUMER_IDENTIFIERS,
    }),
    service_identifier_default: f.string({
      required: true,
      default: 'service_name_or_host',
      one_of: SERVICE_IDENTIFIERS,
    }),
    workspace_identifier_default: f.string({
      required: true,
      default: 'workspace_id',
      one_of: WORKSPACE_IDENTIFIERS,
    }),
    ...legacyQueueFields('statsd'),
    tag_style: f.string({ required: false, one_of: TAG_STYLES }),
    queue: queueConfig,
  },
})
