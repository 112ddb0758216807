// What a plugin type is: a name, a PRIORITY and VERSION, a configuration schema, the phase
// handlers, and optionally the entities it owns (credentials) with their migrations.
//
//   // plugins/request-stamp/schema.ts
//   export default pluginSchema({ name: 'request-stamp', config: { header_name: f.string({ default: 'X-Stamp' }) } })
//   // plugins/request-stamp/handler.ts
//   export default definePlugin(schema, {
//     priority: 1500,
//     version: KONG_COMPAT_VERSION,
//     access(conf, kong) {
//       kong.service.request.setHeader(conf.header_name, kong.request.getId())
//     },
//   })
import type { DB } from '../db/dao/db.js'
import type { EntityHooks } from '../db/dao/hooks.js'
import type { EntitySchema } from '../db/schema/entity.js'
import type { CustomValidator, EntityCheck, Field, Fields, RecordValue } from '../db/schema/field.js'
import { f } from '../db/schema/field.js'
import type { SubschemaDefinition } from '../db/schema/record.js'
import type { Migration, SqlStore } from '../db/strategies/strategy.js'
import type { PluginHandler } from '../pdk/types.js'

export interface PluginSchemaInput<C extends Fields> {
  name: string
  /** The plugin's `config` fields. */
  config: C
  /** Cross-field checks inside `config`. */
  configChecks?: readonly EntityCheck[]
  /** A validator of the whole `config` record (its message is reported at `config`). */
  configValidator?: CustomValidator
  /** Input-only aliases of config fields (legacy names). */
  configShorthands?: Field['shorthand_fields']
  /** Narrowed protocols (default: all HTTP protocols). */
  protocols?: Field
  /** Scopes the plugin refuses (`no_consumer`...). */
  noConsumer?: boolean
  noRoute?: boolean
  noService?: boolean
  /** Checks over the whole plugin entity (e.g. `config.a` vs `config.b`). */
  entityChecks?: readonly EntityCheck[]
}

/** A plugin's subschema of the `plugins` entity, carrying the type of its config. */
export interface PluginSchema<C extends Fields = Fields> extends SubschemaDefinition {
  /** Phantom: the config record's fields (types only). */
  readonly __config?: C
  readonly noConsumer: boolean
  readonly noRoute: boolean
  readonly noService: boolean
}

/** The config value a plugin schema describes. */
export type ConfigOf<S> = S extends PluginSchema<infer C> ? RecordValue<C> : never

/** An entity a plugin owns (credentials), with the DAO hooks it needs. */
export interface PluginEntity {
  schema: EntitySchema
  hooks?: EntityHooks
}

/** An Admin API request as a plugin's endpoint sees it. */
export interface PluginApiRequest {
  params: Record<string, string>
  query: Record<string, unknown>
  body: Record<string, unknown>
}

export interface PluginApiResponse {
  status: number
  body?: unknown
}

export type PluginApiHandler = (
  req: PluginApiRequest,
  ctx: { db: DB },
) => PluginApiResponse | Promise<PluginApiResponse>

/** Admin API endpoints a plugin adds (Kong's `api.lua`): path template → method → handler. */
export type PluginApi = Readonly<
  Record<string, Partial<Record<'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', PluginApiHandler>>>
>

/** What a plugin's functions in the primary process get (see PluginDefinition.primary). */
export interface PrimaryContext {
  /** Raw SQL on the node's store: the plugin's own tables (rate-limiting's counters). */
  store: SqlStore
  /** The node's store, through its DAOs: writes are validated, committed and propagated. */
  db: DB
  /** The node's `database` setting (`off` in DB-less mode). */
  database: string
}

/** A plugin function run in the primary process for a worker (kong.primary.call). */
export type PrimaryFunction = (ctx: PrimaryContext, args: unknown) => Promise<unknown>

/** A plugin's functions in the primary process, by name. */
export type PrimaryFunctions = Readonly<Record<string, PrimaryFunction>>

export interface PluginDefinition {
  name: string
  version: string
  priority: number
  schema: PluginSchema
  /** Phase handlers; a plugin type without them cannot be enabled on this node. */
  handler?: PluginHandler<unknown>
  /** Entities the plugin owns, parents before children. */
  entities?: readonly PluginEntity[]
  /** Migrations of the plugin's own namespace (its tables). */
  migrations?: readonly Migration[]
  /** Admin API endpoints of the plugin, served while it is loaded on the node. */
  api?: PluginApi
  /**
   * Functions the primary process runs for the plugin's handlers in workers (which have no
   * store), by name: `kong.primary.call(name, args, timeoutMs)`. Arguments and results travel
   * as JSON.
   */
  primary?: PrimaryFunctions
}

const noScope = (reference: string) => f.foreign(reference, { eq: null })

/** Builds a plugin's subschema of the `plugins` entity. */
export function pluginSchema<const C extends Fields>(input: PluginSchemaInput<C>): PluginSchema<C> {
  const fields: Record<string, Field> = {}
  if (input.noConsumer) fields.consumer = noScope('consumers')
  if (input.noRoute) fields.route = noScope('routes')
  if (input.noService) fields.service = noScope('services')
  if (input.protocols) fields.protocols = input.protocols
  fields.config = f.record(input.config, {
    entity_checks: input.configChecks ?? [],
    ...(input.configValidator ? { custom_validator: input.configValidator } : {}),
    ...(input.configShorthands ? { shorthand_fields: input.configShorthands } : {}),
  })
  return {
    name: input.name,
    fields,
    entity_checks: input.entityChecks,
    noConsumer: input.noConsumer === true,
    noRoute: input.noRoute === true,
    noService: input.noService === true,
  }
}

/**
 * A plugin type from its schema and handler. `handler.prepare(config)` (optional) turns a
 * validated configuration into what the phase functions receive, once per configuration change
 * (compile regexes, build sets); without it they receive the configuration itself.
 */
export function definePlugin<S extends PluginSchema, P = ConfigOf<S>>(
  schema: S,
  handler: PluginHandler<P, ConfigOf<S>>,
  extra: {
    entities?: readonly PluginEntity[]
    migrations?: readonly Migration[]
    api?: PluginApi
    primary?: PrimaryFunctions
  } = {},
): PluginDefinition {
  return {
    name: schema.name,
    version: handler.version,
    priority: handler.priority,
    schema,
    handler: handler as PluginHandler<unknown>,
    entities: extra.entities,
    migrations: extra.migrations,
    api: extra.api,
    primary: extra.primary,
  }
}
