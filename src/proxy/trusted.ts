// `trusted_ips` and the real client address (nginx's realip module as Kong configures it).
import { BlockList, isIP } from 'node:net'
import { parseCidr } from '../util/ip.js'

export class TrustedIps {
  private readonly list = new BlockList()
  private readonly any: boolean
  private readonly empty: boolean

  constructor(entries: readonly string[]) {
    let v4all = false
    let v6all = false
    let count = 0
    for (const e of entries) {
      if (e === 'unix:') continue
      const c = parseCidr(e)
      if (!c) continue
      count++
      const type = c.family === 4 ? 'ipv4' : 'ipv6'
      this.list.addSubnet(c.address, c.prefix, type)
      if (c.prefix === 0) {
        if (c.family === 4) v4all = true
        else v6all = true
      }
    }
    this.any = v4all && v6all
    this.empty = count === 0
  }

  has(address: string | undefined): boolean {
    if (!address || this.empty) return false
    if (this.any) return true
    const family = isIP(address)
    if (family === 0) return false
    // IPv4-mapped IPv6 peers (`::ffff:1.2.3.4`) are checked as IPv4.
    if (family === 6 && address.startsWith('::ffff:') && isIP(address.slice(7)) === 4) {
      return this.list.check(address.slice(7), 'ipv4')
    }
    return this.list.check(address, family === 4 ? 'ipv4' : 'ipv6')
  }
}

function stripPort(v: string): string {
  const s = v.trim()
  if (s.startsWith('[')) {
    const end = s.indexOf(']')
    return end > 0 ? s.slice(1, end) : s
  }
  const colon = s.indexOf(':')
  return colon !== -1 && s.indexOf(':', colon + 1) === -1 ? s.slice(0, colon) : s
}

/**
 * The client address: the peer's, unless the peer is trusted and sent the real-IP header; then
 * the last address in it, or with `recursive` the right-most address that is not trusted.
 */
export function clientAddress(
  peer: string,
  header: string | string[] | undefined,
  trusted: TrustedIps,
  recursive: boolean,
): string {
  if (header === undefined || !trusted.has(peer)) return peer
  const values = (Array.isArray(header) ? header.join(',') : header).split(',').map(stripPort).filter(Boolean)
  if (values.length === 0) return peer
  if (!recursive) return isIP(values[values.length - 1]) ? values[values.length - 1] : peer
  for (let i = values.length - 1; i >= 0; i--) {
    if (!isIP(values[i])) return peer
    if (!trusted.has(values[i])) return values[i]
  }
  return values[0]
}
