// Messages between the primary and its proxy workers (node:cluster IPC). Workers never open the
// store: they start from a full copy of the entities the proxy needs, then apply the change
// batches the primary forwards, in version order. A gap in versions makes a worker ask for a
// full copy again.

export type Row = Record<string, unknown>

/** Entities replicated to workers. */
export const PROXY_ENTITIES = [
  'services',
  'routes',
  'plugins',
  'upstreams',
  'targets',
  'certificates',
  'snis',
  'ca_certificates',
] as const

export type ProxyEntity = (typeof PROXY_ENTITIES)[number]

export interface ReplicaEvent {
  operation: 'create' | 'update' | 'delete'
  entity: string
  row: Row
}

export type PrimaryMessage =
  | { type: 'config'; version: number; entities: Record<string, Row[]> }
  | { type: 'delta'; version: number; events: ReplicaEvent[] }
  /** Stop accepting, finish in-flight requests (up to timeoutMs), then exit. */
  | { type: 'drain'; timeoutMs: number }
  | { type: 'log-level'; level: string }
  /** Answer to a `lookup`: the rows found (one for a unique field, all for `all`), or an error. */
  | { type: 'lookup-result'; id: number; rows: Row[]; error?: string }
  /** Cache keys a committed write touched (consumers, credentials: entities not replicated). */
  | { type: 'invalidate'; keys: string[]; all?: boolean }
  /** Answer to a `counters` batch: the encoded results (cluster/counters.ts), or an error. */
  | { type: 'counters-result'; id: number; results: string; error?: string }
  /** An upstream's unhealthy addresses (keys `host:port`) after a health change. */
  | { type: 'health'; upstream: string; unhealthy: string[] }
  /** Give back the unspent units of these counters now (`keys`: encoded opKeys). */
  | { type: 'counters-reclaim'; id: number; keys: string }
  /** Send your prometheus series now (answered by `metrics` with this id). */
  | { type: 'metrics-request'; id: number }
  /** Answer to a `plugin-call`: what the plugin's function returned, or its error. */
  | { type: 'plugin-call-result'; id: number; result?: unknown; error?: string }

export type WorkerMessage =
  /**
   * The worker's message handler is installed. Sent first: messages that arrive while an ES
   * module worker is still loading would be lost, so nothing is sent to a worker before this.
   */
  | { type: 'hello'; pid: number }
  /** The worker built the snapshot of `version` and serves it. */
  | { type: 'ready'; version: number; pid: number }
  /** The worker missed a version: it needs a full copy. */
  | { type: 'resync'; have: number }
  | { type: 'stats'; stats: WorkerStats }
  | { type: 'listen-error'; message: string }
  /**
   * An entity the worker's cache does not have: by unique field (`id` included), or with `all`,
   * every entity whose foreign key `field` references `value`.
   */
  | { type: 'lookup'; id: number; entity: string; field: string; value: string; all: boolean }
  /** Operations on the node-wide counters (kong.counters), answered by `counters-result`. */
  | { type: 'counters'; id: number; ops: string }
  /** Passive health reports from proxied traffic (cluster/health.ts encodeReports). */
  | { type: 'health-report'; reports: string }
  /** Answer to `counters-reclaim`: the units given back (encoded release records). */
  | { type: 'counters-released'; id: number; ops: string }
  /**
   * The prometheus series the worker recorded since it started (plugins/prometheus/store.ts):
   * the answer to `metrics-request` `id`, or, with id null, sent on its own (periodically when
   * they changed, and before exiting).
   */
  | { type: 'metrics'; id: number | null; series: string }
  /** A plugin's function in the primary (kong.primary.call), answered by `plugin-call-result`. */
  | { type: 'plugin-call'; id: number; plugin: string; method: string; args: unknown }

export interface WorkerStats {
  pid: number
  heapUsed: number
  totalRequests: number
  connectionsAccepted: number
  connectionsActive: number
  requestsActive: number
}

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string'
}
