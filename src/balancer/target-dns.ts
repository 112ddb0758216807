// Hostname targets expanded into addresses (balancer.md §2): SRV records of the lowest priority
// (weight = SRV weight, 0 counted as 1; port = SRV port unless 0), else A/AAAA records (one
// address per IP, each with the target's weight), in `dns_order`. Answers are kept for their TTL
// and re-queried at expiry (+0.5 s); the previous addresses stay in use while a refresh runs or
// when it fails. A change is announced (`onChange`) so balancers rebuild their addresses.
import { DnsQueryError, type DnsRecord, type NameServer, query, type RecordType } from '../dns/client.js'

export interface ExpandedAddress {
  /** IP, or the SRV target name (resolved when picked). */
  host: string
  port: number
  weight: number
}

export interface Expansion {
  addresses: ExpandedAddress[]
  /** `A`, `AAAA`, `SRV`, or the DNS error. */
  dns: string
}

interface Entry {
  value: Expansion | null
  /** The raw answer, its type and when it expires (ms). */
  records: DnsRecord[]
  type: RecordType | null
  expires: number
  timer: NodeJS.Timeout | null
  pending: boolean
  /** The answer's TTL is 0: no addresses of its own, looked at again every 60 s. */
  ttl0: boolean
}

export interface TargetDnsOptions {
  servers: NameServer[]
  /** dns_order: LAST, SRV, A, AAAA, CNAME (LAST and CNAME need no query of their own). */
  order: readonly string[]
  /** dns_valid_ttl: overrides the records' TTLs. */
  validTtl?: number | null
  /** Seconds before a failed name is asked again (dns_not_found_ttl / dns_error_ttl). */
  notFoundTtl?: number
  errorTtl?: number
  timeoutMs?: number
  /** The hosts file's addresses of a name (they win over DNS). */
  hosts?: (name: string) => readonly { ip: string }[] | undefined
}

export class TargetDns {
  private readonly entries = new Map<string, Entry>()
  private readonly types: RecordType[]

  constructor(
    private readonly opts: TargetDnsOptions,
    private readonly onChange: (name: string) => void,
  ) {
    const types = opts.order.filter((t): t is RecordType => t === 'SRV' || t === 'A' || t === 'AAAA')
    this.types = types.length > 0 ? types : ['SRV', 'A']
  }

  /** The addresses of target `name:port` with `weight`; undefined until the first answer. */
  expand(name: string, port: number, weight: number): Expansion | undefined {
    const key = name.toLowerCase()
    const fromHosts = this.opts.hosts?.(key)
    if (fromHosts !== undefined && fromHosts.length > 0)
      return { dns: 'A', addresses: fromHosts.map((a) => ({ host: a.ip, port, weight })) }
    let e = this.entries.get(key)
    if (e === undefined) {
      e = { value: null, records: [], type: null, expires: 0, timer: null, pending: false, ttl0: false }
      this.entries.set(key, e)
      void this.refresh(key, e)
    }
    // no answer yet, or a TTL of 0: the name is resolved when picked (as a service host is;
    // with TTL 0, on every request)
    if (e.value === null || e.ttl0) return undefined
    // only failures: no addresses (the target gets no traffic, reported DNS_ERROR)
    if (e.type === null) return { dns: e.value.dns, addresses: [] }
    return { dns: e.value.dns, addresses: addressesOf(e.type, e.records, port, weight) }
  }

  /** Whether the name's answer has a TTL of 0 (it is then resolved on every request). */
  ttl0(name: string): boolean {
    return this.entries.get(name.toLowerCase())?.ttl0 === true
  }

  /** Stops following the names no target uses any more. */
  retain(names: ReadonlySet<string>): void {
    for (const name of [...this.entries.keys()]) if (!names.has(name)) this.forget(name)
  }

  private async refresh(name: string, e: Entry): Promise<void> {
    if (e.pending || this.opts.servers.length === 0) return
    e.pending = true
    let found: { type: RecordType; records: DnsRecord[] } | null = null
    let error: DnsQueryError | null = null
    for (const type of this.types) {
      try {
        const records = await this.ask(name, type)
        if (records.length > 0) {
          found = { type, records }
          break
        }
      } catch (err) {
        error = err instanceof DnsQueryError ? err : new DnsQueryError(String(err), false)
      }
    }
    e.pending = false
    const before = signature(e)
    if (found !== null) {
      e.type = found.type
      e.records = found.records
      e.value = { dns: found.type, addresses: [] }
      const ttl = this.opts.validTtl ?? Math.min(...found.records.map((r) => r.ttl))
      e.ttl0 = ttl === 0
      this.schedule(name, e, ttl === 0 ? 60_000 : ttl * 1000 + 500)
    } else {
      // keep serving the previous answer when there is one
      if (e.type === null) {
        e.value = { dns: error?.message ?? 'dns server error: name error', addresses: [] }
      }
      const notFound = error === null || error.notFound
      this.schedule(name, e, (notFound ? (this.opts.notFoundTtl ?? 30) : (this.opts.errorTtl ?? 1)) * 1000)
    }
    if (signature(e) !== before) this.onChange(name)
  }

  private ask(name: string, type: RecordType): Promise<DnsRecord[]> {
    const servers = this.opts.servers
    let attempt = query(servers[0], name, type, this.opts.timeoutMs)
    for (const s of servers.slice(1))
      attempt = attempt.catch((err: unknown) => {
        if (err instanceof DnsQueryError && err.notFound) throw err
        return query(s, name, type, this.opts.timeoutMs)
      })
    return attempt
  }

  private schedule(name: string, e: Entry, ms: number): void {
    if (e.timer !== null) clearTimeout(e.timer)
    // (setTimeout fires at once beyond 2^31 - 1 ms: a huge TTL waits at most ~24 days)
    ms = Math.min(ms, 2 ** 31 - 1)
    e.expires = Date.now() + ms
    e.timer = setTimeout(() => {
      e.timer = null
      void this.refresh(name, e)
    }, ms)
    e.timer.unref()
  }

  /** Stops following `name` (no target uses it any more). */
  forget(name: string): void {
    const e = this.entries.get(name.toLowerCase())
    if (e?.timer) clearTimeout(e.timer)
    this.entries.delete(name.toLowerCase())
  }
}

function signature(e: Entry): string {
  return `${e.type}|${e.ttl0}|${e.value?.dns}|${e.records.map((r) => `${r.address}/${r.port}/${r.weight}/${r.priority}`).join(',')}`
}

function addressesOf(
  type: RecordType,
  records: DnsRecord[],
  port: number,
  weight: number,
): ExpandedAddress[] {
  if (type !== 'SRV') return records.map((r) => ({ host: r.address, port, weight }))
  let lowest = Number.POSITIVE_INFINITY
  for (const r of records) lowest = Math.min(lowest, r.priority ?? 0)
  return records
    .filter((r) => (r.priority ?? 0) === lowest)
    .map((r) => ({ host: r.address, port: r.port || port, weight: r.weight || 1 }))
}
