// The Status API (status_listen): read-only health and metrics for probes.
import type { AdminContext } from '../admin/context.js'
import { statusBody } from '../admin/endpoints/kong.js'
import { badRequest, type Handler, noContent, ok } from '../admin/http.js'
import { Router } from '../admin/router.js'

export function buildStatusRouter(): Router<Handler<AdminContext>> {
  const router = new Router<Handler<AdminContext>>()
  router.add('/status', { GET: statusBody })
  router.add('/status/ready', {
    GET: async (_req, ctx) => {
      const reason = await ctx.notReadyReason()
      return reason ? { status: 503, body: { message: reason } } : ok({ message: 'ready' })
    },
    POST: (req, ctx) => {
      if (req.body.status !== 'draining') return badRequest('invalid status; expected {"status":"draining"}')
      ctx.drain()
      return noContent()
    },
  })
  router.add('/status/dns', {
    GET: () => ({ status: 501, body: { message: 'not implemented with the legacy DNS client' } }),
  })
  return router
}
