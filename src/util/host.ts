// Hostname / IP address parsing and normalization, following Kong's kong/tools/ip.lua
// (hostname_type, normalize_ipv4, normalize_ipv6, check_hostname, normalize_ip, format_host).
// Shared by entity validation (service host, SNIs, upstream names, targets) and by the
// balancer, which must format targets exactly like Kong does.

export type HostType = 'ipv4' | 'ipv6' | 'name'

export interface NormalizedHost {
  type: HostType
  /** IPv4 without leading zeros, IPv6 fully expanded lowercase without brackets, names as given. */
  host: string
  port?: number
}

export type HostError = { error: string }

/** Kong's port-range error; callers compare against it to tell "bad port" from "bad host". */
export const INVALID_PORT = 'invalid port number'

/**
 * Classifies by exclusion, not by validation: more than one `:` → ipv6, only digits and dots
 * (after dropping a single `:`) → ipv4, anything else → name. "some::thing" is "ipv6" (invalid).
 */
export function hostnameType(name: string): HostType {
  let colons = 0
  for (const ch of name) if (ch === ':') colons++
  if (colons > 1) return 'ipv6'
  if (/^[\d.]+$/.test(name.replaceAll(':', ''))) return 'ipv4'
  return 'name'
}

/** Port digits to number; values above 65535 are Kong's `invalid port number`. */
function parsePort(digits: string): number | HostError {
  const port = Number(digits)
  return port > 65535 ? { error: INVALID_PORT } : port
}

/** `a.b.c.d` or `a.b.c.d:port`; leading zeros are accepted and dropped (`001.2.3.4` → `1.2.3.4`). */
export function normalizeIpv4(address: string): { host: string; port?: number } | HostError {
  const m = address.includes(':')
    ? /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d+)$/.exec(address)
    : /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address)
  if (!m) return { error: `invalid ipv4 address: ${address}` }
  const octets = [m[1], m[2], m[3], m[4]].map(Number)
  if (octets.some((o) => o > 255)) return { error: `invalid ipv4 address: ${address}` }
  const host = octets.join('.')
  if (m[5] === undefined) return { host }
  const port = parsePort(m[5])
  return typeof port === 'number' ? { host, port } : port
}

/** `addr`, `[addr]` or `[addr]:port` → eight zero-padded lowercase groups. */
export function normalizeIpv6(address: string): { host: string; port?: number } | HostError {
  let check = address
  let port: number | undefined
  const close = address.startsWith('[') ? address.indexOf(']') : -1
  // Lua's %b[] needs a balanced pair at the start; a nested '[' makes the hex check fail later
  // anyway, so the first ']' is as good as the balanced one.
  if (close !== -1) {
    check = address.slice(1, close)
    const rest = address.slice(close + 1)
    if (rest !== '') {
      const m = /^:(\d+)$/.exec(rest)
      if (!m) return { error: 'invalid ipv6 address' }
      const p = parsePort(m[1])
      if (typeof p !== 'number') return p
      port = p
    }
  }
  if (check.startsWith(':')) check = `0${check}`
  if (check.endsWith(':')) check = `${check}0`
  if (check.includes('::')) {
    const colons = check.split(':').length - 1
    check = check.replace('::', `:${'0:'.repeat(Math.max(0, 8 - colons))}`)
  }
  const groups = check.split(':')
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) {
    return { error: `invalid ipv6 address: ${address}` }
  }
  const host = groups.map((g) => g.toLowerCase().padStart(4, '0')).join(':')
  return port === undefined ? { host } : { host, port }
}

/**
 * `name` or `name:port`. Labels may contain letters, digits, `-`, `_`; no label may end with
 * `-` (a leading `-` is allowed, as punycode needs it); only the last label may be empty (FQDN).
 * Names are returned as given (no lower-casing).
 */
export function checkHostname(address: string): { host: string; port?: number } | HostError {
  let name = address
  let port: number | undefined
  const m = /:(\d+)$/.exec(address)
  if (m) {
    name = address.slice(0, m.index)
    const p = parsePort(m[1])
    if (typeof p !== 'number') return p
    port = p
  }
  if (!/^[A-Za-z0-9\-._]+$/.test(name)) return { error: `invalid hostname: ${address}` }
  const labels = name.split('.')
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]
    if (label.endsWith('-') || (label === '' && i !== labels.length - 1)) {
      return { error: `invalid hostname: ${address}` }
    }
  }
  return port === undefined ? { host: name } : { host: name, port }
}

/**
 * Kong's normalize_ip: validates `ipv4[:port]`, `ipv6`, `[ipv6][:port]`, `name[:port]`.
 * Errors are Kong's raw messages (`invalid hostname: <a>`, `invalid ipv4 address: <a>`,
 * `invalid ipv6 address: <a>`, `invalid ipv6 address`, `invalid port number`).
 */
export function normalizeHost(address: string): NormalizedHost | HostError {
  const type = hostnameType(address)
  const r =
    type === 'ipv4'
      ? normalizeIpv4(address)
      : type === 'ipv6'
        ? normalizeIpv6(address)
        : checkHostname(address)
  if ('error' in r) return r
  return r.port === undefined ? { type, host: r.host } : { type, host: r.host, port: r.port }
}

/**
 * Kong's format_host for a normalized host: IPv6 goes in brackets, the port (or `defaultPort`)
 * is appended after `:` when there is one.
 */
export function formatHost(host: NormalizedHost, defaultPort?: number): string {
  const port = host.port ?? defaultPort
  const suffix = port === undefined ? '' : `:${port}`
  if (host.type === 'ipv6' && !host.host.includes('[')) {
    const expanded = normalizeIpv6(host.host)
    return `[${'error' in expanded ? host.host : expanded.host}]${suffix}`
  }
  return `${host.host}${suffix}`
}
