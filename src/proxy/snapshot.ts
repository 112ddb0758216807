// The immutable configuration snapshot a worker proxies with: the compiled router and, per route,
// everything the request path needs precomputed (service address, timeouts, Host header, path
// rules). Built from the replica off the request path and swapped in one assignment; a request
// keeps the snapshot it started with.
//
// A worker serves requests on the thread that builds: `buildSnapshotAsync` builds in slices of a
// few ms (the router with `compileRouterAsync`), reusing the compiled matchers of the routes the
// previous snapshot already had, so requests in flight are not stalled by a rebuild.
import { isIP } from 'node:net'
import { splitTarget } from '../balancer/address.js'
import { type AlgorithmName, type Balancer, BalancerRegistry, type TargetSpec } from '../balancer/balancer.js'
import { type HashConfig, hashConfig } from '../balancer/hash-value.js'
import { type HealthConfig, healthConfig, passiveEnabled } from '../balancer/health.js'
import { setUnhealthy } from '../balancer/health-view.js'
import { TargetDns, type TargetDnsOptions } from '../balancer/target-dns.js'
import type { Row } from '../cluster/messages.js'
import { compileRouter, compileRouterAsync, type Router, type RouterRoute } from '../router/index.js'
import { type PluginCatalog, unavailablePlugin } from './plugins/catalog.js'
import { PluginIndex } from './plugins/index.js'
import type { Replica } from './replica.js'

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443, grpc: 80, grpcs: 443, ws: 80, wss: 443 }
const HTTP_PROTOCOLS = new Set(['http', 'https', 'grpc', 'grpcs'])

export interface UpstreamData {
  id: string
  name: string
  hostHeader: string | null
  /** This worker's balancer of the upstream (kept across rebuilds while unchanged). */
  balancer: Balancer
  /** What a consistent-hashing upstream hashes; null for the other algorithms. */
  hash: HashConfig | null
  healthchecks: HealthConfig
  /** Proxied responses and failures are reported to the node's health checker. */
  passive: boolean
  /** Host header from an SRV record's target name. */
  useSrvName: boolean
  /** Certificate id for mTLS to the targets when the service has none. */
  clientCertificate: string | null
}

export interface ServiceData {
  id: string
  name: string | null
  protocol: string
  host: string
  port: number
  path: string | null
  retries: number
  connectTimeout: number
  writeTimeout: number
  readTimeout: number
  /** Host header when the route does not preserve the client's: host plus non-default port. */
  hostHeader: string
  /** The upstream entity the host names, if any. */
  upstream: UpstreamData | null
  /** `host` is an IP address: no resolution, and a fixed pool key `ip|port`. */
  hostIsIp: boolean
  plainPoolKey: string
  tls: {
    verify: boolean
    verifyDepth: number | null
    caIds: string[] | null
    clientCertificate: string | null
  } | null
  /** The service entity (for `kong.router.get_service` and log entries). */
  row: Row
}

/**
 * A route as the proxy uses it: the router's fields plus precomputed request-path data. A class
 * with fixed fields (one hidden class for all routes): copying rows by spreading them was the
 * slowest part of a rebuild.
 */
export class RouteData implements RouterRoute {
  readonly id: string
  readonly name: string | null
  readonly protocols: readonly string[]
  readonly methods: readonly string[] | null
  readonly hosts: readonly string[] | null
  readonly paths: readonly string[] | null
  readonly headers: Readonly<Record<string, readonly string[]>> | null
  readonly snis: readonly string[] | null
  readonly sources: RouterRoute['sources']
  readonly destinations: RouterRoute['destinations']
  readonly regex_priority: number
  readonly strip_path: boolean
  readonly preserve_host: boolean
  readonly path_handling: 'v0' | 'v1'
  readonly https_redirect_status_code: number
  readonly request_buffering: boolean
  readonly response_buffering: boolean
  readonly service: { readonly id: string } | null
  readonly serviceData: ServiceData | null
  /** Protocols contain https but not http: plain-HTTP requests are redirected or refused. */
  readonly httpsOnly: boolean
  /** A gRPC route (grpc/grpcs protocols). */
  readonly grpc: boolean
  readonly grpcsOnly: boolean
  /**
   * The replica row this route was made from. The replica replaces a route's row object on every
   * change and never modifies one, so the row identifies the version of the route's matching
   * fields: a rebuild reuses the compiled matchers of routes whose row is the same.
   */
  readonly row: Row

