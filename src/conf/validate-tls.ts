// TLS-related checks of Kong's conf_loader: certificate/key pairs of the TLS listeners, the client
// certificate, trusted CAs, the cipher suite and DH parameters. Values are normalised in place
// (existing files → absolute paths, base64 → PEM) like Kong does.
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { loadFailure, loadPem, type PemKind } from './certificates.js'
import { CIPHER_SUITES, PREDEFINED_DH_GROUPS } from './cipher-suites.js'
import type { Conf } from './types.js'
import type { ValidationContext } from './validate-context.js'

/** Loads each item of a list, replacing it with its normalised form; reports failures when `check`. */
function loadList(list: string[], label: string, kind: PemKind, ctx: ValidationContext, check: boolean) {
  list.forEach((item, i) => {
    const loaded = loadPem(item, kind, ctx.cwd)
    list[i] = loaded.value
    if (loaded.error && check) ctx.errors.push(loadFailure(label, kind, loaded.value))
  })
}

function loadOne(value: string | null, label: string, kind: PemKind, ctx: ValidationContext): string | null {
  if (value === null) return null
  const loaded = loadPem(value, kind, ctx.cwd)
  if (loaded.error) ctx.errors.push(loadFailure(label, kind, loaded.value))
  return loaded.value
}

export function validateTrustedCertificates(conf: Conf, ctx: ValidationContext) {
  const list = conf.lua_ssl_trusted_certificate
  list.forEach((item, i) => {
    // `system` stays symbolic: the TLS layer uses the platform's CA store for it.
    if (item === 'system') return
    const loaded = loadPem(item, 'certificate', ctx.cwd)
    list[i] = loaded.value
    if (loaded.error) ctx.errors.push(loadFailure('lua_ssl_trusted_certificate', 'certificate', loaded.value))
  })
}

/** Kong's test for TLS on a listener group: an `ssl` flag anywhere in the entries. */
export function hasSslFlag(entries: readonly string[]): boolean {
  return /\sssl[\s,]/.test(` ${entries.join(',')} `)
}

const LISTENER_GROUPS = [
  { listen: 'proxy_listen', prefix: '' },
  { listen: 'admin_listen', prefix: 'admin_' },
  { listen: 'admin_gui_listen', prefix: 'admin_gui_' },
  { listen: 'status_listen', prefix: 'status_' },
] as const

export function validateListenerCertificates(conf: Conf, ctx: ValidationContext) {
  for (const { listen, prefix } of LISTENER_GROUPS) {
    let sslEnabled = hasSslFlag(conf[listen])
    // TLS stream listeners use the proxy certificates too.
    if (!sslEnabled && listen === 'proxy_listen') sslEnabled = hasSslFlag(conf.stream_listen)

    const certs = conf[`${prefix}ssl_cert`]
    const keys = conf[`${prefix}ssl_cert_key`]
    if (sslEnabled) {
      if (certs.length > 0 && keys.length === 0) {
        ctx.errors.push(`${prefix}ssl_cert_key must be specified`)
      } else if (keys.length > 0 && certs.length === 0) {
        ctx.errors.push(`${prefix}ssl_cert must be specified`)
      } else if (certs.length !== keys.length) {
        ctx.errors.push(
          `${prefix}ssl_cert was specified ${certs.length} times while ${prefix}ssl_cert_key was specified ${keys.length} times`,
        )
      }
    }
    loadList(certs, `${prefix}ssl_cert`, 'certificate', ctx, sslEnabled)
    loadList(keys, `${prefix}ssl_cert_key`, 'key', ctx, sslEnabled)
  }
}

export function validateClientCertificate(conf: Conf, ctx: ValidationContext) {
  if (!conf.client_ssl) return
  const cert = conf.client_ssl_cert
  const key = conf.client_ssl_cert_key
  if (cert !== null && key === null) ctx.errors.push('client_ssl_cert_key must be specified')
  else if (key !== null && cert === null) ctx.errors.push('client_ssl_cert must be specified')
  conf.client_ssl_cert = loadOne(cert, 'client_ssl_cert', 'certificate', ctx)
  conf.client_ssl_cert_key = loadOne(key, 'client_ssl_cert_key', 'key', ctx)
}

/** Applies the predefined suite (anything but `custom`) to the cipher and protocol settings. */
export function applyCipherSuite(conf: Conf, ctx: ValidationContext) {
  const name = conf.ssl_cipher_suite
  if (name === 'custom') return
  const suite = CIPHER_SUITES[name]
  if (!suite) {
    ctx.errors.push(`Undefined cipher suite ${name}`)
    return
  }
  conf.ssl_ciphers = suite.ciphers ?? null
  conf.nginx_http_ssl_protocols = suite.protocols
  conf.nginx_http_ssl_prefer_server_ciphers = suite.prefer_server_ciphers
  conf.nginx_stream_ssl_protocols = suite.protocols
  conf.nginx_stream_ssl_prefer_server_ciphers = suite.prefer_server_ciphers
  // `old` has no safe predefined group and keeps the user's ssl_dhparam.
  if (name !== 'old') {
    const dhparams = suite.dhparams ?? null
    conf.ssl_dhparam = dhparams
    conf.nginx_http_ssl_dhparam = dhparams
    conf.nginx_stream_ssl_dhparam = dhparams
  }
}

export function validateDhParam(conf: Conf, ctx: ValidationContext) {
  const dhparam = conf.ssl_dhparam
  if (dhparam !== null) {
    if (PREDEFINED_DH_GROUPS.has(dhparam)) return
    const loaded = loadPem(dhparam, 'dhparam', ctx.cwd)
    conf.ssl_dhparam = loaded.value
    if (loaded.error) ctx.errors.push(loadFailure('ssl_dhparam', 'dhparam', loaded.value))
    return
  }
  for (const key of ['nginx_http_ssl_dhparam', 'nginx_stream_ssl_dhparam'] as const) {
    const file = conf[key]
    if (file && !PREDEFINED_DH_GROUPS.has(file) && !existsSync(resolve(ctx.cwd, file))) {
      ctx.errors.push(`${key}: no such file at ${file}`)
    }
  }
}
