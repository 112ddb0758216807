// Public types of the HTTP router (router.md). The router consumes plain route objects with
// Kong's field names, so a route document read from the store (or a declarative file) can be
// passed as is; callers that need more per route (their service, plugins, …) use a subtype
// `R extends RouterRoute` and get their own objects back from `match()`.

/** A `sources` / `destinations` element: IP (or CIDR) and/or port. */
export interface RouterNetEndpoint {
  readonly ip?: string | null
  readonly port?: number | null
}

/** `path_handling`: `v1` only changes anything in the `traditional` flavor (router.md §7.5). */
export type PathHandling = 'v0' | 'v1'

/**
 * The route fields the router reads. `null` and `undefined` both mean "not set"; an empty
 * array or map also means "not set" for matching (router.md §3), but see `hosts` for the
 * one place where `[]` differs from `null` (a priority quirk, router.md §5.1).
 */
export interface RouterRoute {
  readonly id: string
  readonly name?: string | null
  readonly protocols?: readonly string[] | null
  readonly methods?: readonly string[] | null
  readonly hosts?: readonly string[] | null
  readonly paths?: readonly string[] | null
  readonly headers?: Readonly<Record<string, readonly string[]>> | null
  readonly snis?: readonly string[] | null
  readonly sources?: readonly RouterNetEndpoint[] | null
  readonly destinations?: readonly RouterNetEndpoint[] | null
  readonly regex_priority?: number | null
  readonly strip_path?: boolean | null
  readonly preserve_host?: boolean | null
  readonly path_handling?: PathHandling | null
  readonly https_redirect_status_code?: number | null
  readonly request_buffering?: boolean | null
  readonly response_buffering?: boolean | null
  readonly service?: { readonly id: string } | null
}

/**
 * Request headers by lower-case name. Node's `req.headers` (IncomingHttpHeaders) fits without
 * copying. Node joins repeated headers into one `", "`-separated string (except a few such as
 * `set-cookie`); pass `req.headersDistinct` instead to get Kong's "any occurrence may match"
 * behaviour for repeated headers (router.md §3.6).
 */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>

/** What the router looks at in a request (router.md §2). */
export interface RequestAttributes {
  /** Request method as sent (compared case-sensitively with the upper-case route methods). */
  readonly method: string
  /** `Host` header value as sent (HTTP/2: `:authority`); may carry `:port`; undefined if absent. */
  readonly host: string | undefined
  /** Local listener port (after `port_maps`); used when the Host header has no port. */
  readonly port: number
  /** Normalized request path, see `normalizeRequestPath()`. */
  readonly path: string
  readonly headers: RequestHeaders
  /** TLS SNI of the connection, if any. */
  readonly sni?: string | undefined
  readonly scheme: 'http' | 'https'
  /** Client / local addresses: only consulted by routes with `sources` / `destinations`. */
  readonly srcIp?: string | undefined
  readonly srcPort?: number | undefined
  readonly dstIp?: string | undefined
  readonly dstPort?: number | undefined
}

/**
 * Regex path captures, as `kong.request.get_uri_captures()` returns them: `unnamed[0]` is the
 * whole match, `unnamed[i]` the i-th group (named groups are numbered too); a group that did
 * not participate is `undefined` (a hole, as in Kong's Lua table). `named` only has the named
 * groups that participated.
 */
export interface UriCaptures {
  readonly unnamed: ReadonlyArray<string | undefined>
  readonly named: Readonly<Record<string, string>>
}

/**
 * A successful match. Results may be shared between requests (prefix matches are precomputed,
 * cached matches are reused): treat them as immutable.
 */
export interface RouteMatch<R extends RouterRoute = RouterRoute> {
  readonly route: R
  /**
   * The part of the path that `strip_path` removes (router.md §7.3): the route's prefix path,
   * or group 0 of the regex. Undefined when the route matched without a path.
   */
  readonly matchedPath?: string | undefined
  /** Present only for a regex path with at least one group that participated. */
  readonly captures?: UriCaptures | undefined
  /** True when the route matched through one of its prefix (non-regex) paths. */
  readonly prefixMatched: boolean
}

export interface RouterOptions {
  /** Only `traditional_compatible` (Kong's default) is implemented. */
  readonly flavor?: 'traditional_compatible'
  /**
   * Paths remembered by the per-router match cache, each with up to 4 (method, Host, listener
   * port) variants; the oldest path is evicted first. Results that depended on headers, SNI,
   * scheme or client addresses are never cached. 0 disables the cache. Default 4096.
   */
  readonly cacheSize?: number
}

/** Options of `compileRouter` and `compileRouterAsync`. */
export interface RouterBuildOptions<R extends RouterRoute = RouterRoute> extends RouterOptions {
  /**
   * The router this build replaces (a hint): the compiled matchers of its routes that did not
   * change are reused instead of compiled again, and its evaluation order is merged with the
   * changed routes instead of sorting everything. A route is unchanged when it is the same
   * object as in `previous` (route objects must then never be modified in place), or when it
   * has the same id and `routeVersion` gives the same value, neither `undefined` nor `null`, for
   * both. The result is the same router as a build without `previous`.
   */
  readonly previous?: Router<R> | null
  /**
   * A cheap key that changes whenever a route's matching fields change (for example the store
   * row the route object was made from, when rows are replaced on every update). Without it,
   * only identical route objects are reused.
   */
  readonly routeVersion?: ((route: R) => unknown) | null
}

/** Options of `compileRouterAsync`. */
export interface AsyncRouterBuildOptions<R extends RouterRoute = RouterRoute> extends RouterBuildOptions<R> {
  /**
   * Work done between two turns of the event loop, in ms (default 4). The longest block is
   * about this plus the costliest single step (one route's compilation, one native sort of
   * 1,024 matchers: well under a millisecond) and any garbage-collection pause.
   */
  readonly sliceMs?: number
}

/** A route (or one of its path groups) that could not be loaded; the rest of the router works. */
export interface RouterBuildError {
  readonly routeId: string
  readonly message: string
}

/** Introspection of one matcher (a route, or one path group of a split route). */
export interface MatcherInfo {
  /** Route id, or the derived id of a split path group (router.md §4). */
  readonly id: string
  readonly routeId: string
  /** The 64-bit priority of router.md §5.1. */
  readonly priority: bigint
  /** Position in evaluation order (0 is tried first). */
  readonly rank: number
  readonly paths: readonly string[]
}

export interface Router<R extends RouterRoute = RouterRoute> {
  /** Routes loaded (HTTP-subsystem routes that compiled). */
  readonly routeCount: number
  /** Matchers after splitting routes by path group. */
  readonly matcherCount: number
  readonly errors: readonly RouterBuildError[]
  /** The best route for a request, or null (→ 404). */
  match(attrs: RequestAttributes): RouteMatch<R> | null
  /** Matchers in evaluation order (for debugging and tests; allocates). */
  describe(): MatcherInfo[]
}
