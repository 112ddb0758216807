// The unit the balancing algorithms choose among (balancer.md §2): one per IP target, and for a
// hostname target one per resolved record (until DNS expansion lands: one for the name, resolved
// when picked).

export interface Address {
  /** The target's `host:port` as stored. */
  readonly target: string
  /** IP address, or the hostname to resolve when picked (`isIp` false). */
  readonly host: string
  readonly port: number
  readonly weight: number
  readonly isIp: boolean
  /** `host:port` (IPv6 bracketed): sorts the ring and identifies the address. */
  readonly key: string
  /** The address comes from an SRV record (its `host` is the record's target name). */
  fromSrv: boolean
  /** False while marked unhealthy. */
  available: boolean
  /** Requests of this worker in flight to it (least-connections). */
  connections: number
  /** Moving average of connect + response time in seconds (latency); -1 = none yet. */
  ewma: number
  /** When `ewma` was last updated (ms). */
  ewmaAt: number
}

export function makeAddress(
  target: string,
  host: string,
  port: number,
  weight: number,
  isIp: boolean,
): Address {
  const key = addressKey(host, port)
  return {
    target,
    host,
    port,
    weight,
    isIp,
    key,
    fromSrv: false,
    available: true,
    connections: 0,
    ewma: -1,
    ewmaAt: 0,
  }
}

/** `host:port`, IPv6 bracketed: how health state and reports name an address. */
export const addressKey = (host: string, port: number): string =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`

/** Host (IPv6 unbracketed) and port of a stored `host:port` target. */
export function splitTarget(target: string): { host: string; port: number } {
  const colon = target.lastIndexOf(':')
  let host = target.slice(0, colon)
  if (host.startsWith('[')) host = host.slice(1, -1)
  return { host, port: Number(target.slice(colon + 1)) }
}

/** The state one request keeps across its attempts (Kong's balancer "handle"). */
export interface Handle {
  /** Addresses already tried by this request, in order. */
  tried: Address[]
  /** consistent-hashing: the ring index the hash value starts at (computed on the first pick). */
  start: number
}

export const newHandle = (): Handle => ({ tried: [], start: -1 })

export interface Algorithm {
  /** The next address for this request, or null when none is available (→ 503). */
  pick(handle: Handle, hashValue: string): Address | null
}
