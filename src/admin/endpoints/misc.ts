// Smaller endpoint families: `/config` (DB-less only), `/cache`, `/debug/.../log-level`,
// `/clustering/...` (control planes only).
import { isLogLevel, type LogLevel } from '../../log/logger.js'
import type { AdminContext } from '../context.js'
import { badRequest, type Handler, noContent, notFound, ok } from '../http.js'
import type { Router } from '../router.js'

const DEFAULT_LOG_LEVEL_TIMEOUT = 60

/** Restores the configured log level after a dynamic change times out. */
let revertTimer: NodeJS.Timeout | undefined

function setLogLevel(ctx: AdminContext, level: LogLevel, timeout: number): void {
  if (revertTimer) clearTimeout(revertTimer)
  revertTimer = undefined
  ctx.log.level = level
  if (timeout > 0) {
    revertTimer = setTimeout(() => {
      ctx.log.level = ctx.conf.log_level as LogLevel
      revertTimer = undefined
    }, timeout * 1000)
    revertTimer.unref()
  }
}

const putLogLevel: Handler<AdminContext> = (req, ctx) => {
  if (ctx.conf.database === 'off') {
    return { status: 405, body: { message: 'cannot change log level when not using a database' } }
  }
  const level = req.params.log_level
  if (!isLogLevel(level)) return badRequest(`unknown log level: ${level}`)
  const raw = req.query.timeout
  const parsed = typeof raw === 'string' ? Number(raw) : Number.NaN
  const timeout = Math.ceil(Number.isNaN(parsed) ? DEFAULT_LOG_LEVEL_TIMEOUT : parsed)
  if (timeout < 0) return badRequest('timeout must be greater than or equal to 0')
  if (ctx.log.level === level) return ok({ message: `log level is already ${level}` })
  setLogLevel(ctx, level, timeout)
  return ok({ message: 'log level changed' })
}

const notControlPlane = () =>
  badRequest(
    'this endpoint is only available when Kong is configured to run as Control Plane for the cluster',
  )

export function addMiscEndpoints(router: Router<Handler<AdminContext>>): void {
  const dbOnly = () =>
    badRequest('this endpoint is only available when Kong is configured to not use a database')
  router.add('/config', { GET: dbOnly, POST: dbOnly })

  // Silverback's entity caches are per worker and follow change events; nothing is cached by key
  // on the primary, so lookups miss and evictions succeed.
  router.add('/cache', { DELETE: () => noContent() })
  router.add('/cache/:key', { GET: () => notFound(), DELETE: () => noContent() })

  router.add('/debug/node/log-level', { GET: (_req, ctx) => ok({ message: `log level: ${ctx.log.level}` }) })
  router.add('/debug/node/log-level/:log_level', { PUT: putLogLevel })
  router.add('/debug/cluster/log-level/:log_level', { PUT: putLogLevel })

  router.add('/clustering/data-planes', { GET: notControlPlane })
  router.add('/clustering/status', { GET: notControlPlane })
}
