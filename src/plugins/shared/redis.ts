// The `redis` record shared by plugins that keep state in Redis (rate-limiting...), with Kong's
// fields and defaults, and the legacy flat `redis_*` names accepted as input aliases.
import { extend, type Field, f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'

export const redisConfig = f.record(
  {
    host: typedefs.host,
    port: extend(typedefs.port, { default: 6379 }),
    timeout: extend(typedefs.timeout, { default: 2000 }),
    username: f.string({
      referenceable: true,
      description:
        "Username to use for Redis connections. If undefined, ACL authentication won't be performed.",
    }),
    password: f.string({
      referenceable: true,
      encrypted: true,
      len_min: 0,
      description: 'Password to use for Redis connections. If undefined, no AUTH commands are sent to Redis.',
    }),
    database: f.integer({ default: 0, description: 'Database to use for the Redis connection.' }),
    ssl: f.boolean({
      required: false,
      default: false,
      description: 'If set to true, uses SSL to connect to Redis.',
    }),
    ssl_verify: f.boolean({
      required: false,
      default: false,
      description: 'If set to true, verifies the validity of the server SSL certificate.',
    }),
    server_name: typedefs.sni,
  },
  { description: 'Redis configuration' },
)

const LEGACY: Record<string, Field> = {
  redis_host: f.string(),
  redis_port: f.integer(),
  redis_password: f.string({ len_min: 0 }),
  redis_username: f.string(),
  redis_ssl: f.boolean(),
  redis_ssl_verify: f.boolean(),
  redis_server_name: f.string(),
  redis_timeout: f.integer(),
  redis_database: f.integer(),
}

/** `config.redis_host` → `config.redis.host` (deprecated in Kong 3.x, removed in 4.0). */
export const legacyRedisShorthands: NonNullable<Field['shorthand_fields']> = Object.fromEntries(
  Object.entries(LEGACY).map(([name, field]) => [
    name,
    { field, expand: (value: never) => ({ redis: { [name.slice('redis_'.length)]: value } }) },
  ]),
)
