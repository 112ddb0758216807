// `silverback start`: runs the node in the foreground (as a container process would), or
// detached with --daemon (or nginx_daemon = on). Signals: TERM/INT stop, QUIT drains and stops,
// HUP reloads the configuration saved in the prefix.
import { spawn } from 'node:child_process'
import { mkdirSync, openSync } from 'node:fs'
import { join } from 'node:path'
import { type Conf, isExplicitlySet, kongEnvPath, loadConf } from '../../conf/index.js'
import { runningPid } from '../../node/prefix.js'
import { GatewayNode } from '../../node/primary.js'
import { type ConfFlags, loadForStart, lockTimeout } from '../conf.js'
import { CliError, say, warn } from '../output.js'

export interface StartFlags extends ConfFlags {
  daemon?: boolean
  runMigrations?: boolean
  dbTimeout?: string
  lockTimeout?: string
  nginxConf?: string
  nginxConfFlags?: string
}

const DAEMON_CHILD = 'SILVERBACK_DAEMON_CHILD'

function overridesFrom(flags: StartFlags): Record<string, string> {
  const o: Record<string, string> = {}
  if (flags.dbTimeout !== undefined) o.pg_timeout = String(Number(flags.dbTimeout) * 1000)
  return o
}

export async function start(flags: StartFlags): Promise<void> {
  const conf = loadForStart(flags, overridesFrom(flags))
  const pid = runningPid(conf.prefix)
  if (pid !== undefined && pid !== process.pid)
    throw new CliError(`Kong is already running in ${conf.prefix}`)
  const daemon =
    process.env[DAEMON_CHILD] !== '1' &&
    (flags.daemon || (isExplicitlySet(conf, 'nginx_daemon') && conf.nginx_daemon))
  if (daemon) return startDaemon(flags, conf)
  await runForeground(conf, process.env[DAEMON_CHILD] !== '1', flags)
}

async function runForeground(initial: Conf, interactive: boolean, flags: StartFlags): Promise<void> {
  let node: GatewayNode
  try {
    node = await GatewayNode.start(initial, {
      stderr: interactive,
      runMigrations: flags.runMigrations === true,
      lockTimeout: lockTimeout(flags.lockTimeout),
    })
  } catch (err) {
    if (process.send) process.send({ error: (err as Error).message })
    throw err
  }
  if (process.send) {
    process.send({ started: true })
    process.disconnect()
  } else say('Kong started')

  let busy = false
  const shutdown = async (graceful: boolean) => {
    if (busy) return
    busy = true
    await node.stop(graceful)
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown(false))
  process.on('SIGINT', () => void shutdown(false))
  process.on('SIGQUIT', () => void shutdown(true))
  process.on('SIGHUP', () => {
    if (busy) return
    busy = true
    void (async () => {
      try {
        // `.kong_env` is authoritative here: `silverback reload` wrote it from its own KONG_*
        // variables and -c file, so this process's start-time KONG_* variables must not win.
        const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KONG_')))
        const { conf, errors } = loadConf({
          kongEnvPath: kongEnvPath(node.conf.prefix),
          prefix: node.conf.prefix,
          env,
        })
        if (errors.length > 0) {
          node.log.error(`reload aborted, invalid configuration: ${errors.join('; ')}`)
          return
        }
        await node.reload(conf)
      } catch (err) {
        // The node keeps serving with what it could keep; the error says what failed.
        node.log.error('reload failed: ', err)
        warn(`reload failed: ${(err as Error).message}`)
      } finally {
        busy = false
      }
    })()
  })
}

/** Starts a detached copy of this command and waits until it reports it is serving. */
async function startDaemon(flags: StartFlags, conf: Conf): Promise<void> {
  const args = process.argv.slice(1).filter((a) => a !== '--daemon')
  mkdirSync(join(conf.prefix, 'logs'), { recursive: true })
  const errLog = openSync(join(conf.prefix, 'logs', 'daemon.log'), 'a')
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', 'ignore', errLog, 'ipc'],
    env: { ...process.env, [DAEMON_CHILD]: '1', KONG_PREFIX: conf.prefix },
  })
  void flags
  const outcome = await new Promise<{ started?: boolean; error?: string }>((resolve) => {
    child.once('message', (m) => resolve(m as { started?: boolean; error?: string }))
    child.once('exit', (code) =>
      resolve({ error: `Kong exited with code ${code} before starting (see ${conf.prefix}/logs)` }),
    )
  })
  if (outcome.error) throw new CliError(outcome.error)
  child.unref()
  child.disconnect?.()
  say('Kong started')
}
