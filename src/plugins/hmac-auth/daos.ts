// hmacauth_credentials (entities.md §16.3): a consumer's HMAC username and shared secret (random
// 32 characters when not given; stored and returned in clear, it is what clients sign with).
import { defineEntity } from '../../db/schema/entity.js'
import { f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'

export const hmacauthCredentials = defineEntity({
  name: 'hmacauth_credentials',
  primary_key: ['id'],
  cache_key: ['username'],
  endpoint_key: 'username',
  admin_api_name: 'hmac-auths',
  admin_api_nested_name: 'hmac-auth',
  workspaceable: true,
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.autoTimestampS,
    consumer: f.foreign('consumers', { required: true, on_delete: 'cascade' }),
    username: f.string({ required: true, unique: true }),
    secret: f.string({ auto: true }),
    tags: typedefs.tags,
  },
})
