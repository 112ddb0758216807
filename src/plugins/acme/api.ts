// acme's Admin API (Kong's api.lua): order a certificate for a host or check that the node
// answers its HTTP-01 challenges (POST /acme), renew every certificate (PATCH /acme), and list
// the certificates the plugin holds (GET /acme/certificates[/{host}]).
import { X509Certificate } from 'node:crypto'
import http from 'node:http'
import { nodeConf } from '../../conf/current.js'
import type { PluginApi, PluginApiResponse } from '../definition.js'
import {
  ensureRenewalTimer,
  findPlugin,
  renewCertificates,
  storeRenewConfig,
  updateCertificate,
} from './client.js'
import { domainMatcher } from './domains.js'
import { acmeState, type StoredCert } from './state.js'

const NOT_FOUND: PluginApiResponse = { status: 404, body: { message: 'Not found' } }

function date(iso: string): string {
  return new Date(iso)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '')
}

function cn(dn: string): string | null {
  for (const line of dn.split('\n')) if (line.startsWith('CN=')) return line.slice(3)
  return null
}

/** Kong's parse_certkey: what GET /acme/certificates shows of a certificate. */
export function describe(stored: StoredCert): Record<string, unknown> {
  const first =
    stored.cert.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)?.[0] ?? stored.cert
  const x509 = new X509Certificate(first)
  const now = Date.now() / 1000
  const type = x509.publicKey.asymmetricKeyType
  return {
    digest: x509.fingerprint.replace(/:/g, '').toLowerCase(),
    host: cn(x509.subject) ?? stored.host,
    issuer_cn: cn(x509.issuer),
    not_before: date(x509.validFrom),
    not_after: date(x509.validTo),
    valid: stored.notBefore < now && stored.notAfter > now,
    serial_number: x509.serialNumber.toLowerCase(),
    pubkey_type: type === 'rsa' ? 'rsaEncryption' : type === 'ec' ? 'id-ecPublicKey' : (type ?? null),
  }
}

/** The node's own plain HTTP proxy listener (Kong fetches http://<host>/ on port 80). */
function ownHttpListener(): { host: string; port: number } | null {
  const l = nodeConf()?.proxy_listeners.find((x) => !x.ssl)
  if (!l) return null
  const host = l.ip === '0.0.0.0' ? '127.0.0.1' : l.ip === '::' ? '::1' : l.ip
  return { host, port: l.port }
}

function fetchOwn(host: string, path: string): Promise<{ status: number; body: string }> {
  const target = ownHttpListener()
  if (!target) return Promise.reject(new Error('no HTTP proxy listener'))
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: target.host, port: target.port, path, headers: { host }, timeout: 5000 },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }))
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
  })
}

function truthy(v: unknown): boolean {
  return v === true || v === 'true'
}

export const api: PluginApi = {
  '/acme': {
    POST: async (req, ctx) => {
      const plugin = await findPlugin(ctx.db)
      if (!plugin) return NOT_FOUND
      const conf = plugin.config
      const host = req.body.host ?? req.query.host
      if (typeof host !== 'string' || host === '')
        return { status: 400, body: { message: 'host must be provided and containing a single domain' } }
      // no port, for security reasons
      if (host.includes(':')) return { status: 400, body: { message: 'port is not allowed in host' } }

      if (truthy(req.body.test_http_challenge_flow ?? req.query.test_http_challenge_flow)) {
        const problem = (err: string): PluginApiResponse => ({
          status: 400,
          body: { message: `problem found running sanity check for ${host}: ${err}` },
        })
        if (!domainMatcher(conf)(host)) return problem('host is not included in plugin config.domains')
        const checkPath = '/.well-known/acme-challenge/'
        let res: { status: number; body: string }
        try {
          res = await fetchOwn(host, `${checkPath}x`)
        } catch (err) {
          return problem((err as Error).message)
        }
        if (/no Route matched with those values/.test(res.body))
          return problem(
            `http://${host}${checkPath}* doesn't map to a Route in Kong; please refer to docs on how to create dummy Route and Service`,
          )
        if (res.body !== 'Not found\n') {
          let err = `unexpected response: "${res.body}"`
          if (res.status !== 404) err += `, unexpected status code: ${res.status}`
          return problem(err)
        }
        return { status: 200, body: { message: `sanity test for host ${host} passed` } }
      }

      try {
        await updateCertificate(conf, host, ctx.db)
      } catch (err) {
        return { status: 500, body: { message: `failed to update certificate: ${(err as Error).message}` } }
      }
      storeRenewConfig(host)
      ensureRenewalTimer(ctx.db)
      return { status: 201, body: { message: `certificate for host ${host} is created` } }
    },
    PATCH: (_req, ctx) => {
      void renewCertificates(ctx.db)
      return { status: 202, body: { message: 'Renewal process started successfully' } }
    },
  },
  '/acme/certificates': {
    GET: async (req, ctx) => {
      const plugin = await findPlugin(ctx.db)
      if (!plugin) return NOT_FOUND
      const state = acmeState()
      const invalidOnly = truthy(req.query.invalid_only)
      const data: Record<string, unknown>[] = []
      for (const host of state.renewHosts) {
        const stored = state.certs.get(host)
        if (!stored) continue
        const described = describe(stored)
        if (!invalidOnly || described.valid === false) data.push(described)
      }
      return { status: 200, body: { data } }
    },
  },
  '/acme/certificates/:ckey': {
    GET: async (req, ctx) => {
      const plugin = await findPlugin(ctx.db)
      if (!plugin) return NOT_FOUND
      const host = req.params.ckey
      const stored = acmeState().certs.get(host.toLowerCase())
      if (!stored)
        return { status: 404, body: { message: `Certificate for host ${host}not found in storage` } }
      return { status: 200, body: { data: describe(stored) } }
    },
  },
}
