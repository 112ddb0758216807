// A plugin type as a worker runs it, and one configured instance of it (a `plugins` row made
// ready for the request path: its configuration with Kong's metadata keys, prepared once).
import type { PluginHandler, Row } from './types.js'

export interface LoadedPlugin {
  name: string
  priority: number
  version: string
  handler: PluginHandler<unknown>
  /** The schema forbids consumer scoping (`no_consumer`): consumer instances are ignored. */
  noConsumer: boolean
}

export interface PluginInstance {
  id: string
  name: string
  plugin: LoadedPlugin
  /** The configuration with `route_id`, `service_id`, `consumer_id`, `__plugin_id`... */
  config: Row
  /** What the phase functions receive: `handler.prepare(config)`, or the configuration. */
  conf: unknown
  routeId: string | null
  serviceId: string | null
  consumerId: string | null
  /** The replica row it was made from (rows are replaced on change, never mutated). */
  row: Row
}

/** Kong's default workspace id, used as `__ws_id`. */
export const DEFAULT_WORKSPACE_ID = '00000000-0000-0000-0000-000000000000'

/** Makes a worker-side instance from a `plugins` row. `prepare` errors propagate. */
export function makeInstance(row: Row, plugin: LoadedPlugin): PluginInstance {
  const ref = (v: unknown): string | null => ((v as { id?: string } | null)?.id ?? null) as string | null
  const routeId = ref(row.route)
  const serviceId = ref(row.service)
  const consumerId = ref(row.consumer)
  const config: Row = {
    ...((row.config as Row | null) ?? {}),
    route_id: routeId,
    service_id: serviceId,
    consumer_id: consumerId,
    plugin_instance_name: (row.instance_name as string | null) ?? null,
    __plugin_id: String(row.id),
    __ws_id: DEFAULT_WORKSPACE_ID,
  }
  Object.freeze(config)
  const conf = plugin.handler.prepare ? plugin.handler.prepare(config) : config
  return {
    id: String(row.id),
    name: plugin.name,
    plugin,
    config,
    conf,
    routeId,
    serviceId,
    consumerId,
    row,
  }
}