  constructor(r: Row, protocols: string[], serviceData: ServiceData | null) {
    this.id = String(r.id)
    this.name = (r.name as string | null) ?? null
    this.protocols = protocols
    this.methods = (r.methods as string[] | null) ?? null
    this.hosts = (r.hosts as string[] | null) ?? null
    this.paths = (r.paths as string[] | null) ?? null
    this.headers = (r.headers as Record<string, string[]> | null) ?? null
    this.snis = (r.snis as string[] | null) ?? null
    this.sources = (r.sources as RouterRoute['sources']) ?? null
    this.destinations = (r.destinations as RouterRoute['destinations']) ?? null
    this.regex_priority = Number(r.regex_priority ?? 0)
    this.strip_path = r.strip_path !== false
    this.preserve_host = r.preserve_host === true
    this.path_handling = r.path_handling === 'v1' ? 'v1' : 'v0'
    this.https_redirect_status_code = Number(r.https_redirect_status_code ?? 426)
    this.request_buffering = r.request_buffering !== false
    this.response_buffering = r.response_buffering !== false
    this.service = (r.service as { id: string } | null) ?? null
    this.serviceData = serviceData
    this.httpsOnly = protocols.includes('https') && !protocols.includes('http')
    this.grpc = protocols.includes('grpc') || protocols.includes('grpcs')
    this.grpcsOnly = protocols.includes('grpcs') && !protocols.includes('grpc')
    this.row = r
  }
}

export interface Snapshot {
  version: number
  router: Router<RouteData>
  services: ReadonlyMap<string, ServiceData>
  /** Upstream entities by name. */
  upstreams: ReadonlyMap<string, UpstreamData>
  /** Enabled plugin instances, indexed for resolution; null when there are none. */
  plugins: PluginIndex | null
  routes: number
  /** Some route matches on headers: the router then needs the request's header object. */
  headerRoutes: boolean
  /** Build duration in ms (for logs and benchmarks). */
  buildMs: number
}

function hasHeaderRoutes(routes: readonly RouteData[]): boolean {
  for (const r of routes) if (r.headers && Object.keys(r.headers).length > 0) return true
  return false
}

/** The balancers of this process's snapshots (state such as connection counts outlives a rebuild). */
const balancers = new BalancerRegistry()

/** Expands hostname targets into their DNS records with these settings (a worker calls it once). */
export function expandTargets(opts: TargetDnsOptions): void {
  balancers.setDns(new TargetDns(opts, (name) => balancers.dnsChanged(name)))
}

/** A health change from the primary: remembered for later balancers, applied to the current one. */
export function applyHealth(upstreamId: string, unhealthy: readonly string[]): void {
  const set = setUnhealthy(upstreamId, unhealthy)
  balancers.get(upstreamId)?.applyHealth(set)
}

function upstreamsByName(replica: Replica): Map<string, UpstreamData> {
  const targets = new Map<string, TargetSpec[]>()
  for (const t of replica.rows('targets')) {
    const id = (t.upstream as { id: string }).id
    const target = String(t.target)
    const { host, port } = splitTarget(target)
    const list = targets.get(id) ?? []
    targets.set(id, list)
    list.push({
      target,
      host,
      port,
      weight: Number(t.weight ?? 100),
      isIp: isIP(host) !== 0,
    })
  }
  const byName = new Map<string, UpstreamData>()
  const ids = new Set<string>()
  for (const u of replica.rows('upstreams')) {
    const id = String(u.id)
    ids.add(id)
    const algorithm = (u.algorithm as AlgorithmName | undefined) ?? 'round-robin'
    const healthchecks = healthConfig(u.healthchecks)
    const balancer = balancers.balancer(id, {
      algorithm,
      slots: Number(u.slots ?? 10000),
      targets: targets.get(id) ?? [],
      threshold: healthchecks.threshold,
    })
    byName.set(String(u.name), {
      id,
      name: String(u.name),
      hostHeader: (u.host_header as string | null) ?? null,
      balancer,
      hash: algorithm === 'consistent-hashing' ? hashConfig(u) : null,
      healthchecks,
      passive: passiveEnabled(healthchecks),
      useSrvName: u.use_srv_name === true,
      clientCertificate: (u.client_certificate as { id?: string } | null)?.id ?? null,
    })
  }
  balancers.retain(ids)
  return byName
}

function serviceData(s: Row, upstreams: Map<string, UpstreamData>): ServiceData {
  const protocol = String(s.protocol)
  const host = String(s.host)
  const port = Number(s.port)
  const upstream = upstreams.get(host) ?? null
  const defaultPort = DEFAULT_PORTS[protocol]
  const shownHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
  const tls =
    protocol === 'https' || protocol === 'grpcs' || protocol === 'tls'
      ? {
          verify: s.tls_verify === true,
          verifyDepth: (s.tls_verify_depth as number | null) ?? null,
          caIds: (s.ca_certificates as string[] | null) ?? null,
          // the upstream's certificate serves when the service has none
          clientCertificate: ((s.client_certificate as { id?: string } | null)?.id ??
            upstream?.clientCertificate ??
            null) as string | null,
        }
      : null
  return {
    id: String(s.id),
    name: (s.name as string | null) ?? null,
    protocol,
    host,
    port,
    path: (s.path as string | null) ?? null,
    retries: Number(s.retries ?? 5),
    connectTimeout: Number(s.connect_timeout ?? 60000),
    writeTimeout: Number(s.write_timeout ?? 60000),
    readTimeout: Number(s.read_timeout ?? 60000),
    hostHeader: upstream?.hostHeader ?? (port === defaultPort ? shownHost : `${shownHost}:${port}`),
    upstream,
    hostIsIp: isIP(host) !== 0,
    plainPoolKey: `${host}|${port}`,
    tls,
    row: s,
  }
}

