// TLS towards https services (proxying.md §6.2): verification per `tls_verify` (off unless set),
// the trust store from the service's `ca_certificates`, the client certificate from its
// `client_certificate`, and the SNI from the Host sent upstream. Rebuilt with each snapshot.
import { isIP } from 'node:net'
import type { Row } from '../cluster/messages.js'
import type { Replica } from './replica.js'
import type { ServiceData } from './snapshot.js'
import type { UpstreamTlsOptions } from './upstream/index.js'

export interface TlsChoice {
  tls: UpstreamTlsOptions
  /** Appended to `ip|port` to form the connection pool key. */
  keySuffix: string
}

export class UpstreamTls {
  private readonly cas = new Map<string, string>()
  private readonly certs = new Map<string, Row>()
  private readonly cache = new WeakMap<ServiceData, Map<string, TlsChoice>>()

  constructor(replica: Replica) {
    for (const ca of replica.rows('ca_certificates')) this.cas.set(String(ca.id), String(ca.cert))
    for (const c of replica.rows('certificates')) this.certs.set(String(c.id), c)
  }

  /** The TLS settings for `service` when the Host sent upstream is `host` (null: plain TCP). */
  choose(service: ServiceData, host: string): TlsChoice | null {
    const t = service.tls
    if (!t) return null
    const servername = serverName(host)
    let perService = this.cache.get(service)
    if (!perService) {
      perService = new Map()
      this.cache.set(service, perService)
    }
    const hit = perService.get(servername)
    if (hit) return hit
    const tls: UpstreamTlsOptions = { rejectUnauthorized: t.verify }
    if (servername) tls.servername = servername
    if (t.verifyDepth !== null) tls.verifyDepth = t.verifyDepth
    if (t.caIds && t.caIds.length > 0) tls.ca = t.caIds.flatMap((id) => this.cas.get(id) ?? [])
    if (t.clientCertificate) {
      const c = this.certs.get(t.clientCertificate)
      if (c) {
        tls.cert = String(c.cert)
        tls.key = String(c.key)
      }
    }
    const choice: TlsChoice = {
      tls,
      keySuffix: `|${servername}|${t.verify ? 1 : 0}|${t.verifyDepth ?? ''}|${(t.caIds ?? []).join(',')}|${t.clientCertificate ?? ''}`,
    }
    perService.set(servername, choice)
    return choice
  }
}

function serverName(host: string): string {
  let h = host
  if (h.startsWith('[')) return '' // IPv6 literal
  const colon = h.lastIndexOf(':')
  if (colon !== -1 && h.indexOf(':') === colon) h = h.slice(0, colon)
  return isIP(h) ? '' : h
}
