// The plugin development kit as plugin code sees it: the `kong` object handed to every phase
// function, and the shape of a plugin handler. Names are camelCase forms of Kong's snake_case
// PDK functions (`kong.request.get_header` → `kong.request.getHeader`); docs/pdk.md lists the
// mapping and the phases each function may be called in (plugins.md §4).

export type Row = Record<string, unknown>

/** Header values as Kong returns them: one string, or an array when repeated. */
export type HeaderValue = string | string[]
export type HeaderTable = Record<string, HeaderValue>
/** Query values: a string, `true` for a valueless argument, or an array when repeated. */
export type QueryValue = string | true | (string | true)[]
export type QueryTable = Record<string, QueryValue>

export interface ExitHeaders {
  [name: string]: string | number | readonly string[]
}

export interface KongRequest {
  getScheme(): string
  getHost(): string
  getPort(): number
  getForwardedScheme(): string
  getForwardedHost(): string
  getForwardedPort(): number
  getForwardedPath(): string
  getForwardedPrefix(): string | null
  getHttpVersion(): number
  getMethod(): string
  getPath(): string
  getRawPath(): string
  getPathWithQuery(): string
  getRawQuery(): string
  getQueryArg(name: string): string | true | null
  getQuery(max?: number): QueryTable
  getHeader(name: string): string | null
  getHeaders(max?: number): HeaderTable
  /**
   * The whole request body (read on first call). With `max`, rejects with BodyTooLargeError
   * (pdk/body.ts) as soon as more than `max` bytes arrived; the rest is read and dropped.
   */
  getRawBody(max?: number): Promise<Buffer>
  /** The body parsed by content type (form, JSON, multipart); rejects with `missing content type`. */
  getBody(mime?: string): Promise<{ body: Row; mime: string }>
  getStartTime(): number
  getUriCaptures(): { unnamed: string[]; named: Record<string, string> }
  /** The request id (`X-Kong-Request-Id`). */
  getId(): string
}

export interface KongResponse {
  getStatus(): number
  getHeader(name: string): string | null
  getHeaders(max?: number): HeaderTable
  getSource(): 'service' | 'exit' | 'error'
  setStatus(status: number): void
  setHeader(name: string, value: string | number | readonly string[]): void
  addHeader(name: string, value: string | number): void
  clearHeader(name: string): void
  setHeaders(headers: ExitHeaders): void
  /** body_filter: buffers chunks; null until the last chunk, then the whole body. */
  getRawBody(): Buffer | null
  /** body_filter: replaces the body (the current chunk, or everything at the last chunk). */
  setRawBody(body: string | Buffer): void
  /**
   * Silverback addition (Kong's `ngx.arg`): body_filter's current chunk without buffering (null
   * when a plugin before took it), and whether it is the last one.
   */
  getChunk(): { chunk: Buffer | null; eof: boolean }
  /** Ends the request with this response (plugins.md §4.2). Return right after calling it. */
  exit(status: number, body?: string | Buffer | Row | null, headers?: ExitHeaders): void
  /** Ends the request with Kong's templated error body for `status`. */
  error(status: number, message?: string, headers?: ExitHeaders): void
}

export interface KongServiceRequest {
  enableBuffering(): void
  setScheme(scheme: string): void
  setPath(path: string): void
  setRawQuery(query: string): void
  setQuery(args: Record<string, string | true | readonly (string | true)[]>): void
  clearQueryArg(name: string): void
  setMethod(method: string): void
  setHeader(name: string, value: string | number | readonly string[]): void
  addHeader(name: string, value: string | number): void
  clearHeader(name: string): void
  setHeaders(headers: ExitHeaders): void
  setRawBody(body: string | Buffer): void
  setBody(body: Row, mime?: string): void
  /**
   * Silverback addition: the upstream request as prepared so far, earlier plugins' changes
   * included (in Kong, `kong.request.*` reads it; here `kong.request` is the request as received).
   * Headers the gateway manages itself (Host, Content-Length, X-Forwarded-*...) are not listed.
   */
  getHeaders(max?: number): HeaderTable
  /** Silverback addition: the upstream query string (without `?`) as prepared so far. */
  getRawQuery(): string
  /** Silverback addition: the upstream body as prepared so far (a plugin's, else the client's). */
  getRawBody(): Promise<Buffer>
}

