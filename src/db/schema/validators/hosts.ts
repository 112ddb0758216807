// Host-like fields: service `host`, SNIs, route `hosts` and `snis`, upstream `name` and
// `host_header`, and IP/CIDR fields of route sources/destinations.
import { INVALID_PORT, normalizeHost } from '../../../util/host.js'
import { isIpOrCidr, isValidIp } from '../../../util/ip.js'
import { isValidUtf8 } from '../../../util/utf8.js'

// The parsing primitives live in util (the balancer needs them too); re-exported for schemas.
export { formatHost, hostnameType, normalizeHost } from '../../../util/host.js'

/**
 * Kong's checks on hosts without port share one shape: an unparsable value is
 * `invalid value: <host>`, a port (or an out-of-range port) is `must not have a port`.
 */
function hostWithoutPort(host: string, allowIp: boolean): string | undefined {
  const r = normalizeHost(host)
  if ('error' in r && r.error !== INVALID_PORT) return `invalid value: ${host}`
  if (!allowIp && !('error' in r) && r.type !== 'name') return 'must not be an IP'
  if ('error' in r || r.port !== undefined) return 'must not have a port'
  return undefined
}

/** `host` typedef (service host): hostname, IPv4 or IPv6, no port. */
export function validateHost(host: string): string | undefined {
  return hostWithoutPort(host, true)
}

/** `host_with_optional_port` typedef (upstream `host_header`); messages are the parser's own. */
export function validateHostWithOptionalPort(host: string): string | undefined {
  const r = normalizeHost(host)
  return 'error' in r ? r.error : undefined
}

/** `sni` typedef (healthcheck `https_sni`, traditional-flavor route SNIs): a name, no IP, no port. */
export function validateSni(host: string): string | undefined {
  return hostWithoutPort(host, false)
}

/**
 * `wildcard_host` typedef (SNI names, route `snis`): like `sni`, plus one `*` as first or last
 * character. Only the position of the first `*` is checked, so `*example.test` passes as Kong's
 * does; `*` alone is the default-certificate SNI.
 */
export function validateWildcardHost(host: string): string | undefined {
  const idx = host.indexOf('*')
  if (idx !== -1) {
    if (idx !== 0 && idx !== host.length - 1) return 'wildcard must be leftmost or rightmost character'
    const stars = host.split('*').length - 1
    if (stars > 1) return 'only one wildcard must be specified'
    // Kong validates (and reports) the host with the wildcard spelled out.
    return hostWithoutPort(host.replace('*', 'wildcard'), false)
  }
  return hostWithoutPort(host, false)
}

/**
 * An element of a route's `hosts`: at most one `*`, as the whole leftmost (`*.x`) or rightmost
 * (`x.*`) label, and otherwise a hostname or IP with optional port (the `*` is replaced by
 * `abc` for that check, as in Kong, so the parser's message mentions `abc`).
 */
export function validateRouteHost(host: string): string | undefined {
  if ((host.match(/\*/g) ?? []).length > 1) return 'invalid wildcard: must have at most one wildcard'
  if (host.includes('*') && !host.startsWith('*.') && !host.endsWith('.*')) {
    return 'invalid wildcard: must be placed at leftmost or rightmost label'
  }
  return validateHostWithOptionalPort(host.replaceAll('*', 'abc'))
}

/** Upstream `name`: a hostname that services can use as their `host`. */
export function validateUpstreamName(name: string): string | undefined {
  const prefix = isValidUtf8(name) ? `Invalid name ('${name}')` : 'Invalid name'
  const r = normalizeHost(name)
  if ('error' in r) return `${prefix}; must be a valid hostname`
  if (r.type !== 'name') return `${prefix}; no ip addresses allowed`
  if (r.port !== undefined) return `${prefix}; no port allowed`
  return undefined
}

/** `ip` typedef. */
export function validateIp(ip: string): string | undefined {
  return isValidIp(ip) ? undefined : `not an ip address: ${ip}`
}

/** `ip_or_cidr` typedef (route `sources[].ip` / `destinations[].ip`). */
export function validateIpOrCidr(value: string): string | undefined {
  return isIpOrCidr(value) ? undefined : `invalid ip or cidr range: '${value}'`
}
