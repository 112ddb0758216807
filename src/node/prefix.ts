// The prefix directory: logs, pid file, effective configuration (.kong_env), the node id and the
// default TLS certificates. One running node per prefix.
import { randomUUID } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadPem } from '../conf/certificates.js'
import { type Conf, writeKongEnv } from '../conf/index.js'
import { generateSelfSigned } from '../tls/self-signed.js'

export function pidFile(prefix: string): string {
  return join(prefix, 'pids', 'silverback.pid')
}

/** Creates the prefix layout and writes `.kong_env` (Kong's `prepare`). */
export function preparePrefix(conf: Conf): void {
  const prefix = conf.prefix
  try {
    for (const dir of [prefix, join(prefix, 'logs'), join(prefix, 'pids'), join(prefix, 'ssl')]) {
      mkdirSync(dir, { recursive: true })
    }
    writeKongEnv(prefix, conf)
  } catch (err) {
    throw new Error(`could not prepare Kong prefix at ${prefix}: ${(err as Error).message}`)
  }
}

/** The pid recorded in the prefix, if that process is alive. */
export function runningPid(prefix: string): number | undefined {
  let text: string
  try {
    text = readFileSync(pidFile(prefix), 'utf8').trim()
  } catch {
    return undefined
  }
  const pid = Number(text)
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  try {
    process.kill(pid, 0)
    return pid
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined
  }
}

export function writePid(prefix: string, pid = process.pid): void {
  mkdirSync(join(prefix, 'pids'), { recursive: true })
  writeFileSync(pidFile(prefix), `${pid}\n`)
}

export function removePid(prefix: string, pid = process.pid): void {
  try {
    if (readFileSync(pidFile(prefix), 'utf8').trim() === String(pid)) rmSync(pidFile(prefix), { force: true })
  } catch {
    // already gone
  }
}

/** The node id: `node_id` from the configuration, else one generated once per prefix. */
export function nodeId(conf: Conf): string {
  if (conf.node_id) return conf.node_id
  const file = join(conf.prefix, 'node.id')
  try {
    const id = readFileSync(file, 'utf8').trim()
    if (/^[0-9a-f-]{36}$/i.test(id)) return id
  } catch {
    // first start
  }
  const id = randomUUID()
  writeFileSync(file, `${id}\n`)
  return id
}

export interface CertPair {
  cert: string
  key: string
}

/**
 * The certificates of a TLS listener family: the configured `<x>_ssl_cert`/`_key` lists, or the
 * default self-signed RSA and ECDSA pairs, generated under `<prefix>/ssl/` on first use.
 */
export function listenerCertificates(
  conf: Conf,
  family: 'ssl' | 'admin_ssl' | 'status_ssl' | 'admin_gui_ssl',
): CertPair[] {
  const certs = (conf[`${family}_cert`] as string[] | null) ?? []
  const keys = (conf[`${family}_cert_key`] as string[] | null) ?? []
  if (certs.length > 0) {
    return certs.map((c, i) => ({
      cert: loadPem(c, 'certificate', process.cwd()).value,
      key: loadPem(keys[i] ?? '', 'key', process.cwd()).value,
    }))
  }
  const out: CertPair[] = []
  for (const [suffix, type] of [
    ['', 'rsa'],
    ['_ecdsa', 'ec'],
  ] as const) {
    const certPath = conf[`${family}_cert_default${suffix}`] as string
    const keyPath = conf[`${family}_cert_key_default${suffix}`] as string
    if (!existsSync(certPath) || !existsSync(keyPath)) {
      const pair = generateSelfSigned({ type, commonName: 'localhost' })
      mkdirSync(join(conf.prefix, 'ssl'), { recursive: true })
      writeFileSync(keyPath, pair.key, { mode: 0o600 })
      chmodSync(keyPath, 0o600)
      writeFileSync(certPath, pair.cert)
    }
    out.push({ cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') })
  }
  return out
}
