// rate-limiting: how many requests a consumer (or credential, IP, service, header, path) may make
// per second, minute, hour, day, month and year.
import { nodeConf } from '../../conf/current.js'
import { type CustomValidator, f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'
import { pluginSchema } from '../definition.js'
import { legacyRedisShorthands, redisConfig } from '../shared/redis.js'

export const PERIODS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const
export type Period = (typeof PERIODS)[number]

const limit = (period: Period) =>
  f.number({ gt: 0, description: `The number of HTTP requests that can be made per ${period}.` })

/** Kong's format for `%.1f`. */
const fixed1 = (n: number) => n.toFixed(1)

/** A longer period may not have a smaller limit; sync_rate belongs to the redis policy. */
function validatePeriods(config: Record<string, unknown>): string | undefined {
  for (let i = 0; i < PERIODS.length; i++) {
    const lower = config[PERIODS[i]]
    if (typeof lower !== 'number') continue
    for (let j = i + 1; j < PERIODS.length; j++) {
      const upper = config[PERIODS[j]]
      if (typeof upper === 'number' && upper < lower) {
        return `The limit for ${PERIODS[j]}(${fixed1(upper)}) cannot be lower than the limit for ${PERIODS[i]}(${fixed1(lower)})`
      }
    }
  }
  const syncRate = config.sync_rate
  if (config.policy !== 'redis' && syncRate !== -1) return 'sync_rate can only be used with the redis policy'
  if (config.policy === 'redis' && typeof syncRate === 'number' && syncRate !== -1 && syncRate < 0.02) {
    return 'sync_rate must be greater than 0.02, or -1 to disable'
  }
  return undefined
}

/**
 * A node without a database of its own (DB-less, or a control plane whose data planes are) has no
 * store for the counters: as in Kong, `cluster` is then not one of the policies.
 */
const policyAvailable = ((policy: string) => {
  const conf = nodeConf()
  const dbless = conf?.database === 'off' || conf?.role === 'control_plane'
  return dbless && policy === 'cluster' ? 'expected one of: local, redis' : undefined
}) as CustomValidator

export default pluginSchema({
  name: 'rate-limiting',
  protocols: typedefs.protocolsHttp,
  config: {
    second: limit('second'),
    minute: limit('minute'),
    hour: limit('hour'),
    day: limit('day'),
    month: limit('month'),
    year: limit('year'),
    limit_by: f.string({
      default: 'consumer',
      one_of: ['consumer', 'credential', 'ip', 'service', 'header', 'path'],
      description: 'The entity that is used when aggregating the limits.',
    }),
    header_name: typedefs.headerName,
    path: typedefs.path,
    policy: f.string({
      default: 'local',
      len_min: 0,
      one_of: ['local', 'cluster', 'redis'],
      custom_validator: policyAvailable,
      description: 'The rate-limiting policies to use for retrieving and incrementing the limits.',
    }),
    fault_tolerant: f.boolean({
      required: true,
      default: true,
      description:
        'Whether requests are proxied even when the counters cannot be reached (true), or answered with 500 (false).',
    }),
    redis: redisConfig,
    hide_client_headers: f.boolean({
      required: true,
      default: false,
      description: 'Optionally hide informative response headers.',
    }),
    error_code: f.number({
      default: 429,
      gt: 0,
      description: 'Set a custom error code to return when the rate limit is exceeded.',
    }),
    error_message: f.string({
      default: 'API rate limit exceeded',
      description: 'Set a custom error message to return when the rate limit is exceeded.',
    }),
    sync_rate: f.number({
      required: true,
      default: -1,
      description: 'How often to sync counter data to the central data store. -1: synchronous.',
    }),
    window_type: f.string({
      required: true,
      default: 'fixed',
      one_of: ['fixed', 'sliding'],
      description:
        'Silverback addition (Kong Enterprise name): `fixed` counts per calendar window; `sliding` also weighs the previous window by the part of it the sliding window still covers.',
    }),
  },
  configValidator: validatePeriods as (value: never) => string | undefined,
  configShorthands: legacyRedisShorthands,
  entityChecks: [
    { at_least_one_of: PERIODS.map((p) => `config.${p}`) },
    ...(['host', 'port', 'timeout'] as const).map((field) => ({
      conditional: {
        if_field: 'config.policy',
        if_match: { eq: 'redis' },
        then_field: `config.redis.${field}`,
        then_match: { required: true },
      },
    })),
    {
      conditional: {
        if_field: 'config.limit_by',
        if_match: { eq: 'header' },
        then_field: 'config.header_name',
        then_match: { required: true },
      },
    },
    {
      conditional: {
        if_field: 'config.limit_by',
        if_match: { eq: 'path' },
        then_field: 'config.path',
        then_match: { required: true },
      },
    },
  ],
})
