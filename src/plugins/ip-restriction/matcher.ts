// IP matching of ip-restriction, precompiled from the configured addresses and CIDR ranges: per
// family, one set of masked networks per distinct prefix length, so a lookup costs one parse of
// the client address and one set probe per prefix length, whatever the size of the list.
// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`, how a dual-stack socket shows IPv4 peers) count
// as IPv4, in the list and in client addresses.
import { isIP } from 'node:net'
import { parseCidr } from '../../util/ip.js'

/** A parsed address: IPv4 as one number, IPv6 as its 8 groups. */
export type Address = { family: 4; v4: number } | { family: 6; groups: number[] }

function parseV4(text: string): number {
  let n = 0
  let part = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 46) {
      n = n * 256 + part
      part = 0
    } else part = part * 10 + (c - 48)
  }
  return n * 256 + part
}

/** The 8 groups of an IPv6 address (valid per node:net), an embedded IPv4 tail included. */
function groupsV6(text: string): number[] {
  let s = text
  let tail: number | null = null
  const lastColon = s.lastIndexOf(':')
  if (s.indexOf('.', lastColon) !== -1) {
    tail = parseV4(s.slice(lastColon + 1))
    s = `${s.slice(0, lastColon + 1)}0:0`
  }
  const read = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((h) => Number.parseInt(h, 16))
  const gap = s.indexOf('::')
  let groups: number[]
  if (gap === -1) groups = read(s)
  else {
    const head = read(s.slice(0, gap))
    const rest = read(s.slice(gap + 2))
    groups = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest]
  }
  if (tail !== null) {
    groups[6] = Math.floor(tail / 65536)
    groups[7] = tail % 65536
  }
  return groups
}

function isMapped(groups: readonly number[]): boolean {
  return (
    groups[0] === 0 &&
    groups[1] === 0 &&
    groups[2] === 0 &&
    groups[3] === 0 &&
    groups[4] === 0 &&
    groups[5] === 0xffff
  )
}

function maskV4(n: number, prefix: number): number {
  if (prefix === 0) return 0
  return (n & (0xffffffff << (32 - prefix))) >>> 0
}

/** The first `prefix` bits of an IPv6 address as hex (the key of its network). */
function maskV6(groups: readonly number[], prefix: number): string {
  let out = ''
  for (let i = 0; i < 8; i++) {
    const bits = Math.min(16, Math.max(0, prefix - i * 16))
    const g = bits === 0 ? 0 : groups[i] & ((0xffff << (16 - bits)) & 0xffff)
    out += g.toString(16).padStart(4, '0')
  }
  return out
}

/** Parses a client address; null when it is not an IP address. */
export function parseAddress(text: string): Address | null {
  const family = isIP(text)
  if (family === 4) return { family: 4, v4: parseV4(text) }
  if (family !== 6) return null
  const groups = groupsV6(text)
  if (isMapped(groups)) return { family: 4, v4: groups[6] * 65536 + groups[7] }
  return { family: 6, groups }
}

/** An address as Kong shows it: IPv4-mapped IPv6 addresses in their IPv4 form. */
export function displayAddress(text: string): string {
  if (isIP(text) !== 6 || !text.includes('.')) return text
  const p = parseAddress(text)
  if (p === null || p.family === 6) return text
  return `${p.v4 >>> 24}.${(p.v4 >>> 16) & 255}.${(p.v4 >>> 8) & 255}.${p.v4 & 255}`
}

export class IpMatcher {
  /** Prefix length → masked networks. */
  private readonly v4 = new Map<number, Set<number>>()
  private readonly v6 = new Map<number, Set<string>>()

  /** `entries` are IP addresses or CIDR ranges (validated by the schema; others are skipped). */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const c = parseCidr(entry)
      if (c === null) continue
      if (c.family === 4) {
        this.addV4(parseV4(c.address), c.prefix)
        continue
      }
      const groups = groupsV6(c.address)
      if (isMapped(groups) && c.prefix >= 96) this.addV4(groups[6] * 65536 + groups[7], c.prefix - 96)
      else {
        const nets = this.v6.get(c.prefix) ?? new Set<string>()
        this.v6.set(c.prefix, nets)
        nets.add(maskV6(groups, c.prefix))
      }
    }
  }

  private addV4(n: number, prefix: number): void {
    const nets = this.v4.get(prefix) ?? new Set<number>()
    this.v4.set(prefix, nets)
    nets.add(maskV4(n, prefix))
  }

  get empty(): boolean {
    return this.v4.size === 0 && this.v6.size === 0
  }

  match(ip: Address): boolean {
    if (ip.family === 4) {
      for (const [prefix, nets] of this.v4) if (nets.has(maskV4(ip.v4, prefix))) return true
      return false
    }
    for (const [prefix, nets] of this.v6) if (nets.has(maskV6(ip.groups, prefix))) return true
    return false
  }
}
