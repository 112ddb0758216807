// jwt_secrets: the keys and secrets JWTs are verified with (entities.md §16.4). The public key is
// required, and must parse, for the RSA, RSA-PSS and EdDSA algorithms (Kong's entity check).
import { defineEntity } from '../../db/schema/entity.js'
import { f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'
import { ALGORITHMS, parsePublicKey } from './token.js'

/** "invalid key" unless the value is a PEM key OpenSSL can load (a private key is accepted, as in Kong). */
function validatePublicKey(pem: string): string | undefined {
  return parsePublicKey(pem) ? undefined : 'invalid key'
}

export const jwtSecrets = defineEntity({
  name: 'jwt_secrets',
  primary_key: ['id'],
  endpoint_key: 'key',
  admin_api_name: 'jwts',
  admin_api_nested_name: 'jwt',
  workspaceable: true,
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.autoTimestampS,
    consumer: f.foreign('consumers', { required: true, on_delete: 'cascade' }),
    key: f.string({ required: false, unique: true, auto: true }),
    secret: f.string({ auto: true }),
    rsa_public_key: f.string(),
    algorithm: f.string({ default: 'HS256', one_of: ALGORITHMS }),
    tags: typedefs.tags,
  },
  entity_checks: [
    {
      conditional: {
        if_field: 'algorithm',
        if_match: {
          match_any: {
            patterns: [/^RS256$/, /^RS384$/, /^RS512$/, /^PS256$/, /^PS384$/, /^PS512$/, /^EdDSA$/],
            err: 'invalid value',
          },
        },
        then_field: 'rsa_public_key',
        then_match: {
          required: true,
          custom_validator: validatePublicKey as (v: never) => string | undefined,
        },
      },
    },
  ],
})
