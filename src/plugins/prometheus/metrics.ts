// The metrics of the prometheus plugin (plugins.md §6.20) and Kong's exposition of them.
//
// A series is identified by its key: the metric name (without the `kong_` prefix) and its
// labels as they appear in the output, e.g. `http_requests_total{service="s",route="r",…}`.
// Counters hold one number; a histogram series holds one count per bucket (not cumulative), the
// count above the last bucket, the sum and the count. Workers record series (store.ts); the
// primary adds up every worker's series and renders them (exporter.ts) as Kong does: all lines
// sorted by key, `# HELP` and `# TYPE` before the first line of each metric, histogram buckets
// as `_bucket{…,le="…"}` then `_count` and `_sum`, every name prefixed with `kong_`.

export type MetricType = 'counter' | 'gauge' | 'histogram'

export interface MetricDef {
  type: MetricType
  help: string
  labels: readonly string[]
  buckets?: readonly number[]
}

export const KONG_LATENCY_BUCKETS = [1, 2, 5, 7, 10, 15, 20, 30, 50, 75, 100, 200, 500, 750, 1000, 3000, 6000]
export const UPSTREAM_LATENCY_BUCKETS = [
  25, 50, 80, 100, 250, 400, 700, 1000, 2000, 5000, 10000, 30000, 60000,
]

const SRW = ['service', 'route', 'workspace'] as const

/** Every metric, by name without the `kong_` prefix. */
export const METRICS: Readonly<Record<string, MetricDef>> = {
  nginx_metric_errors_total: { type: 'counter', help: 'Number of nginx-lua-prometheus errors', labels: [] },
  nginx_connections_total: {
    type: 'gauge',
    help: 'Number of connections by subsystem',
    labels: ['node_id', 'subsystem', 'state'],
  },
  nginx_requests_total: { type: 'gauge', help: 'Number of requests total', labels: ['node_id', 'subsystem'] },
  nginx_timers: { type: 'gauge', help: 'Number of nginx timers', labels: ['state'] },
  datastore_reachable: { type: 'gauge', help: 'Datastore reachable from Kong, 0 is unreachable', labels: [] },
  node_info: { type: 'gauge', help: 'Kong Node metadata information', labels: ['node_id', 'version'] },
  upstream_target_health: {
    type: 'gauge',
    help: 'Health status of targets of upstream. States = healthchecks_off|healthy|unhealthy|dns_error, value is 1 when state is populated.',
    labels: ['upstream', 'target', 'address', 'state', 'subsystem'],
  },
  memory_workers_lua_vms_bytes: {
    type: 'gauge',
    help: 'Allocated bytes in worker Lua VM',
    labels: ['node_id', 'pid', 'kong_subsystem'],
  },
  memory_lua_shared_dict_bytes: {
    type: 'gauge',
    help: 'Allocated slabs in bytes in a shared_dict',
    labels: ['node_id', 'shared_dict', 'kong_subsystem'],
  },
  memory_lua_shared_dict_total_bytes: {
    type: 'gauge',
    help: 'Total capacity in bytes of a shared_dict',
    labels: ['node_id', 'shared_dict', 'kong_subsystem'],
  },
  http_requests_total: {
    type: 'counter',
    help: 'HTTP status codes per consumer/service/route in Kong',
    labels: ['service', 'route', 'code', 'source', 'workspace', 'consumer'],
  },
  kong_latency_ms: {
    type: 'histogram',
    help: 'Latency added by Kong and enabled plugins for each service/route in Kong',
    labels: SRW,
    buckets: KONG_LATENCY_BUCKETS,
  },
  upstream_latency_ms: {
    type: 'histogram',
    help: 'Latency added by upstream response for each service/route in Kong',
    labels: SRW,
    buckets: UPSTREAM_LATENCY_BUCKETS,
  },
  request_latency_ms: {
    type: 'histogram',
    help: 'Total latency incurred during requests for each service/route in Kong',
    labels: SRW,
    buckets: UPSTREAM_LATENCY_BUCKETS,
  },
  bandwidth_bytes: {
    type: 'counter',
    help: 'Total bandwidth (ingress/egress) throughput in bytes',
    labels: ['service', 'route', 'direction', 'workspace', 'consumer'],
  },
}

