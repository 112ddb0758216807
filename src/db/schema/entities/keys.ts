// Key sets and keys (JWK or PEM), used by plugins that sign or verify tokens.
import { defineEntity, type EntityOf } from '../entity.js'
import { f } from '../field.js'
import { typedefs } from '../typedefs.js'
import { validateJwk, validatePemPair } from '../validators/keys.js'
import { isVaultReference } from '../validators/vaults.js'

export const keySets = defineEntity({
  name: 'key_sets',
  primary_key: ['id'],
  endpoint_key: 'name',
  admin_api_name: 'key-sets',
  workspaceable: true,
  fields: {
    id: typedefs.uuid,
    name: f.string({ unique: true, description: 'The name to associate with the given key-set.' }),
    tags: typedefs.tags,
    created_at: typedefs.autoTimestampS,
    updated_at: typedefs.autoTimestampS,
  },
})

const pem = f.record(
  {
    private_key: f.string({ referenceable: true, encrypted: true }),
    public_key: f.string({ referenceable: true }),
  },
  {
    entity_checks: [{ at_least_one_of: ['private_key', 'public_key'] }],
    custom_validator: validatePemPair,
  },
)

export const keys = defineEntity({
  name: 'keys',
  primary_key: ['id'],
  cache_key: ['kid', 'set'],
  endpoint_key: 'name',
  workspaceable: true,
  fields: {
    id: typedefs.uuid,
    set: f.foreign('key_sets', { on_delete: 'cascade' }),
    name: f.string({ unique: true, description: 'The name to associate with the given keys.' }),
    kid: f.string({ required: true, description: 'A unique identifier for a key.' }),
    jwk: f.string({
      referenceable: true,
      encrypted: true,
      description: 'A JSON Web Key represented as a string.',
    }),
    pem: { ...pem, required: false, description: 'A keypair in PEM format.' },
    tags: typedefs.tags,
    created_at: typedefs.autoTimestampS,
    updated_at: typedefs.autoTimestampS,
  },
  entity_checks: [
    { mutually_exclusive: ['jwk', 'pem'] },
    { at_least_one_of: ['jwk', 'pem'] },
    {
      custom_entity_check: {
        field_sources: ['jwk', 'pem', 'kid'],
        fn: (e) => {
          if (typeof e.jwk === 'string' && !isVaultReference(e.jwk)) {
            const err = validateJwk(e.jwk, String(e.kid))
            if (err) return err
          }
          const p = e.pem as { private_key?: string | null; public_key?: string | null } | null | undefined
          if (p && typeof p === 'object') {
            if (!p.private_key && !p.public_key)
              return 'need to supply a PEM formatted public and/or private key.'
          }
          return true
        },
      },
    },
  ],
})

export type KeySet = EntityOf<typeof keySets>
export type Key = EntityOf<typeof keys>
