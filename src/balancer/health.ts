// Health of upstream addresses (balancer.md §6.2): one state machine per address, fed by active
// probes and passive reports from proxied traffic, held once per node (by the primary) and
// broadcast to the workers, whose balancers skip unhealthy addresses.

export type HealthEvent = 'success' | 'http' | 'tcp' | 'timeout'
export type Origin = 'active' | 'passive'

interface Section {
  healthy: { successes: number; http_statuses: readonly number[] }
  unhealthy: {
    http_statuses: readonly number[]
    tcp_failures: number
    timeouts: number
    http_failures: number
  }
}

export interface HealthConfig {
  threshold: number
  active: Section & {
    type: string
    timeout: number
    concurrency: number
    http_path: string
    https_sni: string | null
    https_verify_certificate: boolean
    headers: Record<string, string[]> | null
    healthy: { interval: number }
    unhealthy: { interval: number }
  }
  passive: Section & { type: string }
}

/** Health checking is on iff probes run or passive failures count (§6.1). */
export function checksEnabled(c: HealthConfig): boolean {
  return (
    c.active.healthy.interval > 0 ||
    c.active.unhealthy.interval > 0 ||
    c.passive.unhealthy.tcp_failures > 0 ||
    c.passive.unhealthy.timeouts > 0 ||
    c.passive.unhealthy.http_failures > 0
  )
}

/** Proxied traffic is worth reporting: some passive counter is on. */
export function passiveEnabled(c: HealthConfig): boolean {
  const u = c.passive.unhealthy
  return u.tcp_failures > 0 || u.timeouts > 0 || u.http_failures > 0 || c.passive.healthy.successes > 0
}

/** A response status as a report: success, http failure, or nothing (§6.2). */
export function classify(c: HealthConfig, origin: Origin, status: number): HealthEvent | null {
  const s = c[origin]
  if (s.healthy.http_statuses.includes(status)) return 'success'
  if (s.unhealthy.http_statuses.includes(status) || !(status >= 100 && status <= 999)) return 'http'
  return null
}

export interface AddressHealth {
  healthy: boolean
  successes: number
  http: number
  tcp: number
  timeout: number
}

const fresh = (): AddressHealth => ({ healthy: true, successes: 0, http: 0, tcp: 0, timeout: 0 })

/** The health of one upstream's addresses. */
export class UpstreamHealth {
  readonly addresses = new Map<string, AddressHealth>()

  constructor(public config: HealthConfig) {}

  get(key: string): AddressHealth {
    let h = this.addresses.get(key)
    if (h === undefined) {
      h = fresh()
      this.addresses.set(key, h)
    }
    return h
  }

  /** Applies a report; true when the address changed state. */
  report(key: string, event: HealthEvent, origin: Origin): boolean {
    const h = this.get(key)
    const s = this.config[origin]
    if (event === 'success') {
      h.successes++
      h.http = h.tcp = h.timeout = 0
      if (!h.healthy && s.healthy.successes > 0 && h.successes >= s.healthy.successes) {
        h.healthy = true
        h.successes = 0
        return true
      }
      return false
    }
    h.successes = 0
    const limit =
      event === 'http'
        ? s.unhealthy.http_failures
        : event === 'tcp'
          ? s.unhealthy.tcp_failures
          : s.unhealthy.timeouts
    h[event]++
    if (h.healthy && limit > 0 && h[event] >= limit) {
      h.healthy = false
      h.http = h.tcp = h.timeout = 0
      return true
    }
    return false
  }

  /** Sets the state by hand (the Admin API); true when it changed. */
  set(key: string, healthy: boolean): boolean {
    const h = this.get(key)
    const changed = h.healthy !== healthy
    Object.assign(h, fresh(), { healthy })
    return changed
  }

  /** Keys of the unhealthy addresses. */
  unhealthy(): string[] {
    const out: string[] = []
    for (const [key, h] of this.addresses) if (!h.healthy) out.push(key)
    return out
  }

  /** Keeps only these addresses. */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.addresses.keys()) if (!keys.has(key)) this.addresses.delete(key)
  }
}

const ACTIVE_HEALTHY = [200, 302]
const ACTIVE_UNHEALTHY = [429, 404, 500, 501, 502, 503, 504, 505]
const PASSIVE_HEALTHY = [
  200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308,
]
const PASSIVE_UNHEALTHY = [429, 500, 503]

/** An upstream row's `healthchecks` with every default filled (rows from the store have them). */
export function healthConfig(raw: unknown): HealthConfig {
  const r = (raw ?? {}) as Record<string, Record<string, unknown> | undefined>
  const a = (r.active ?? {}) as Record<string, unknown>
  const p = (r.passive ?? {}) as Record<string, unknown>
  const num = (v: unknown, d: number) => (typeof v === 'number' ? v : d)
  const list = (v: unknown, d: number[]) => (Array.isArray(v) ? (v as number[]) : d)
  const sub = (v: unknown) => (v ?? {}) as Record<string, unknown>
  const ah = sub(a.healthy)
  const au = sub(a.unhealthy)
  const ph = sub(p.healthy)
  const pu = sub(p.unhealthy)
  return {
    threshold: num((raw as { threshold?: unknown } | null)?.threshold, 0),
    active: {
      type: typeof a.type === 'string' ? a.type : 'http',
      timeout: num(a.timeout, 1),
      concurrency: num(a.concurrency, 10),
      http_path: typeof a.http_path === 'string' ? a.http_path : '/',
      https_sni: typeof a.https_sni === 'string' ? a.https_sni : null,
      https_verify_certificate: a.https_verify_certificate !== false,
      headers: (a.headers as Record<string, string[]> | null | undefined) ?? null,
      healthy: {
        interval: num(ah.interval, 0),
        http_statuses: list(ah.http_statuses, ACTIVE_HEALTHY),
        successes: num(ah.successes, 0),
      },
      unhealthy: {
        interval: num(au.interval, 0),
        http_statuses: list(au.http_statuses, ACTIVE_UNHEALTHY),
        tcp_failures: num(au.tcp_failures, 0),
        timeouts: num(au.timeouts, 0),
        http_failures: num(au.http_failures, 0),
      },
    },
    passive: {
      type: typeof p.type === 'string' ? p.type : 'http',
      healthy: { http_statuses: list(ph.http_statuses, PASSIVE_HEALTHY), successes: num(ph.successes, 0) },
      unhealthy: {
        http_statuses: list(pu.http_statuses, PASSIVE_UNHEALTHY),
        tcp_failures: num(pu.tcp_failures, 0),
        timeouts: num(pu.timeouts, 0),
        http_failures: num(pu.http_failures, 0),
      },
    },
  }
}
