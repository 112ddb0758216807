// `silverback config init|parse|db_import|db_export` (declarative configuration).
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, resolve } from 'node:path'
import {
  DeclarativeModel,
  formatDeclarativeError,
  initTemplate,
  loadDeclarativeText,
} from '../../db/declarative/index.js'
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
    case 'db_export':
      throw new CliError(`'kong config ${sub}' is not available yet in this release of Silverback`)
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

function parse(file: string | undefined, flags: ConfFlags): number {
  if (!file) throw new CliError('expected a declarative configuration file; see `kong config --help`')
  const conf = loadForStart(flags)
  const { registry, errors } = PluginRegistry.fromSetting(conf.plugins)
  if (errors.length > 0) throw new CliError(errors.join('\n'))
  const path = resolve(file)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new CliError(`failed reading config file at ${path}: ${(err as Error).message}`)
  }
  const result = loadDeclarativeText(text, DeclarativeModel.fromRegistry(registry), {
    filename: basename(path),
  })
  if (!result.ok) throw new CliError(`Failed parsing:\n${formatDeclarativeError(result.error)}`)
  say('parse successful')
  return 0
}
