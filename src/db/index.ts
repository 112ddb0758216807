// Opening the store: the strategy chosen by `database`, the entity schemas of this node (core
// entities plus what the loaded plugins add) and their migrations.
import { readFileSync } from 'node:fs'
import tls from 'node:tls'
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

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null)
const num = (v: unknown): number | null => (v === null || v === undefined || v === '' ? null : Number(v))
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null)

/** The pg_* settings (cli-and-conf.md) as connection options, with the read-only ones. */
export function postgresOptions(conf: Partial<Conf>): PostgresOptions {
  const poolSize = num(conf.pg_pool_size)
  const main: PostgresOptions = {
    host: str(conf.pg_host) ?? '127.0.0.1',
    port: num(conf.pg_port) ?? 5432,
    database: str(conf.pg_database) ?? 'kong',
    user: str(conf.pg_user) ?? 'kong',
    password: str(conf.pg_password),
    schema: str(conf.pg_schema),
    ssl: conf.pg_ssl === true,
    sslVerify: conf.pg_ssl_verify === true,
    ...optional('trustedCa', trustedCertificates(conf)),
    timeoutMs: num(conf.pg_timeout) ?? 5000,
    ...(poolSize ? { poolSize } : {}),
  }
  return { ...main, readOnly: readOnlyOptions(conf, main) }
}

/** `{[key]: value}`, or nothing when the value is undefined (no undefined keys in options). */
function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>)
}

/**
 * The certificates `pg_ssl_verify` trusts, as Kong: `lua_ssl_trusted_certificate` (PEM files,
 * and `system` for the system store). Undefined: the system store alone (Node's default).
 */
function trustedCertificates(conf: Partial<Conf>): string[] | undefined {
  const list = (conf.lua_ssl_trusted_certificate as string[] | null | undefined) ?? ['system']
  const files = list.filter((entry) => entry !== 'system')
  if (files.length === 0) return undefined
  const pems = files.map((file) => readFileSync(file, 'utf8'))
  return list.includes('system') ? [...tls.rootCertificates, ...pems] : pems
}

/**
 * The read-only connection, as Kong builds it: enabled by `pg_ro_host` (the other `pg_ro_*`
 * settings alone do nothing); each `pg_ro_*` left unset takes its `pg_*` counterpart's value.
 */
function readOnlyOptions(conf: Partial<Conf>, main: PostgresOptions): PostgresOptions | null {
  const host = str(conf.pg_ro_host)
  if (host === null) return null
  const poolSize = num(conf.pg_ro_pool_size) ?? main.poolSize
  return {
    host,
    port: num(conf.pg_ro_port) ?? main.port,
    database: str(conf.pg_ro_database) ?? main.database,
    user: str(conf.pg_ro_user) ?? main.user,
    password: str(conf.pg_ro_password) ?? main.password,
    schema: str(conf.pg_ro_schema) ?? main.schema,
    ssl: bool(conf.pg_ro_ssl) ?? main.ssl,
    sslVerify: bool(conf.pg_ro_ssl_verify) ?? main.sslVerify,
    ...optional('trustedCa', main.trustedCa),
    timeoutMs: num(conf.pg_ro_timeout) ?? main.timeoutMs,
    ...(poolSize ? { poolSize } : {}),
  }
}

/** The `pg_ro_*` settings given without `pg_ro_host` (they have no effect). */
export function ignoredReadOnlySettings(conf: Partial<Conf>): string[] {
  if (str(conf.pg_ro_host) !== null) return []
  return Object.entries(conf)
    .filter(([k, v]) => k.startsWith('pg_ro_') && v !== null && v !== undefined && v !== '')
    .map(([k]) => k)
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
