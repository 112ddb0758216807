// Configuration for CLI commands: `-c` and `-p` and KONG_* variables for commands that start a
// node; the node's saved `.kong_env` for commands acting on a running node.
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { type Conf, kongEnvPath, type LoadConfOptions, loadConf, maskSecrets } from '../conf/index.js'
import { CliError, type Verbosity, warn } from './output.js'

export interface ConfFlags extends Verbosity {
  conf?: string
  prefix?: string
}

function report(warnings: string[], errors: string[], flags: Verbosity): void {
  for (const w of warnings) warn(`[warn] ${w}`)
  if (errors.length > 0) throw new CliError(errors.join('\n'))
  void flags
}

function debugDump(conf: Conf, flags: Verbosity): void {
  if (!flags.vv) return
  const masked = maskSecrets(conf) as Record<string, unknown>
  for (const key of Object.keys(masked).sort()) warn(`[debug] ${key} = ${JSON.stringify(masked[key])}`)
}

/** Loads the configuration a new node would run with. */
export function loadForStart(flags: ConfFlags, overrides: Record<string, string> = {}): Conf {
  const opts: LoadConfOptions = { confPath: flags.conf, prefix: flags.prefix, overrides }
  const { conf, warnings, errors } = loadConf(opts)
  report(warnings, errors, flags)
  debugDump(conf, flags)
  return conf
}

/** `--lock-timeout <s>`: a number of seconds (60 when absent). */
export function lockTimeout(value: string | undefined): number {
  if (value === undefined) return 60
  const n = Number(value)
  if (!Number.isFinite(n) || n < 0)
    throw new CliError(`--lock-timeout must be a number of seconds: '${value}'`)
  return n
}

/** The prefix a command acts on: `-p`, else KONG_PREFIX / the configuration, else the default. */
export function resolvePrefix(flags: ConfFlags): string {
  if (flags.prefix) return resolve(flags.prefix)
  const { conf } = loadConf({ confPath: flags.conf, ignoreUnresolvedRefs: true })
  return conf.prefix
}

/** Loads the effective configuration a running node saved in its prefix. */
export function loadRunning(flags: ConfFlags): Conf {
  const prefix = resolvePrefix(flags)
  if (!existsSync(prefix)) throw new CliError(`no such prefix: ${prefix}`)
  const envFile = kongEnvPath(prefix)
  if (!existsSync(envFile)) throw new CliError(`Kong is not running at ${prefix}`)
  const { conf, warnings, errors } = loadConf({ kongEnvPath: envFile, prefix, ignoreUnresolvedRefs: true })
  report(warnings, errors, flags)
  return conf
}
