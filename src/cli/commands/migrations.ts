// `silverback migrations bootstrap|up|finish|list|reset|status`.
import { createInterface } from 'node:readline/promises'
import { createStrategy, migrationNamespaces } from '../../db/index.js'
import {
  bootstrap,
  finish,
  formatMigrations,
  NEEDS_BOOTSTRAP_MSG,
  reset,
  schemaState,
  up,
} from '../../db/migrations/runner.js'
import type { Strategy } from '../../db/strategies/strategy.js'
import { PluginRegistry } from '../../plugins/registry.js'
import { type ConfFlags, loadForStart, lockTimeout } from '../conf.js'
import { CliError, say } from '../output.js'

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
  const state = await schemaState(strategy, namespaces)
  if (state.needs_bootstrap) {
    say(NEEDS_BOOTSTRAP_MSG)
    return 3
  }
  let sep = ''
  if (state.executed_migrations) {
    say(`Executed migrations:\n${formatMigrations(state.executed_migrations)}`)
    sep = '\n'
  }
  if (state.pending_migrations) {
    say(`${sep}Pending migrations:\n${formatMigrations(state.pending_migrations)}`)
    sep = '\n'
  }
  if (state.new_migrations) {
    say(`${sep}New migrations available:\n${formatMigrations(state.new_migrations)}`)
  }
  if (state.pending_migrations) {
    say("\nRun 'kong migrations finish' when ready")
    return 4
  }
  if (state.new_migrations) {
    say("\nRun 'kong migrations up' to proceed")
    return 5
  }
  return 0
}
