// acme (Kong's bundled ACME plugin, plugins.md §6.22): obtains certificates from an ACME CA for
// the hosts the node serves. access: answers the CA's HTTP-01 challenges at
// `/.well-known/acme-challenge/<token>` on plain HTTP, from the primary's node-wide map. The
// certificate phase lives in the proxy's SNI selection (./sni.ts); the ACME work, storage and
// renewal run in the primary (./client.ts), reached from workers through kong.primary.
import { KONG_COMPAT_VERSION } from '../../version.js'
import { definePlugin, type PrimaryFunctions } from '../definition.js'
import { api } from './api.js'
import { certificateFor, ensureRenewalTimer } from './client.js'
import { domainMatcher } from './domains.js'
import schema from './schema.js'
import { acmeState } from './state.js'

const CHALLENGE_PATH = /^\/\.well-known\/acme-challenge\/(.+)$/
const PRIMARY_TIMEOUT_MS = 2000

interface Conf {
  allowed: (host: string) => boolean
}

const primary: PrimaryFunctions = {
  /** The key authorization of a pending HTTP-01 challenge, or null. */
  async challenge(ctx, args) {
    ensureRenewalTimer(ctx.db)
    const token = (args as { token?: unknown } | null)?.token
    if (typeof token !== 'string') throw new Error('challenge: expected {token}')
    return acmeState().challenges.get(token) ?? null
  },
  /** The certificate of a host, for a TLS handshake (see ./sni.ts). */
  async certificate(ctx, args) {
    const host = (args as { host?: unknown } | null)?.host
    if (typeof host !== 'string') throw new Error('certificate: expected {host}')
    return certificateFor(ctx.db, host)
  },
}

export default definePlugin(
  schema,
  {
    priority: 1705,
    version: KONG_COMPAT_VERSION,
    prepare(config): Conf {
      return { allowed: domainMatcher(config) }
    },
    async access(conf, kong) {
      // HTTP-01 challenges only come to the plain HTTP port.
      if (kong.client.getProtocol() !== 'http') return
      const host = kong.request.getHost()
      if (!host || !conf.allowed(host)) return
      const m = CHALLENGE_PATH.exec(kong.request.getPath())
      if (!m) return
      const value = await kong.primary.call('challenge', { token: m[1] }, PRIMARY_TIMEOUT_MS)
      const headers = { 'Content-Type': 'text/plain' }
      if (typeof value === 'string') kong.response.exit(200, `${value}\n`, headers)
      else kong.response.exit(404, 'Not found\n', headers)
    },
  },
  { api, primary },
)
