// Values computed from the validated properties: parsed listeners, TLS flags per listener group,
// enabled headers, Admin API CORS origins and the prefix files.
import { enabledHeaders, enabledUpstreamHeaders } from './headers.js'
import { parseListeners } from './listeners.js'
import { prefixPaths } from './paths.js'
import type { Conf, DerivedConf, Listener } from './types.js'
import type { ValidationContext } from './validate-context.js'

function listeners(conf: Conf, property: string, ctx: ValidationContext): Listener[] {
  try {
    return parseListeners(property, conf[property] as string[])
  } catch (err) {
    ctx.errors.push((err as Error).message)
    return []
  }
}

/** `scheme://host[:port]` of each admin_gui_url entry. */
function adminGuiOrigins(urls: readonly string[], ctx: ValidationContext): string[] {
  const origins: string[] = []
  for (const url of urls) {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      ctx.errors.push(`admin_gui_url: invalid entry '${url}'`)
      continue
    }
    if (parsed.host === '') ctx.errors.push(`admin_gui_url: invalid entry '${url}'`)
    else origins.push(`${parsed.protocol}//${parsed.host}`)
  }
  return origins
}

export function deriveConf(
  conf: Conf,
  hostPorts: Record<string, number>,
  ctx: ValidationContext,
): DerivedConf {
  const proxy = listeners(conf, 'proxy_listen', ctx)
  const stream = listeners(conf, 'stream_listen', ctx)
  const admin = listeners(conf, 'admin_listen', ctx)
  const adminGui = listeners(conf, 'admin_gui_listen', ctx)
  const status = listeners(conf, 'status_listen', ctx)
  const cluster = listeners(conf, 'cluster_listen', ctx)
  const anySsl = (list: Listener[]) => list.some((l) => l.ssl)
  return {
    proxy_listeners: proxy,
    stream_listeners: stream,
    admin_listeners: admin,
    admin_gui_listeners: adminGui,
    status_listeners: status,
    cluster_listeners: cluster,
    proxy_ssl_enabled: anySsl(proxy),
    stream_proxy_ssl_enabled: anySsl(stream),
    admin_ssl_enabled: anySsl(admin),
    admin_gui_ssl_enabled: anySsl(adminGui),
    status_ssl_enabled: anySsl(status),
    enabled_headers: enabledHeaders(conf.headers),
    enabled_headers_upstream: enabledUpstreamHeaders(conf.headers_upstream),
    host_ports: hostPorts,
    admin_gui_origin: adminGuiOrigins(conf.admin_gui_url, ctx),
    ...prefixPaths(conf.prefix),
  }
}
