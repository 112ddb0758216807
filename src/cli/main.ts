// The `silverback` command (Kong's `kong` CLI): `silverback COMMAND [OPTIONS]`.
import { Command, CommanderError, type OptionValues } from 'commander'
import { config } from './commands/config.js'
import { health, quit, reload, restart, stop } from './commands/lifecycle.js'
import { migrations } from './commands/migrations.js'
import { check, drain, prepare, roar, vaultGet, version } from './commands/misc.js'
import { start } from './commands/start.js'
import { CliError, printError, type Verbosity } from './output.js'

const USAGE = `Usage: silverback COMMAND [OPTIONS]

The available commands are:
 check
 config
 drain
 health
 migrations
 prepare
 quit
 reload
 restart
 roar
 start
 stop
 vault
 version

Options:
 --v              verbose
 --vv             debug
`

/** A command's handler: returns the exit code, or null to keep the process running. */
type Runner = (args: string[], verbosity: Verbosity) => Promise<number | null>

function command(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .option('--v', 'verbose')
    .option('--vv', 'debug')
    .helpOption('-h, --help', 'display this help')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) })
}

const confOpts = (c: Command) =>
  c
    .option('-c, --conf <file>', 'configuration file')
    .option('-p, --prefix <dir>', 'override prefix directory')

function parse<T extends OptionValues>(cmd: Command, args: string[]): { opts: T; args: string[] } {
  cmd.parse(args, { from: 'user' })
  return { opts: cmd.opts<T>(), args: cmd.args }
}

function startCommand(name: string): Command {
  return confOpts(command(name, 'Start Silverback (in the foreground unless --daemon).'))
    .option('--daemon', 'detach and run in the background')
    .option('--run-migrations', 'run pending migrations first')
    .option('--db-timeout <s>', 'database timeout in seconds')
    .option('--lock-timeout <s>', 'seconds to wait for another node running migrations', '60')
    .option('--nginx-conf <file>', 'accepted for compatibility (ignored)')
    .option('--nginx-conf-flags <flags>', 'accepted for compatibility (ignored)')
}

