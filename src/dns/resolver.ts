// Name resolution for service and target hosts: the hosts file first, then DNS (A, then AAAA),
// cached by TTL. Expired entries are served while a refresh runs (`dns_stale_ttl`); failures are
// cached briefly (`dns_not_found_ttl`, `dns_error_ttl`). The proxy reads the cache synchronously
// and only awaits on a miss.

import { Resolver } from 'node:dns/promises'
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'

export interface Address {
  ip: string
  family: 4 | 6
}

export class DnsError extends Error {
  constructor(
    message: string,
    /** NXDOMAIN / no data: Kong answers 503 "name resolution failed". */
    readonly notFound: boolean,
  ) {
    super(message)
  }
}

export interface DnsOptions {
  hostsFile?: string | null
  /** `ip[:port]` name servers; empty = the system's. */
  nameservers?: readonly string[]
  /** Fixed TTL in seconds overriding the records' (dns_valid_ttl). */
  validTtl?: number | null
  staleTtl?: number
  notFoundTtl?: number
  errorTtl?: number
  /** Record types, in order (dns_order): LAST, SRV, A, AAAA, CNAME. */
  order?: readonly string[]
}

interface Entry {
  addresses: Address[] | null
  error: DnsError | null
  /** Epoch ms after which the entry is stale. */
  expires: number
  /** Epoch ms after which a stale entry may no longer be served. */
  staleUntil: number
  refreshing: Promise<void> | null
  /** Round-robin position. */
  next: number
}

export function parseHostsFile(text: string): Map<string, Address[]> {
  const map = new Map<string, Address[]>()
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim()
    if (!line) continue
    const [ip, ...names] = line.split(/\s+/)
    const family = isIP(ip)
    if (family !== 4 && family !== 6) continue
    for (const name of names) {
      const key = name.toLowerCase()
      const list = map.get(key) ?? []
      if (!list.some((a) => a.ip === ip)) list.push({ ip, family })
      map.set(key, list)
    }
  }
  // IPv4 first, as the resolver tries A before AAAA.
  for (const list of map.values()) list.sort((a, b) => a.family - b.family)
  return map
}

export class DnsResolver {
  private readonly cache = new Map<string, Entry>()
  private readonly hosts: Map<string, Address[]>
  private readonly resolver = new Resolver()
  private readonly opts: Required<Omit<DnsOptions, 'hostsFile' | 'nameservers' | 'validTtl'>> & {
    validTtl: number | null
  }

  constructor(opts: DnsOptions = {}) {
    let hosts = new Map<string, Address[]>()
    if (opts.hostsFile) {
      try {
        hosts = parseHostsFile(readFileSync(opts.hostsFile, 'utf8'))
      } catch {
        // No hosts file: DNS only.
      }
    }
    this.hosts = hosts
    if (opts.nameservers && opts.nameservers.length > 0) this.resolver.setServers([...opts.nameservers])
    this.opts = {
      validTtl: opts.validTtl ?? null,
      staleTtl: opts.staleTtl ?? 3600,
      notFoundTtl: opts.notFoundTtl ?? 30,
      errorTtl: opts.errorTtl ?? 1,
      order: opts.order ?? ['LAST', 'SRV', 'A', 'CNAME'],
    }
  }

  /**
   * The next address for `name` from the cache (round-robin over its records), without waiting.
   * Undefined on a miss (call `resolve`). Stale entries are served and refreshed in the background.
   */
  pick(name: string): Address | DnsError | undefined {
    const entry = this.cache.get(name)
    if (!entry) return undefined
    const now = Date.now()
    if (now >= entry.expires) {
      if (now >= entry.staleUntil || entry.error) return undefined
      this.refresh(name, entry)
    }
    if (entry.error) return entry.error
    const list = entry.addresses!
    const a = list[entry.next % list.length]
    entry.next = (entry.next + 1) % list.length
    return a
  }

  /** The name servers queried (dns_resolver, or the system's), as `ip[:port]`. */
  servers(): string[] {
    return this.resolver.getServers()
  }

  /** The hosts file's addresses for `name`, if it has any. */
  hostsEntry(name: string): Address[] | undefined {
    return this.hosts.get(name.toLowerCase())
  }

  /** Resolves (or returns the cached answer for) `name`. */
  async resolve(name: string): Promise<Address> {
    const hit = this.pick(name)
    if (hit instanceof DnsError) throw hit
    if (hit) return hit
    const entry = this.cache.get(name) ?? this.newEntry()
    this.cache.set(name, entry)
    await this.refresh(name, entry)
    const again = this.pick(name)
    if (again instanceof DnsError) throw again
    if (!again) throw new DnsError('dns server error: no answer', false)
    return again
  }

  private newEntry(): Entry {
    return { addresses: null, error: null, expires: 0, staleUntil: 0, refreshing: null, next: 0 }
  }

  private refresh(name: string, entry: Entry): Promise<void> {
    entry.refreshing ??= this.query(name)
      .then(({ addresses, ttl }) => {
        const now = Date.now()
        entry.addresses = addresses
        entry.error = null
        entry.expires = now + ttl * 1000
        entry.staleUntil = entry.expires + this.opts.staleTtl * 1000
      })
      .catch((err: DnsError) => {
        const now = Date.now()
        // Keep serving a previous good answer while it may still be served stale.
        if (entry.addresses && now < entry.staleUntil) return
        entry.addresses = null
        entry.error = err
        entry.expires = now + (err.notFound ? this.opts.notFoundTtl : this.opts.errorTtl) * 1000
        entry.staleUntil = entry.expires
      })
      .finally(() => {
        entry.refreshing = null
      })
    return entry.refreshing
  }

  private async query(name: string): Promise<{ addresses: Address[]; ttl: number }> {
    const family = isIP(name)
    if (family === 4 || family === 6) return { addresses: [{ ip: name, family }], ttl: 1e9 }
    const fromHosts = this.hosts.get(name.toLowerCase())
    if (fromHosts && fromHosts.length > 0) return { addresses: fromHosts, ttl: 1e9 }
    const types = this.opts.order.filter((t) => t === 'A' || t === 'AAAA')
    if (types.length === 0) types.push('A', 'AAAA')
    let notFound = true
    let lastError = ''
    for (const type of types) {
      try {
        const records =
          type === 'A'
            ? await this.resolver.resolve4(name, { ttl: true })
            : await this.resolver.resolve6(name, { ttl: true })
        if (records.length === 0) continue
        const ttl = this.opts.validTtl ?? Math.min(...records.map((r) => r.ttl))
        return {
          addresses: records.map((r) => ({ ip: r.address, family: type === 'A' ? 4 : 6 })),
          ttl: Math.max(ttl, 0),
        }
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        if (code !== 'ENOTFOUND' && code !== 'ENODATA') notFound = false
        lastError = code ?? (err as Error).message
      }
    }
    throw new DnsError(
      notFound ? `dns server error: 3 name error` : `dns server error: ${lastError}`,
      notFound,
    )
  }
}
