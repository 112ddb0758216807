// The core entities, parents before children (the order of imports, exports and cascades).
import type { EntitySchema } from '../entity.js'
import type { SubschemaDefinition } from '../record.js'
import { setForeignResolver } from '../validate.js'
import { caCertificates } from './ca-certificates.js'
import { certificates, snis } from './certificates.js'
import { consumers } from './consumers.js'
import { keySets, keys } from './keys.js'
import { buildPluginsSchema } from './plugins.js'
import { routes } from './routes.js'
import { services } from './services.js'
import { targets } from './targets.js'
import { upstreams } from './upstreams.js'
import { vaults } from './vaults.js'

const known = new Map<string, EntitySchema>()

function remember(schemas: readonly EntitySchema[]): void {
  for (const s of schemas) known.set(s.name, s)
}

/** The schema of a registered entity (for foreign keys). */
export function entitySchema(name: string): EntitySchema | undefined {
  return known.get(name)
}
setForeignResolver(entitySchema)

/** The core entity schemas for a node with these plugin subschemas (no side effects). */
export function coreEntityList(
  pluginSubschemas: Readonly<Record<string, SubschemaDefinition>>,
): EntitySchema[] {
  return [
    certificates,
    caCertificates,
    snis,
    services,
    routes,
    consumers,
    buildPluginsSchema(pluginSubschemas),
    upstreams,
    targets,
    keySets,
    keys,
    vaults,
  ]
}

/** The core entity schemas, registered for foreign-key resolution. */
export function coreSchemas(pluginSubschemas: Readonly<Record<string, SubschemaDefinition>>): EntitySchema[] {
  const list = coreEntityList(pluginSubschemas)
  remember(list)
  return list
}

/** Registers additional entity schemas (plugin-owned entities such as credentials). */
export function registerSchemas(schemas: readonly EntitySchema[]): void {
  remember(schemas)
}

export {
  caCertificates,
  certificates,
  consumers,
  keySets,
  keys,
  routes,
  services,
  snis,
  targets,
  upstreams,
  vaults,
}
