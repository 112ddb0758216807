// Plugins: instances of a plugin type, scoped globally or to a route, service and/or consumer.
// Each loaded plugin type contributes a subschema (keyed by `name`) with its `config` record and
// its scope/protocol restrictions, so the schema is built at start from the plugin registry.
import { defineEntity, type EntityOf } from '../entity.js'
import { extend, f } from '../field.js'
import type { SubschemaDefinition } from '../record.js'
import { typedefs } from '../typedefs.js'

const fields = {
  id: typedefs.uuid,
  name: f.string({ required: true, description: "The name of the Plugin that's going to be added." }),
  instance_name: typedefs.utf8Name,
  created_at: typedefs.autoTimestampS,
  updated_at: typedefs.autoTimestampS,
  route: f.foreign('routes', {
    default: null,
    on_delete: 'cascade',
    description: 'If set, the plugin will only activate when receiving requests via the specified route.',
  }),
  service: f.foreign('services', {
    default: null,
    on_delete: 'cascade',
    description:
      'If set, the plugin will only activate when receiving requests via one of the routes of the service.',
  }),
  consumer: f.foreign('consumers', {
    default: null,
    on_delete: 'cascade',
    description:
      'If set, the plugin will activate only for requests where the specified consumer has been authenticated.',
  }),
  // Abstract: each plugin's subschema gives the real record.
  config: f.record({}, { description: 'The configuration properties for the Plugin.' }),
  protocols: extend(typedefs.protocols, { description: 'A set of strings representing protocols.' }),
  enabled: f.boolean({ required: true, default: true, description: 'Whether the plugin is applied.' }),
  tags: typedefs.tags,
}

/** The plugins entity for a node whose loaded plugin types have these subschemas. */
export function buildPluginsSchema(subschemas: Readonly<Record<string, SubschemaDefinition>>) {
  return defineEntity({
    name: 'plugins',
    primary_key: ['id'],
    cache_key: ['name', 'route', 'service', 'consumer'],
    endpoint_key: 'instance_name',
    workspaceable: true,
    subschema_key: 'name',
    subschema_error: "plugin '%s' not enabled; add it to the 'plugins' configuration property",
    fields,
    subschemas,
  })
}

export type Plugin = EntityOf<ReturnType<typeof buildPluginsSchema>>
