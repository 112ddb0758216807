// A proxy worker process: holds the replica and the current snapshot, serves the proxy
// listeners, rebuilds the snapshot off the request path when change batches arrive, and drains
// on request.
import { createPrivateKey } from 'node:crypto'
import http from 'node:http'
import http2 from 'node:http2'
import https from 'node:https'
import type { Socket } from 'node:net'
import net from 'node:net'
import { hostname } from 'node:os'
import type { Duplex } from 'node:stream'
import { createSecureContext, type SecureContext } from 'node:tls'
import type { PrimaryMessage, Row, WorkerMessage } from '../cluster/messages.js'
import type { Conf, Listener } from '../conf/index.js'
import { parseNameServer } from '../dns/client.js'
import { DnsResolver } from '../dns/resolver.js'
import type { Logger, LogLevel } from '../log/logger.js'
import { EntityCache } from '../pdk/cache.js'
import type { LoadedPlugin } from '../pdk/instance.js'
import type { PdkEnv } from '../pdk/state.js'
import type { DomainConf } from '../plugins/acme/domains.js'
import { AcmeCertificates } from '../plugins/acme/sni.js'
import { changeCount, encodeSeries } from '../plugins/prometheus/store.js'
import { PluginRegistry } from '../plugins/registry.js'
import { flushBackground, setBackgroundLogger } from '../plugins/shared/background.js'
import { ProxyAccessLog } from './access-log.js'
import { socketState } from './connection.js'
import { type ListenerInfo, ProxyHandler } from './handler.js'
import { HealthReports } from './health-reports.js'
import { type PluginCatalog, unavailablePlugin } from './plugins/catalog.js'
import { LeasedCounters } from './plugins/counters.js'
import { IpcLookup } from './plugins/lookup.js'
import { IpcPrimaryCalls } from './plugins/primary-calls.js'
import { Replica } from './replica.js'
import { type ProxySettings, proxySettings } from './settings.js'
import { applyHealth, buildSnapshotAsync, expandTargets, type Snapshot } from './snapshot.js'
import { type ClientUpgrade, upgradeResponse } from './tunnel.js'
import { UpstreamEngine } from './upstream/index.js'
import { UpstreamTls } from './upstream-tls.js'

type AnyServer = http.Server | https.Server | http2.Http2SecureServer

/** A connection without requests for this long is closed when the worker drains. */
const IDLE_GRACE_MS = 1000
/** How often a worker sends its prometheus series to the primary when they changed. */
const METRICS_PUSH_MS = 5000

function destroyOnError(this: Duplex): void {
  this.destroy()
}

/** The plugin types this worker runs: those of the `plugins` setting that have handlers. */
function pluginCatalog(conf: Conf, onErrors: (errors: string[]) => void): PluginCatalog {
  const { registry } = PluginRegistry.fromSetting((conf.plugins as string[] | undefined) ?? ['bundled'])
  const loaded = new Map<string, LoadedPlugin>()
  for (const def of registry.list()) {
    if (!def.handler) continue
    loaded.set(def.name, {
      name: def.name,
      priority: def.priority,
      version: def.version,
      handler: def.handler,
      noConsumer: def.schema.noConsumer,
    })
  }
  return { loaded, unavailable: unavailablePlugin, onErrors }
}

export interface DefaultCertificates {
  cert: string[]
  key: string[]
}

export class ProxyWorker {
  private readonly replica = new Replica()
  private readonly settings: ProxySettings
  private readonly engine: UpstreamEngine
  private readonly dns: DnsResolver
  private handler: ProxyHandler | null = null
  private readonly servers: AnyServer[] = []
  private readonly sockets = new Set<Socket>()
  private dirty = false
  private rebuilding: Promise<void> | null = null
  private draining = false
  private totalRequests = 0
  private connectionsAccepted = 0
  private activeRequests = 0
  private sniContexts = new Map<string, SecureContext>()
  private certContexts = new Map<string, SecureContext>()
  private defaultContext: SecureContext | null = null
  /** Certificates of the acme plugin (node-wide, in the primary) when a global acme plugin is on. */
  private acme: AcmeCertificates | null = null
  private readonly lookup: IpcLookup
  private readonly counters: LeasedCounters
  private readonly primaryCalls: IpcPrimaryCalls
  private readonly healthReports: HealthReports
  /** proxy_access_log, null when off. */
  private readonly accessLog: ProxyAccessLog | null
  readonly cache: EntityCache
  private readonly pdk: PdkEnv
  private readonly catalog: PluginCatalog
  private readonly reported = new Set<string>()

