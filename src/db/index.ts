// Opening the store: the strategy chosen by `database`, the entity schemas of this node (core
// entities plus what the loaded plugins add) and their migrations.
import type { Conf } from '../conf/index.js'
import type { PluginRegistry } from '../plugins/registry.js'
import { DB } from './dao/db.js'
import type { EntityHooks } from './dao/hooks.js'
import { CORE_HOOKS } from './dao/index.js'
import { core } from './migrations/core/index.js'
import { coreSchemas, registerSchemas } from './schema/entities/index.js'
import { OffStrategy } from './strategies/off/index.js'
import { type PostgresOptions, PostgresStrategy } from './strategies/postgres/index.js'
import { SqliteStrategy } from './strategies/sqlite/index.js'
import type { MigrationNamespace, Strategy } from './strategies/strategy.js'

export class UnsupportedDatabaseError extends Error {}

type StoreConf = Pick<Conf, 'database' | 'sqlite_path'> & Partial<Conf>

export function createStrategy(conf: StoreConf): Strategy {
  switch (conf.database) {
    case 'sqlite':
      return new SqliteStrategy({ path: conf.sqlite_path })
    case 'postgres':
      return new PostgresStrategy(postgresOptions(conf))
    case 'off':
      return new OffStrategy()
    default:
      throw new UnsupportedDatabaseError(`unknown database: ${String(conf.database)}`)
  }
}

/** The pg_* settings (cli-and-conf.md) as connection options. */
export function postgresOptions(conf: Partial<Conf>): PostgresOptions {
  const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null)
  const num = (v: unknown): number | null => (v === null || v === undefined || v === '' ? null : Number(v))
  const poolSize = num(conf.pg_pool_size)
  return {
    host: str(conf.pg_host) ?? '127.0.0.1',
    port: num(conf.pg_port) ?? 5432,
    database: str(conf.pg_database) ?? 'kong',
    user: str(conf.pg_user) ?? 'kong',
    password: str(conf.pg_password),
    schema: str(conf.pg_schema),
    ssl: conf.pg_ssl === true,
    sslVerify: conf.pg_ssl_verify === true,
    timeoutMs: num(conf.pg_timeout) ?? 5000,
    ...(poolSize ? { poolSize } : {}),
  }
}

/** Migration namespaces of this node: core first, then plugins that own tables. */
export function migrationNamespaces(plugins: PluginRegistry): MigrationNamespace[] {
  return [core, ...plugins.migrationNamespaces()]
}

/** The DAO layer over a strategy, with every entity of this node registered. */
export function createDB(strategy: Strategy, plugins: PluginRegistry): DB {
  const db = new DB(strategy)
  db.register(coreSchemas(plugins.subschemas()), CORE_HOOKS)
  const owned = plugins.entities()
  if (owned.length > 0) {
    const schemas = owned.map((e) => e.schema)
    registerSchemas(schemas)
    const hooks: Record<string, EntityHooks> = {}
    for (const e of owned) if (e.hooks) hooks[e.schema.name] = e.hooks
    db.register(schemas, hooks)
  }
  return db
}

export { DB }
