// Everything the plugins of one request share: the client request as received, the upstream
// request being prepared (what `kong.service.request.*` changes), authentication, per-request
// storage, the response being built and what the log entry needs. One object per request that
// runs plugins, every field set in the constructor so its shape never changes. Requests without
// plugins never create one.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from '../log/logger.js'
import type { ListenerInfo } from '../proxy/handler.js'
import type { PrimaryCalls } from '../proxy/plugins/primary-calls.js'
import type { RequestHead } from '../proxy/request-head.js'
import type { ProxySettings } from '../proxy/settings.js'
import type { RouteData, ServiceData, Snapshot } from '../proxy/snapshot.js'
import type { RouteMatch } from '../router/index.js'
import type { PluginInstance } from './instance.js'
import { Phase } from './phase.js'
import type { KongCache, KongCounters, Row } from './types.js'

/** What a worker provides to every request's PDK. */
export interface PdkEnv {
  log: Logger
  cache: KongCache
  counters: KongCounters
  /** Plugin functions run by the primary process (kong.primary). */
  primary: PrimaryCalls
  nodeId: string
  hostname: string
  /** The node configuration, read-only (`kong.configuration`). */
  configuration: Readonly<Row>
}

/** A response decided by a plugin (`kong.response.exit` / `error`) or by the gateway. */
export interface ExitResponse {
  status: number
  /** Flat header list. */
  headers: string[]
  body: Buffer | null
}

export interface PendingHeader {
  op: 'set' | 'add' | 'clear'
  name: string
  value: string | number | readonly string[]
}

/** One attempt to reach the upstream (the log entry's `tries`). */
export interface TryRecord {
  ip: string
  port: number
  balancer_start: number
  balancer_latency: number
  state?: 'failed' | 'next'
  code?: number
}

export class RequestState {
  /** The phase running now (Phase bits); PDK functions check it. */
  phase: number = Phase.none
  /** The plugin instance whose handler is running. */
  current: PluginInstance | null = null

  // --- the client request, as received -----------------------------------------------------
  readonly startedMs: number
  /** Normalized path (router.md §3.1). */
  path: string
  /** Client address after real-IP processing. */
  clientIp: string

  // --- routing -------------------------------------------------------------------------------
  snapshot: Snapshot
  match: RouteMatch<RouteData> | null = null
  route: RouteData | null = null
  service: ServiceData | null = null

  // --- the upstream request (rewrite/access may change it) --------------------------------------
  upMethod: string
  /** Escaped path (no query); null until routing computed it. */
  upPath: string | null = null
  /** Query without `?` (undecoded), or null for none. */
  upQuery: string | null
  /** Headers forwarded upstream: the client's, minus hop-by-hop ones. */
  readonly upHeaders: string[]
  /** Host set by a plugin (`kong.service.request.setHeader('Host', …)`). */
  upHost: string | null = null
  /** Gateway-managed headers (X-Forwarded-*, Via, X-Real-IP) a plugin set itself. */
  overridden: Set<string> | null = null
  /** A body set by a plugin; undefined = the client's. */
  upBody: Buffer | undefined = undefined
  /** The client body once read (by `kong.request.getRawBody`). */
  clientBody: Buffer | undefined = undefined
  bodyLoad: Promise<Buffer> | null = null
  /** Read the whole upstream response before sending it (`enableBuffering`, response handlers). */
  buffering = false
  retries: number | null = null
  timeouts: [number, number, number] | null = null
  target: { host: string; port: number } | null = null
  upstreamName: string | null = null
  upScheme: string | null = null

  // --- authentication and per-request storage ----------------------------------------------------
  consumer: Row | null = null
  credential: Row | null = null
  readonly shared: Record<string, unknown> = {}
  pluginData: Map<string, Record<string, unknown>> | null = null

  // --- plugins --------------------------------------------------------------------------------
  /** Instances resolved for this request, in execution order (reused after access). */
  recorded: PluginInstance[] = []

  // --- the response -----------------------------------------------------------------------------
  /** Header changes plugins made before the response existed: applied to it, in order. */
  pendingHeaders: PendingHeader[] | null = null
  pendingStatus: number | null = null
  /** The response being built (response/header_filter) and sent. */
  status = 0
  headers: string[] | null = null
  source: 'service' | 'exit' | 'error' = 'service'
  exit: ExitResponse | null = null
  upstreamStatus: number | null = null
  upstreamHeaders: string[] | null = null
  upstreamBody: Buffer | null = null
  /** body_filter: the chunk being filtered, and whether it is the last. */
  chunk: Buffer | null = null
  eof = false
  /** body_filter: chunks buffered by `kong.response.getRawBody`. */
  bodyParts: Buffer[] | null = null
  replaced: Buffer | null = null

  // --- the log entry ------------------------------------------------------------------------------
  tries: TryRecord[] | null = null
  /** Upstream URI (path and query) as sent. */
  upstreamUri = ''
  /** ms: until the request was sent upstream; waiting for the upstream; in total. */
  proxyLatency = -1
  upstreamLatency = -1
  responseBytes = 0
  serializeOverrides: Array<[string, unknown, 'set' | 'add' | 'replace']> | null = null

  /** The `kong` facade, made on first use. */
  kong: unknown = null

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly env: PdkEnv,
    readonly settings: ProxySettings,
    readonly requestId: string,
    readonly started: bigint,
    readonly head: RequestHead,
    readonly rawUrl: string,
    readonly listener: ListenerInfo,
    readonly peer: string,
    readonly trusted: boolean,
    snapshot: Snapshot,
    path: string,
    clientIp: string,
  ) {
    this.startedMs = Date.now()
    this.snapshot = snapshot
    this.path = path
    this.clientIp = clientIp
    this.upMethod = req.method ?? 'GET'
    const q = rawUrl.indexOf('?')
    this.upQuery = q === -1 ? null : rawUrl.slice(q + 1)
    this.upHeaders = head.forward
  }

  /** Per-request storage of the running plugin type (`kong.ctx.plugin`). */
  pluginStore(): Record<string, unknown> {
    const name = this.current?.name ?? ''
    this.pluginData ??= new Map()
    let data = this.pluginData.get(name)
    if (!data) {
      data = {}
      this.pluginData.set(name, data)
    }
    return data
  }

  /** Milliseconds since the request arrived. */
  elapsedMs(): number {
    return Number((process.hrtime.bigint() - this.started) / 1_000_000n)
  }
}
