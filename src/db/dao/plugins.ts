// Plugin instances must share a protocol with the route they are attached to (or with at least
// one route of their service). As in Kong, the check runs when the request sets protocols (and,
// on update, when it changes protocols, route or service).
import type { Row } from '../strategies/strategy.js'
import type { EntityHooks, HookContext } from './hooks.js'

function intersects(a: unknown, b: unknown): boolean {
  return Array.isArray(a) && Array.isArray(b) && a.some((p) => b.includes(p))
}

async function protocolErrors(plugin: Row, hctx: HookContext): Promise<Record<string, string> | undefined> {
  const routes = hctx.dao.db.dao('routes')
  const routeId = (plugin.route as { id?: string } | null)?.id
  const serviceId = (plugin.service as { id?: string } | null)?.id
  if (routeId) {
    const route = await hctx.ops.select(routes.table, routeId)
    if (route && !intersects(plugin.protocols, route.protocols)) {
      return { protocols: "must match the associated route's protocols" }
    }
  } else if (serviceId) {
    let any = false
    for await (const route of routes.each(hctx.ctx, { field: 'service', id: serviceId })) {
      any = true
      if (intersects(plugin.protocols, route.protocols)) return undefined
    }
    if (any)
      return { protocols: "must match the protocols of at least one route pointing to this Plugin's service" }
  }
  return undefined
}

export const pluginHooks: EntityHooks = {
  async validate(entity, hctx) {
    const input = hctx.input
    const relevant =
      hctx.context === 'update'
        ? input.protocols !== undefined || input.service !== undefined || input.route !== undefined
        : Array.isArray(input.protocols)
    return relevant ? protocolErrors(entity, hctx) : undefined
  },
}
