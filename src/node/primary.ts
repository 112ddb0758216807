// The primary process of a node: configuration, store (with automatic bootstrap of the embedded
// default), the Admin API and the Status API. Proxy workers attach to it (see docs/architecture.md).

import type { IncomingMessage } from 'node:http'
import { hostname } from 'node:os'
import type { AdminContext } from '../admin/context.js'
import { buildAdminRouter, YAML_PATHS } from '../admin/index.js'
import { createAdminHandler } from '../admin/server.js'
import { type Conf, parseSize } from '../conf/index.js'
import type { DB } from '../db/dao/db.js'
import { createDB, createStrategy, migrationNamespaces } from '../db/index.js'
import { bootstrap, finish, NEEDS_BOOTSTRAP_MSG, schemaState, up } from '../db/migrations/runner.js'
import type { Strategy } from '../db/strategies/strategy.js'
import { AccessLog, Logger, type LogLevel } from '../log/logger.js'
import { PluginRegistry } from '../plugins/registry.js'
import { buildStatusRouter } from '../status/index.js'
import { SERVER_TOKEN } from '../version.js'
import { listenerCertificates, nodeId, preparePrefix, removePid, writePid } from './prefix.js'
import { ServerGroup, StatsCounter } from './servers.js'

export interface NodeOptions {
  /** Mirror the error log on stderr (foreground runs). */
  stderr?: boolean
}

function accessLine(req: IncomingMessage, status: number, ms: number): string {
  const ip = req.socket.remoteAddress ?? '-'
  const time = new Date().toISOString()
  const ua = req.headers['user-agent'] ?? '-'
  return `${ip} - - [${time}] "${req.method} ${req.url} HTTP/${req.httpVersion}" ${status} - "-" "${ua}" ${ms.toFixed(3)}`
}

export class GatewayNode {
  readonly log: Logger
  readonly db: DB
  readonly plugins: PluginRegistry
  readonly nodeId: string
  private readonly strategy: Strategy
  private readonly stats = new StatsCounter()
  private admin?: ServerGroup
  private status?: ServerGroup
  private adminAccess?: AccessLog
  private draining = false
  private stopped = false

  private constructor(
    readonly conf: Conf,
    log: Logger,
    strategy: Strategy,
    db: DB,
    plugins: PluginRegistry,
  ) {
    this.log = log
    this.strategy = strategy
    this.db = db
    this.plugins = plugins
    this.nodeId = nodeId(conf)
  }

  /** Opens the store and binds every listener. Throws with a user-facing message on failure. */
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
    try {
      await GatewayNode.migrate(conf, strategy, registry, log)
      const db = createDB(strategy, registry)
      const node = new GatewayNode(conf, log, strategy, db, registry)
      await node.listen()
      writePid(conf.prefix)
      log.notice(`Silverback started (pid ${process.pid}, prefix ${conf.prefix}, database ${conf.database})`)
      return node
    } catch (err) {
      await strategy.close()
      throw err
    }
  }

  /** The embedded store bootstraps and migrates itself; nothing else shares it. */
  private static async migrate(
    conf: Conf,
    strategy: Strategy,
    plugins: PluginRegistry,
    log: Logger,
  ): Promise<void> {
    const namespaces = migrationNamespaces(plugins)
    const state = await schemaState(strategy, namespaces)
    if (conf.database !== 'sqlite') {
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
      await up(strategy, namespaces, say, true)
      await finish(strategy, namespaces, say)
      log.notice(`migrated the embedded database at ${conf.sqlite_path} to the current schema`)
    }
  }

  private context(): AdminContext {
    return {
      db: this.db,
      conf: this.conf,
      log: this.log,
      plugins: this.plugins,
      nodeId: this.nodeId,
      hostname: hostname(),
      pids: () => ({ master: process.pid, workers: [process.pid] }),
      stats: () => this.stats.snapshot(),
      memory: () => [{ pid: process.pid, heapUsed: process.memoryUsage().heapUsed }],
      databaseReachable: () => this.strategy.isReachable(),
      notReadyReason: async () => {
        if (this.draining) return 'draining'
        if (!(await this.strategy.isReachable())) return 'failed to connect to database'
        return undefined
      },
      drain: () => {
        this.draining = true
        this.log.notice('node switched to draining')
      },
    }
  }

  private async listen(): Promise<void> {
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
    const adminHandler = createAdminHandler({
      ...common,
      router: buildAdminRouter(this.db),
      maxBodySize: parseSize(conf.nginx_admin_client_max_body_size) ?? 0,
      yamlPaths: YAML_PATHS,
      onResponse: (req, status, ms) => this.adminAccess?.write(accessLine(req, status, ms)),
    })
    this.admin = new ServerGroup(adminHandler, this.stats)
    for (const l of conf.admin_listeners) {
      await this.bind(this.admin, l, 'admin_listen', () => listenerCertificates(conf, 'admin_ssl'))
    }
    const statusHandler = createAdminHandler({
      ...common,
      router: buildStatusRouter(),
      maxBodySize: 1024 * 1024,
    })
    this.status = new ServerGroup(statusHandler, this.stats)
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

  /** Stops the node: `graceful` waits for in-flight requests (up to timeoutMs). */
  async stop(graceful: boolean, timeoutMs = 10_000): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    await Promise.all([this.admin?.close(graceful, timeoutMs), this.status?.close(graceful, timeoutMs)])
    await this.strategy.close()
    removePid(this.conf.prefix)
    this.log.notice(graceful ? 'Silverback stopped (gracefully)' : 'Silverback stopped')
    await Promise.all([this.log.close(), this.adminAccess?.close()])
  }
}
