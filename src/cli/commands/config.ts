// `silverback config init|parse|db_import|db_export` (declarative configuration).
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, resolve } from 'node:path'
import type { Conf } from '../../conf/index.js'
import type { DB } from '../../db/dao/db.js'
import {
  DeclarativeModel,
  formatDeclarativeError,
  initTemplate,
  loadDeclarativeText,
} from '../../db/declarative/index.js'
import { exportStore, importConfiguration } from '../../db/declarative/store.js'
import { createDB, createStrategy } from '../../db/index.js'
import type { PostgresOps } from '../../db/strategies/postgres/index.js'
import { Logger } from '../../log/logger.js'
import { GatewayNode } from '../../node/primary.js'
import { PluginRegistry } from '../../plugins/registry.js'
import { type ConfFlags, loadForStart } from '../conf.js'
import { CliError, say } from '../output.js'

export async function config(sub: string, file: string | undefined, flags: ConfFlags): Promise<number> {
  switch (sub) {
    case 'init':
      return init(file)
    case 'parse':
      return parse(file, flags)
    case 'db_import':
      return dbImport(file, flags)
    case 'db_export':
      return dbExport(file, flags)
    default:
      throw new CliError(`No such command for config: ${sub}`)
  }
}

function init(file: string | undefined): number {
  const name = file ?? 'kong.yml'
  if (existsSync(resolve(name))) throw new CliError(`${name} already exists.\nWill not overwrite it.`)
  writeFileSync(resolve(name), initTemplate())
  return 0
}

function registryOf(conf: Conf): PluginRegistry {
  const { registry, errors } = PluginRegistry.fromSetting(conf.plugins)
  if (errors.length > 0) throw new CliError(errors.join('\n'))
  return registry
}

/** Reads and validates a declarative file as DB-less loading would. */
function parseFile(file: string | undefined, model: DeclarativeModel, keepUpdatedAt = false) {
  if (!file) throw new CliError('expected a declarative configuration file; see `kong config --help`')
  const path = resolve(file)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new CliError(`failed reading config file at ${path}: ${(err as Error).message}`)
  }
  const result = loadDeclarativeText(text, model, { filename: basename(path), keepUpdatedAt })
  if (!result.ok) throw new CliError(`Failed parsing:\n${formatDeclarativeError(result.error)}`)
  return result.value
}

function parse(file: string | undefined, flags: ConfFlags): number {
  const conf = loadForStart(flags)
  parseFile(file, DeclarativeModel.fromRegistry(registryOf(conf)))
  say('parse successful')
  return 0
}

/** Opens the node's store (the embedded one is bootstrapped when new), runs `fn`, closes it. */
async function withStore<T>(conf: Conf, registry: PluginRegistry, fn: (db: DB) => Promise<T>): Promise<T> {
  const strategy = createStrategy(conf)
  try {
    try {
      await GatewayNode.migrate(conf, strategy, registry, new Logger({ level: 'error' }))
    } catch (err) {
      throw new CliError((err as Error).message)
    }
    return await fn(createDB(strategy, registry))
  } finally {
    await strategy.close()
  }
}

function dbOnly(conf: Conf, sub: string): void {
  if (conf.database !== 'off') return
  if (sub === 'db_import')
    throw new CliError(
      "'kong config db_import' only works with a database.\nWhen using database=off, reload your declarative configuration\nusing the /config endpoint.",
    )
  throw new CliError(`'kong config ${sub}' only works with a database.`)
}

async function dbImport(file: string | undefined, flags: ConfFlags): Promise<number> {
  const conf = loadForStart(flags)
  dbOnly(conf, 'db_import')
  const registry = registryOf(conf)
  const model = DeclarativeModel.fromRegistry(registry)
  const config = parseFile(file, model, true)
  say('parse successful, beginning import')
  await withStore(conf, registry, async (db) => {
    // nodes following a PostgreSQL store apply the import as soon as it commits
    if (db.strategy.name === 'postgres')
      db.beforeCommit = (ops, events) =>
        (ops as PostgresOps).publish('config-db-import', JSON.stringify(events))
    try {
      await importConfiguration(db, model, config.entities)
    } catch (err) {
      throw new CliError(`Failed importing:\n${(err as Error).message}`)
    }
  })
  say('import successful')
  return 0
}

async function dbExport(file: string | undefined, flags: ConfFlags): Promise<number> {
  const conf = loadForStart(flags)
  dbOnly(conf, 'db_export')
  const name = file ?? 'kong.yml'
  const path = resolve(name)
  if (existsSync(path)) throw new CliError(`${name} already exists. Will not overwrite it.`)
  const registry = registryOf(conf)
  const model = DeclarativeModel.fromRegistry(registry)
  const text = await withStore(conf, registry, (db) => exportStore(db, model))
  writeFileSync(path, text)
  return 0
}
