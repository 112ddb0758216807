// acls: the groups of consumers (entities.md §16.5). One row per (consumer, group): the composite
// cache_key makes a second identical group a 409, and lets `/consumers/{c}/acls/{group}` address
// a row by its group name.
import { defineEntity } from '../../db/schema/entity.js'
import { f } from '../../db/schema/field.js'
import { typedefs } from '../../db/schema/typedefs.js'

export const acls = defineEntity({
  name: 'acls',
  primary_key: ['id'],
  cache_key: ['consumer', 'group'],
  admin_api_nested_key: 'group',
  workspaceable: true,
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.autoTimestampS,
    consumer: f.foreign('consumers', { required: true, on_delete: 'cascade' }),
    group: f.string({ required: true }),
    tags: typedefs.tags,
  },
})
