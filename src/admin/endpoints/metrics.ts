// `GET /metrics` of the Admin and Status APIs: the prometheus plugin's page, served when the
// plugin is loaded on the node (the `plugins` setting), configured or not (plugins.md §6.20).
import type { AdminContext } from '../context.js'
import type { Handler } from '../http.js'
import type { Router } from '../router.js'

export function addMetricsEndpoint(router: Router<Handler<AdminContext>>): void {
  router.add('/metrics', {
    GET: async (_req, ctx) => {
      if (!ctx.metrics) return { status: 404, body: { message: 'Not found' } }
      return { status: 200, text: await ctx.metrics(), contentType: 'text/plain; charset=UTF-8' }
    },
  })
}
