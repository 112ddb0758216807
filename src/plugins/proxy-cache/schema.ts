// proxy-cache (plugins.md §6.18): the configuration. OSS Kong has one strategy, `memory`, kept in
// a node-wide dictionary (Silverback: in the primary process, shared by the node's workers).
import { f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'
import { pluginSchema } from '../definition.js'

export const STRATEGIES = ['memory'] as const

/** Kong's shared dictionaries: the names `memory.dictionary_name` may give. */
export const DICTIONARIES = [
  'kong',
  'kong_locks',
  'kong_healthchecks',
  'kong_cluster_events',
  'kong_rate_limiting_counters',
  'kong_core_db_cache',
  'kong_core_db_cache_miss',
  'kong_db_cache',
  'kong_db_cache_miss',
  'kong_secrets',
] as const

export default pluginSchema({
  name: 'proxy-cache',
  protocols: typedefs.protocols,
  config: {
    response_code: f.array(f.integer({ between: [100, 900] }), {
      required: true,
      default: [200, 301, 404],
      len_min: 1,
      description: 'Upstream response status code considered cacheable.',
    }),
    request_method: f.array(f.string({ one_of: ['HEAD', 'GET', 'POST', 'PATCH', 'PUT'] }), {
      required: true,
      default: ['GET', 'HEAD'],
      description: 'Downstream request methods considered cacheable.',
    }),
    content_type: f.array(f.string(), {
      required: true,
      default: ['text/plain', 'application/json'],
      description: 'Upstream response content types considered cacheable.',
    }),
    cache_ttl: f.integer({ default: 300, gt: 0, description: 'TTL in seconds of cache entities.' }),
    strategy: f.string({ required: true, one_of: STRATEGIES, description: 'The backing data store.' }),
    cache_control: f.boolean({
      required: true,
      default: false,
      description: 'When enabled, respect the Cache-Control behaviors defined in RFC7234.',
    }),
    ignore_uri_case: f.boolean({ default: false }),
    storage_ttl: f.integer({ description: 'Number of seconds to keep resources in the storage backend.' }),
    memory: f.record(
      {
        dictionary_name: f.string({
          required: true,
          default: 'kong_db_cache',
          description: 'The name of the shared dictionary in which to hold cache entities.',
        }),
      },
      { required: true },
    ),
    vary_query_params: f.array(f.string(), {
      description:
        'Relevant query parameters considered for the cache key. If undefined, all params are taken into consideration.',
    }),
    vary_headers: f.array(f.string(), {
      description:
        'Relevant headers considered for the cache key. If undefined, none of the headers are taken into consideration.',
    }),
    response_headers: f.record(
      {
        age: f.boolean({ default: true }),
        'X-Cache-Status': f.boolean({ default: true }),
        'X-Cache-Key': f.boolean({ default: true }),
      },
      {
        required: true,
        description: 'Caching related diagnostic headers that should be included in cached responses',
      },
    ),
  },
  entityChecks: [
    {
      custom_entity_check: {
        field_sources: ['config'],
        fn: (entity: Record<string, unknown>) => {
          const config = entity.config as Record<string, unknown>
          if (config.strategy !== 'memory') return true
          const name = (config.memory as { dictionary_name?: unknown } | null)?.dictionary_name
          if (typeof name === 'string' && !(DICTIONARIES as readonly string[]).includes(name))
            return `missing shared dict '${name}'`
          return true
        },
      },
    },
  ],
})
