// Assembles the Admin API: generated entity endpoints, then Kong's special cases.
import type { DB } from '../db/dao/db.js'
import type { PluginRegistry } from '../plugins/registry.js'
import type { AdminContext } from './context.js'
import { addCertificateEndpoints } from './endpoints/certificates.js'
import { addConsumerEndpoints } from './endpoints/consumers.js'
import { addEntityEndpoints } from './endpoints/entities.js'
import { addKongEndpoints } from './endpoints/kong.js'
import { addMiscEndpoints } from './endpoints/misc.js'
import { pluginEndpointOptions } from './endpoints/plugins.js'
import { addTagEndpoints } from './endpoints/tags.js'
import { addTargetEndpoints } from './endpoints/targets.js'
import type { Handler } from './http.js'
import { Router } from './router.js'

export function buildAdminRouter(db: DB, plugins?: PluginRegistry): Router<Handler<AdminContext>> {
  const router = new Router<Handler<AdminContext>>()
  addKongEndpoints(router)
  addEntityEndpoints(router, db, { plugins: pluginEndpointOptions })
  addCertificateEndpoints(router)
  addTargetEndpoints(router)
  addConsumerEndpoints(router)
  addTagEndpoints(router)
  addMiscEndpoints(router)
  // the loaded plugins' own endpoints (proxy-cache's purge...)
  for (const api of plugins?.apis() ?? [])
    for (const [path, methods] of Object.entries(api)) router.add(path, methods)
  return router
}

/** Paths whose POST accepts YAML bodies. */
export const YAML_PATHS = ['/config']