export interface KongServiceResponse {
  getStatus(): number | null
  getHeader(name: string): string | null
  getHeaders(max?: number): HeaderTable
  /** Only with buffered proxying (a `response` handler, or `enableBuffering()`). */
  getRawBody(): Buffer
}

export interface KongService {
  setUpstream(name: string): void
  setTarget(host: string, port: number): void
  setRetries(retries: number): void
  setTimeouts(connectMs: number, writeMs: number, readMs: number): void
  readonly request: KongServiceRequest
  readonly response: KongServiceResponse
}

export interface KongClient {
  getIp(): string
  getForwardedIp(): string
  getPort(): number
  getForwardedPort(): number
  /** Marks the request as authenticated (either may be null, not both). */
  authenticate(consumer: Row | null, credential: Row | null): void
  getConsumer(): Row | null
  getCredential(): Row | null
  /** A consumer by id, or by username when `byUsername` is set (through the entity cache). */
  loadConsumer(id: string, byUsername?: boolean): Promise<Row | null>
  getProtocol(allowTerminated?: boolean): string
}

export interface KongCtx {
  /** Shared by all plugins for the current request. */
  readonly shared: Record<string, unknown>
  /** Private to the current plugin type, shared across its phases, for the current request. */
  readonly plugin: Record<string, unknown>
}

export interface KongLog {
  debug(...args: unknown[]): void
  info(...args: unknown[]): void
  notice(...args: unknown[]): void
  warn(...args: unknown[]): void
  err(...args: unknown[]): void
  crit(...args: unknown[]): void
  alert(...args: unknown[]): void
  emerg(...args: unknown[]): void
  /** A deprecation warning, logged once per message (`kong.log.deprecation`). */
  deprecation(message: string, opts?: { after?: string; removal?: string }): void
  /** Pretty-prints values at debug level (`kong.log.inspect`); `.on()` / `.off()` toggle it. */
  readonly inspect: ((...args: unknown[]) => void) & { on(): void; off(): void }
  /** Adds/overrides a field of the log entry; dots address nested fields (`\.` escapes a dot). */
  setSerializeValue(key: string, value: unknown, opts?: { mode?: 'set' | 'add' | 'replace' }): void
  /** The standard log entry (plugins.md §4.8). */
  serialize(): Row
}

export interface CacheOptions {
  /** Seconds a found value is kept (default: until invalidated). */
  ttl?: number
  /** Seconds a miss (null) is kept (default: until invalidated). */
  negTtl?: number
}

/**
 * The node's entity cache. A key's loader runs at most once at a time; its result, null
 * included, is kept until `ttl`/`negTtl` or until the entity changes.
 */
export interface KongCache {
  get<T>(
    key: string,
    opts: CacheOptions | null,
    loader: () => Promise<T | null> | T | null,
  ): Promise<T | null>
  /** The cached value without loading: undefined when absent. */
  probe<T>(key: string): T | null | undefined
  invalidate(key: string): void
  /** Cache key of an entity looked up by a unique field: `<entity>:<field>:<value>`. */
  entityKey(entity: string, field: string, value: string): string
  /** An entity by unique field through the cache (a miss asks the primary process). */
  select(entity: string, field: string, value: string): Promise<Row | null>
  /** The entities whose foreign key `field` references `id` (e.g. a consumer's acls). */
  selectAllFor(entity: string, field: string, id: string): Promise<Row[]>
}

/**
 * Node-wide counters shared by every worker of the node (a Silverback addition; Kong plugins use
 * an nginx shared dictionary for this). Held by the primary process: they survive worker
 * restarts and `reload`, not a node restart.
 */