/** A label value as Kong writes it: backslashes and quotes escaped (and newlines, see docs). */
function escapeLabel(v: string): string {
  if (!/[\\"\n]/.test(v)) return v
  return v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')
}

/** `name{a="x",b="y"}` (just `name` without labels). */
export function seriesKey(
  name: string,
  labels: readonly string[],
  values: readonly (string | number)[],
): string {
  if (labels.length === 0) return name
  let out = `${name}{`
  for (let i = 0; i < labels.length; i++) {
    if (i > 0) out += ','
    out += `${labels[i]}="${escapeLabel(String(values[i]))}"`
  }
  return `${out}}`
}

/** Lua's tostring of a number (`%.14g`): `1`, `0.5`, `1e+15`. */
export function luaNumber(v: number): string {
  if (Number.isNaN(v)) return 'nan'
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf'
  if (v === 0) return '0'
  if (Number.isInteger(v) && Math.abs(v) < 1e14) return String(v)
  const exp = Math.floor(Math.log10(Math.abs(v)))
  if (exp < -4 || exp >= 14) {
    const [mantissa, e] = v.toExponential(13).split('e')
    const m = mantissa.includes('.') ? mantissa.replace(/\.?0+$/, '') : mantissa
    const n = Number(e)
    return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`
  }
  const fixed = v.toPrecision(14)
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed
}

/**
 * Kong's bucket boundary labels: zero-padded so that they sort in numeric order (`0001.0`),
 * shown without the padding (`1`).
 */
function bucketLabels(buckets: readonly number[]): { sort: string[]; show: string[] } {
  let order = 1
  let precision = 1
  for (const b of buckets) {
    const s = b.toFixed(6).replace(/0*$/, '')
    const dot = s.indexOf('.')
    order = Math.max(order, dot)
    precision = Math.max(precision, s.length - dot - 1)
  }
  const width = order + precision + 1
  return {
    sort: buckets.map((b) => b.toFixed(precision).padStart(width, '0')),
    show: buckets.map((b) => luaNumber(b)),
  }
}

const BUCKET_LABELS = new Map<string, { sort: string[]; show: string[] }>()
for (const [name, def] of Object.entries(METRICS))
  if (def.buckets) BUCKET_LABELS.set(name, bucketLabels(def.buckets))

export type Series = Map<string, number[]>

/** Adds `from` into `into` (same keys add up element by element). */
export function addSeries(into: Series, from: Iterable<[string, number[]]>): void {
  for (const [key, values] of from) {
    const have = into.get(key)
    if (have === undefined) into.set(key, [...values])
    else for (let i = 0; i < values.length; i++) have[i] = (have[i] ?? 0) + values[i]
  }
}

/** The metric name of a series key. */
function metricOf(key: string): string {
  const brace = key.indexOf('{')
  return brace === -1 ? key : key.slice(0, brace)
}

/** Prometheus text lines of the series, in Kong's order and format. */
export function exposition(series: Series): string {
  // [sort key, shown key, value, metric whose header goes first]
  const lines: [string, string, number, string][] = []
  for (const [key, values] of series) {
    const name = metricOf(key)
    const def = METRICS[name]
    if (def?.type !== 'histogram') {
      lines.push([key, key, values[0], name])
      continue
    }
    const labels = BUCKET_LABELS.get(name)!
    const brace = key.indexOf('{')
    const inner = brace === -1 ? '' : `${key.slice(brace + 1, -1)},`
    const rest = brace === -1 ? '' : key.slice(brace)
    let cumulative = 0
    const n = labels.sort.length
    for (let i = 0; i < n; i++) {
      cumulative += values[i]
      lines.push([
        `${name}_bucket{${inner}le="${labels.sort[i]}"}`,
        `${name}_bucket{${inner}le="${labels.show[i]}"}`,
        cumulative,
        name,
      ])
    }
    cumulative += values[n]
    lines.push([`${name}_bucket{${inner}le="Inf"}`, `${name}_bucket{${inner}le="+Inf"}`, cumulative, name])
    lines.push([`${name}_count${rest}`, `${name}_count${rest}`, values[n + 2], ''])
    lines.push([`${name}_sum${rest}`, `${name}_sum${rest}`, values[n + 1], ''])
  }
  lines.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  const seen = new Set<string>()
  let out = ''
  for (const [, shown, value, metric] of lines) {
    const def = METRICS[metric]
    if (def && !seen.has(metric)) {
      seen.add(metric)
      out += `# HELP kong_${metric} ${def.help}\n# TYPE kong_${metric} ${def.type}\n`
    }
    out += `kong_${shown} ${luaNumber(value)}\n`
  }
  return out
}
