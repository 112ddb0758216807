// `sources` / `destinations` conditions (router.md §3.9). In the default flavor Kong's schema
// only allows them on stream routes, but its expression transform also applies them to HTTP
// routes (the `expressions` flavor accepts them there), so the HTTP router honours them when
// present. Not a hot path: such routes are rare, so addresses are parsed per evaluation.
import { isIP } from 'node:net'
import type { RouterNetEndpoint } from './types.js'

interface ParsedIp {
  readonly family: 4 | 6
  readonly value: bigint
}

function parseIpv4(text: string): number {
  let v = 0
  for (const part of text.split('.')) v = v * 256 + Number(part)
  return v
}

function groupsOf(text: string): number[] {
  return text === '' ? [] : text.split(':').map((g) => Number.parseInt(g, 16))
}

function parseIp(text: string): ParsedIp | null {
  if (text.includes('%')) return null // zone index: not an address Kong accepts
  const family = isIP(text)
  if (family === 4) return { family: 4, value: BigInt(parseIpv4(text)) }
  if (family !== 6) return null
  let s = text
  const extra: number[] = []
  const lastColon = s.lastIndexOf(':')
  if (s.indexOf('.', lastColon) !== -1) {
    // Embedded IPv4 (`::ffff:1.2.3.4`): its two 16-bit groups end the address.
    const v4 = parseIpv4(s.slice(lastColon + 1))
    extra.push(Math.floor(v4 / 0x10000), v4 % 0x10000)
    s = s.slice(0, lastColon + 1)
    if (!s.endsWith('::')) s = s.slice(0, -1)
  }
  const dbl = s.indexOf('::')
  let groups: number[]
  if (dbl === -1) {
    groups = [...groupsOf(s), ...extra]
  } else {
    const head = groupsOf(s.slice(0, dbl))
    const tail = [...groupsOf(s.slice(dbl + 2)), ...extra]
    const fill = 8 - head.length - tail.length
    if (fill < 0) return null
    groups = [...head, ...new Array<number>(fill).fill(0), ...tail]
  }
  if (groups.length !== 8) return null
  let v = 0n
  for (const g of groups) v = (v << 16n) | BigInt(g)
  return { family: 6, value: v }
}

export interface NetCondition {
  readonly family: 0 | 4 | 6 // 0: no IP part
  /** Network (masked) address and prefix length; `bits` = family width. */
  readonly network: bigint
  readonly prefix: number
  /** -1 when the entry has no port. */
  readonly port: number
}

/** Compiles one endpoint; a string error for an unparsable IP or CIDR. */
export function compileNetCondition(e: RouterNetEndpoint): NetCondition | string {
  const port = e.port === null || e.port === undefined ? -1 : e.port
  if (e.ip === null || e.ip === undefined) {
    if (port === -1) return 'sources/destinations elements must not be empty'
    return { family: 0, network: 0n, prefix: 0, port }
  }
  const slash = e.ip.indexOf('/')
  const ip = parseIp(slash === -1 ? e.ip : e.ip.slice(0, slash))
  if (!ip) return `invalid ip address: ${e.ip}`
  const bits = ip.family === 4 ? 32 : 128
  const prefix = slash === -1 ? bits : Number(e.ip.slice(slash + 1))
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return `invalid cidr: ${e.ip}`
  const shift = BigInt(bits - prefix)
  return { family: ip.family, network: (ip.value >> shift) << shift, prefix, port }
}

/** Entries are alternatives; within an entry, IP and port must both match. */
export function netConditionsMatch(
  conds: readonly NetCondition[],
  ip: string | undefined,
  port: number | undefined,
): boolean {
  let parsed: ParsedIp | null | undefined
  for (const c of conds) {
    if (c.port !== -1 && c.port !== port) continue
    if (c.family === 0) return true
    if (ip === undefined) continue
    if (parsed === undefined) parsed = parseIp(ip)
    if (parsed === null || parsed.family !== c.family) continue
    const shift = BigInt((c.family === 4 ? 32 : 128) - c.prefix)
    if ((parsed.value >> shift) << shift === c.network) return true
  }
  return false
}
