// Targets live under their upstream: `/upstreams/{u}/targets` lists them newest first with a
// numeric offset, `/targets/all` pages the raw rows, and `/targets/{id or host:port}` reads,
// updates (PUT and PATCH both update) or deletes one. Top-level `/targets` paths do not exist.

import { isIP } from 'node:net'
import { addressKey, splitTarget } from '../../balancer/address.js'
import type { Dao } from '../../db/dao/dao.js'
import { MAX_PAGE_SIZE } from '../../db/dao/dao.js'
import { errors } from '../../db/dao/errors.js'
import { isUuid } from '../../db/schema/validate.js'
import { normalizeTarget } from '../../db/schema/validators/targets.js'
import type { Row } from '../../db/strategies/strategy.js'
import type { AdminContext } from '../context.js'
import { type AdminRequest, badRequest, type Handler, noContent, notFound, ok } from '../http.js'
import type { Router } from '../router.js'
import { bodyArgs, entityKey, pageOffset, pageSize } from './entities.js'

function newestFirst(a: Row, b: Row): number {
  const ca = Number(a.created_at)
  const cb = Number(b.created_at)
  if (ca !== cb) return cb - ca
  return String(a.id) < String(b.id) ? 1 : String(a.id) > String(b.id) ? -1 : 0
}

async function loadUpstream(req: AdminRequest, ctx: AdminContext): Promise<Row | null> {
  const upstreams = ctx.db.dao('upstreams')
  return upstreams.selectByKey(entityKey(upstreams.schema, req.params.upstreams))
}

async function allTargets(targets: Dao, upstreamId: string): Promise<Row[]> {
  const rows: Row[] = []
  for await (const t of targets.each(undefined, { field: 'upstream', id: upstreamId })) rows.push(t)
  return rows.sort(newestFirst)
}

/** The target `{targets}` of the upstream, by id or by `host:port` (normalized as stored). */
async function loadTarget(req: AdminRequest, ctx: AdminContext, upstream: Row): Promise<Row | null> {
  const targets = ctx.db.dao('targets')
  const key = req.params.targets
  let row: Row | null = null
  if (isUuid(key)) row = await targets.select(key)
  else {
    const list = await allTargets(targets, String(upstream.id))
    const n = normalizeTarget(key)
    const wanted = 'target' in n ? n.target : key
    row = list.find((t) => t.target === key) ?? list.find((t) => t.target === wanted) ?? null
  }
  if (!row || (row.upstream as { id?: string } | null)?.id !== upstream.id) return null
  return row
}

export function addTargetEndpoints(router: Router<Handler<AdminContext>>): void {
  router.add('/upstreams/:upstreams/targets', {
    GET: async (req, ctx) => {
      const upstream = await loadUpstream(req, ctx)
      if (!upstream) return notFound()
      const size = pageSize(req.query) ?? 100
      if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
        throw errors.invalidSize(`size must be an integer between 1 and ${MAX_PAGE_SIZE}`)
      }
      const rawOffset = pageOffset(req.query)
      const offset = rawOffset === undefined ? 0 : Number(rawOffset)
      if (!Number.isInteger(offset) || offset < 0) throw errors.invalidOffset(String(rawOffset), 'bad offset')
      const list = await allTargets(ctx.db.dao('targets'), String(upstream.id))
      const data = list.slice(offset, offset + size)
      const more = list.length > offset + size
      const next = more ? `/upstreams/${req.params.upstreams}/targets?offset=${offset + size}` : null
      return ok({ data, ...(more ? { offset: String(offset + size) } : {}), next })
    },
  })

  router.add('/upstreams/:upstreams/targets/all', {
    GET: async (req, ctx) => {
      const upstream = await loadUpstream(req, ctx)
      if (!upstream) return notFound()
      const page = await ctx.db.dao('targets').pageFor('upstream', String(upstream.id), {
        size: pageSize(req.query),
        offset: pageOffset(req.query),
      })
      const next = page.offset
        ? `/upstreams/${req.params.upstreams}/targets/all?offset=${encodeURIComponent(page.offset)}`
        : null
      return ok({ data: page.data, ...(page.offset ? { offset: page.offset } : {}), next })
    },
  })

  const update: Handler<AdminContext> = async (req, ctx) => {
    const upstream = await loadUpstream(req, ctx)
    if (!upstream) return notFound()
    const target = await loadTarget(req, ctx, upstream)
    if (!target) return notFound()
    const targets = ctx.db.dao('targets')
    return ok(await targets.update({ id: String(target.id) }, bodyArgs(req, targets.schema)))
  }

  // Replaces the generated nested-entity handlers: PUT updates, it does not upsert.
  router.add('/upstreams/:upstreams/targets/:targets', {
    GET: async (req, ctx) => {
      const upstream = await loadUpstream(req, ctx)
      if (!upstream) return notFound()
      const target = await loadTarget(req, ctx, upstream)
      return target ? ok(target) : notFound()
    },
    PUT: update,
    PATCH: update,
    DELETE: async (req, ctx) => {
      const upstream = await loadUpstream(req, ctx)
      if (!upstream) return notFound()
      const target = await loadTarget(req, ctx, upstream)
      if (!target) return notFound()
      await ctx.db.dao('targets').delete({ id: String(target.id) })
      return noContent()
    },
  })

  addHealthEndpoints(router)

  router.remove('/targets')
  router.remove('/targets/:targets')
  router.remove('/targets/:targets/upstream')
}