/** The parts of a snapshot besides the router. */
interface SnapshotParts {
  version: number
  services: Map<string, ServiceData>
  upstreams: Map<string, UpstreamData>
  plugins: PluginIndex | null
  routes: RouteData[]
}

/** Routes made between two turns of the event loop in `buildSnapshotAsync` (about 1 ms). */
const ROUTES_PER_SLICE = 2000

/**
 * Services and routes of the replica's current state. Everything is read from the replica
 * before the first yield, so a change batch applied while an asynchronous build waits for its
 * next turn does not mix into this snapshot.
 */
function* partsSteps(
  replica: Replica,
  catalog: PluginCatalog | undefined,
): Generator<void, SnapshotParts, void> {
  const version = replica.version
  const upstreams = upstreamsByName(replica)
  const services = new Map<string, ServiceData>()
  const disabled = new Set<string>()
  for (const s of replica.rows('services')) {
    if (s.enabled === false) disabled.add(String(s.id))
    else services.set(String(s.id), serviceData(s, upstreams))
  }
  const rows = Array.from(replica.rows('routes'))
  const routes: RouteData[] = []
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]
    const protocols = (r.protocols as string[]) ?? ['http', 'https']
    if (!protocols.some((p) => HTTP_PROTOCOLS.has(p))) continue
    const serviceId = (r.service as { id?: string } | null)?.id
    // Routes of disabled services are left out of the router (they do not match at all).
    if (serviceId && disabled.has(serviceId)) continue
    routes.push(new RouteData(r, protocols, serviceId ? (services.get(serviceId) ?? null) : null))
    if (i % ROUTES_PER_SLICE === ROUTES_PER_SLICE - 1) yield
  }
  const index = new PluginIndex(
    replica.rows('plugins'),
    catalog?.loaded ?? new Map(),
    catalog?.unavailable ?? unavailablePlugin,
  )
  catalog?.onErrors?.(index.errors)
  return { version, services, upstreams, plugins: index.empty ? null : index, routes }
}

/**
 * Builds a snapshot of the replica's current state in one go. It blocks the event loop for the
 * whole build (tens of ms at 10,000 routes): a worker serving requests uses `buildSnapshotAsync`.
 */
export function buildSnapshot(replica: Replica, catalog?: PluginCatalog): Snapshot {
  const started = performance.now()
  const steps = partsSteps(replica, catalog)
  let next = steps.next()
  while (next.done !== true) next = steps.next()
  return assemble(next.value, compileRouter(next.value.routes), started)
}

function assemble(parts: SnapshotParts, router: Router<RouteData>, started: number): Snapshot {
  return {
    version: parts.version,
    router,
    services: parts.services,
    upstreams: parts.upstreams,
    plugins: parts.plugins,
    routes: parts.routes.length,
    headerRoutes: hasHeaderRoutes(parts.routes),
    buildMs: performance.now() - started,
  }
}

/**
 * Builds a snapshot of the replica's current state (as of the call) in slices of a few ms,
 * giving the event loop a turn between slices; the same snapshot as `buildSnapshot`. Pass the
 * snapshot being replaced as `previous`: the router then reuses the compiled matchers of the
 * routes whose replica row did not change. `buildMs` is the time until the snapshot is ready,
 * turns given to other work included.
 *
 * Builds may overlap if the caller starts one per change batch: run one at a time (start the
 * next when the current one is done, if the replica's version moved on), or at least never
 * install a snapshot older than the one in use.
 */
export async function buildSnapshotAsync(
  replica: Replica,
  previous?: Snapshot | null,
  catalog?: PluginCatalog,
): Promise<Snapshot> {
  const started = performance.now()
  const steps = partsSteps(replica, catalog)
  let next = steps.next()
  while (next.done !== true) {
    await new Promise((resolve) => setImmediate(resolve))
    next = steps.next()
  }
  const router = await compileRouterAsync(next.value.routes, {
    previous: previous?.router ?? null,
    routeVersion: (route) => route.row,
  })
  return assemble(next.value, router, started)
}
