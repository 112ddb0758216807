// What Admin API endpoints can reach on the node.
import type { NodeHealth } from '../cluster/health.js'
import type { Conf } from '../conf/index.js'
import type { DB } from '../db/dao/db.js'
import type { Logger } from '../log/logger.js'
import type { DblessConfig } from '../node/dbless.js'
import type { PluginRegistry } from '../plugins/registry.js'

/** Connection and request counters of the node's HTTP servers (`GET /status`). */
export interface ServerStats {
  total_requests: number
  connections_active: number
  connections_accepted: number
  connections_handled: number
  connections_reading: number
  connections_writing: number
  connections_waiting: number
}

export interface WorkerMemory {
  pid: number
  /** Heap used, in bytes. */
  heapUsed: number
}

export interface AdminContext {
  db: DB
  conf: Conf
  log: Logger
  plugins: PluginRegistry
  nodeId: string
  hostname: string
  /** Process ids: the primary and its workers. */
  pids(): { master: number; workers: number[] }
  stats(): ServerStats
  memory(): WorkerMemory[]
  /** DB-less mode: the running configuration's hash (`configuration_hash`). */
  configurationHash?: () => string
  /** DB-less mode: loading and exporting the declarative configuration (`/config`). */
  dbless?: DblessConfig
  /** Whether the store answers (`database.reachable`). */
  databaseReachable(): Promise<boolean>
  /** Readiness for `/status/ready`: undefined when ready, else the reason. */
  notReadyReason(): Promise<string | undefined>
  /** Switches the node to draining (`POST /status/ready`). */
  drain(): void
  /** The node's health checker (upstream health endpoints). */
  health?: NodeHealth
  /** The prometheus plugin's /metrics page, when the plugin is loaded. */
  metrics?: () => Promise<string>
}
