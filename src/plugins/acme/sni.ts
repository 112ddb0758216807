// acme's certificate phase in a worker: the TLS handshake's SNI callback asks the primary for the
// certificate the plugin holds for that host (node-wide storage), when no certificates/snis entity
// matched. The primary starts an issuance in the background for an allowed host it has no
// certificate for (as Kong's certificate phase does); this handshake then gets the default one.
import { createSecureContext, type SecureContext } from 'node:tls'
import type { PrimaryCalls } from '../../proxy/plugins/primary-calls.js'
import { type DomainConf, domainMatcher } from './domains.js'

/** How long a worker keeps a certificate it got from the primary (renewals show up after this). */
const CACHE_MS = 60_000
/** How long a handshake waits for the primary. */
const PRIMARY_TIMEOUT_MS = 2000

export interface CertKey {
  cert: string
  key: string
}

export class AcmeCertificates {
  private readonly cache = new Map<string, { ctx: SecureContext; until: number }>()
  private allowed: (host: string) => boolean = () => false
  private configured = ''

  constructor(
    private readonly calls: PrimaryCalls,
    private readonly onError: (message: string) => void,
  ) {}

  /** The plugin's configuration (from the worker's copy of the store): which hosts to ask for. */
  configure(config: DomainConf): void {
    const key = JSON.stringify([config.domains, config.allow_any_domain, config.enable_ipv4_common_name])
    if (key === this.configured) return
    this.configured = key
    this.allowed = domainMatcher(config)
    this.cache.clear()
  }

  async contextFor(servername: string): Promise<SecureContext | null> {
    const host = servername.toLowerCase().replace(/\.$/, '')
    // other hosts never reach the primary (Kong's certificate phase checks the domains first)
    if (host === '' || !this.allowed(host)) return null
    const cached = this.cache.get(host)
    if (cached && cached.until > Date.now()) return cached.ctx
    let found: CertKey | null = null
    try {
      found = (await this.calls.call('acme', 'certificate', { host }, PRIMARY_TIMEOUT_MS)) as CertKey | null
    } catch (err) {
      this.onError(`[acme] could not look up the certificate of ${host}: ${(err as Error).message}`)
      return cached?.ctx ?? null
    }
    if (!found) {
      this.cache.delete(host)
      return null
    }
    try {
      const ctx = createSecureContext({ cert: found.cert, key: found.key })
      this.cache.set(host, { ctx, until: Date.now() + CACHE_MS })
      return ctx
    } catch (err) {
      this.onError(`[acme] unusable certificate for ${host}: ${(err as Error).message}`)
      return null
    }
  }
}
