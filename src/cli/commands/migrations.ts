// `silverback migrations bootstrap|up|finish|list|reset|status`.
import { createInterface } from 'node:readline/promises'
import { createStrategy, migrationNamespaces } from '../../db/index.js'
import {
  bootstrap,
  finish,
  formatMigrations,
  NEEDS_BOOTSTRAP_MSG,
  reset,
  type SchemaState,
  schemaState,
  up,
} from '../../db/migrations/runner.js'
import type { Strategy } from '../../db/strategies/strategy.js'
import { PluginRegistry } from '../../plugins/registry.js'
import { KONG_COMPAT_VERSION } from '../../version.js'
import { type ConfFlags, loadForStart, lockTimeout } from '../conf.js'
import { CliError, say, warn } from '../output.js'

export interface MigrationFlags extends ConfFlags {
  yes?: boolean
  quiet?: boolean
  force?: boolean
  dbTimeout?: string
  lockTimeout?: string
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout })
  try {
    for (let i = 0; i < 3; i++) {
      const a = (await rl.question(`> ${question} [y/n] `)).trim()
      if (['y', 'Y', 'yes', 'YES'].includes(a)) return true
      if (['n', 'N', 'no', 'NO'].includes(a)) return false
    }
    return false
  } finally {
    rl.close()
  }
}

export async function migrations(command: string, flags: MigrationFlags): Promise<number> {
  const conf = loadForStart(
    flags,
    flags.dbTimeout === undefined ? {} : { pg_timeout: dbTimeout(flags.dbTimeout) },
  )
  const waitSeconds = lockTimeout(flags.lockTimeout)
  const log = flags.quiet ? () => undefined : (line: string) => say(line)
  const { registry, errors } = PluginRegistry.fromSetting(conf.plugins)
  if (errors.length > 0) throw new CliError(errors.join('\n'))
  const namespaces = migrationNamespaces(registry)
  if (conf.database === 'off') {
    if (command === 'bootstrap') log('Database already bootstrapped')
    else if (command === 'status') say(JSON.stringify({ needs_bootstrap: false }))
    return 0
  }
  let strategy: Strategy
  try {
    strategy = createStrategy(conf)
  } catch (err) {
    throw new CliError((err as Error).message)
  }
  try {
    switch (command) {
      case 'bootstrap':
        if (flags.force) await reset(strategy, namespaces, log)
        await bootstrap(strategy, namespaces, log)
        return 0
      case 'up':
        // another node running migrations: wait for it (up to --lock-timeout), then leave it be
        await up(strategy, namespaces, log, { force: flags.force, lockTimeout: waitSeconds })
        return 0
      case 'finish':
        await finish(strategy, namespaces, log)
        return 0
      case 'list':
        return await list(strategy, namespaces)
      case 'status':
        say(JSON.stringify(await schemaState(strategy, namespaces)))
        return 0
      case 'reset': {
        if (!flags.yes) {
          if (!process.stdin.isTTY)
            throw new CliError("not a tty: invoke 'reset' non-interactively with the --yes flag")
          const state = await schemaState(strategy, namespaces)
          if (!state.needs_bootstrap && !(await confirm('Are you sure? This operation is irreversible.'))) {
            say('cancelled')
            return 0
          }
        }
        return (await reset(strategy, namespaces, log)) ? 0 : 1
      }
      default:
        throw new CliError(`No such command for migrations: ${command}`)
    }
  } catch (err) {
    if (err instanceof CliError) throw err
    throw new CliError((err as Error).message)
  } finally {
    await strategy.close()
  }
}

/** `--db-timeout <s>` as `pg_timeout` (milliseconds). */
function dbTimeout(value: string): string {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0)
    throw new CliError(`--db-timeout must be a number of seconds: '${value}'`)
  return String(n * 1000)
}

async function list(strategy: Strategy, namespaces: ReturnType<typeof migrationNamespaces>): Promise<number> {
  const out = listing(await schemaState(strategy, namespaces), strategy.name)
  for (const line of out.stderr) warn(line)
  if (out.stdout.length > 0) say(out.stdout.join('\n'))
  return out.code
}

/** Kong's `migrations list`: what it prints, on which stream, and its exit code. */
export function listing(
  state: SchemaState,
  database: string,
  now = new Date(),
): { stdout: string[]; stderr: string[]; code: number } {
  const stdout: string[] = []
  const stderr: string[] = []
  if (state.needs_bootstrap) return { stdout: [NEEDS_BOOTSTRAP_MSG], stderr, code: 3 }
  let sep = ''
  if (state.executed_migrations) {
    stdout.push(`Executed migrations:\n${formatMigrations(state.executed_migrations)}`)
    sep = '\n'
  }
  if (state.pending_migrations) {
    stdout.push(`${sep}Pending migrations:\n${formatMigrations(state.pending_migrations)}`)
    sep = '\n'
  }
  if (state.new_migrations) {
    stdout.push(`${sep}New migrations available:\n${formatMigrations(state.new_migrations)}`)
    sep = '\n'
  }
  if (state.pending_migrations && state.new_migrations) {
    if (sep !== '') stdout.push('')
    stderr.push(
      `${kongLogDate(now)} [warn] Database has pending migrations from a previous upgrade, and new migrations from this upgrade (version ${KONG_COMPAT_VERSION})`,
    )
    stdout.push(
      `\nRun 'kong migrations finish' when ready to complete pending migrations (${database} database will be incompatible with the previous Kong version)`,
    )
    return { stdout, stderr, code: 4 }
  }
  if (state.pending_migrations) {
    stdout.push("\nRun 'kong migrations finish' when ready")
    return { stdout, stderr, code: 4 }
  }
  if (state.new_migrations) {
    stdout.push("\nRun 'kong migrations up' to proceed")
    return { stdout, stderr, code: 5 }
  }
  return { stdout, stderr, code: 0 }
}

/** Kong's CLI log time stamp: `2026/11/29 04:38:00` (local time). */
function kongLogDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}