export interface KongCounters {
  /**
   * Atomically, node-wide: when every counter is below its limit, adds 1 to each and answers
   * `allowed` with the usages before the increment; otherwise changes nothing and answers the
   * current usages. A counter lives `ttls[i]` seconds from its creation. Answers synchronously
   * when the worker holds a lease on these counters (units granted ahead of need, see
   * docs/architecture.md), with a promise otherwise: `await` works for both.
   *
   * Sliding windows: with `previous`, each key's usage also counts its previous window's counter
   * (`previous.keys[i]`) times `previous.weights[i]` (0 to 1), rounded up; the answer then carries
   * those counters' values.
   */
  take(
    keys: readonly string[],
    limits: readonly number[],
    ttls: readonly number[],
    previous?: { keys: readonly string[]; weights: readonly number[] },
  ): CounterAnswer | Promise<CounterAnswer>
}

export interface CounterAnswer {
  allowed: boolean
  /** The usage of each counter before this take (from a lease: as the worker last knew it). */
  usage: number[]
  /** With `previous`: the value of each previous window's counter. */
  previous?: number[]
}

/**
 * Calls to the running plugin's own functions in the node's primary process, the one that holds
 * the store (a Silverback addition: workers have no database handle). A plugin definition lists
 * them in `primary` (plugins/definition.ts); rate-limiting's `cluster` policy counts this way.
 */
export interface KongPrimary {
  /** Resolves with what the function returned; rejects with its error, or after `timeoutMs`. */
  call(method: string, args: unknown, timeoutMs: number): Promise<unknown>
}

/**
 * The running plugin's own functions in the node's primary process, the one that holds the
 * store (a Silverback addition: proxy workers have no database handle). A plugin definition
 * lists them in `primary` (plugins/definition.ts); oauth2 creates its codes and tokens this way.
 */
export interface KongPrimary {
  /**
   * Runs the function `method` of the current plugin in the primary with `args` (JSON values):
   * resolves with what it returned, rejects with its error, or after `timeoutMs` without answer.
   */
  call(method: string, args: unknown, timeoutMs: number): Promise<unknown>
}

export interface KongNginx {
  getSubsystem(): string
  /**
   * An nginx request variable (`server_addr`, `server_port`, `remote_addr`, `remote_port`,
   * `connection`, `connection_requests`, `scheme`, `host`, `request_method`, `request_uri`, `uri`,
   * `args`, `upstream_uri`, `upstream_status`, `request_time`, `http_<header>`); null if unset.
   */
  getVar(name: string): string | null
}

export interface KongRouter {
  getRoute(): Row | null
  getService(): Row | null
}

export interface KongNode {
  getId(): string
  getHostname(): string
  getMemoryStats(): Row
}

export interface Kong {
  readonly request: KongRequest
  readonly response: KongResponse
  readonly service: KongService
  readonly client: KongClient
  readonly ctx: KongCtx
  readonly log: KongLog
  readonly cache: KongCache
  /** Node-wide counters (Silverback addition, see KongCounters). */
  readonly counters: KongCounters
  /** The plugin's functions in the primary process (Silverback addition, see KongPrimary). */
  readonly primary: KongPrimary
  readonly router: KongRouter
  readonly node: KongNode
  readonly ip: { isTrusted(ip: string): boolean }
  readonly plugin: { getId(): string }
  readonly nginx: KongNginx
  /** The node's configuration (read-only). */
  readonly configuration: Readonly<Row>
  readonly version: string
  readonly versionNum: number
}

type Phase<C> = (conf: C, kong: Kong) => void | Promise<void>

/**
 * A plugin's phase functions. `conf` is the instance's configuration (or what `prepare` made of
 * it). Access, rewrite, response and log handlers may be async; header_filter and body_filter
 * run while the response streams and must be synchronous.
 */
export interface PluginHandler<P, C = P> {
  priority: number
  version: string
  /** Once per configuration change: precompute what the phases need. */
  prepare?(config: C): P
  rewrite?: Phase<P>
  access?: Phase<P>
  /** After the whole upstream response was read (switches the request to buffered proxying). */
  response?: Phase<P>
  headerFilter?(conf: P, kong: Kong): void
  bodyFilter?(conf: P, kong: Kong): void
  log?: Phase<P>
}
