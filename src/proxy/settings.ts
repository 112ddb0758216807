// Per-worker proxy settings derived once from the configuration (the request path reads these
// plain fields, never the configuration itself).
import type { Conf } from '../conf/index.js'
import { parseSize } from '../conf/index.js'
import { SERVER_TOKEN } from '../version.js'
import { type ErrorFormat, ErrorTemplates, responseFormat } from './errors.js'
import { TrustedIps } from './trusted.js'

export interface ProxySettings {
  /** `Server` value for gateway-generated responses, or null when disabled. */
  serverHeader: string | null
  /** Append `Via` on proxied responses. */
  via: boolean
  upstreamLatency: boolean
  proxyLatency: boolean
  responseLatency: boolean
  upstreamStatus: boolean
  requestIdResponse: boolean
  requestIdUpstream: boolean
  /** Product token used in Via (`silverback/<version>`). */
  token: string
  /** Upstream `Via` entries per client HTTP version. */
  via11: string
  via10: string
  via2: string
  trusted: TrustedIps
  /** Lower-case name of the real-IP header (`x-real-ip`). */
  realIpHeader: string
  realIpRecursive: boolean
  /** Proxied request body limit in bytes (0 = unlimited). */
  maxBody: number
  errorDefault: ErrorFormat
  templates: ErrorTemplates
  /** Listener port → externally visible port (`port_maps`). */
  hostPorts: ReadonlyMap<number, number>
  allowDebugHeader: boolean
  keepalive: { poolSize: number; maxRequests: number; idleTimeoutMs: number }
}

export function proxySettings(conf: Conf): ProxySettings {
  const h = conf.enabled_headers
  const hostPorts = new Map<number, number>()
  for (const [container, host] of Object.entries(conf.host_ports ?? {}))
    hostPorts.set(Number(container), host)
  return {
    serverHeader: h.Server ? SERVER_TOKEN : null,
    via: Boolean(h.Via),
    upstreamLatency: Boolean(h['X-Kong-Upstream-Latency']),
    proxyLatency: Boolean(h['X-Kong-Proxy-Latency']),
    responseLatency: Boolean(h['X-Kong-Response-Latency']),
    upstreamStatus: Boolean(h['X-Kong-Upstream-Status']),
    requestIdResponse: Boolean(h['X-Kong-Request-Id']),
    requestIdUpstream: Boolean(conf.enabled_headers_upstream['X-Kong-Request-Id']),
    token: SERVER_TOKEN,
    via11: `1.1 ${SERVER_TOKEN}`,
    via10: `1 ${SERVER_TOKEN}`,
    via2: `2 ${SERVER_TOKEN}`,
    trusted: new TrustedIps(conf.trusted_ips),
    realIpHeader: String(conf.real_ip_header ?? 'X-Real-IP').toLowerCase(),
    realIpRecursive: conf.real_ip_recursive === true,
    maxBody: parseSize(String(conf.nginx_http_client_max_body_size ?? '0')) ?? 0,
    errorDefault: responseFormat(String(conf.error_default_type ?? 'text/plain')),
    templates: new ErrorTemplates({
      json: conf.error_template_json as string | null,
      html: conf.error_template_html as string | null,
      xml: conf.error_template_xml as string | null,
      plain: conf.error_template_plain as string | null,
    }),
    hostPorts,
    allowDebugHeader: conf.allow_debug_header === true,
    keepalive: {
      poolSize: Number(conf.upstream_keepalive_pool_size ?? 512),
      maxRequests: Number(conf.upstream_keepalive_max_requests ?? 10000),
      idleTimeoutMs: Number(conf.upstream_keepalive_idle_timeout ?? 60) * 1000,
    },
  }
}
