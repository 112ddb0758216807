// Which hosts the plugin serves: `domains` entries, exact or with a wildcard label
// (`*.example.com`, `example.*`), or any with `allow_any_domain`; IPv4 addresses only with
// `enable_ipv4_common_name`.

export interface DomainConf {
  domains: readonly string[] | null
  allow_any_domain: boolean
  /** false: IPv4 addresses are never served (Kong's check_domains). */
  enable_ipv4_common_name?: boolean | null
}

const IPV4 = /^\d+\.\d+\.\d+\.\d+$/

function escapeRegex(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
}

export function domainMatcher(conf: DomainConf): (host: string) => boolean {
  const matches = hostMatcher(conf)
  if (conf.enable_ipv4_common_name === false) return (host) => !IPV4.test(host) && matches(host)
  return matches
}

function hostMatcher(conf: DomainConf): (host: string) => boolean {
  if (conf.allow_any_domain) return () => true
  const exact = new Set<string>()
  const patterns: RegExp[] = []
  for (const d of conf.domains ?? []) {
    const lower = d.toLowerCase()
    if (lower.includes('*')) patterns.push(new RegExp(`^${escapeRegex(lower).replace(/\*/g, '.+')}$`))
    else exact.add(lower)
  }
  return (host) => {
    const h = host.toLowerCase()
    return exact.has(h) || patterns.some((p) => p.test(h))
  }
}
