// IP address and CIDR primitives shared by configuration (trusted_ips), entity validation
// (route sources/destinations) and, later, plugins such as ip-restriction.
import { isIP } from 'node:net'

export interface Cidr {
  family: 4 | 6
  address: string
  prefix: number
}

/**
 * 4 or 6 for a plain IPv4/IPv6 address, 0 otherwise. Like inet_pton (which Kong uses through
 * resty.ipmatcher): IPv4 octets without leading zeros, no IPv6 zone index (`fe80::1%eth0`).
 */
export function ipFamily(text: string): 0 | 4 | 6 {
  if (text.includes('%')) return 0
  const family = isIP(text)
  return family === 4 || family === 6 ? family : 0
}

export function isValidIp(text: string): boolean {
  return ipFamily(text) !== 0
}

/** Parses `a.b.c.d`, `a.b.c.d/n`, an IPv6 address or `v6/n`. Returns null when invalid. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/')
  const address = slash === -1 ? text : text.slice(0, slash)
  const family = ipFamily(address)
  if (family === 0) return null
  const max = family === 4 ? 32 : 128
  let prefix = max
  if (slash !== -1) {
    const bits = text.slice(slash + 1)
    // Kong looks the prefix up in a table of tostring(0..max): no sign, no leading zeros.
    if (!/^(0|[1-9]\d{0,2})$/.test(bits)) return null
    prefix = Number(bits)
    if (prefix > max) return null
  }
  return { family, address, prefix }
}

export function isIpOrCidr(text: string): boolean {
  return parseCidr(text) !== null
}
