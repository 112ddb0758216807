// The writes of the oauth2 endpoints, run by the primary process for the proxy workers (which
// have no store): `kong.primary.call(<name>, args)`. Each goes through the DAOs, so rows are
// validated, committed, sent to the other nodes and evicted from the workers' caches like any
// Admin API write. A code exchange and a refresh run in one transaction that first removes the
// code or the old token: two requests racing with the same code get one token between them.
//
// DB-less (`database = off`): Kong's store refuses to create codes and tokens, and so do these
// functions (the endpoint answers 500, as Kong's does); reads work on what the declarative
// configuration holds.
import type { PrimaryContext, PrimaryFunctions } from '../definition.js'

type Row = Record<string, unknown>

function refuseDbless(ctx: PrimaryContext, operation: string, entity: string): void {
  if (ctx.database === 'off')
    throw new Error(`cannot ${operation} '${entity}' entities when not using a database`)
}

function rec(args: unknown): Row {
  if (args === null || typeof args !== 'object') throw new TypeError('arguments must be an object')
  return args as Row
}

const ttlOf = (v: unknown): number | undefined => (typeof v === 'number' && v > 0 ? v : undefined)

export const CODE_TTL = 300

export const primaryFunctions: PrimaryFunctions = {
  /** `{code: Row}` → the authorization code created (it lives five minutes). */
  async createCode(ctx, args) {
    refuseDbless(ctx, 'create', 'oauth2_authorization_codes')
    const { code } = rec(args)
    return ctx.db.dao('oauth2_authorization_codes').insert(rec(code), { ttl: CODE_TTL })
  },

  /** `{code: string}` → the unexpired authorization code, or null. */
  async findCode(ctx, args) {
    const { code } = rec(args)
    if (typeof code !== 'string') return null
    return ctx.db.dao('oauth2_authorization_codes').selectBy('code', code)
  },

  /** `{token: Row, ttl?: number}` → the token created. */
  async createToken(ctx, args) {
    refuseDbless(ctx, 'create', 'oauth2_tokens')
    const { token, ttl } = rec(args)
    return ctx.db.dao('oauth2_tokens').insert(rec(token), { ttl: ttlOf(ttl) })
  },

  /**
   * `{codeId, token, ttl?}` → the token created for a code, which is deleted in the same
   * transaction; null when the code was already used (or expired) meanwhile.
   */
  async exchangeCode(ctx, args) {
    refuseDbless(ctx, 'create', 'oauth2_tokens')
    const { codeId, token, ttl } = rec(args)
    return ctx.db.write(undefined, async (w) => {
      const deleted = await ctx.db
        .dao('oauth2_authorization_codes')
        .delete({ id: String(codeId) }, { ctx: w })
      if (!deleted) return null
      return ctx.db.dao('oauth2_tokens').insert(rec(token), { ttl: ttlOf(ttl), ctx: w })
    })
  },

  /**
   * `{access_token: string}` → the unexpired token, or null: a worker's cache miss. Read on the
   * main connection, never a read replica (`pg_ro_host`): a token is used right after it was
   * issued, and a replica lagging behind would make the worker cache its absence.
   */
  async findToken(ctx, args) {
    const { access_token: accessToken } = rec(args)
    if (typeof accessToken !== 'string') return null
    return ctx.db.dao('oauth2_tokens').selectBy('access_token', accessToken)
  },

  /** `{refresh_token: string}` → the unexpired token holding that refresh token, or null. */
  async findRefreshToken(ctx, args) {
    const { refresh_token: refreshToken } = rec(args)
    if (typeof refreshToken !== 'string') return null
    return ctx.db.dao('oauth2_tokens').selectBy('refresh_token', refreshToken)
  },

  /**
   * `{oldId, reuse, token, ttl?}` → the refreshed token; null when the old one is gone. With
   * `reuse`, the old token row gets the new access token (its refresh token stays); otherwise a
   * new token replaces it.
   */
  async refresh(ctx, args) {
    const { oldId, reuse, token, ttl } = rec(args)
    refuseDbless(ctx, reuse === true ? 'update' : 'create', 'oauth2_tokens')
    const tokens = ctx.db.dao('oauth2_tokens')
    return ctx.db.write(undefined, async (w) => {
      if (!(await tokens.select(String(oldId), w))) return null
      if (reuse === true) return tokens.update({ id: String(oldId) }, rec(token), { ttl: ttlOf(ttl), ctx: w })
      const created = await tokens.insert(rec(token), { ttl: ttlOf(ttl), ctx: w })
      await tokens.delete({ id: String(oldId) }, { ctx: w })
      return created
    })
  },

  /** `{id, client_secret}`: stores the secret hashed with the current parameters. */
  async rehashSecret(ctx, args) {
    const { id, client_secret: secret } = rec(args)
    if (ctx.database === 'off' || typeof secret !== 'string') return null
    await ctx.db
      .dao('oauth2_credentials')
      .update({ id: String(id) }, { client_secret: secret, hash_secret: true })
    return null
  },
}
