// Upstream targets: `host[:port]`, stored normalized with Kong's default port 8000.
import { formatHost, normalizeHost } from '../../../util/host.js'
import { isValidUtf8 } from '../../../util/utf8.js'

/** Port appended to targets given without one. */
export const DEFAULT_TARGET_PORT = 8000

function invalidTarget(target: string): string {
  return isValidUtf8(target)
    ? `Invalid target ('${target}'); not a valid hostname or ip address`
    : 'Invalid target; not a valid hostname or ip address'
}

export function validateTarget(target: string): string | undefined {
  return 'error' in normalizeHost(target) ? invalidTarget(target) : undefined
}

/**
 * The stored form of a target: IPv4 without leading zeros, IPv6 expanded and bracketed, names
 * as given, always with a port: `konghq.test` → `konghq.test:8000`, `::1` →
 * `[0000:0000:0000:0000:0000:0000:0000:0001]:8000`, `001.002.003.004:80` → `1.2.3.4:80`.
 */
export function normalizeTarget(target: string): { target: string } | { error: string } {
  const r = normalizeHost(target)
  if ('error' in r) return { error: invalidTarget(target) }
  return { target: formatHost(r, DEFAULT_TARGET_PORT) }
}
