// The node's health checker (balancer.md §6), held by the primary: one state machine per
// upstream address whatever the number of workers, one prober per node. Workers send passive
// reports from proxied traffic (`health-report`) and receive every change (`health`: the
// upstream's unhealthy addresses), which their balancers apply.
import { isIP } from 'node:net'
import { addressKey, splitTarget } from '../balancer/address.js'
import {
  checksEnabled,
  classify,
  type HealthConfig,
  type HealthEvent,
  healthConfig,
  type Origin,
  UpstreamHealth,
} from '../balancer/health.js'
import { TargetDns, type TargetDnsOptions } from '../balancer/target-dns.js'
import type { Row } from './messages.js'
import { type ProbeResult, probe } from './probe.js'

export interface HealthAddress {
  /** IP, or a name (an SRV record's target, or a name not expanded). */
  host: string
  port: number
  weight: number
  key: string
}

export interface HealthTarget {
  /** The target row. */
  row: Row
  host: string
  port: number
  weight: number
  key: string
  /** Where its addresses come from: `A`, `AAAA`, `SRV`, or the DNS error (then none). */
  dns: string
  addresses: HealthAddress[]
}

interface Upstream {
  row: Row
  health: UpstreamHealth
  targets: HealthTarget[]
  /** Next probe time of each address key (ms), and the probes running. */
  next: Map<string, number>
  running: Set<string>
}

/** One `upstream<TAB>address key<TAB>event` line per passive report. */
export function encodeReports(reports: readonly [string, string, HealthEvent][]): string {
  return reports.map((r) => r.join('\t')).join('\n')
}

export class NodeHealth {
  private readonly upstreams = new Map<string, Upstream>()
  private timer: NodeJS.Timeout | null = null

  private lastRows: { upstreams: Row[]; targets: Row[] } = { upstreams: [], targets: [] }
  private dns: TargetDns | null = null

  constructor(
    /** Tells the workers an upstream's unhealthy addresses after a change. */
    private readonly broadcast: (upstreamId: string, unhealthy: string[]) => void,
    private readonly now: () => number = Date.now,
    /** A certificate entity's PEMs, for https probes with the upstream's client_certificate. */
    private readonly certificate: (id: string) => { cert: string; key: string } | null = () => null,
  ) {}

  /**
   * Expands hostname targets into their DNS records, as the workers' balancers do, so health is
   * kept per address. A changed answer re-syncs.
   */
  expandTargets(opts: TargetDnsOptions): void {
    this.dns = new TargetDns(opts, () => this.sync(this.lastRows.upstreams, this.lastRows.targets))
  }

  private target(t: Row): HealthTarget {
    const { host, port } = splitTarget(String(t.target))
    const weight = Number(t.weight ?? 100)
    const key = addressKey(host, port)
    const target: HealthTarget = { row: t, host, port, weight, key, dns: 'A', addresses: [] }
    const family = isIP(host)
    if (family !== 0 || this.dns === null) {
      target.dns = family === 6 ? 'AAAA' : 'A'
      target.addresses.push({ host, port, weight, key })
      return target
    }
    const expanded = this.dns.expand(host, port, weight)
    if (expanded === undefined) {
      // not answered yet, or a TTL of 0: the name itself
      if (this.dns.ttl0(host)) target.dns = 'ttl=0, virtual SRV'
      target.addresses.push({ host, port, weight, key })
      return target
    }
    target.dns = expanded.dns
    for (const a of expanded.addresses) target.addresses.push({ ...a, key: addressKey(a.host, a.port) })
    return target
  }

  /** Follows the configuration: upstreams and targets (rows of the replica). */
  sync(upstreamRows: Iterable<Row>, targetRows: Iterable<Row>): void {
    this.lastRows = { upstreams: [...upstreamRows], targets: [...targetRows] }
    upstreamRows = this.lastRows.upstreams
    const targets = new Map<string, HealthTarget[]>()
    for (const t of this.lastRows.targets) {
      const id = (t.upstream as { id: string }).id
      const list = targets.get(id) ?? []
      targets.set(id, list)
      list.push(this.target(t))
    }
    const names = new Set<string>()
    for (const list of targets.values())
      for (const t of list) if (isIP(t.host) === 0) names.add(t.host.toLowerCase())
    this.dns?.retain(names)
    const seen = new Set<string>()
    for (const row of upstreamRows) {
      const id = String(row.id)
      seen.add(id)
      const config = healthConfig(row.healthchecks)
      let u = this.upstreams.get(id)
      const list = targets.get(id) ?? []
      if (u === undefined) {
        u = { row, health: new UpstreamHealth(config), targets: list, next: new Map(), running: new Set() }
        this.upstreams.set(id, u)
      } else {
        u.row = row
        u.health.config = config
        u.targets = list
      }
      const before = u.health.unhealthy().join('\n')
      const keys = new Set(list.flatMap((t) => t.addresses.map((a) => a.key)))
      u.health.retain(keys)
      for (const key of u.next.keys()) if (!keys.has(key)) u.next.delete(key)
      // with checks off every address counts as healthy
      if (!checksEnabled(config)) for (const key of u.health.unhealthy()) u.health.set(key, true)
      if (u.health.unhealthy().join('\n') !== before) this.broadcast(id, u.health.unhealthy())
    }
    for (const id of this.upstreams.keys()) {
      if (seen.has(id)) continue
      this.upstreams.delete(id)
      this.broadcast(id, [])
    }
    this.schedule()
  }

