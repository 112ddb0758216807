// oauth2's entities (entities.md §16.6): the client applications of consumers
// (`oauth2_credentials`), the authorization codes the authorize endpoint hands out (five minutes,
// no Admin API, not exported) and the tokens (`oauth2_tokens`, expiring rows).
import type { EntityHooks, HookContext } from '../../db/dao/hooks.js'
import { defineEntity } from '../../db/schema/entity.js'
import { f } from '../../db/schema/field.js'
import { type FieldErrors, isNonEmpty } from '../../db/schema/record.js'
import { typedefs } from '../../db/schema/typedefs.js'
import type { Row } from '../../db/strategies/strategy.js'
import { hashSecret } from './secret.js'
import { redirectUriError } from './url.js'

export const oauth2Credentials = defineEntity({
  name: 'oauth2_credentials',
  primary_key: ['id'],
  cache_key: ['client_id'],
  endpoint_key: 'client_id',
  admin_api_name: 'oauth2',
  workspaceable: true,
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.autoTimestampS,
    consumer: f.foreign('consumers', { required: true, on_delete: 'cascade' }),
    name: f.string({ required: true }),
    client_id: f.string({ required: false, unique: true, auto: true }),
    client_secret: f.string({ required: false, auto: true, encrypted: true }),
    hash_secret: f.boolean({ required: true, default: false }),
    redirect_uris: f.array(
      f.string({ custom_validator: redirectUriError as (v: never) => string | undefined }),
      { required: false },
    ),
    tags: typedefs.tags,
    client_type: f.string({ required: true, default: 'confidential', one_of: ['confidential', 'public'] }),
  },
})

export const oauth2AuthorizationCodes = defineEntity({
  name: 'oauth2_authorization_codes',
  primary_key: ['id'],
  ttl: true,
  workspaceable: true,
  generate_admin_api: false,
  db_export: false,
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.autoTimestampS,
    service: f.foreign('services', { default: null, on_delete: 'cascade' }),
    credential: f.foreign('oauth2_credentials', { required: true, on_delete: 'cascade' }),
    code: f.string({ required: false, unique: true, auto: true }),
    authenticated_userid: f.string({ required: false }),
    scope: f.string(),
    challenge: f.string({ required: false }),
    challenge_method: f.string({ required: false, one_of: ['S256'] }),
    plugin: f.foreign('plugins', { default: null, on_delete: 'cascade' }),
  },
})

export const oauth2Tokens = defineEntity({
  name: 'oauth2_tokens',
  primary_key: ['id'],
  endpoint_key: 'access_token',
  cache_key: ['access_token'],
  ttl: true,
  workspaceable: true,
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.autoTimestampS,
    service: f.foreign('services', { default: null, on_delete: 'cascade' }),
    credential: f.foreign('oauth2_credentials', { required: true, on_delete: 'cascade' }),
    token_type: f.string({ required: true, one_of: ['bearer'], default: 'bearer' }),
    expires_in: f.integer({ required: true }),
    access_token: f.string({ required: false, unique: true, auto: true }),
    refresh_token: f.string({ required: false, unique: true }),
    authenticated_userid: f.string({ required: false }),
    scope: f.string(),
  },
})

const MUTUALLY_REQUIRED = "all or none of these fields must be set: 'hash_secret', 'client_secret'"

/**
 * Kong's transformation of oauth2_credentials (input `hash_secret`, needs `client_secret`):
 * `client_secret` is hashed when a write carries `hash_secret = true`, and such writes must carry
 * both fields. Hashing is one-way: with `hash_secret` and no `client_secret`, the generated
 * secret is hashed before anyone saw it (as in Kong).
 */
export const oauth2CredentialHooks: EntityHooks = {
  /**
   * The transformation's checks: a write that gives `hash_secret` needs a `client_secret`, and on
   * update a write whose `client_secret` differs from the stored one (absent included) must give
   * both or neither.
   */
  validate(entity: Row, ctx: HookContext): FieldErrors | undefined {
    const input = ctx.input
    const noneSet = !isNonEmpty(input.hash_secret)
    const needsChanged =
      ctx.context === 'update' && !!ctx.old && input.client_secret !== ctx.old.client_secret
    if (!needsChanged && noneSet) return undefined
    const source = needsChanged ? input : entity
    const set = [isNonEmpty(source.hash_secret), isNonEmpty(source.client_secret)]
    if (set[0] === set[1]) return undefined
    return { '@entity': [MUTUALLY_REQUIRED] }
  },
  transform(entity: Row, ctx: HookContext): Row {
    if (!isNonEmpty(ctx.input.hash_secret)) return entity
    return hashed(entity)
  },
  /** A declarative file gives secrets in clear (an export with `_transform: false` does not). */
  declarativeTransform(entity: Row): Row {
    return hashed(entity)
  },
}

function hashed(entity: Row): Row {
  if (entity.hash_secret !== true || !isNonEmpty(entity.client_secret)) return entity
  if (typeof entity.client_secret !== 'string') return entity
  return { ...entity, client_secret: hashSecret(entity.client_secret) }
}
