// Commands acting on a running node through its pid file: stop, quit, restart, reload, health.
import { existsSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { kongEnvPath, loadConf, writeKongEnv } from '../../conf/index.js'
import { runningPid } from '../../node/prefix.js'
import { type ConfFlags, loadRunning, resolvePrefix } from '../conf.js'
import { CliError, say } from '../output.js'
import { type StartFlags, start } from './start.js'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function waitExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!alive(pid)) return true
    await sleep(50)
  }
  return !alive(pid)
}

function runningIn(prefix: string): number {
  if (!existsSync(prefix)) throw new CliError(`no such prefix: ${prefix}`)
  const pid = runningPid(prefix)
  if (pid === undefined) throw new CliError(`Kong is not running in ${prefix}`)
  return pid
}

export async function stop(flags: ConfFlags, quiet = false): Promise<void> {
  const prefix = resolvePrefix(flags)
  const pid = runningIn(prefix)
  process.kill(pid, 'SIGTERM')
  if (!(await waitExit(pid, 10_000))) {
    process.kill(pid, 'SIGKILL')
    await waitExit(pid, 5_000)
  }
  if (!quiet) say('Kong stopped')
}

export interface QuitFlags extends ConfFlags {
  timeout?: string
  wait?: string
}

export async function quit(flags: QuitFlags): Promise<void> {
  const prefix = resolvePrefix(flags)
  const pid = runningIn(prefix)
  const wait = Math.max(0, Number(flags.wait ?? 0))
  const timeout = Math.max(1, Number(flags.timeout ?? 10))
  if (wait > 0) await sleep(wait * 1000)
  process.kill(pid, 'SIGQUIT')
  if (await waitExit(pid, timeout * 1000)) {
    say('Kong stopped (gracefully)')
    return
  }
  process.kill(pid, 'SIGKILL')
  await waitExit(pid, 5_000)
  say('Timeout, Kong stopped forcefully')
}

export async function restart(flags: StartFlags): Promise<void> {
  try {
    await stop(flags, true)
  } catch {
    // not running: start it anyway
  }
  await start(flags)
}

export async function reload(flags: ConfFlags): Promise<void> {
  const running = loadRunning({ ...flags, conf: undefined })
  const prefix = running.prefix
  const pid = runningIn(prefix)
  // The saved configuration, with -c's values applied over it (later values win).
  const { conf, errors, warnings } = loadConf({
    kongEnvPath: kongEnvPath(prefix),
    confPath: flags.conf,
    prefix,
  })
  for (const w of warnings) process.stderr.write(`[warn] ${w}\n`)
  if (errors.length > 0) throw new CliError(errors.join('\n'))
  writeKongEnv(prefix, conf)
  process.kill(pid, 'SIGHUP')
  say('Kong reloaded')
}

export async function health(flags: ConfFlags): Promise<void> {
  const prefix = resolvePrefix(flags)
  const pid = existsSync(prefix) ? runningPid(prefix) : undefined
  if (pid === undefined) throw new CliError(`Kong is not running at ${prefix}`)
  say('silverback.......running')
  say('')
  say(`Kong is healthy at ${prefix}`)
}
