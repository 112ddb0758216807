// Hosts and SNIs of routes (router.md §3.4, §3.7; Kong's transform.lua split_host_port,
// get_expression hosts part, sni_op_transform / sni_val_transform).

export const HOST_EXACT = 0
/** `*.example.com`: the request host ends with `value` (`.example.com`). */
export const HOST_SUFFIX = 1
/** `example.*`: the request host starts with `value` (`example.`). */
export const HOST_PREFIX = 2

export type HostKind = typeof HOST_EXACT | typeof HOST_SUFFIX | typeof HOST_PREFIX

export interface RouteHost {
  readonly kind: HostKind
  readonly value: string
  /** Port the route host requires, or -1 when it has none (any port matches). */
  readonly port: number
}

const MAX_PORT_DIGITS = 10

/**
 * Port digits of `s` from `start` to its end, or -1. Kong uses Lua's `tonumber`, which also
 * takes hex, exponents or blanks; only plain decimal digits are accepted here (a Host header
 * port in any other form is kept as part of the host, which then matches nothing).
 */
export function parsePortAt(s: string, start: number): number {
  const end = s.length
  if (start >= end || end - start > MAX_PORT_DIGITS) return -1
  let n = 0
  for (let i = start; i < end; i++) {
    const d = s.charCodeAt(i) - 0x30
    if (d < 0 || d > 9) return -1
    n = n * 10 + d
  }
  return n
}

/**
 * A route host: `host[:port]` split like Kong's split_host_port (at the first `:` when the rest
 * is a number, so a bracketed IPv6 literal is never split: router.md §3.4 note), then the
 * wildcard side recognized (`*.x` → suffix `.x`, `x.*` → prefix `x.`).
 */
export function parseRouteHost(value: string): RouteHost {
  let host = value
  let port = -1
  const colon = value.indexOf(':')
  if (colon !== -1) {
    port = parsePortAt(value, colon + 1)
    if (port !== -1) host = value.slice(0, colon)
  }
  if (host.charCodeAt(0) === 0x2a) return { kind: HOST_SUFFIX, value: host.slice(1), port }
  if (host.charCodeAt(host.length - 1) === 0x2a) return { kind: HOST_PREFIX, value: host.slice(0, -1), port }
  return { kind: HOST_EXACT, value: host, port }
}

export function routeHostMatches(h: RouteHost, host: string, port: number): boolean {
  if (h.port !== -1 && h.port !== port) return false
  if (h.kind === HOST_EXACT) return host === h.value
  if (h.kind === HOST_SUFFIX) return host.endsWith(h.value)
  return host.startsWith(h.value)
}

/** A route SNI: same wildcard kinds as hosts, no port. */
export interface RouteSni {
  readonly kind: HostKind
  readonly value: string
}

export function parseRouteSni(sni: string): RouteSni {
  if (sni.charCodeAt(sni.length - 1) === 0x2a && sni.charCodeAt(0) !== 0x2a) {
    // `x.*`: Kong keeps the value up to the `*` (no trailing-dot handling).
    return { kind: HOST_PREFIX, value: sni.slice(0, -1) }
  }
  // The last dot of an FQDN is not used for routing.
  const value = sni.length > 1 && sni.charCodeAt(sni.length - 1) === 0x2e ? sni.slice(0, -1) : sni
  if (value.charCodeAt(0) === 0x2a) return { kind: HOST_SUFFIX, value: value.slice(1) }
  return { kind: HOST_EXACT, value }
}

export function routeSniMatches(s: RouteSni, sni: string): boolean {
  if (s.kind === HOST_EXACT) return sni === s.value
  if (s.kind === HOST_SUFFIX) return sni.endsWith(s.value)
  return sni.startsWith(s.value)
}
