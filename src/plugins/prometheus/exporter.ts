// The primary's side of the prometheus plugin: the sum of what every worker recorded, and the
// /metrics page (Admin and Status APIs).
//
// Workers record in their own memory (store.ts). When /metrics is scraped, the primary asks each
// worker for its series over the IPC channel and adds them up; a worker that does not answer
// within a second counts with the series it last sent. Workers also send their series every few
// seconds when they changed, and once more as they exit; the series of workers that exited
// (replaced after a crash, or by `reload`) are kept, so counters never go down while the node
// runs. They start from zero when the node starts, as Kong's shared dictionary does.
import { addSeries, exposition, METRICS, type Series, seriesKey } from './metrics.js'
import { decodeSeries } from './store.js'

export class WorkerSeries {
  private readonly retired: Series = new Map()
  private readonly live = new Map<number, [string, number[]][]>()

  /** A worker's series (everything it recorded since it started). */
  update(pid: number, encoded: string): void {
    try {
      this.live.set(pid, decodeSeries(encoded))
    } catch {
      // a malformed message changes nothing
    }
  }

  /** The worker exited: what it last sent is kept. */
  retire(pid: number): void {
    const last = this.live.get(pid)
    if (last === undefined) return
    this.live.delete(pid)
    addSeries(this.retired, last)
  }

  /** The node's series: exited workers' plus running workers'. */
  total(): Series {
    const sum: Series = new Map()
    addSeries(sum, this.retired)
    for (const s of this.live.values()) addSeries(sum, s)
    return sum
  }
}

export interface TargetHealthState {
  upstream: string
  target: string
  address: string
  /** healthchecks_off, healthy, unhealthy or dns_error. */
  state: string
}

export interface NodeFigures {
  nodeId: string
  version: string
  connections: {
    accepted: number
    handled: number
    total: number
    active: number
    reading: number
    writing: number
    waiting: number
  }
  totalRequests: number
  /** Heap in use of each process (the primary and the workers). */
  memory: { pid: number; heapUsed: number }[]
  /** The shared dictionaries GET /status reports: name, allocated bytes, capacity. */
  sharedDicts: [string, number, number][]
  databaseReachable: boolean
  /** Whether any prometheus instance is enabled (else only the node's gauges are shown). */
  enabled: boolean
  /** Upstream target health, when an enabled instance has upstream_health_metrics. */
  targets: TargetHealthState[] | null
  /** The workers' series, added up. */
  series: Series
}

const HEALTH_STATES = ['healthchecks_off', 'healthy', 'unhealthy', 'dns_error'] as const

function gauge(out: Series, name: string, values: readonly (string | number)[], value: number): void {
  out.set(seriesKey(name, METRICS[name].labels, values), [value])
}

/** The /metrics page. */
export function renderMetrics(n: NodeFigures): string {
  const out: Series = new Map()
  const c = n.connections
  for (const [state, value] of [
    ['accepted', c.accepted],
    ['handled', c.handled],
    ['total', c.total],
    ['active', c.active],
    ['reading', c.reading],
    ['writing', c.writing],
    ['waiting', c.waiting],
  ] as const)
    gauge(out, 'nginx_connections_total', [n.nodeId, 'http', state], value)
  gauge(out, 'nginx_requests_total', [n.nodeId, 'http'], n.totalRequests)
  gauge(out, 'nginx_timers', ['running'], 0)
  gauge(out, 'nginx_timers', ['pending'], 0)
  gauge(out, 'datastore_reachable', [], n.databaseReachable ? 1 : 0)
  gauge(out, 'node_info', [n.nodeId, n.version], 1)
  for (const [dict, allocated, capacity] of n.sharedDicts) {
    gauge(out, 'memory_lua_shared_dict_bytes', [n.nodeId, dict, 'http'], allocated)
    gauge(out, 'memory_lua_shared_dict_total_bytes', [n.nodeId, dict, 'http'], capacity)
  }
  for (const m of n.memory) gauge(out, 'memory_workers_lua_vms_bytes', [n.nodeId, m.pid, 'http'], m.heapUsed)
  for (const t of n.targets ?? [])
    for (const state of HEALTH_STATES)
      gauge(
        out,
        'upstream_target_health',
        [t.upstream, t.target, t.address, state, 'http'],
        t.state === state ? 1 : 0,
      )
  if (n.enabled) {
    out.set('nginx_metric_errors_total', [0])
    addSeries(out, n.series)
  }
  return exposition(out)
}
