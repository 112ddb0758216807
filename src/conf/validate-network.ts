// Checks of the network-facing properties: port maps, DNS resolver settings, trusted IPs and the
// forward proxy. Messages are Kong's.
import { statSync } from 'node:fs'
import { isIP } from 'node:net'
import { resolve } from 'node:path'
import { isIpOrCidr } from '../util/ip.js'
import type { Conf } from './types.js'
import type { ValidationContext } from './validate-context.js'

/** port_maps (`<host port>:<container port>`) → host_ports, keyed by the container port. */
export function parsePortMaps(conf: Conf, ctx: ValidationContext): Record<string, number> {
  const hostPorts: Record<string, number> = {}
  const isPort = (text: string) => /^\d+$/.test(text) && Number(text) >= 1 && Number(text) <= 65535
  for (const map of conf.port_maps) {
    const colon = map.indexOf(':')
    const host = map.slice(0, colon)
    const container = map.slice(colon + 1)
    if (colon === -1 || !isPort(host) || !isPort(container)) {
      ctx.errors.push(`invalid port mapping (\`port_maps\`): ${map}`)
      continue
    }
    hostPorts[String(Number(container))] = Number(host)
  }
  return hostPorts
}

/** `ip`, `ip:port`, `[ipv6]`, `[ipv6]:port` or a bare IPv6 address; names are refused (Kong's normalize_ip). */
export function isIpWithOptionalPort(text: string): boolean {
  const validPort = (port: string | undefined) => port === undefined || Number(port) <= 65535
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text)
  if (bracketed) return isIP(bracketed[1]) === 6 && validPort(bracketed[2])
  if (isIP(text) !== 0) return true
  const withPort = /^([^:]+):(\d+)$/.exec(text)
  return withPort !== null && isIP(withPort[1]) === 4 && validPort(withPort[2])
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

export function validateDns(conf: Conf, ctx: ValidationContext) {
  for (const server of conf.dns_resolver) {
    if (!isIpWithOptionalPort(server)) {
      ctx.errors.push(
        `dns_resolver must be a comma separated list in the form of IPv4/6 or IPv4/6:port, got '${server}'`,
      )
    }
  }
  if (conf.dns_hostsfile !== null && !isFile(resolve(ctx.cwd, conf.dns_hostsfile))) {
    ctx.errors.push('dns_hostsfile: file does not exist')
  }
  const order = new Set(['LAST', 'A', 'AAAA', 'CNAME', 'SRV'])
  for (const name of conf.dns_order) {
    if (!order.has(name.toUpperCase())) ctx.errors.push(`dns_order: invalid entry '${name}'`)
  }

  for (const server of conf.resolver_address) {
    if (!isIpWithOptionalPort(server)) {
      ctx.errors.push(
        `resolver_address must be a comma separated list in the form of IPv4/6 or IPv4/6:port, got '${server}'`,
      )
    }
  }
  if (conf.resolver_hosts_file !== null && !isFile(resolve(ctx.cwd, conf.resolver_hosts_file))) {
    ctx.errors.push('resolver_hosts_file: file does not exist')
  }
  const families = new Set(['A', 'AAAA', 'SRV'])
  for (const name of conf.resolver_family) {
    if (!families.has(name.toUpperCase())) ctx.errors.push(`resolver_family: invalid entry '${name}'`)
  }
}

export function validateTrustedIps(conf: Conf, ctx: ValidationContext) {
  for (const address of conf.trusted_ips) {
    if (address !== 'unix:' && !isIpOrCidr(address)) {
      ctx.errors.push(
        'trusted_ips must be a comma separated list in the form of IPv4 or IPv6 address or CIDR ' +
          `block or 'unix:', got '${address}'`,
      )
    }
  }
}

export function validateProxyServer(conf: Conf, ctx: ValidationContext) {
  const value = conf.proxy_server
  if (value === null) return
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(value)?.[1]
  if (scheme === undefined) {
    ctx.errors.push('proxy_server missing scheme')
    return
  }
  if (scheme !== 'http' && scheme !== 'https') {
    ctx.errors.push(`proxy_server only supports "http" and "https", got ${scheme}`)
    return
  }
  let url: URL | null = null
  try {
    url = new URL(value)
  } catch {
    url = null
  }
  if (url === null || url.hostname === '') {
    ctx.errors.push('proxy_server missing host')
  } else if (url.search !== '' || url.hash !== '' || url.pathname.includes(';') || /[?#]/.test(value)) {
    ctx.errors.push('fragments, query strings or parameters are meaningless in proxy configuration')
  }
}
