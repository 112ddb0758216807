// acme (Kong's bundled ACME plugin, priority 1705): the configuration, as Kong 3.9 declares it.
// A global plugin only (no consumer, route or service), on the HTTP protocols.
import { nodeConf } from '../../conf/current.js'
import { extend, f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'
import { pluginSchema } from '../definition.js'
import { redisConfig } from '../shared/redis.js'

export const CERT_TYPES = ['rsa', 'ecc'] as const
export const RSA_KEY_SIZES = [2048, 3072, 4096] as const
export const STORAGE_TYPES = ['kong', 'shm', 'redis', 'consul', 'vault'] as const

export const LETSENCRYPT_URIS = [
  'https://acme-v02.api.letsencrypt.org',
  'https://acme-staging-v02.api.letsencrypt.org',
  'https://acme-v02.api.letsencrypt.org/directory',
  'https://acme-staging-v02.api.letsencrypt.org/directory',
]

const remoteStorage = {
  https: f.boolean({ default: false }),
  host: typedefs.host,
  port: typedefs.port,
  kv_path: f.string(),
  timeout: f.number(),
  token: f.string({ referenceable: true }),
}

const redisStorage = {
  ...redisConfig.fields,
  port: extend(typedefs.port, {}),
  extra_options: f.record(
    {
      namespace: f.string({
        default: '',
        len_min: 0,
        description: 'A namespace to prepend to all keys stored in Redis.',
      }),
      scan_count: f.number({ default: 10, description: 'The number of keys to return in Redis SCAN calls.' }),
    },
    { required: true, description: 'Custom ACME Redis options' },
  ),
}

export default pluginSchema({
  name: 'acme',
  noConsumer: true,
  noRoute: true,
  noService: true,
  protocols: typedefs.protocolsHttp,
  config: {
    account_email: f.string({
      // Kong's (very loose) pattern: something with an `@`.
      match: /[\w]*[\p{P}]*@+[\w]*\.?[\w]*/u,
      required: true,
      encrypted: true,
      referenceable: true,
      description: 'The account identifier. Can be reused in a different plugin instance.',
    }),
    account_key: f.record(
      {
        key_id: f.string({ required: true, description: 'The Key ID.' }),
        key_set: f.string({ description: 'The name of the key set to associate the Key ID with.' }),
      },
      { required: false, description: 'The private key associated with the account.' },
    ),
    api_uri: extend(typedefs.url, { default: 'https://acme-v02.api.letsencrypt.org/directory' }),
    tos_accepted: f.boolean({
      default: false,
      description:
        'If you are using Let’s Encrypt, you must set this to `true` to agree the terms of service.',
    }),
    eab_kid: f.string({
      encrypted: true,
      referenceable: true,
      description: 'External account binding (EAB) key id.',
    }),
    eab_hmac_key: f.string({
      encrypted: true,
      referenceable: true,
      description: 'External account binding (EAB) base64-encoded URL string of the HMAC key.',
    }),
    cert_type: f.string({
      default: 'rsa',
      one_of: CERT_TYPES,
      description: 'The certificate type to create.',
    }),
    rsa_key_size: f.number({
      default: 4096,
      one_of: RSA_KEY_SIZES,
      description: 'RSA private key size for the certificate.',
    }),
    renew_threshold_days: f.number({
      default: 14,
      description: 'Days remaining to renew the certificate before it expires.',
    }),
    domains: f.array(typedefs.wildcardHost),
    allow_any_domain: f.boolean({
      default: false,
      description:
        'If set to `true`, the plugin allows all domains and ignores any values in the `domains` list.',
    }),
    fail_backoff_minutes: f.number({
      default: 5,
      description: 'Minutes to wait for each domain that fails to create a certificate.',
    }),
    storage: f.string({
      default: 'shm',
      one_of: STORAGE_TYPES,
      description: 'The backend storage type to use.',
    }),
    storage_config: f.record(
      {
        shm: f.record(
          {
            shm_name: f.string({
              default: 'kong',
              description: 'Name of shared memory zone used for Kong API gateway storage',
            }),
          },
          { required: true },
        ),
        kong: f.record({}, { required: true }),
        redis: f.record(redisStorage, { required: true }),
        consul: f.record(remoteStorage, { required: true }),
        vault: f.record(
          {
            ...remoteStorage,
            tls_verify: f.boolean({ default: true }),
            tls_server_name: f.string(),
            auth_method: f.string({ default: 'token', one_of: ['token', 'kubernetes'] }),
            auth_path: f.string(),
            auth_role: f.string(),
            jwt_path: f.string(),
          },
          { required: true },
        ),
      },
      { required: true },
    ),
    preferred_chain: f.string({
      description:
        'A string value that specifies the preferred certificate chain to use when generating certificates.',
    }),
    enable_ipv4_common_name: f.boolean({
      default: true,
      description:
        'A boolean value that controls whether to include the IPv4 address in the common name field of generated certificates.',
    }),
  },
  entityChecks: [
    {
      conditional: {
        if_field: 'config.api_uri',
        if_match: { one_of: LETSENCRYPT_URIS },
        then_field: 'config.tos_accepted',
        then_match: { eq: true },
        then_err: 'terms of service must be accepted, see https://letsencrypt.org/repository/',
      },
    },
    ...(['host', 'port'] as const).map((field) => ({
      conditional: {
        if_field: 'config.storage',
        if_match: { eq: 'redis' },
        then_field: `config.storage_config.redis.${field}`,
        then_match: { required: true },
      },
    })),
    {
      custom_entity_check: {
        field_sources: ['config'],
        fn: (entity: Record<string, unknown>) => {
          const storage = (entity.config as { storage?: unknown } | null)?.storage
          const conf = nodeConf()
          if (conf?.database === 'off' && conf?.role !== 'data_plane' && storage === 'kong')
            return `"kong" storage can't be used with dbless mode`
          if (conf?.role === 'control_plane' && storage === 'shm')
            return `"shm" storage can't be used in Hybrid mode`
          return true
        },
      },
    },
  ],
})
