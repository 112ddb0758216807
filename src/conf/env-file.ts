// `<prefix>/.kong_env`: the effective configuration of a node, written at start/prepare/reload and
// read back by the commands acting on that node (stop, quit, health, reload...). Same `key = value`
// syntax as kong.conf, plus the escapes of parse.ts (`\\`, `\#`, `\n`, `\r`) so multi-line values
// (PEM, inline declarative configuration) survive. It holds secrets: the node's own file, mode 0600.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { encodeKongEnvValue, parseConfText } from './parse.js'
import { confToEntries } from './serialize.js'
import type { Conf } from './types.js'

export const KONG_ENV_FILE = '.kong_env'

export function kongEnvPath(prefix: string): string {
  return join(prefix, KONG_ENV_FILE)
}

/** The text written to `.kong_env`. */
export function formatKongEnv(conf: Conf): string {
  return confToEntries(conf)
    .map(([name, text]) => (text === '' ? `${name} =` : `${name} = ${encodeKongEnvValue(text)}`))
    .join('\n')
    .concat('\n')
}

/** Writes `<prefix>/.kong_env` (mode 0600, creating the prefix if needed); returns its path. */
export function writeKongEnv(prefix: string, conf: Conf): string {
  const path = kongEnvPath(prefix)
  mkdirSync(prefix, { recursive: true })
  writeFileSync(path, formatKongEnv(conf), { mode: 0o600 })
  // `mode` only applies when the file is created; an older file may have other permissions.
  chmodSync(path, 0o600)
  return path
}

/** The raw `name → text` map of `<prefix>/.kong_env`, or null when the prefix has none. */
export function readKongEnv(prefix: string): Record<string, string> | null {
  let text: string
  try {
    text = readFileSync(kongEnvPath(prefix), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
  const map: Record<string, string> = {}
  for (const { name, value } of parseConfText(text, 'kong_env').entries) map[name] = value
  return map
}
