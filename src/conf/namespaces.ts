// Dynamic property namespaces. Kong accepts any name under these prefixes (it injects `nginx_*`
// names into the generated nginx configuration as directives, and reads `vault_*`/`pluginserver_*`
// as settings of vaults and plugin servers). Silverback accepts the same names, silently, and keeps
// their text in the configuration; it maps only the few it understands.
import { isProperty } from './defaults.js'

/** Kong's DYNAMIC_KEY_NAMESPACES prefixes (kong/conf_loader/constants.lua). */
export const DYNAMIC_NAMESPACES: readonly string[] = [
  'nginx_main_',
  'nginx_events_',
  'nginx_http_',
  'nginx_upstream_',
  'nginx_proxy_',
  'nginx_location_',
  'nginx_status_',
  'nginx_admin_',
  'nginx_stream_',
  'nginx_supstream_',
  'nginx_sproxy_',
  'nginx_wasm_',
  'pluginserver_',
  'vault_',
]

/** True for names in a dynamic namespace (with something after the prefix). */
export function isDynamicName(name: string): boolean {
  for (const prefix of DYNAMIC_NAMESPACES) {
    if (name.length > prefix.length && name.startsWith(prefix)) return true
  }
  return false
}

/** Names the loader keeps: table properties and dynamic-namespace names. */
export function isAcceptedName(name: string): boolean {
  return isProperty(name) || isDynamicName(name)
}
