// Vaults: named secret stores referenced as `{vault://<prefix>/<secret>}`. OSS bundles `env`.
import { defineEntity, type EntityOf } from '../entity.js'
import { f } from '../field.js'
import type { SubschemaDefinition } from '../record.js'
import { typedefs } from '../typedefs.js'
import { BUNDLED_VAULTS } from '../validators/vaults.js'

const envVault: SubschemaDefinition = {
  name: 'env',
  fields: {
    config: f.record({
      prefix: f.string({
        match: /^[A-Za-z_-][A-Za-z0-9_-]*$/,
        description: 'The prefix for the environment variable that the value will be stored in.',
      }),
    }),
  },
}

/** Vault implementations Silverback ships, by name. */
export const VAULT_SUBSCHEMAS: Readonly<Record<string, SubschemaDefinition>> = { env: envVault }

export const vaults = defineEntity({
  name: 'vaults',
  primary_key: ['id'],
  cache_key: ['prefix'],
  endpoint_key: 'prefix',
  workspaceable: true,
  subschema_key: 'name',
  subschema_error: "vault '%s' is not installed",
  fields: {
    id: typedefs.uuid,
    prefix: f.string({
      required: true,
      unique: true,
      match: /^[a-z][a-z\d-]*[a-z\d]$/,
      not_one_of: BUNDLED_VAULTS,
      description: 'The unique prefix (or identifier) for this Vault configuration.',
    }),
    name: f.string({ required: true, description: 'The name of the Vault that is going to be added.' }),
    description: f.string({ description: 'The description of the Vault entity.' }),
    config: f.record({}, { description: 'The configuration properties for the Vault.' }),
    created_at: typedefs.autoTimestampS,
    updated_at: typedefs.autoTimestampS,
    tags: typedefs.tags,
  },
  subschemas: VAULT_SUBSCHEMAS,
})

export type Vault = EntityOf<typeof vaults>
