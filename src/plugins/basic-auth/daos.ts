// basicauth_credentials (entities.md §16.2): a consumer's username and password. The password is
// never stored in clear: every write that carries one stores the hex SHA-1 of
// `password .. consumer_id` instead (Kong's `on_write` transformation), and responses return
// that hash.
import type { EntityHooks, HookContext } from '../../db/dao/hooks.js'
import { defineEntity } from '../../db/schema/entity.js'
import { f } from '../../db/schema/field.js'
import { type FieldErrors, isNonEmpty } from '../../db/schema/record.js'
import { typedefs } from '../../db/schema/typedefs.js'
import type { Row } from '../../db/strategies/strategy.js'
import { hashPassword } from './crypto.js'

export const basicauthCredentials = defineEntity({
  name: 'basicauth_credentials',
  primary_key: ['id'],
  cache_key: ['username'],
  endpoint_key: 'username',
  admin_api_name: 'basic-auths',
  admin_api_nested_name: 'basic-auth',
  workspaceable: true,
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.autoTimestampS,
    consumer: f.foreign('consumers', { required: true, on_delete: 'cascade' }),
    username: f.string({ required: true, unique: true }),
    password: f.string({ required: true, encrypted: true }),
    tags: typedefs.tags,
  },
})

function consumerIdOf(row: Row | null | undefined): unknown {
  const c = row?.consumer
  return c !== null && typeof c === 'object' ? (c as Row).id : undefined
}

const MUTUALLY_REQUIRED = "all or none of these fields must be set: 'password', 'consumer.id'"

export const basicauthHooks: EntityHooks = {
  /**
   * The hash depends on the consumer: a write that moves the credential to another consumer
   * must carry the password too, and a password needs a consumer (Kong's transformation checks).
   * On update, the consumer counts as changed when the input does not repeat the stored one.
   */
  validate(entity: Row, ctx: HookContext): FieldErrors | undefined {
    const input = ctx.input
    const needsChanged =
      ctx.context === 'update' && !!ctx.old && consumerIdOf(input) !== consumerIdOf(ctx.old)
    if (!needsChanged && !isNonEmpty(input.password)) return undefined
    const source = needsChanged ? input : entity
    const set = [isNonEmpty(source.password), isNonEmpty(consumerIdOf(source))]
    if (set[0] === set[1]) return undefined
    return { '@entity': [MUTUALLY_REQUIRED] }
  },
  /** Hashes the password whenever the input carries one (never when it is absent). */
  transform(entity: Row, ctx: HookContext): Row {
    if (!isNonEmpty(ctx.input.password)) return entity
    const consumerId = consumerIdOf(entity)
    if (typeof consumerId !== 'string' || typeof entity.password !== 'string') return entity
    return { ...entity, password: hashPassword(consumerId, entity.password) }
  },
  /** A declarative file gives the password in clear (an export with `_transform: false` does not). */
  declarativeTransform(entity: Row): Row {
    const consumerId = consumerIdOf(entity)
    if (typeof consumerId !== 'string' || typeof entity.password !== 'string') return entity
    return { ...entity, password: hashPassword(consumerId, entity.password) }
  },
}
