// check, prepare, version, roar, drain, vault.
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { loadConf, resolveReference } from '../../conf/index.js'
import { preparePrefix } from '../../node/prefix.js'
import { KONG_COMPAT_VERSION, VERSION } from '../../version.js'
import { type ConfFlags, loadForStart, loadRunning } from '../conf.js'
import { CliError, say } from '../output.js'

export function check(file: string | undefined): void {
  const path = resolve(file ?? '/etc/kong/kong.conf')
  if (!existsSync(path)) {
    say(`[error] no file at: ${path}`)
    throw new CliError('', 1)
  }
  const { errors, warnings } = loadConf({ confPath: path })
  for (const w of warnings) say(`[warn] ${w}`)
  if (errors.length > 0) {
    for (const e of errors) say(`[error] ${e}`)
    throw new CliError('', 1)
  }
  say(`configuration at ${path} is valid`)
}

export function prepare(flags: ConfFlags): void {
  const conf = loadForStart(flags)
  try {
    preparePrefix(conf)
  } catch (err) {
    throw new CliError((err as Error).message)
  }
}

export function version(flags: { all?: boolean }): void {
  if (!flags.all) {
    say(KONG_COMPAT_VERSION)
    return
  }
  say(`Kong: ${KONG_COMPAT_VERSION}`)
  say(`Silverback: ${VERSION}`)
  say(`Node.js: ${process.version}`)
}

export function roar(): void {
  say(`Kong, Monolith destroyer.

     /\\  ____
     <> ( oo )
     <>_| ^^ |_
     <>   @    \\
    /~~\\ . . _ |
   /~~~~\\    | |
  /~~~~~~\\/ _| |
  |[][][]/ / [m]
  |[][][[m]
  |[][][]|
  |[][][]|
  |[][][]|
  |[][][]|
  |[|--|]|
  |[|  |]|
  ========
 ==========
 |[[    ]]|
 ==========`)
}

export async function drain(flags: ConfFlags): Promise<void> {
  const conf = loadRunning(flags)
  const l = conf.status_listeners[0]
  if (!l) {
    say('No status listeners found in configuration.')
    return
  }
  const host = l.ip.includes(':') ? `[${l.ip}]` : l.ip === '0.0.0.0' ? '127.0.0.1' : l.ip
  const url = `${l.ssl ? 'https' : 'http'}://${host}:${l.port}/status/ready`
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'draining' }),
    })
    if (res.status === 204) say("Kong's status successfully changed to 'draining'")
    else say(`Unexpected response status from ${url}: ${res.status}`)
  } catch (err) {
    say(`Failed to send request to ${url}: ${(err as Error).message}`)
  }
}

export function vaultGet(reference: string | undefined, flags: ConfFlags): void {
  if (!reference)
    throw new CliError("the 'get' command needs a <reference> argument \nkong vault get <reference>")
  const conf = loadForStart(flags)
  const ref = reference.startsWith('{vault://') ? reference : `{vault://${reference}}`
  const vaults = new Set(conf.vaults.includes('bundled') ? ['env', ...conf.vaults] : conf.vaults)
  const r = resolveReference(ref, {
    env: process.env,
    vaults,
    envPrefix: (conf.vault_env_prefix as string | null) ?? undefined,
  })
  if (!r.ok) throw new CliError(`unable to load value (${reference}) from vault (${r.error})`)
  say(r.value)
}
