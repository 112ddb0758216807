// Smaller endpoint families: `/config` (DB-less only), `/cache`, `/debug/.../log-level`,
// `/clustering/...` (control planes only).

import { declarativeErrorBody } from '../../db/declarative/index.js'
import type { Row } from '../../db/strategies/strategy.js'
import { isLogLevel, type LogLevel } from '../../log/logger.js'
import type { ConfigInput, DblessConfig } from '../../node/dbless.js'
import type { AdminContext } from '../context.js'
import { type AdminRequest, badRequest, type Handler, noContent, notFound, ok } from '../http.js'
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

const TRUE_WORDS = new Set(['true', '1', 'on', 'yes'])

function option(req: AdminRequest, name: string): unknown {
  return req.query[name] ?? req.body[name]
}

/** The configuration of a `POST /config` request (declarative.md §8.2), or null. */
function configInput(req: AdminRequest): ConfigInput | null {
  const body = req.body
  if (req.bodyKind === 'json' && Object.hasOwn(body, '_format_version')) return { object: body }
  const config = body.config
  if (typeof config === 'string') return { text: config }
  if (config !== undefined && config !== null && typeof config === 'object') return { object: config }
  if (req.bodyKind === 'yaml' && req.rawBody.length > 0) return { text: req.rawBody.toString('utf8') }
  return null
}

const postConfig: Handler<AdminContext> = async (req, ctx) => {
  const dbless = ctx.dbless as DblessConfig
  const input = configInput(req)
  if (!input) return badRequest('expected a declarative configuration')
  const flatten = TRUE_WORDS.has(String(option(req, 'flatten_errors') ?? '').toLowerCase())
  const checkHash = String(option(req, 'check_hash') ?? '') === '1'
  const outcome = await dbless.load(input, checkHash)
  switch (outcome.status) {
    case 'unchanged':
      return { status: 304 }
    case 'busy':
      return {
        status: 429,
        body: { message: 'Currently loading previous configuration' },
        headers: { 'Retry-After': '1' },
      }
    case 'too-large':
      return {
        status: 413,
        body: {
          message:
            'Configuration does not fit in LMDB database, consider raising the "lmdb_map_size" config for Kong',
        },
      }
    case 'invalid':
      return { status: 400, body: declarativeErrorBody(outcome.error, { flatten }) }
    case 'loaded': {
      const out: Record<string, Record<string, Row>> = {}
      for (const [entity, rows] of Object.entries(outcome.config.entities)) {
        out[entity] = {}
        for (const row of rows) out[entity][String(row.id)] = row
      }
      return { status: 201, body: out }
    }
  }
}

export function addMiscEndpoints(router: Router<Handler<AdminContext>>): void {
  const dbOnly = () =>
    badRequest('this endpoint is only available when Kong is configured to not use a database')
  router.add('/config', {
    GET: async (_req, ctx) => (ctx.dbless ? ok({ config: await ctx.dbless.exportText() }) : dbOnly()),
    POST: (req, ctx) => (ctx.dbless ? postConfig(req, ctx) : dbOnly()),
  })

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
