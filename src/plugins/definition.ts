// What a plugin type is: a name, a PRIORITY and VERSION, and a configuration schema. Handlers
// (the phase functions) attach to this in the plugin runner.
import type { EntityCheck, Field, Fields } from '../db/schema/field.js'
import { f } from '../db/schema/field.js'
import type { SubschemaDefinition } from '../db/schema/record.js'

export interface PluginSchemaInput {
  name: string
  /** The plugin's `config` fields. */
  config: Fields
  /** Cross-field checks inside `config`. */
  configChecks?: readonly EntityCheck[]
  /** Narrowed protocols (default: all HTTP protocols). */
  protocols?: Field
  /** Scopes the plugin refuses (`no_consumer`...). */
  noConsumer?: boolean
  noRoute?: boolean
  noService?: boolean
  /** Checks over the whole plugin entity (e.g. `config.a` vs `config.b`). */
  entityChecks?: readonly EntityCheck[]
}

export interface PluginDefinition {
  name: string
  version: string
  priority: number
  schema: SubschemaDefinition
}

const noScope = (reference: string) => f.foreign(reference, { eq: null })

/** Builds a plugin's subschema of the `plugins` entity. */
export function pluginSchema(input: PluginSchemaInput): SubschemaDefinition {
  const fields: Record<string, Field> = {}
  if (input.noConsumer) fields.consumer = noScope('consumers')
  if (input.noRoute) fields.route = noScope('routes')
  if (input.noService) fields.service = noScope('services')
  if (input.protocols) fields.protocols = input.protocols
  fields.config = f.record(input.config, { entity_checks: input.configChecks ?? [] })
  return { name: input.name, fields, entity_checks: input.entityChecks }
}
