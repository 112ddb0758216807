// An upstream's balancer (balancer.md): its addresses and its algorithm. Built with the config
// snapshot; a rebuild that leaves an upstream and its targets unchanged keeps the same balancer
// (its round-robin position, connection counts and latency averages carry on).
import { isIP } from 'node:net'
import { type Address, type Algorithm, type Handle, makeAddress, newHandle } from './address.js'
import { ConsistentHashing } from './consistent-hashing.js'
import { unhealthyOf } from './health-view.js'
import { Latency, recordLatency } from './latency.js'
import { LeastConnections } from './least-connections.js'
import { RoundRobin } from './round-robin.js'
import type { TargetDns } from './target-dns.js'

export type AlgorithmName = 'round-robin' | 'consistent-hashing' | 'least-connections' | 'latency'

export interface TargetSpec {
  target: string
  host: string
  port: number
  weight: number
  isIp: boolean
}

export interface BalancerSpec {
  algorithm: AlgorithmName
  slots: number
  targets: readonly TargetSpec[]
  /** healthchecks.threshold: % of the weight that must be available (0 = any). */
  threshold?: number
}

export class Balancer {
  addresses: Address[] = []
  private algorithm: Algorithm = new RoundRobin([])
  /** Identifies the spec this balancer was built from. */
  readonly signature: string

  constructor(
    readonly upstreamId: string,
    readonly spec: BalancerSpec,
    previous?: Balancer,
    /** Expands hostname targets into their DNS records (none: a name is resolved when picked). */
    private readonly dns?: TargetDns,
  ) {
    this.signature = signatureOf(spec)
    this.build(previous?.addresses ?? [])
  }

  /** Rebuilds the addresses (a hostname target's DNS answer changed). */
  refresh(): void {
    this.build(this.addresses)
  }

  /** Whether a target of this balancer is the hostname `name`. */
  uses(name: string): boolean {
    return this.spec.targets.some((t) => !t.isIp && t.host.toLowerCase() === name)
  }

  private build(old: readonly Address[]): void {
    const spec = this.spec
    const byKey = new Map(old.map((a) => [a.key, a]))
    const list: Address[] = []
    for (const t of spec.targets) {
      if (t.weight <= 0) continue
      const expanded =
        t.isIp || this.dns === undefined ? undefined : this.dns.expand(t.host, t.port, t.weight)
      if (expanded === undefined) {
        list.push(makeAddress(t.target, t.host, t.port, t.weight, t.isIp))
        continue
      }
      for (const x of expanded.addresses) {
        const a = makeAddress(t.target, x.host, x.port, x.weight, isIP(x.host) !== 0)
        a.fromSrv = expanded.dns === 'SRV'
        list.push(a)
      }
    }
    for (const a of list) {
      const before = byKey.get(a.key)
      if (before !== undefined) {
        // (connections in flight stay counted on the object they were picked from, which is
        // the one their end releases)
        a.ewma = before.ewma
        a.ewmaAt = before.ewmaAt
      }
    }
    this.addresses = list
    this.applyHealth(unhealthyOf(this.upstreamId))
    switch (spec.algorithm) {
      case 'consistent-hashing':
        this.algorithm = new ConsistentHashing(list, spec.slots, spec.targets.length)
        break
      case 'least-connections':
        this.algorithm = new LeastConnections(list)
        break
      case 'latency':
        this.algorithm = new Latency(list)
        break
      default:
        this.algorithm = new RoundRobin(list)
    }
  }

  get hashes(): boolean {
    return this.spec.algorithm === 'consistent-hashing'
  }

  newHandle(): Handle {
    return newHandle()
  }

  /**
   * The address for this request's next attempt, or null (no peers: 503). Counts it as a
   * connection in flight until `done`.
   */
  pick(handle: Handle, hashValue = ''): Address | null {
    if (!this.healthy) return null
    const a = this.algorithm.pick(handle, hashValue)
    if (a === null) return null
    handle.tried.push(a)
    a.connections++
    return a
  }

  /** Whether enough weight is available (balancer.md §2): otherwise every pick fails. */
  healthy = true

  /** Marks the addresses of `unhealthy` (keys) unavailable, the others available. */
  applyHealth(unhealthy: ReadonlySet<string>): void {
    let total = 0
    let down = 0
    for (const a of this.addresses) {
      a.available = !unhealthy.has(a.key)
      total += a.weight
      if (!a.available) down += a.weight
    }
    this.healthy = total > 0 && ((total - down) / total) * 100 > (this.spec.threshold ?? 0)
  }

  /** An attempt on `a` is over; `seconds` (connect + response time) feeds the latency average. */
  done(a: Address, seconds?: number): void {
    if (a.connections > 0) a.connections--
    if (seconds !== undefined && seconds >= 0) recordLatency(a, seconds)
  }
}

function signatureOf(spec: BalancerSpec): string {
  let s = `${spec.algorithm}|${spec.slots}|${spec.threshold ?? 0}`
  for (const t of spec.targets) s += `|${t.target}/${t.weight}`
  return s
}

/** Keeps each upstream's balancer across snapshot rebuilds while its spec is unchanged. */
export class BalancerRegistry {
  private byUpstream = new Map<string, Balancer>()
  private dns: TargetDns | undefined

  /** Expands hostname targets from now on (the worker's DNS settings). */
  setDns(dns: TargetDns): void {
    this.dns = dns
  }

  /** A hostname's DNS answer changed: the balancers using it rebuild their addresses. */
  dnsChanged(name: string): void {
    for (const b of this.byUpstream.values()) if (b.uses(name)) b.refresh()
  }

  /** The balancer of upstream `id` for `spec`: the current one if the spec is the same. */
  balancer(id: string, spec: BalancerSpec): Balancer {
    const current = this.byUpstream.get(id)
    if (current !== undefined && current.signature === signatureOf(spec)) return current
    const b = new Balancer(id, spec, current, this.dns)
    this.byUpstream.set(id, b)
    return b
  }

  /** The current balancer of upstream `id`, if any. */
  get(id: string): Balancer | undefined {
    return this.byUpstream.get(id)
  }

  /** Forgets the upstreams not in `ids` (after a rebuild), and the names no target uses. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.byUpstream.keys()) if (!ids.has(id)) this.byUpstream.delete(id)
    const names = new Set<string>()
    for (const b of this.byUpstream.values())
      for (const t of b.spec.targets) if (!t.isIp) names.add(t.host.toLowerCase())
    this.dns?.retain(names)
  }
}