  constructor(
    private readonly conf: Conf,
    readonly log: Logger,
    private readonly send: (m: WorkerMessage) => void,
    private readonly defaultCerts: () => DefaultCertificates,
    nodeId = '',
  ) {
    this.settings = proxySettings(conf)
    // log lines of plugins' background work (log queues, files) go to this worker's error log
    setBackgroundLogger((level, message) => log.log(level, message))
    let pushed = 0
    setInterval(() => {
      if (changeCount() === pushed) return
      pushed = changeCount()
      this.send({ type: 'metrics', id: null, series: encodeSeries() })
    }, METRICS_PUSH_MS).unref()
    this.lookup = new IpcLookup(send)
    this.cache = new EntityCache(this.lookup)
    this.counters = new LeasedCounters(send)
    this.primaryCalls = new IpcPrimaryCalls(send)
    this.healthReports = new HealthReports(send)
    const accessFile = conf.proxy_access_log
    this.accessLog = accessFile && accessFile !== 'off' ? new ProxyAccessLog(accessFile) : null
    this.pdk = {
      log,
      cache: this.cache,
      counters: this.counters,
      primary: this.primaryCalls,
      nodeId,
      hostname: hostname(),
      configuration: Object.freeze({ ...conf }),
    }
    this.catalog = pluginCatalog(conf, (errors) => {
      for (const e of errors) {
        if (this.reported.has(e)) continue
        this.reported.add(e)
        this.log.error(`could not prepare plugin configuration: ${e}`)
      }
    })
    this.engine = new UpstreamEngine({
      poolSize: this.settings.keepalive.poolSize,
      maxRequests: this.settings.keepalive.maxRequests,
      idleTimeout: this.settings.keepalive.idleTimeoutMs,
    })
    this.dns = new DnsResolver({
      hostsFile: conf.dns_hostsfile as string | null,
      nameservers: (conf.dns_resolver as string[] | null) ?? [],
      validTtl: (conf.dns_valid_ttl as number | null) ?? null,
      staleTtl: Number(conf.dns_stale_ttl ?? 3600),
      notFoundTtl: Number(conf.dns_not_found_ttl ?? 30),
      errorTtl: Number(conf.dns_error_ttl ?? 1),
      order: (conf.dns_order as string[] | null) ?? undefined,
    })
    const dns = this.dns
    expandTargets({
      servers: dns.servers().map(parseNameServer),
      order: (conf.dns_order as string[] | null) ?? ['LAST', 'SRV', 'A', 'CNAME'],
      validTtl: (conf.dns_valid_ttl as number | null) ?? null,
      notFoundTtl: Number(conf.dns_not_found_ttl ?? 30),
      errorTtl: Number(conf.dns_error_ttl ?? 1),
      hosts: (name) => dns.hostsEntry(name),
    })
  }

  get snapshot(): Snapshot | null {
    return this.handler?.snapshot ?? null
  }

  async onMessage(m: PrimaryMessage): Promise<void> {
    switch (m.type) {
      case 'config':
        this.replica.load(m.version, m.entities)
        await this.requestRebuild()
        break
      case 'delta':
        if (!this.replica.apply(m.version, m.events)) {
          this.send({ type: 'resync', have: this.replica.version })
          return
        }
        void this.requestRebuild()
        break
      case 'drain':
        await this.drain(m.timeoutMs)
        break
      case 'log-level':
        this.log.level = m.level as LogLevel
        break
      case 'lookup-result':
        this.lookup.answer(m.id, m.rows, m.error)
        break
      case 'invalidate':
        if (m.all) this.cache.purge()
        for (const key of m.keys) this.cache.invalidate(key)
        break
      case 'counters-result':
        this.counters.answer(m.id, m.results, m.error)
        break
      case 'counters-reclaim':
        this.counters.reclaim(m.id, m.keys)
        break
      case 'plugin-call-result':
        this.primaryCalls.answer(m.id, m.result, m.error)
        break
      case 'health':
        applyHealth(m.upstream, m.unhealthy)
        break
      case 'metrics-request':
        this.send({ type: 'metrics', id: m.id, series: encodeSeries() })
        break
    }
  }

  /**
   * Rebuilds the snapshot off the request path: one build at a time, time-sliced so requests keep
   * flowing; changes that arrive during a build trigger one more build afterwards (coalesced).
   */
  private requestRebuild(): Promise<void> {
    this.dirty = true
    this.rebuilding ??= this.rebuildLoop().finally(() => {
      this.rebuilding = null
    })
    return this.rebuilding
  }

  private async rebuildLoop(): Promise<void> {
    while (this.dirty) {
      this.dirty = false
      try {
        await this.rebuild()
      } catch (err) {
        this.log.error('snapshot rebuild failed: ', err)
      }
    }
  }

