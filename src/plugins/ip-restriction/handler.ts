// ip-restriction (plugins.md §6.8): rejects requests whose client address (after real-IP
// processing from trusted proxies) is denied, or not allowed. The lists are compiled once per
// configuration into set lookups (matcher.ts).
import type { Kong } from '../../pdk/types.js'
import { KONG_COMPAT_VERSION } from '../../version.js'
import { definePlugin } from '../definition.js'
import { displayAddress, IpMatcher, parseAddress } from './matcher.js'
import schema from './schema.js'

interface Conf {
  deny: IpMatcher | null
  allow: IpMatcher | null
  status: number
  /** The configured message; null: `IP address not allowed: <client ip>`. */
  message: string | null
}

function matcher(list: readonly string[] | null): IpMatcher | null {
  if (!list || list.length === 0) return null
  const m = new IpMatcher(list)
  return m.empty ? null : m
}

function reject(conf: Conf, kong: Kong, ip: string, status = conf.status, message = conf.message): void {
  const text = message ?? `IP address not allowed: ${displayAddress(ip)}`
  kong.log.warn(text)
  kong.response.error(status, text)
}

export default definePlugin(schema, {
  priority: 990,
  version: KONG_COMPAT_VERSION,
  prepare(config): Conf {
    return {
      deny: matcher(config.deny),
      allow: matcher(config.allow),
      status: config.status ?? 403,
      message: config.message ?? null,
    }
  },
  access(conf, kong) {
    // The address Kong's nginx sees as remote_addr: the peer, or the real IP a trusted peer sent.
    const ip = kong.client.getForwardedIp()
    const addr = parseAddress(ip)
    if (addr === null) {
      reject(
        conf,
        kong,
        ip,
        403,
        'Cannot identify the client IP address, unix domain sockets are not supported.',
      )
      return
    }
    if (conf.deny?.match(addr)) reject(conf, kong, ip)
    else if (conf.allow && !conf.allow.match(addr)) reject(conf, kong, ip)
  },
})
