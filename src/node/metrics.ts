// The prometheus plugin's /metrics page as the primary makes it: the workers' series (asked for
// at each scrape, see plugins/prometheus/exporter.ts) and the node's own figures.
import type { AdminContext } from '../admin/context.js'
import { targetHealth } from '../admin/endpoints/targets.js'
import type { Row } from '../cluster/messages.js'
import { renderMetrics, type TargetHealthState, type WorkerSeries } from '../plugins/prometheus/exporter.js'
import { KONG_COMPAT_VERSION } from '../version.js'

/** How long a scrape waits for the workers' answers. */
const WORKER_ANSWER_MS = 1000

export interface MetricsSources {
  ctx: AdminContext
  series: WorkerSeries
  /** Asks the running workers for their series (resolves when answered or timed out). */
  collect(timeoutMs: number): Promise<void>
  rows(entity: 'plugins' | 'upstreams' | 'targets'): Iterable<Row>
}

function targetStates(src: MetricsSources): TargetHealthState[] {
  const byUpstream = new Map<string, Row[]>()
  for (const t of src.rows('targets')) {
    const id = String((t.upstream as { id?: string } | null)?.id ?? '')
    const list = byUpstream.get(id)
    if (list === undefined) byUpstream.set(id, [t])
    else list.push(t)
  }
  const out: TargetHealthState[] = []
  for (const u of src.rows('upstreams')) {
    for (const t of byUpstream.get(String(u.id)) ?? []) {
      const { health, data } = targetHealth(src.ctx, u, t)
      const target = String(t.target)
      const addresses = data.addresses as { ip: string; port: number; health: string }[]
      if (health === 'DNS_ERROR' || addresses.length === 0) {
        out.push({ upstream: String(u.name), target, address: '', state: 'dns_error' })
        continue
      }
      for (const a of addresses)
        out.push({
          upstream: String(u.name),
          target,
          address: `${a.ip}:${a.port}`,
          state: a.health.toLowerCase(),
        })
    }
  }
  return out
}

export async function metricsPage(src: MetricsSources): Promise<string> {
  const { ctx } = src
  await src.collect(WORKER_ANSWER_MS)
  const instances = [...src.rows('plugins')].filter((p) => p.name === 'prometheus' && p.enabled !== false)
  const health = instances.some((p) => (p.config as Row | null)?.upstream_health_metrics === true)
  const stats = ctx.stats()
  return renderMetrics({
    nodeId: ctx.nodeId,
    version: KONG_COMPAT_VERSION,
    connections: {
      accepted: stats.connections_accepted,
      handled: stats.connections_handled,
      total: stats.total_requests,
      active: stats.connections_active,
      reading: stats.connections_reading,
      writing: stats.connections_writing,
      waiting: stats.connections_waiting,
    },
    totalRequests: stats.total_requests,
    memory: ctx.memory(),
    // the figures GET /status reports
    sharedDicts: [
      ['kong', 0, 5 * 1024 ** 2],
      ['kong_db_cache', 0, 128 * 1024 ** 2],
    ],
    databaseReachable: await ctx.databaseReachable(),
    enabled: instances.length > 0,
    targets: health ? targetStates(src) : null,
    series: src.series.total(),
  })
}
