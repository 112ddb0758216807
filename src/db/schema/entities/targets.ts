// Targets: the addresses (host:port and weight) an upstream balances over.
import { defineEntity, type EntityOf } from '../entity.js'
import { f } from '../field.js'
import { typedefs } from '../typedefs.js'
import { validateTarget } from '../validators/targets.js'

export const targets = defineEntity({
  name: 'targets',
  primary_key: ['id'],
  cache_key: ['upstream', 'target'],
  endpoint_key: 'target',
  workspaceable: true,
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.autoTimestampMs,
    updated_at: typedefs.autoTimestampMs,
    upstream: f.foreign('upstreams', {
      required: true,
      on_delete: 'cascade',
      description: 'The unique identifier or the name of the upstream for which to update the target.',
    }),
    target: f.string({
      required: true,
      custom_validator: validateTarget,
      description: 'The target address (ip or hostname) and port.',
    }),
    weight: f.integer({
      default: 100,
      between: [0, 65535],
      description: 'The weight this target gets within the upstream loadbalancer (0-65535).',
    }),
    tags: typedefs.tags,
  },
})

export type Target = EntityOf<typeof targets>
