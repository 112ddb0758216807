// The primary process of a node: configuration, store (with automatic bootstrap of the embedded
// default), the Admin API and the Status API, and the proxy workers, which it feeds with the
// entities they need and every committed change (see docs/architecture.md).

import { Resolver } from 'node:dns'
import { readFileSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import { hostname } from 'node:os'
import type { AdminContext } from '../admin/context.js'
import { addMetricsEndpoint } from '../admin/endpoints/metrics.js'
import { buildAdminRouter, YAML_PATHS } from '../admin/index.js'
import { createAdminHandler } from '../admin/server.js'
import type { TargetDnsOptions } from '../balancer/target-dns.js'
import { CounterTable } from '../cluster/counters.js'
import { NodeHealth } from '../cluster/health.js'
import { PROXY_ENTITIES, type ReplicaEvent, type Row } from '../cluster/messages.js'
import { Propagation } from '../cluster/propagation.js'
import { setNodeConf } from '../conf/current.js'
import { type Conf, parseSize } from '../conf/index.js'
import type { ChangeBatch, DB } from '../db/dao/db.js'
import { DeclarativeModel } from '../db/declarative/index.js'
import { createDB, createStrategy, ignoredReadOnlySettings, migrationNamespaces } from '../db/index.js'
import {
  bootstrap,
  finish,
  isUpToDate,
  NEEDS_BOOTSTRAP_MSG,
  schemaState,
  up,
} from '../db/migrations/runner.js'
import { PostgresStrategy } from '../db/strategies/postgres/index.js'
import type { Strategy } from '../db/strategies/strategy.js'
import { parseNameServer } from '../dns/client.js'
import { type Address, parseHostsFile } from '../dns/resolver.js'
import { AccessLog, Logger, type LogLevel } from '../log/logger.js'
import { invalidationKeys } from '../pdk/cache.js'
import { WorkerSeries } from '../plugins/prometheus/exporter.js'
import { PluginRegistry } from '../plugins/registry.js'
import { Replica } from '../proxy/replica.js'
import { buildStatusRouter } from '../status/index.js'
import { SERVER_TOKEN } from '../version.js'
import { DblessConfig } from './dbless.js'
import { metricsPage } from './metrics.js'
import { listenerCertificates, nodeId, preparePrefix, removePid, writePid } from './prefix.js'
import { type RequestHandler, ServerGroup, StatsCounter } from './servers.js'
import { WorkerSupervisor } from './workers.js'

export interface NodeOptions {
  /** Mirror the error log on stderr (foreground runs). */
  stderr?: boolean
  /** `start --run-migrations`: run new migrations (their `up` part) before starting. */
  runMigrations?: boolean
  /** `--lock-timeout`: seconds to wait for another node running migrations. */
  lockTimeout?: number
}

const PROXY_SET = new Set<string>(PROXY_ENTITIES)
/** How often expired rows are deleted from the store. */
const PURGE_INTERVAL_MS = 60_000

/** The Admin and Status listeners (addresses, options, certificates) are the same. */
function sameListeners(a: Conf, b: Conf): boolean {
  const pick = (c: Conf) =>
    JSON.stringify([
      c.admin_listeners,
      c.status_listeners,
      c.admin_ssl_cert,
      c.admin_ssl_cert_key,
      c.status_ssl_cert,
      c.status_ssl_cert_key,
      c.ssl_cert,
      c.ssl_cert_key,
    ])
  return pick(a) === pick(b)
}

/** How the primary's health checker expands hostname targets: the workers' DNS settings. */
function targetDnsOptions(conf: Conf): TargetDnsOptions {
  const servers = (conf.dns_resolver as string[] | null) ?? []
  let hosts = new Map<string, Address[]>()
  if (conf.dns_hostsfile) {
    try {
      hosts = parseHostsFile(readFileSync(String(conf.dns_hostsfile), 'utf8'))
    } catch {
      // no hosts file: DNS only
    }
  }
  return {
    servers: (servers.length > 0 ? servers : new Resolver().getServers()).map(parseNameServer),
    order: (conf.dns_order as string[] | null) ?? ['LAST', 'SRV', 'A', 'CNAME'],
    validTtl: (conf.dns_valid_ttl as number | null) ?? null,
    notFoundTtl: Number(conf.dns_not_found_ttl ?? 30),
    errorTtl: Number(conf.dns_error_ttl ?? 1),
    hosts: (name) => hosts.get(name),
  }
}

function accessLine(req: IncomingMessage, status: number, ms: number): string {
  const ip = req.socket.remoteAddress ?? '-'
  const time = new Date().toISOString()
  const ua = req.headers['user-agent'] ?? '-'
  return `${ip} - - [${time}] "${req.method} ${req.url} HTTP/${req.httpVersion}" ${status} - "-" "${ua}" ${ms.toFixed(3)}`
}

export class GatewayNode {
  conf: Conf
  readonly log: Logger
  readonly db: DB
  readonly plugins: PluginRegistry
  readonly nodeId: string
  private readonly strategy: Strategy
  private readonly stats = new StatsCounter()
  /** The primary's copy of what workers replicate: full copies for new workers come from it. */
  private readonly replica = new Replica()
  /** Node-wide counters of the workers (kong.counters: rate-limiting's `local` policy). */
  private readonly counters = new CounterTable()
  /** Health checks of the upstreams' addresses, one state and one prober for the node. */
  private readonly health = new NodeHealth(
    (upstream, unhealthy) => {
      this.workers?.health(upstream, unhealthy)
      this.incoming?.health(upstream, unhealthy)
    },
    Date.now,
    (id) => {
      for (const c of this.replica.rows('certificates'))
        if (c.id === id) return { cert: String(c.cert), key: String(c.key) }
      return null
    },
  )
  /** The prometheus series of the workers (running and exited). */
  private readonly workerSeries = new WorkerSeries()
  /** Changes to and from the other nodes sharing a PostgreSQL database. */
  propagation: Propagation | null = null
  /** DB-less mode (`database = off`): the declarative configuration. */
  dbless: DblessConfig | null = null
  private workers: WorkerSupervisor | null = null
  /** The workers a reload is starting, until they replace `workers`. */
  private incoming: WorkerSupervisor | null = null
  private admin?: ServerGroup
  private status?: ServerGroup
  private adminAccess?: AccessLog
  private draining = false
  private stopped = false

  private constructor(conf: Conf, log: Logger, strategy: Strategy, db: DB, plugins: PluginRegistry) {
    this.conf = conf
    setNodeConf(conf)
    this.log = log
    this.strategy = strategy
    this.db = db
    this.plugins = plugins
    this.nodeId = nodeId(conf)
  }

  /** Opens the store, starts the proxy workers and binds the APIs. Throws a user-facing message. */
  static async start(conf: Conf, opts: NodeOptions = {}): Promise<GatewayNode> {
    preparePrefix(conf)
    const log = new Logger({
      level: conf.log_level as LogLevel,
      file: conf.proxy_error_log && conf.proxy_error_log !== 'off' ? conf.proxy_error_log : null,
      stderr: opts.stderr,
    })
    const { registry, errors } = PluginRegistry.fromSetting(conf.plugins)
    if (errors.length > 0) throw new Error(errors.join('\n'))
    const strategy = createStrategy(conf)
    let node: GatewayNode | undefined
    try {
      await GatewayNode.migrate(conf, strategy, registry, log, opts)
      const db = createDB(strategy, registry)
      node = new GatewayNode(conf, log, strategy, db, registry)
      if (strategy instanceof PostgresStrategy) {
        if (strategy.readOnlyWhere)
          log.notice(`PostgreSQL read-only connection enabled (${strategy.readOnlyWhere})`)
        const ignored = ignoredReadOnlySettings(conf)
        if (ignored.length > 0) log.warn(`${ignored.join(', ')} ignored: pg_ro_host is not set`)
        const n = node
        n.propagation = new Propagation(
          strategy,
          db,
          n.nodeId,
          (events) => n.onChange({ version: 0, events }),
          Number(conf.db_update_frequency ?? 5),
          (message) => log.warn(message),
        )
        await n.propagation.init()
      }
      if (conf.database === 'off') {
        const n = node
        n.dbless = n.newDbless(conf)
        await n.dbless.loadInitial()
      }
      await node.loadReplica()
      node.purgeExpiredRows()
      node.propagation?.follow()
      await node.startWorkers()
      await node.listen()
      writePid(conf.prefix)
      log.notice(`Silverback started (pid ${process.pid}, prefix ${conf.prefix}, database ${conf.database})`)
      return node
    } catch (err) {
      if (node) await node.stop(false).catch(() => undefined)
      else await strategy.close()
      throw err
    }
  }

  /**
   * The embedded store bootstraps and migrates itself (nothing else shares it); PostgreSQL must
   * have been prepared with `migrations bootstrap|up` (or `start --run-migrations`). Also used
   * by `config db_import`.
   */
  static async migrate(
    conf: Conf,
    strategy: Strategy,
    plugins: PluginRegistry,
    log: Logger,
    opts: NodeOptions = {},
  ): Promise<void> {
    const namespaces = migrationNamespaces(plugins)
    let state = await schemaState(strategy, namespaces)
    if (conf.database === 'off') {
      // the in-memory store of DB-less mode starts empty every time
      await bootstrap(strategy, namespaces, () => undefined)
      return
    }
    if (conf.database !== 'sqlite') {
      if (opts.runMigrations && !isUpToDate(state)) {
        // another node starting with --run-migrations at the same time: one runs them, the
        // others wait for it (up to --lock-timeout)
        const ran = await up(strategy, namespaces, (line) => log.notice(line.trim()), {
          lockTimeout: opts.lockTimeout,
        })
        if (!ran) log.notice('another node ran the migrations')
        state = await schemaState(strategy, namespaces)
      }
      if (state.needs_bootstrap) throw new Error(NEEDS_BOOTSTRAP_MSG)
      if (state.new_migrations)
        throw new Error("New migrations available; run 'kong migrations up' to proceed")
      return
    }
    const say = (line: string) => log.debug(line)
    if (state.needs_bootstrap) {
      await bootstrap(strategy, namespaces, say)
      log.notice(`bootstrapped the embedded database at ${conf.sqlite_path} (database = sqlite)`)
    } else if (state.new_migrations || state.pending_migrations) {
      await up(strategy, namespaces, say, { force: true })
      await finish(strategy, namespaces, say)
      log.notice(`migrated the embedded database at ${conf.sqlite_path} to the current schema`)
    }
  }

  private async proxyEntities(): Promise<Record<string, Row[]>> {
    const entities: Record<string, Row[]> = {}
    for (const name of PROXY_ENTITIES) {
      const rows: Row[] = []
      for await (const row of this.db.dao(name).each()) rows.push(row)
      entities[name] = rows
    }
    return entities
  }

  /** Loads the proxy entities, then follows every committed change batch. */
  private async loadReplica(): Promise<void> {
    this.replica.load(0, await this.proxyEntities())
    this.health.expandTargets(targetDnsOptions(this.conf))
    this.syncHealth()
    this.db.on('change', (batch) => this.onChange(batch))
  }

  private declarativeModel?: DeclarativeModel

  private newDbless(conf: Conf): DblessConfig {
    this.declarativeModel ??= DeclarativeModel.fromRegistry(this.plugins)
    return new DblessConfig(conf, this.db, this.declarativeModel, () => this.reloadAll())
  }

  /**
   * After a whole configuration replaced the previous one (DB-less): every worker gets a full
   * copy and drops its cached entities (consumers, credentials).
   */
  async reloadAll(): Promise<void> {
    const version = this.replica.version + 1
    this.replica.load(version, await this.proxyEntities())
    this.workers?.reloadAll(this.fullCopy())
    this.incoming?.reloadAll(this.fullCopy())
    this.syncHealth()
  }

  onChange(batch: ChangeBatch): void {
    const events: ReplicaEvent[] = []
    const keys: string[] = []
    for (const e of batch.events) {
      if (PROXY_SET.has(e.entity)) events.push({ operation: e.operation, entity: e.entity, row: e.row })
      else if (this.db.has(e.entity)) {
        const schema = this.db.dao(e.entity).schema
        keys.push(...invalidationKeys(schema, e.row))
        if (e.old) keys.push(...invalidationKeys(schema, e.old))
      }
    }
    if (keys.length > 0) this.workers?.invalidate(keys)
    if (events.length === 0) return
    const version = this.replica.version + 1
    this.replica.apply(version, events)
    this.workers?.broadcast(version, events)
    if (events.some((e) => e.entity === 'upstreams' || e.entity === 'targets')) this.syncHealth()
  }

  private purgeTimer: NodeJS.Timeout | null = null

  /**
   * Deletes expired rows of the entities with `ttl` (expiring keys, oauth2 codes and tokens) once
   * a minute, as Kong's ttl cleanup does: reads already hide them, this keeps the tables from
   * growing. DB-less stores hold only what the declarative configuration gave.
   */
  private purgeExpiredRows(): void {
    if (this.conf.database === 'off') return
    const tables = this.db.entities.filter((d) => d.table.ttl).map((d) => d.table)
    if (tables.length === 0) return
    let running = false
    this.purgeTimer = setInterval(() => {
      if (running || this.stopped) return
      running = true
      this.strategy
        .transaction(async (ops) => {
          for (const t of tables) await ops.purgeExpired?.(t)
        })
        .catch((err: unknown) => this.log.warn('could not delete expired rows: ', err))
        .finally(() => {
          running = false
        })
    }, PURGE_INTERVAL_MS)
    this.purgeTimer.unref()
  }

  private syncHealth(): void {
    this.health.sync(this.replica.rows('upstreams'), this.replica.rows('targets'))
  }

  /**
   * Serves a worker's cache miss (consumers, credentials...): a read that tolerates staleness,
   * so it goes to the read-only replica when `pg_ro_host` is set.
   */
  private async lookup(entity: string, field: string, value: string, all: boolean): Promise<Row[]> {
    if (!this.db.has(entity)) throw new Error(`unknown entity: ${entity}`)
    const dao = this.db.dao(entity)
    const stale = this.db.stale
    if (all) {
      if (!dao.schema.foreignFields.includes(field))
        throw new Error(`${entity}.${field} is not a foreign key`)
      const rows: Row[] = []
      for await (const row of dao.each(stale, { field, id: value })) rows.push(row)
      return rows
    }
    if (field !== 'id' && !dao.schema.uniqueFields.includes(field))
      throw new Error(`${entity}.${field} is not a unique field`)
    const row = field === 'id' ? await dao.select(value, stale) : await dao.selectBy(field, value, stale)
    return row ? [row] : []
  }

  /** Runs a plugin's function for a worker (kong.primary.call): what workers cannot do (store access). */
  private async pluginCall(plugin: string, method: string, args: unknown): Promise<unknown> {
    const fn = this.plugins.get(plugin)?.primary?.[method]
    if (fn === undefined) throw new Error(`plugin ${plugin} has no function ${method} in the primary process`)
    return fn({ store: this.strategy, db: this.db, database: String(this.conf.database) }, args)
  }

  private configSource() {
    return {
      full: () => this.fullCopy(),
      lookup: (entity: string, field: string, value: string, all: boolean) =>
        this.lookup(entity, field, value, all),
      counters: this.counters,
      health: this.health,
      metrics: this.workerSeries,
      pluginCall: (plugin: string, method: string, args: unknown) => this.pluginCall(plugin, method, args),
      nodeId: this.nodeId,
    }
  }

  private fullCopy(): { version: number; entities: Record<string, Row[]> } {
    const entities: Record<string, Row[]> = {}
    for (const name of PROXY_ENTITIES) entities[name] = [...this.replica.rows(name)]
    return { version: this.replica.version, entities }
  }

  private proxyCertificates(conf: Conf): { cert: string[]; key: string[] } {
    if (!conf.proxy_listeners.some((l) => l.ssl)) return { cert: [], key: [] }
    const pairs = listenerCertificates(conf, 'ssl')
    return { cert: pairs.map((p) => p.cert), key: pairs.map((p) => p.key) }
  }

  private async startWorkers(): Promise<void> {
    if (this.conf.proxy_listeners.length === 0) return
    const certs = this.proxyCertificates(this.conf)
    this.workers = new WorkerSupervisor(this.conf, this.configSource(), this.log, () => certs)
    await this.workers.start()
  }

  private context(): AdminContext {
    const ctx: AdminContext = {
      db: this.db,
      conf: this.conf,
      log: this.log,
      plugins: this.plugins,
      nodeId: this.nodeId,
      hostname: hostname(),
      // Without proxy listeners the primary does all the work: it is its own (only) worker.
      pids: () => ({ master: process.pid, workers: this.workers?.pids() ?? [process.pid] }),
      stats: () => {
        const own = this.stats.snapshot()
        for (const w of this.workers?.stats() ?? []) {
          own.total_requests += w.totalRequests
          own.connections_accepted += w.connectionsAccepted
          own.connections_handled += w.connectionsAccepted
          own.connections_active += w.connectionsActive
          own.connections_writing += w.requestsActive
          own.connections_waiting += Math.max(0, w.connectionsActive - w.requestsActive)
        }
        return own
      },
      memory: () => [
        { pid: process.pid, heapUsed: process.memoryUsage().heapUsed },
        ...(this.workers?.stats() ?? []).map((w) => ({ pid: w.pid, heapUsed: w.heapUsed })),
      ],
      databaseReachable: () => this.strategy.isReachable(),
      configurationHash: this.dbless ? () => this.dbless?.hash ?? '' : undefined,
      dbless: this.dbless ?? undefined,
      health: this.health,
      notReadyReason: async () => {
        if (this.draining) return 'draining'
        if (this.dbless && !this.dbless.loaded)
          return 'no configuration available (empty configuration present)'
        if (!(await this.strategy.isReachable())) return 'failed to connect to database'
        if (this.workers && !this.workers.allReady()) return 'router build not yet complete'
        return undefined
      },
      drain: () => {
        this.draining = true
        this.log.notice('node switched to draining')
      },
    }
    if (this.plugins.get('prometheus')) {
      ctx.metrics = () =>
        metricsPage({
          ctx,
          series: this.workerSeries,
          collect: async (ms) => {
            await Promise.all([this.workers?.collectMetrics(ms), this.incoming?.collectMetrics(ms)])
          },
          rows: (entity) => this.replica.rows(entity),
        })
    }
    return ctx
  }

  /** The Admin and Status API handlers for the current configuration. */
  private handlers(): { admin: RequestHandler; status: RequestHandler } {
    const conf = this.conf
    const ctx = this.context()
    const headers = conf.enabled_headers
    const common = {
      ctx,
      allowedOrigins: conf.admin_gui_origin,
      serverHeader: headers.Server ? SERVER_TOKEN : null,
      latencyHeader: Boolean(headers['X-Kong-Admin-Latency']),
      onError: (err: unknown, req: IncomingMessage) => this.log.error(`${req.method} ${req.url}: `, err),
    }
    const adminLog = conf.admin_access_log && conf.admin_access_log !== 'off' ? conf.admin_access_log : null
    this.adminAccess = new AccessLog(adminLog)
    const adminRouter = buildAdminRouter(this.db, this.plugins)
    const statusRouter = buildStatusRouter()
    if (ctx.metrics) {
      addMetricsEndpoint(adminRouter)
      addMetricsEndpoint(statusRouter)
    }
    const admin = createAdminHandler({
      ...common,
      router: adminRouter,
      maxBodySize: parseSize(conf.nginx_admin_client_max_body_size) ?? 0,
      yamlPaths: YAML_PATHS,
      onResponse: (req, status, ms) => this.adminAccess?.write(accessLine(req, status, ms)),
    })
    const status = createAdminHandler({
      ...common,
      router: statusRouter,
      maxBodySize: 1024 * 1024,
    })
    return { admin, status }
  }

  private async listen(): Promise<void> {
    const conf = this.conf
    const { admin, status } = this.handlers()
    this.admin = new ServerGroup(admin, this.stats)
    for (const l of conf.admin_listeners) {
      await this.bind(this.admin, l, 'admin_listen', () => listenerCertificates(conf, 'admin_ssl'))
    }
    this.status = new ServerGroup(status, this.stats)
    for (const l of conf.status_listeners) {
      await this.bind(this.status, l, 'status_listen', () => listenerCertificates(conf, 'status_ssl'))
    }
  }

  private async bind(
    group: ServerGroup,
    l: Conf['admin_listeners'][number],
    property: string,
    certs: () => { cert: string; key: string }[],
  ): Promise<void> {
    try {
      await group.listen(l, certs)
      this.log.info(`${property}: listening on ${l.ip}:${l.port}${l.ssl ? ' (TLS)' : ''}`)
    } catch (err) {
      const e = err as NodeJS.ErrnoException
      throw new Error(`could not bind ${property} ${l.ip}:${l.port}: ${e.code ?? e.message}`)
    }
  }

  /**
   * Applies a new configuration without dropping requests: new proxy workers start and serve
   * before the old ones drain; the Admin and Status APIs are re-bound.
   */
  async reload(conf: Conf): Promise<void> {
    const previous = this.conf
    this.conf = conf
    setNodeConf(conf)
    this.log.level = conf.log_level as LogLevel
    if (this.dbless && conf.declarative_config) {
      // `kong reload` re-reads the declarative file
      const next = this.newDbless(conf)
      try {
        await next.loadInitial()
      } catch (err) {
        this.conf = previous
        setNodeConf(previous)
        throw err
      }
      this.dbless = next
      await this.reloadAll()
    }
    if (this.workers) {
      if (conf.proxy_listeners.length === 0) {
        await this.workers.stop(true, 10_000)
        this.workers = null
      } else {
        const certs = this.proxyCertificates(conf)
        const next = new WorkerSupervisor(conf, this.configSource(), this.log, () => certs)
        // health changes during the hand-over reach the new workers too
        this.incoming = next
        try {
          await this.workers.replaceWith(next, 10_000)
        } finally {
          this.incoming = null
        }
        this.workers = next
      }
    } else await this.startWorkers()
    if (this.admin && this.status && sameListeners(previous, conf)) {
      // the same addresses and certificates: the servers stay, only what they answer changes
      // (the Admin API never refuses a connection during a reload)
      const old = this.adminAccess
      const { admin, status } = this.handlers()
      this.admin.setHandler(admin)
      this.status.setHandler(status)
      await old?.close()
      this.log.notice('configuration reloaded')
      return
    }
    await Promise.all([this.admin?.close(true, 10_000), this.status?.close(true, 10_000)])
    await this.adminAccess?.close()
    try {
      await this.listen()
    } catch (err) {
      this.conf = previous
      setNodeConf(previous)
      throw err
    }
    this.log.notice('configuration reloaded')
  }

  /** Stops the node: `graceful` lets in-flight requests finish (up to timeoutMs). */
  async stop(graceful: boolean, timeoutMs = 10_000): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.health.stop()
    if (this.purgeTimer) clearInterval(this.purgeTimer)
    this.propagation?.stop()
    await Promise.all([
      this.workers?.stop(graceful, timeoutMs),
      this.admin?.close(graceful, timeoutMs),
      this.status?.close(graceful, timeoutMs),
    ])
    await this.strategy.close()
    removePid(this.conf.prefix)
    this.log.notice(graceful ? 'Silverback stopped (gracefully)' : 'Silverback stopped')
    await Promise.all([this.log.close(), this.adminAccess?.close()])
  }
}
