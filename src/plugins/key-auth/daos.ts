// keyauth_credentials: API keys of consumers (entities.md §16.1), optionally expiring (`ttl`).
import { defineEntity } from '../../db/schema/entity.js'
import { f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'

export const keyauthCredentials = defineEntity({
  name: 'keyauth_credentials',
  primary_key: ['id'],
  endpoint_key: 'key',
  admin_api_name: 'key-auths',
  admin_api_nested_name: 'key-auth',
  workspaceable: true,
  ttl: true,
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.autoTimestampS,
    consumer: f.foreign('consumers', { required: true, on_delete: 'cascade' }),
    key: f.string({ required: false, unique: true, auto: true, description: 'The API key.' }),
    tags: typedefs.tags,
  },
})