  private async rebuild(): Promise<void> {
    const snapshot = await buildSnapshotAsync(this.replica, this.handler?.snapshot ?? null, this.catalog)
    const tls = new UpstreamTls(this.replica)
    this.updateCertificates()
    if (this.handler) {
      this.handler.snapshot = snapshot
      this.handler.tls = tls
    } else {
      this.handler = new ProxyHandler(
        snapshot,
        this.settings,
        this.engine,
        this.dns,
        (err) => this.log.error('proxy request failed: ', err),
        tls,
        this.pdk,
        this.healthReports.report,
      )
      await this.listen()
    }
    this.log.debug(
      `snapshot ${snapshot.version} built: ${snapshot.routes} routes in ${snapshot.buildMs.toFixed(1)} ms`,
    )
    this.send({ type: 'ready', version: snapshot.version, pid: process.pid })
  }

  /** SNI → TLS context, from the certificates and snis entities (proxying.md §6.1). */
  private updateCertificates(): void {
    const certs = new Map<string, Row>()
    for (const c of this.replica.rows('certificates')) certs.set(String(c.id), c)
    const contexts = new Map<string, SecureContext>()
    const byCert = new Map<string, SecureContext>()
    for (const sni of this.replica.rows('snis')) {
      const cert = certs.get(String((sni.certificate as { id: string }).id))
      if (!cert) continue
      // Contexts are reused while the certificate row is unchanged (creating one is expensive).
      const key = `${String(cert.id)}|${String(cert.updated_at)}`
      let ctx = byCert.get(key) ?? this.certContexts.get(key)
      if (!ctx) {
        try {
          const pairs = [{ cert: String(cert.cert), key: String(cert.key) }]
          if (cert.cert_alt && cert.key_alt)
            pairs.push({ cert: String(cert.cert_alt), key: String(cert.key_alt) })
          ctx = createSecureContext({ cert: pairs.map((p) => p.cert), key: pairs.map((p) => p.key) })
        } catch (err) {
          this.log.error(`could not load certificate ${String(cert.id)} for SNI ${String(sni.name)}: `, err)
          continue
        }
      }
      byCert.set(key, ctx)
      contexts.set(String(sni.name).toLowerCase(), ctx)
    }
    this.certContexts = byCert
    this.sniContexts = contexts
    const acme = [...this.replica.rows('plugins')].find((p) => p.name === 'acme' && p.enabled !== false)
    if (!acme) this.acme = null
    else {
      this.acme ??= new AcmeCertificates(this.primaryCalls, (m) => this.log.error(m))
      this.acme.configure(acme.config as DomainConf)
    }
  }

  private contextFor(servername: string): SecureContext | null {
    const name = servername.toLowerCase().replace(/\.$/, '')
    const exact = this.sniContexts.get(name)
    if (exact) return exact
    const labels = name.split('.')
    if (labels.length >= 3) {
      const left = this.sniContexts.get(`*.${labels.slice(1).join('.')}`)
      if (left) return left
    }
    if (labels.length >= 2) {
      const right = this.sniContexts.get(`${labels.slice(0, -1).join('.')}.*`)
      if (right) return right
    }
    return this.sniContexts.get('*') ?? null
  }

