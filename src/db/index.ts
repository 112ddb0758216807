// Opening the store: the strategy chosen by `database`, the entity schemas of this node (core
// entities plus what the loaded plugins add) and their migrations.
import type { Conf } from '../conf/index.js'
import type { PluginRegistry } from '../plugins/registry.js'
import { DB } from './dao/db.js'
import type { EntityHooks } from './dao/hooks.js'
import { CORE_HOOKS } from './dao/index.js'
import { core } from './migrations/core/index.js'
import { coreSchemas, registerSchemas } from './schema/entities/index.js'
import { SqliteStrategy } from './strategies/sqlite/index.js'
import type { MigrationNamespace, Strategy } from './strategies/strategy.js'

export class UnsupportedDatabaseError extends Error {}

export function createStrategy(conf: Pick<Conf, 'database' | 'sqlite_path'>): Strategy {
  switch (conf.database) {
    case 'sqlite':
      return new SqliteStrategy({ path: conf.sqlite_path })
    case 'postgres':
      throw new UnsupportedDatabaseError(
        "database = postgres is not yet supported by this release of Silverback; use 'sqlite' (the default)",
      )
    case 'off':
      throw new UnsupportedDatabaseError(
        "database = off (DB-less mode) is not yet supported by this release of Silverback; use 'sqlite' (the default)",
      )
    default:
      throw new UnsupportedDatabaseError(`unknown database: ${String(conf.database)}`)
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