const COMMANDS: Record<string, Runner> = {
  start: async (args) => {
    await start(parse<Parameters<typeof start>[0]>(startCommand('start'), args).opts)
    return null
  },
  restart: async (args) => {
    await restart(parse<Parameters<typeof restart>[0]>(startCommand('restart'), args).opts)
    return null
  },
  stop: async (args) => {
    await stop(
      parse<Parameters<typeof stop>[0]>(confOpts(command('stop', 'Stop a running node.')), args).opts,
    )
    return 0
  },
  quit: async (args) => {
    const c = confOpts(command('quit', 'Gracefully stop a running node.'))
      .option('-t, --timeout <s>', 'seconds before forcing the stop', '10')
      .option('-w, --wait <s>', 'seconds to wait before initiating the shutdown', '0')
    await quit(parse<Parameters<typeof quit>[0]>(c, args).opts)
    return 0
  },
  reload: async (args) => {
    const c = confOpts(command('reload', 'Reload the configuration of a running node.'))
      .option('--nginx-conf <file>', 'ignored')
      .option('--nginx-conf-flags <flags>', 'ignored')
    await reload(parse<Parameters<typeof reload>[0]>(c, args).opts)
    return 0
  },
  health: async (args) => {
    await health(
      parse<Parameters<typeof health>[0]>(confOpts(command('health', 'Check a running node.')), args).opts,
    )
    return 0
  },
  check: async (args) => {
    const { args: rest } = parse<OptionValues>(
      command('check', 'Validate a configuration file.').argument('[conf]'),
      args,
    )
    check(rest[0])
    return 0
  },
  prepare: async (args) => {
    const c = confOpts(command('prepare', 'Prepare the prefix directory.')).option(
      '--nginx-conf <file>',
      'ignored',
    )
    prepare(parse<Parameters<typeof prepare>[0]>(c, args).opts)
    return 0
  },
  version: async (args) => {
    version(
      parse<{ all?: boolean }>(
        command('version', 'Print the version.').option('-a, --all', 'all versions'),
        args,
      ).opts,
    )
    return 0
  },
  roar: async () => {
    roar()
    return 0
  },
  drain: async (args) => {
    await drain(
      parse<Parameters<typeof drain>[0]>(confOpts(command('drain', 'Mark the node as draining.')), args).opts,
    )
    return 0
  },
  vault: async (args) => {
    const [sub, ...rest] = args.filter((a) => a !== '--v' && a !== '--vv')
    if (!sub) throw new UsageError('Usage: silverback vault get <reference> [OPTIONS]\n')
    if (sub !== 'get') throw new CliError(`No such command for vault: ${sub}`)
    const { opts, args: refs } = parse<Parameters<typeof vaultGet>[1]>(
      confOpts(command('get', 'Resolve a vault reference.')).argument('[reference]'),
      rest,
    )
    vaultGet(refs[0], opts)
    return 0
  },
  migrations: async (args) => {
    const [sub, ...rest] = args.filter((a) => a !== '--v' && a !== '--vv')
    const SUBS = ['bootstrap', 'up', 'finish', 'list', 'reset', 'status']
    if (!sub)
      throw new UsageError(`Usage: silverback migrations COMMAND [OPTIONS]\n\nCommands: ${SUBS.join(', ')}\n`)
    if (!SUBS.includes(sub)) throw new CliError(`No such command for migrations: ${sub}`)
    const c = confOpts(command(sub, 'Manage database schema migrations.'))
      .option('-y, --yes', 'assume yes to prompts')
      .option('-q, --quiet', 'suppress all output')
      .option('-f, --force', 'run migrations even if the database reports them as executed')
      .option('--db-timeout <s>', 'database timeout in seconds')
      .option('--lock-timeout <s>', 'seconds to wait for another node', '60')
    return migrations(sub, parse<Parameters<typeof migrations>[1]>(c, rest).opts)
  },
  config: async (args) => {
    const [sub, ...rest] = args.filter((a) => a !== '--v' && a !== '--vv')
    const SUBS = ['init', 'parse', 'db_import', 'db_export']
    if (!sub)
      throw new UsageError(`Usage: silverback config COMMAND [OPTIONS]\n\nCommands: ${SUBS.join(', ')}\n`)
    if (!SUBS.includes(sub)) throw new CliError(`No such command for config: ${sub}`)
    const { opts, args: files } = parse<Parameters<typeof config>[2]>(
      confOpts(command(sub, 'Declarative configuration.')).argument('[file]'),
      rest,
    )
    return config(sub, files[0], opts)
  },
}

class UsageError extends Error {}

/** Runs the CLI; exits the process unless a command keeps it running (start). */
export async function main(argv: string[]): Promise<void> {
  const verbosity: Verbosity = { v: argv.includes('--v'), vv: argv.includes('--vv') }
  const [name, ...rest] = argv
  if (name === undefined || name === '--v' || name === '--vv') {
    process.stderr.write(USAGE)
    process.exit(1)
  }
  if (name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(USAGE)
    process.exit(0)
  }
  const runner = COMMANDS[name]
  if (!runner) {
    process.stderr.write(`${USAGE}\nNo such command: ${name}\n`)
    process.exit(1)
  }
  try {
    const code = await runner(rest, verbosity)
    if (code !== null) process.exit(code)
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help output (`-h`) exits 0; option errors were printed by commander.
      process.exit(err.exitCode === 0 ? 0 : 1)
    }
    if (err instanceof UsageError) {
      process.stderr.write(err.message)
      process.exit(1)
    }
    if (err instanceof CliError && err.message === '') process.exit(err.exitCode)
    printError(err, verbosity)
    process.exit(err instanceof CliError ? err.exitCode : 1)
  }
}
