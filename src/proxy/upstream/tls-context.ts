// Upstream TLS: connection options, a cached SecureContext per options object, and the
// `tls_verify_depth` check that Node does not expose (proxying.md §6.2).
import { isIP } from 'node:net'
import {
  type ConnectionOptions,
  createSecureContext,
  type PeerCertificate,
  type SecureContext,
  type TLSSocket,
} from 'node:tls'
import type { UpstreamTlsOptions } from './types.js'

/**
 * Parsing PEM trust stores and keys costs milliseconds, so the context is built once per options
 * object (the proxy keeps one per service in its configuration snapshot) and dropped with it.
 */
const contexts = new WeakMap<UpstreamTlsOptions, SecureContext>()

function secureContextFor(opts: UpstreamTlsOptions): SecureContext | undefined {
  if (opts.ca === undefined && opts.cert === undefined) return undefined
  let ctx = contexts.get(opts)
  if (ctx === undefined) {
    ctx = createSecureContext({ ca: opts.ca, cert: opts.cert, key: opts.key })
    contexts.set(opts, ctx)
  }
  return ctx
}

export function tlsConnectOptions(
  host: string,
  port: number,
  opts: UpstreamTlsOptions,
  session: Buffer | undefined,
): ConnectionOptions {
  const o: ConnectionOptions = { host, port, rejectUnauthorized: opts.rejectUnauthorized }
  // No SNI for IP literals (RFC 6066 §3; Kong sends none either). Without a servername Node
  // checks the certificate against `host`.
  if (opts.servername !== undefined && opts.servername !== '' && isIP(opts.servername) === 0) {
    o.servername = opts.servername
  }
  const ctx = secureContextFor(opts)
  if (ctx !== undefined) o.secureContext = ctx
  if (session !== undefined) o.session = session
  return o
}

/**
 * OpenSSL depth semantics (SSL_CTX_set_verify_depth): depth d allows the peer certificate, at
 * most d intermediate CAs, and the trust anchor. Returns an error message or null.
 */
export function checkVerifyDepth(socket: TLSSocket, opts: UpstreamTlsOptions): string | null {
  if (!opts.rejectUnauthorized || opts.verifyDepth === undefined) return null
  let cert: PeerCertificate | null = socket.getPeerCertificate(true)
  let length = 0
  while (cert !== null && cert !== undefined && Object.keys(cert).length > 0) {
    length++
    const issuer: PeerCertificate | undefined = (cert as { issuerCertificate?: PeerCertificate })
      .issuerCertificate
    if (issuer === undefined || issuer === cert || length > 100) break
    cert = issuer
  }
  // length counts the leaf, the intermediates and (when known) the self-signed anchor.
  const intermediates = Math.max(0, length - 2)
  if (intermediates > opts.verifyDepth) {
    return `certificate chain too long (${intermediates} intermediate CAs, tls_verify_depth ${opts.verifyDepth})`
  }
  return null
}