type Health = 'HEALTHY' | 'UNHEALTHY' | 'HEALTHCHECKS_OFF' | 'DNS_ERROR'

/** A target's health data as Kong reports it (admin-api.md §8.8); also used by /metrics. */
export function targetHealth(ctx: AdminContext, upstream: Row, target: Row): { health: Health; data: Row } {
  const view = ctx.health?.view(String(upstream.id)) ?? null
  const { host, port } = splitTarget(String(target.target))
  const weight = Number(target.weight ?? 100)
  const off = view === null || !view.enabled || weight === 0
  const known = view?.target(String(target.target))
  const addresses = known?.addresses ?? [{ host, port, weight, key: addressKey(host, port) }]
  let available = 0
  let total = 0
  const list = addresses.map((a) => {
    const healthy = view === null ? true : view.healthy(a.key)
    total += a.weight
    if (healthy) available += a.weight
    const health: Health = off ? 'HEALTHCHECKS_OFF' : healthy ? 'HEALTHY' : 'UNHEALTHY'
    return { ip: a.host, port: a.port, weight: a.weight, health }
  })
  const dns = known?.dns ?? (isIP(host) === 6 ? 'AAAA' : 'A')
  let health: Health
  if (list.length === 0) health = 'DNS_ERROR'
  else if (off) health = 'HEALTHCHECKS_OFF'
  else health = list.some((a) => a.health === 'HEALTHY') ? 'HEALTHY' : 'UNHEALTHY'
  return {
    health,
    data: {
      host,
      port,
      nodeWeight: weight,
      dns,
      weight: { total, available, unavailable: total - available },
      addresses: list,
    },
  }
}

function addHealthEndpoints(router: Router<Handler<AdminContext>>): void {
  router.add('/upstreams/:upstreams/health', {
    GET: async (req, ctx) => {
      const upstream = await loadUpstream(req, ctx)
      if (!upstream) return notFound()
      const targets = await allTargets(ctx.db.dao('targets'), String(upstream.id))
      const withHealth = targets.map((t) => {
        const { health, data } = targetHealth(ctx, upstream, t)
        return { ...t, health, data }
      })
      if (String(req.query.balancer_health) === '1') {
        const view = ctx.health?.view(String(upstream.id)) ?? null
        let total = 0
        let available = 0
        for (const t of withHealth) {
          const w = t.data.weight as { total: number; available: number }
          total += w.total
          available += w.available
        }
        const threshold = view?.config.threshold ?? 0
        const healthy = total > 0 && (available / total) * 100 > threshold
        const state = healthy ? 'HEALTHY' : 'UNHEALTHY'
        return ok({
          data: {
            id: upstream.id,
            health: view?.enabled ? state : 'HEALTHCHECKS_OFF',
            balancer_health: state,
            details: {
              healthy,
              weight: { total, available, unavailable: total - available },
              hosts: withHealth.map((t) => t.data),
            },
          },
          next: null,
          node_id: ctx.nodeId,
        })
      }
      return ok({ data: withHealth, next: null, node_id: ctx.nodeId })
    },
  })

  const setHealth =
    (healthy: boolean): Handler<AdminContext> =>
    async (req, ctx) => {
      const upstream = await loadUpstream(req, ctx)
      if (!upstream) return notFound()
      const target = await loadTarget(req, ctx, upstream)
      if (!target) return notFound()
      const view = ctx.health?.view(String(upstream.id))
      const t = splitTarget(String(target.target))
      const known = view?.target(String(target.target))?.addresses.map((a) => a.key) ?? [
        addressKey(t.host, t.port),
      ]
      let keys = known
      const address = req.params.address
      if (address !== undefined) {
        const a = normalizeTarget(address)
        if (!('target' in a)) return badRequest(`invalid address '${address}'`)
        const { host, port } = splitTarget(a.target)
        const key = addressKey(host, port)
        if (!known.includes(key)) return badRequest(`no such address: ${address}`)
        keys = [key]
      }
      ctx.health?.set(String(upstream.id), keys, healthy)
      return noContent()
    }
  for (const [suffix, healthy] of [
    ['healthy', true],
    ['unhealthy', false],
  ] as const) {
    // PUT as Kong 3.x; POST as older Kong releases (and their clients) used
    router.add(`/upstreams/:upstreams/targets/:targets/${suffix}`, {
      PUT: setHealth(healthy),
      POST: setHealth(healthy),
    })
    router.add(`/upstreams/:upstreams/targets/:targets/:address/${suffix}`, {
      PUT: setHealth(healthy),
      POST: setHealth(healthy),
    })
  }
}
