// IP address and CIDR primitives shared by configuration (trusted_ips), entity validation
// (route sources/destinations) and, later, plugins such as ip-restriction.
import { isIP } from 'node:net'

export interface Cidr {
  family: 4 | 6
  address: string
  prefix: number
}

/** Parses `a.b.c.d`, `a.b.c.d/n`, an IPv6 address or `v6/n`. Returns null when invalid. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/')
  const address = slash === -1 ? text : text.slice(0, slash)
  const family = isIP(address)
  if (family !== 4 && family !== 6) return null
  const max = family === 4 ? 32 : 128
  let prefix = max
  if (slash !== -1) {
    const bits = text.slice(slash + 1)
    if (!/^\d{1,3}$/.test(bits)) return null
    prefix = Number(bits)
    if (prefix > max) return null
  }
  return { family, address, prefix }
}

export function isIpOrCidr(text: string): boolean {
  return parseCidr(text) !== null
}
