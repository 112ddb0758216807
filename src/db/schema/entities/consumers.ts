// Consumers: the clients of proxied APIs, identified by username and/or custom_id.
import { defineEntity, type EntityOf } from '../entity.js'
import { f } from '../field.js'
import { typedefs } from '../typedefs.js'

export const consumers = defineEntity({
  name: 'consumers',
  primary_key: ['id'],
  endpoint_key: 'username',
  workspaceable: true,
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.autoTimestampS,
    updated_at: typedefs.autoTimestampS,
    username: f.string({
      unique: true,
      description:
        'The unique username of the Consumer. You must send at least one of username or custom_id with the request.',
    }),
    custom_id: f.string({
      unique: true,
      description:
        'Stores the existing unique ID of the consumer. You must send at least one of username or custom_id.',
    }),
    tags: typedefs.tags,
  },
  entity_checks: [{ at_least_one_of: ['custom_id', 'username'] }],
})

export type Consumer = EntityOf<typeof consumers>