  private serverFor(l: Listener): AnyServer {
    const info: ListenerInfo = {
      port: l.port,
      forwardedPort: String(this.settings.hostPorts.get(l.port) ?? l.port),
      scheme: l.ssl ? 'https' : 'http',
    }
    // One listener for every response (`this` is the response): no closure per request.
    const worker = this
    const access = this.accessLog
    const onResponseClose = function (this: http.ServerResponse): void {
      worker.activeRequests--
      access?.write(this)
      const state = socketState(this.req.socket)
      state.active--
      state.idleSince = Date.now()
    }
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse, upgrade?: ClientUpgrade) => {
      this.totalRequests++
      this.activeRequests++
      const conn = socketState(req.socket)
      conn.active++
      conn.requests++
      if (this.draining) res.shouldKeepAlive = false
      res.on('close', onResponseClose)
      if (!this.handler) {
        res.writeHead(503)
        res.end()
        return
      }
      try {
        this.handler.handle(req, res, info, upgrade)
      } catch (err) {
        // A bug must cost one request, never the worker.
        this.log.error('proxy request failed: ', err)
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' })
          res.end('{\n  "message":"An unexpected error occurred"\n}')
        } else res.destroy()
      }
    }
    // Requests with an Upgrade header arrive here instead (node:http gives no response object).
    const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      // node:http leaves an upgraded socket without an error listener.
      socket.on('error', destroyOnError)
      onRequest(req, upgradeResponse(req, socket), { socket, head })
    }
    if (!l.ssl) {
      return http
        .createServer({ requireHostHeader: false, keepAliveTimeout: 60_000 }, onRequest)
        .on('upgrade', onUpgrade)
    }
    const defaults = this.defaultCerts()
    this.defaultContext ??= createSecureContext({ cert: defaults.cert, key: defaults.key })
    // Node copies one certificate of the SNI callback's context into the connection, over the
    // listener's own: with an RSA and an ECDSA default there, an RSA-only SNI certificate would
    // lose against the default ECDSA one. The listener starts with the RSA default only (clients
    // without SNI get it); every handshake with SNI gets its context (the defaults: both).
    const rsa = defaults.key.findIndex((k) => {
      try {
        return createPrivateKey(k).asymmetricKeyType === 'rsa'
      } catch {
        return false
      }
    })
    const tlsOpts = {
      cert: rsa === -1 ? defaults.cert : defaults.cert[rsa],
      key: rsa === -1 ? defaults.key : defaults.key[rsa],
      SNICallback: (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => {
        const ctx = this.contextFor(servername)
        if (ctx !== null || this.acme === null) {
          cb(null, ctx ?? this.defaultContext ?? undefined)
          return
        }
        this.acme.contextFor(servername).then(
          (found) => cb(null, found ?? this.defaultContext ?? undefined),
          () => cb(null, this.defaultContext ?? undefined),
        )
      },
    }
    const server = l.http2
      ? http2.createSecureServer({ ...tlsOpts, allowHTTP1: true }, onRequest as never)
      : https.createServer({ ...tlsOpts, requireHostHeader: false, keepAliveTimeout: 60_000 }, onRequest)
    return server.on('upgrade', onUpgrade)
  }

  private async listen(): Promise<void> {
    for (const l of this.conf.proxy_listeners) {
      const server = this.serverFor(l)
      server.on(l.ssl ? 'secureConnection' : 'connection', (socket: Socket) => {
        socketState(socket)
        this.connectionsAccepted++
        this.sockets.add(socket)
        socket.once('close', () => this.sockets.delete(socket))
      })
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen({ host: l.ip, port: l.port, backlog: l.backlog }, () => {
          server.off('error', reject)
          resolve()
        })
      }).catch((err: NodeJS.ErrnoException) => {
        const message = `could not bind proxy_listen ${l.ip}:${l.port}: ${err.code ?? err.message}`
        this.send({ type: 'listen-error', message })
        throw new Error(message)
      })
      this.servers.push(server)
    }
  }

  /**
   * Stops accepting; lets in-flight requests finish (up to timeoutMs), then exits. Connections
   * that are idle are closed, but only after a grace period: a connection accepted just before
   * the listener closed gets the time to send its request (closing it at once would fail it).
   * Responses sent while draining carry `Connection: close`.
   */
  async drain(timeoutMs: number): Promise<void> {
    if (this.draining) return
    this.draining = true
    // net.Server#close stops accepting without http.Server#close's immediate closing of idle
    // connections (which includes connections whose first request is still on its way).
    const closed = Promise.all(
      this.servers.map((s) => new Promise<void>((r) => net.Server.prototype.close.call(s, () => r()))),
    )
    const deadline = Date.now() + timeoutMs
    while (this.sockets.size > 0 && Date.now() < deadline) {
      const now = Date.now()
      for (const socket of this.sockets) {
        const state = socketState(socket)
        if (state.active === 0 && now - state.idleSince > IDLE_GRACE_MS) socket.destroy()
      }
      await new Promise((r) => setTimeout(r, 50))
    }
    for (const socket of this.sockets) socket.destroy()
    await Promise.race([closed, new Promise((r) => setTimeout(r, 500))])
    // log phases of the last requests run on the next turns; then plugins' queued log entries are
    // sent and files written, within what is left of the drain time (the primary kills a worker
    // 2 s after it)
    await new Promise((r) => setImmediate(r))
    await flushBackground(Math.min(5000, Math.max(1000, deadline - Date.now() + 1500)))
    await this.sendAndWait({ type: 'metrics', id: null, series: encodeSeries() })
    this.engine.close()
    await Promise.all([this.log.close(), this.accessLog?.close()])
    process.exit(0)
  }

  /** Sends a message to the primary and waits until it left (the process is about to exit). */
  private sendAndWait(m: WorkerMessage): Promise<void> {
    const send = process.send?.bind(process)
    if (send === undefined || !process.connected) {
      this.send(m)
      return Promise.resolve()
    }
    return new Promise<void>((resolve) => {
      send(m, undefined, undefined, () => resolve())
    })
  }

  stats() {
    return {
      pid: process.pid,
      heapUsed: process.memoryUsage().heapUsed,
      totalRequests: this.totalRequests,
      connectionsAccepted: this.connectionsAccepted,
      connectionsActive: this.sockets.size,
      requestsActive: this.activeRequests,
    }
  }
}