  /** Every upstream's unhealthy addresses (for a worker that starts). */
  all(): [string, string[]][] {
    const out: [string, string[]][] = []
    for (const [id, u] of this.upstreams) {
      const keys = u.health.unhealthy()
      if (keys.length > 0) out.push([id, keys])
    }
    return out
  }

  /** Applies passive reports from a worker. */
  reports(encoded: string): void {
    for (const line of encoded.split('\n')) {
      const [id, key, event] = line.split('\t')
      if (event === undefined) continue
      this.report(id, key, event as HealthEvent, 'passive')
    }
  }

  report(id: string, key: string, event: HealthEvent, origin: Origin): void {
    const u = this.upstreams.get(id)
    if (u === undefined || !checksEnabled(u.health.config)) return
    if (!u.targets.some((t) => t.addresses.some((a) => a.key === key))) return
    if (u.health.report(key, event, origin)) this.changed(id, u, key)
  }

  /** The Admin API's manual override; false when the upstream or address is unknown. */
  set(id: string, keys: readonly string[], healthy: boolean): void {
    const u = this.upstreams.get(id)
    if (u === undefined) return
    let changed = false
    for (const key of keys) if (u.health.set(key, healthy)) changed = true
    if (changed) this.changed(id, u, keys[0])
  }

  private changed(id: string, u: Upstream, key: string): void {
    // a changed address is probed on its new state's schedule
    u.next.delete(key)
    this.broadcast(id, u.health.unhealthy())
  }

  /** The health view the Admin API reports. */
  view(id: string): {
    config: HealthConfig
    enabled: boolean
    healthy(key: string): boolean
    /** The addresses of a target (`host:port` as stored), as the node sees them. */
    target(target: string): HealthTarget | undefined
  } | null {
    const u = this.upstreams.get(id)
    if (u === undefined) return null
    return {
      config: u.health.config,
      enabled: checksEnabled(u.health.config),
      healthy: (key) => u.health.addresses.get(key)?.healthy ?? true,
      target: (target) => u.targets.find((t) => t.row.target === target),
    }
  }

  // --- active probes -----------------------------------------------------------------------

  private schedule(): void {
    const active = [...this.upstreams.values()].some(
      (u) => u.health.config.active.healthy.interval > 0 || u.health.config.active.unhealthy.interval > 0,
    )
    if (active && this.timer === null) {
      this.timer = setInterval(() => this.tick(), 100)
      this.timer.unref()
    } else if (!active && this.timer !== null) {
      clearInterval(this.timer)
      this.timer = null
    }
  }

  private tick(): void {
    const now = this.now()
    for (const [id, u] of this.upstreams) {
      const a = u.health.config.active
      for (const t of u.targets) {
        if (t.weight <= 0) continue
        for (const ad of t.addresses) {
          if (u.running.has(ad.key)) continue
          if (u.running.size >= a.concurrency) break
          const healthy = u.health.addresses.get(ad.key)?.healthy ?? true
          const interval = healthy ? a.healthy.interval : a.unhealthy.interval
          if (!(interval > 0)) continue
          const next = u.next.get(ad.key)
          if (next === undefined) {
            // first probe of this address (or of its new state): one interval from now
            u.next.set(ad.key, now + interval * 1000)
            continue
          }
          if (next > now) continue
          u.running.add(ad.key)
          const hostHeader = (u.row.host_header as string | null) ?? t.host
          const certId = (u.row.client_certificate as { id?: string } | null)?.id
          void probe({
            cert: certId ? this.certificate(certId) : null,
            type: a.type,
            host: ad.host,
            port: ad.port,
            timeout: a.timeout,
            path: a.http_path,
            hostHeader,
            sni: a.https_sni,
            verify: a.https_verify_certificate,
            headers: a.headers,
          })
            .catch((): ProbeResult => ({ event: 'tcp' }))
            .then((r) => this.probed(id, ad.key, r, interval))
        }
      }
    }
  }

  private probed(id: string, key: string, r: ProbeResult, interval: number): void {
    const u = this.upstreams.get(id)
    if (u === undefined) return
    u.running.delete(key)
    u.next.set(key, this.now() + interval * 1000)
    const event = 'status' in r ? classify(u.health.config, 'active', r.status) : r.event
    if (event !== null) this.report(id, key, event, 'active')
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }
}
