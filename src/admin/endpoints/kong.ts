// Node information: `/`, `/status`, `/endpoints`, `/schemas/...`, `/plugins/enabled`,
// `/timers`, `/status/dns`.
import { hostname as osHostname } from 'node:os'
import { maskSecrets } from '../../conf/index.js'
import { errors } from '../../db/dao/errors.js'
import { processAutoFields } from '../../db/schema/auto-fields.js'
import type { RecordDefinition } from '../../db/schema/record.js'
import { validateRecord } from '../../db/schema/validate.js'
import { KONG_COMPAT_VERSION, PRODUCT_NAME, VERSION } from '../../version.js'
import type { AdminContext } from '../context.js'
import { type AdminRequest, type AdminResponse, badRequest, type Handler, notFound, ok } from '../http.js'
import type { Router } from '../router.js'
import { bodyArgs } from './entities.js'
import { schemaJson } from './schema-json.js'

const UNITS: Record<string, [number, string]> = {
  b: [1, 'b'],
  k: [1024, 'KiB'],
  K: [1024, 'KiB'],
  m: [1024 ** 2, 'MiB'],
  M: [1024 ** 2, 'MiB'],
  g: [1024 ** 3, 'GiB'],
  G: [1024 ** 3, 'GiB'],
}

function memoryValue(bytes: number, unit: string, scale: number): number | string {
  const [div, suffix] = UNITS[unit]
  if (suffix === 'b') return bytes
  return `${(bytes / div).toFixed(scale)} ${suffix}`
}

/** `GET /status` body (also served by the Status API). */
export async function statusBody(req: AdminRequest, ctx: AdminContext): Promise<AdminResponse> {
  const unitArg = req.query.unit
  const unit = typeof unitArg === 'string' ? unitArg : 'm'
  if (!UNITS[unit]) return badRequest(`invalid unit '${unit}' (expected 'k/K', 'm/M', or 'g/G')`)
  const scaleArg = Number(typeof req.query.scale === 'string' ? req.query.scale : 2)
  const scale = Number.isInteger(scaleArg) && scaleArg >= 0 && scaleArg <= 20 ? scaleArg : 2
  const mem = ctx.memory()
  const store = ctx.configurationHash
    ? { configuration_hash: ctx.configurationHash() }
    : { database: { reachable: await ctx.databaseReachable() } }
  return ok({
    ...store,
    server: ctx.stats(),
    memory: {
      workers_lua_vms: mem.map((m) => ({
        http_allocated_gc: memoryValue(m.heapUsed, unit, scale),
        pid: m.pid,
      })),
      lua_shared_dicts: {
        kong: {
          allocated_slabs: memoryValue(0, unit, scale),
          capacity: memoryValue(5 * 1024 ** 2, unit, scale),
        },
        kong_db_cache: {
          allocated_slabs: memoryValue(0, unit, scale),
          capacity: memoryValue(128 * 1024 ** 2, unit, scale),
        },
      },
    },
  })
}

/** Sorts paths segment-wise, `/` being the lowest character (Kong's /endpoints order). */
function endpointOrder(a: string, b: string): number {
  const x = a.replaceAll('/', '\u0000')
  const y = b.replaceAll('/', '\u0000')
  return x < y ? -1 : x > y ? 1 : 0
}

function validateAgainst(def: RecordDefinition, req: AdminRequest): AdminResponse {
  const input = bodyArgs(req, def)
  const processed = processAutoFields(def, input, 'insert')
  if ('errors' in processed) throw errors.schemaViolation(processed.errors)
  const errs = validateRecord(def, processed.value)
  if (errs) throw errors.schemaViolation(errs)
  return ok({ message: 'schema validation successful' })
}

export function addKongEndpoints(router: Router<Handler<AdminContext>>): void {
  router.add('/', {
    GET: async (_req, ctx) => {
      const available: Record<string, { version: string; priority: number }> = {}
      for (const p of ctx.plugins.list()) available[p.name] = { version: p.version, priority: p.priority }
      const inCluster = new Set<string>()
      for await (const plugin of ctx.db.dao('plugins').each()) inCluster.add(String(plugin.name))
      const configuration = maskSecrets(ctx.conf) as Record<string, unknown>
      configuration.log_level = ctx.log.level
      return ok({
        tagline: 'Welcome to kong',
        version: KONG_COMPAT_VERSION,
        edition: 'community',
        hostname: ctx.hostname || osHostname(),
        node_id: ctx.nodeId,
        lua_version: `Node.js ${process.version}`,
        silverback_version: VERSION,
        product: PRODUCT_NAME,
        timers: { running: 0, pending: 0 },
        pids: ctx.pids(),
        plugins: { available_on_server: available, enabled_in_cluster: [...inCluster] },
        configuration,
      })
    },
  })

  router.add('/status', { GET: statusBody })

  router.add('/endpoints', {
    GET: () => ok({ data: [...router.templates()].sort(endpointOrder) }),
  })

  router.add('/schemas/:name', {
    GET: (req, ctx) => {
      const name = req.params.name
      if (!ctx.db.has(name)) return notFound(`No entity named '${name}'`)
      return ok(schemaJson(ctx.db.dao(name).schema))
    },
  })

  router.add('/schemas/:name/validate', {
    POST: (req, ctx) => {
      const name = req.params.name
      if (!ctx.db.has(name)) return notFound(`No entity named '${name}'`)
      return validateAgainst(ctx.db.dao(name).schema, req)
    },
  })

  router.add('/schemas/plugins/:name', {
    GET: (req, ctx) => {
      const p = ctx.plugins.get(req.params.name)
      if (!p) return notFound(`No plugin named '${req.params.name}'`)
      return ok(schemaJson(p.schema))
    },
  })

  router.add('/schemas/plugins/validate', {
    POST: (req, ctx) => validateAgainst(ctx.db.dao('plugins').schema, req),
  })

  router.add('/schemas/vaults/:name', {
    GET: (req, ctx) => {
      const sub = ctx.db.dao('vaults').schema.subschemas?.[req.params.name]
      if (!sub) return notFound(`No vault named '${req.params.name}'`)
      return ok(schemaJson(sub))
    },
  })

  router.add('/schemas/vaults/validate', {
    POST: (req, ctx) => validateAgainst(ctx.db.dao('vaults').schema, req),
  })

  router.add('/plugins/enabled', {
    GET: (_req, ctx) => ok({ enabled_plugins: ctx.plugins.names() }),
  })

  // Deprecated in Kong, still served: the plugin's `config` record only.
  router.add('/plugins/schema/:name', {
    GET: (req, ctx) => {
      const p = ctx.plugins.get(req.params.name)
      const config = p?.schema.fields.config
      if (!config) return notFound(`No plugin named '${req.params.name}'`)
      return ok(schemaJson({ fields: config.fields ?? {}, entity_checks: config.entity_checks }))
    },
  })

  router.add('/timers', {
    GET: () => {
      const usage = process.resourceUsage()
      return ok({
        worker: { id: 0, count: 1 },
        stats: {
          sys: { running: 0, pending: 0, waiting: 0, total: 0 },
          event_loop: { user_cpu_us: usage.userCPUTime, system_cpu_us: usage.systemCPUTime },
          timers: {},
        },
      })
    },
  })

  router.add('/status/dns', {
    GET: () => ({ status: 501, body: { message: 'not implemented with the legacy DNS client' } }),
  })
}
