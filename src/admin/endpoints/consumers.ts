// `GET /consumers?custom_id=` looks a consumer up by its custom id.
import type { AdminContext } from '../context.js'
import { badRequest, type Handler, ok } from '../http.js'
import type { Router } from '../router.js'

export function addConsumerEndpoints(router: Router<Handler<AdminContext>>): void {
  const generated = router.match('/consumers')?.route.methods.GET
  router.add('/consumers', {
    GET: async (req, ctx) => {
      const customId = req.query.custom_id
      if (customId === undefined) {
        if (!generated) throw new Error('consumers endpoints are not registered')
        return generated(req, ctx)
      }
      if (typeof customId !== 'string' || customId === '')
        return badRequest('custom_id must be an unempty string')
      const consumer = await ctx.db.dao('consumers').selectBy('custom_id', customId)
      return ok({ data: consumer ? [consumer] : [], next: null })
    },
  })
}
