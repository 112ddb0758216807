// Certificates can be addressed by the name of one of their SNIs: `/certificates/{sni}`,
// `/certificates/{sni}/snis[/{s}]`. A PUT by an unknown SNI name creates a certificate with that
// SNI. Form-encoded `snis` values are converted like SNI names.
import { randomUUID } from 'node:crypto'
import { isUuid } from '../../db/schema/validate.js'
import type { Row } from '../../db/strategies/strategy.js'
import type { AdminContext } from '../context.js'
import { type AdminRequest, type AdminResponse, type Handler, notFound } from '../http.js'
import type { Match, Method, Router } from '../router.js'

type H = Handler<AdminContext>

/**
 * Resolves `{certificates}` given as an SNI name to the certificate id. Returns a response to
 * send instead (404 `SNI not found`) or the SNI name used, if any.
 */
async function resolveSniParam(
  req: AdminRequest,
  ctx: AdminContext,
): Promise<AdminResponse | { name?: string }> {
  const id = req.params.certificates
  if (isUuid(id)) return {}
  const sni = await ctx.db.dao('snis').selectBy('name', id)
  if (sni) {
    req.params.certificates = String((sni.certificate as { id: string }).id)
    return { name: id }
  }
  if (req.method !== 'PUT') return notFound('SNI not found')
  req.params.certificates = randomUUID()
  return { name: id }
}

/** Kong's prepare_args: `snis` always a list; on PUT by SNI name that name is kept in it. */
function prepareSnis(req: AdminRequest, name: string | undefined): void {
  const body = req.body as Row
  let snis = body.snis
  if (typeof snis === 'string') snis = name && req.method === 'PUT' && name !== snis ? [snis, name] : [snis]
  else if (Array.isArray(snis)) {
    if (name && req.method === 'PUT' && !snis.includes(name)) snis = [...snis, name]
  }
  if ((snis === undefined || snis === null || snis === '') && req.method === 'PUT')
    snis = name ? [name] : null
  if (snis !== undefined) body.snis = snis
}

function wrap(original: H | undefined, withArgs: boolean): H | undefined {
  if (!original) return undefined
  return async (req, ctx) => {
    const resolved = await resolveSniParam(req, ctx)
    if ('status' in resolved) return resolved
    if (withArgs) prepareSnis(req, resolved.name)
    return original(req, ctx)
  }
}

/** Wraps the generated certificate endpoints (call after addEntityEndpoints). */
export function addCertificateEndpoints(router: Router<H>): void {
  for (const template of [
    '/certificates/:certificates',
    '/certificates/:certificates/snis',
    '/certificates/:certificates/snis/:snis',
  ]) {
    const match: Match<H> | null = router.match(template.replace(':certificates', 'x').replace(':snis', 'y'))
    if (!match) continue
    const methods = match.route.methods
    const isEntity = template === '/certificates/:certificates'
    const wrapped: Partial<Record<Method, H>> = {}
    for (const m of Object.keys(methods) as Method[]) {
      const h = wrap(methods[m], isEntity && (m === 'PUT' || m === 'PATCH'))
      if (h) wrapped[m] = h
    }
    router.add(template, wrapped)
  }
  // `/snis/{s}/certificate` is disabled: use `/certificates/{s}`.
  router.remove('/snis/:snis/certificate')
}
