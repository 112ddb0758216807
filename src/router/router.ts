// The HTTP router of the traditional_compatible flavor (router.md §2–§5): compiles a route
// list into an immutable index and selects, per request, the matching matcher of highest
// priority.
//
// Search: matchers are ranked once (priority, then id; rank 0 = best). A request consults only
// the buckets of its host (exact, wildcards) and the no-host bucket, and in each bucket only
// the prefix-tree nodes on its path. Every node lists its entries by rank, so the search keeps
// the best rank found so far and stops scanning a list at the first entry that cannot beat it:
// the result is the best-ranked matching matcher, exactly what a scan of all matchers in
// priority order (Kong's ATC router) would return.
//
// Matching never allocates for prefix or path-less matches without a port in the Host header
// (results are precomputed); a regex match allocates its result.

import { parsePortAt, type RouteHost, routeHostMatches, routeSniMatches } from './host.js'
import { type HostBucket, HostIndex, WILDCARD_SCAN_LIMIT } from './host-index.js'
import {
  compareMatchers,
  ENTRY_REGEX,
  type HeaderCondition,
  type IndexEntry,
  type Matcher,
  MatcherCompiler,
} from './matcher.js'
import { netConditionsMatch } from './net.js'
import { hasInvalidUtf8 } from './normalize.js'
import { priorityToBigInt } from './priority.js'
import type { RadixNode } from './radix.js'
import { RegexCompiler } from './regex.js'
import { mergeInto, runSliced, runSync, Slicer, type Steps, sortSliced } from './slicer.js'
import type {
  AsyncRouterBuildOptions,
  MatcherInfo,
  RequestAttributes,
  RequestHeaders,
  RouteMatch,
  Router,
  RouterBuildError,
  RouterBuildOptions,
  RouterRoute,
  UriCaptures,
} from './types.js'

const DEFAULT_CACHE_SIZE = 4096

const HTTP_PROTOCOLS: ReadonlySet<string> = new Set(['http', 'https', 'grpc', 'grpcs'])

/**
 * Routes served by the HTTP router: those with an HTTP-subsystem protocol (router.md §1.2);
 * no protocols means Kong's default `["http", "https"]`.
 */
export function isHttpRoute(route: RouterRoute): boolean {
  const p = route.protocols
  if (p === null || p === undefined || p.length === 0) return true
  for (const x of p) if (HTTP_PROTOCOLS.has(x)) return true
  return false
}

function hostsMatch(hosts: readonly RouteHost[], host: string, port: number): boolean {
  for (let i = 0; i < hosts.length; i++) if (routeHostMatches(hosts[i], host, port)) return true
  return false
}

function headerValueMatches(h: HeaderCondition, value: string): boolean {
  const lower = value.toLowerCase()
  const plain = h.plain
  for (let i = 0; i < plain.length; i++) if (plain[i] === lower) return true
  const regexes = h.regexes
  for (let i = 0; i < regexes.length; i++) if (regexes[i].test(lower)) return true
  return false
}

function headersMatch(conds: readonly HeaderCondition[], headers: RequestHeaders): boolean {
  for (let c = 0; c < conds.length; c++) {
    const h = conds[c]
    const v = headers[h.name]
    if (typeof v === 'string') {
      if (!headerValueMatches(h, v)) return false
    } else if (Array.isArray(v)) {
      let ok = false
      for (let i = 0; i < v.length; i++) {
        if (headerValueMatches(h, v[i])) {
          ok = true
          break
        }
      }
      if (!ok) return false
    } else {
      // Absent (or an inherited property of a plain object such as `constructor`).
      return false
    }
  }
  return true
}

function regexMatch<R extends RouterRoute>(m: Matcher<R>, path: string): RouteMatch<R> | null {
  const regexes = m.regexes
  for (let i = 0; i < regexes.length; i++) {
    const x = regexes[i].exec(path)
    if (x === null) continue
    let captures: UriCaptures | undefined
    // Kong only reports captures when some group besides group 0 participated.
    let participated = false
    for (let g = 1; g < x.length; g++) {
      if (x[g] !== undefined) {
        participated = true
        break
      }
    }
    if (participated) {
      const named: Record<string, string> = {}
      const groups = x.groups
      if (groups !== undefined) {
        for (const name of Object.keys(groups)) {
          const v = groups[name]
          if (v === undefined) continue
          // `__proto__` is a valid group name; define it rather than set the prototype.
          Object.defineProperty(named, name, {
            value: v,
            enumerable: true,
            writable: false,
            configurable: false,
          })
        }
      }
      captures = { unnamed: Array.from(x), named }
    }
    // An empty group 0 is reported as no matched path by Kong's ATC binding.
    return { route: m.route, matchedPath: x[0] === '' ? undefined : x[0], captures, prefixMatched: false }
  }
  return null
}

/** Cached outcome for one (method, Host header, listener port) variant of a path. */
class CacheSlot<R extends RouterRoute> {
  constructor(
    readonly method: string,
    readonly host: string | undefined,
    readonly port: number,
    readonly result: RouteMatch<R> | null,
  ) {}
}

/** Variants kept per path; the oldest is replaced beyond this. */
const SLOTS_PER_PATH = 4

/** Per-request search state, reused: match() is synchronous and never re-entered. */
class SearchState<R extends RouterRoute> {
  attrs: RequestAttributes | null = null
  method = ''
  /** Host without port (Kong's http.host). */
  host = ''
  /** Port of the Host header, else the listener port (Kong's net.dst.port). */
  port = 0
  path = ''
  best = Number.POSITIVE_INFINITY
  result: RouteMatch<R> | null = null
  /** A matcher with header/SNI/address conditions got as far as checking them. */
  dependent = false
}

class CompiledRouter<R extends RouterRoute> implements Router<R> {
  private readonly s = new SearchState<R>()
  /**
   * Match cache keyed by path, then by (method, Host header as sent, listener port): no key
   * string is built, so a hit costs one hash of the path and a few string comparisons.
   */
  private readonly cache: Map<string, CacheSlot<R>[]> | null
  /** Some route host has a port: the listener port is part of the cache key. */
  private readonly portInKey: boolean

  constructor(
    /** In evaluation order (read by a rebuild that reuses them). */
    readonly matchers: readonly Matcher<R>[],
    private readonly index: HostIndex<R>,
    readonly errors: readonly RouterBuildError[],
    readonly routeCount: number,
    private readonly cacheSize: number,
    portInKey: boolean,
  ) {
    this.cache = cacheSize > 0 ? new Map() : null
    this.portInKey = portInKey
  }

  get matcherCount(): number {
    return this.matchers.length
  }

  match(attrs: RequestAttributes): RouteMatch<R> | null {
    const path = attrs.path
    if (hasInvalidUtf8(path)) return null

    const rawHost = attrs.host
    const cache = this.cache
    if (cache !== null) {
      const slots = cache.get(path)
      if (slots !== undefined) {
        const method = attrs.method
        const listener = this.portInKey ? attrs.port : 0
        for (let i = 0; i < slots.length; i++) {
          const c = slots[i]
          if (c.method === method && c.host === rawHost && c.port === listener) return c.result
        }
      }
    }

    // Kong's split_host_port: the Host port, when present, replaces the listener port.
    let host = rawHost
    let port = attrs.port
    if (rawHost !== undefined) {
      const colon = rawHost.indexOf(':')
      if (colon !== -1) {
        const p = parsePortAt(rawHost, colon + 1)
        if (p !== -1) {
          host = rawHost.slice(0, colon)
          port = p
        }
      }
    }

    const s = this.s
    s.attrs = attrs
    s.method = attrs.method
    s.host = host ?? ''
    s.port = port
    s.path = path
    s.best = Number.POSITIVE_INFINITY
    s.result = null
    s.dependent = false

    const index = this.index
    if (host !== undefined) {
      const exact = index.exact.get(host)
      if (exact !== undefined) this.search(exact)
      this.searchWildcards(host)
    }
    this.search(index.noHost)

    const result = s.result
    s.attrs = null
    s.result = null
    if (cache !== null && !s.dependent) this.remember(cache, attrs, result)
    return result
  }

  private remember(
    cache: Map<string, CacheSlot<R>[]>,
    attrs: RequestAttributes,
    result: RouteMatch<R> | null,
  ): void {
    let slots = cache.get(attrs.path)
    if (slots === undefined) {
      if (cache.size >= this.cacheSize) {
        // Evict the oldest path (a Map iterates in insertion order).
        const oldest = cache.keys().next()
        if (oldest.done !== true) cache.delete(oldest.value)
      }
      slots = []
      cache.set(attrs.path, slots)
    } else if (slots.length >= SLOTS_PER_PATH) {
      slots.shift()
    }
    // Cached results are shared by later requests: freeze regex results (prefix ones are).
    const shared = result === null || Object.isFrozen(result) ? result : Object.freeze(result)
    slots.push(new CacheSlot(attrs.method, attrs.host, this.portInKey ? attrs.port : 0, shared))
  }

  private searchWildcards(host: string): void {
    const index = this.index
    const suffixes = index.suffixes
    if (suffixes.length > 0) {
      if (suffixes.length <= WILDCARD_SCAN_LIMIT) {
        for (let i = 0; i < suffixes.length; i++) {
          if (host.endsWith(suffixes[i].value)) this.search(suffixes[i].bucket)
        }
      } else {
        // `*.x` needs the host to end with `.x`: look every suffix starting at a dot up.
        for (let d = host.indexOf('.'); d !== -1; d = host.indexOf('.', d + 1)) {
          const b = index.suffixByValue.get(host.slice(d))
          if (b !== undefined) this.search(b)
        }
        const odd = index.oddSuffixes
        for (let i = 0; i < odd.length; i++) if (host.endsWith(odd[i].value)) this.search(odd[i].bucket)
      }
    }
    const prefixes = index.prefixes
    if (prefixes.length > 0) {
      if (prefixes.length <= WILDCARD_SCAN_LIMIT) {
        for (let i = 0; i < prefixes.length; i++) {
          if (host.startsWith(prefixes[i].value)) this.search(prefixes[i].bucket)
        }
      } else {
        for (let d = host.indexOf('.'); d !== -1; d = host.indexOf('.', d + 1)) {
          const b = index.prefixByValue.get(host.slice(0, d + 1))
          if (b !== undefined) this.search(b)
        }
        const odd = index.oddPrefixes
        for (let i = 0; i < odd.length; i++) if (host.startsWith(odd[i].value)) this.search(odd[i].bucket)
      }
    }
  }

  /**
   * Tries the bucket's entries whose path key is a prefix of the request path, in rank order,
   * stopping at the first entry that cannot beat the best match so far.
   */
  private search(bucket: HostBucket<R>): void {
    const s = this.s
    if (bucket.minRank >= s.best) return
    const path = s.path
    const tree = bucket.tree
    if (tree === null) {
      const keys = bucket.keys
      const entries = bucket.entries
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i]
        if (e.rank >= s.best) return
        if (!path.startsWith(keys[i])) continue
        const r = this.evaluate(e)
        if (r !== null) {
          s.best = e.rank
          s.result = r
          return
        }
      }
      return
    }
    // Walk the prefix tree along the path: the nodes visited are exactly the keys that are
    // prefixes of the path, each with its entries in rank order.
    let node: RadixNode<IndexEntry<R>> = tree.root
    let pos = 0
    for (;;) {
      const values = node.values
      if (values !== null) {
        for (let i = 0; i < values.length; i++) {
          const e = values[i]
          if (e.rank >= s.best) break
          const r = this.evaluate(e)
          if (r !== null) {
            s.best = e.rank
            s.result = r
            break
          }
        }
      }
      if (pos >= path.length) return
      const child = node.child(path.charCodeAt(pos))
      if (child === undefined) return
      const label = child.label
      // The first code unit was matched by the child lookup.
      if (label.length > 1 && !path.startsWith(label, pos)) return
      pos += label.length
      node = child
    }
  }

  /** The remaining conditions of an entry the index found for this host and path. */
  private evaluate(e: IndexEntry<R>): RouteMatch<R> | null {
    if (e.certain) return e.result
    const m = e.matcher
    const s = this.s
    if (m.methods !== null && !m.methods.has(s.method)) return null
    if (m.hostPortCheck && !hostsMatch(m.hosts as readonly RouteHost[], s.host, s.port)) return null
    let result = e.result
    if (e.kind === ENTRY_REGEX) {
      result = regexMatch(m, s.path)
      if (result === null) return null
    }
    if (m.dependent) {
      s.dependent = true
      if (!this.dependentConditionsMatch(m)) return null
    }
    return result
  }

  private dependentConditionsMatch(m: Matcher<R>): boolean {
    const a = this.s.attrs as RequestAttributes
    if (m.headers !== null && !headersMatch(m.headers, a.headers)) return false
    // SNIs only constrain TLS requests (router.md §3.7); they still count for priority.
    if (m.snis !== null && a.scheme === 'https') {
      const sni = a.sni
      if (sni === undefined) return false
      let ok = false
      for (let i = 0; i < m.snis.length; i++) {
        if (routeSniMatches(m.snis[i], sni)) {
          ok = true
          break
        }
      }
      if (!ok) return false
    }
    if (m.sources !== null && !netConditionsMatch(m.sources, a.srcIp, a.srcPort)) return false
    // Kong's net.dst.port is the Host header port when there is one, like host matching.
    if (m.destinations !== null && !netConditionsMatch(m.destinations, a.dstIp, this.s.port)) return false
    return true
  }

  describe(): MatcherInfo[] {
    return this.matchers.map((m) => ({
      id: m.id,
      routeId: m.route.id,
      priority: priorityToBigInt(m),
      rank: m.rank,
      paths: m.paths,
    }))
  }
}

/**
 * Compiles routes into an immutable router (router.md §4–§5). Routes without an HTTP-subsystem
 * protocol are ignored; routes that cannot be loaded are reported in `errors` and left out.
 * The caller decides which routes exist for the proxy: routes of disabled services (router.md
 * §1.2) must be filtered out before calling this.
 *
 * Blocks until done (tens of ms at 10,000 routes): a process serving requests rebuilds with
 * `compileRouterAsync` instead.
 */
export function compileRouter<R extends RouterRoute>(
  routes: Iterable<R>,
  opts: RouterBuildOptions<R> = {},
): Router<R> {
  return runSync(buildSteps(routes, opts, Slicer.never))
}

/**
 * `compileRouter` in slices of about `opts.sliceMs` (default 4 ms) of work, giving the event
 * loop a turn (`setImmediate`) between slices, so requests in flight are served while a large
 * configuration is compiled. Same result as `compileRouter`. The routes are iterated during
 * the build: neither the iterable nor the route objects may change until it resolves.
 */
export function compileRouterAsync<R extends RouterRoute>(
  routes: Iterable<R>,
  opts: AsyncRouterBuildOptions<R> = {},
): Promise<Router<R>> {
  const slicer = new Slicer(opts.sliceMs ?? DEFAULT_SLICE_MS)
  return runSliced(buildSteps(routes, opts, slicer), slicer)
}

const DEFAULT_SLICE_MS = 4

/** The build, shared by both entry points: it yields whenever `slicer` says the slice is over. */
function* buildSteps<R extends RouterRoute>(
  routes: Iterable<R>,
  opts: RouterBuildOptions<R>,
  slicer: Slicer,
): Steps<Router<R>> {
  if (opts.flavor !== undefined && opts.flavor !== 'traditional_compatible') {
    throw new Error(`unsupported router flavor: ${String(opts.flavor)}`)
  }
  const errors: RouterBuildError[] = []
  const compiler = new MatcherCompiler(new RegexCompiler(), errors)
  const previous = opts.previous
  const reuse =
    previous instanceof CompiledRouter
      ? yield* MatcherReuse.steps(previous as CompiledRouter<R>, opts.routeVersion ?? null, slicer)
      : null
  /** Matchers compiled by this build (all of them without reuse), in compilation order. */
  const compiled: Matcher<R>[] = []
  const ids = new Set<string>()
  let routeCount = 0
  let seq = 0
  for (const route of routes) {
    if (!isHttpRoute(route)) continue
    if (typeof route.id !== 'string' || route.id === '') {
      errors.push({ routeId: String(route.id), message: 'route has no id' })
      continue
    }
    if (ids.has(route.id)) {
      errors.push({ routeId: route.id, message: 'duplicate route id' })
      continue
    }
    ids.add(route.id)
    let ms = reuse?.take(route) ?? null
    if (ms === null) {
      ms = compiler.compile(route)
      for (const m of ms) compiled.push(m)
    }
    if (ms.length > 0) routeCount++
    for (const m of ms) m.seq = seq++
    if (slicer.due()) yield
  }
  const matchers =
    reuse === null
      ? yield* sortSliced(compiled, compareMatchers, slicer)
      : yield* reuse.orderSteps(compiled, slicer)
  let portInKey = false
  for (let i = 0; i < matchers.length; i++) {
    matchers[i].rank = i
    if (matchers[i].hostPortCheck) portInKey = true
  }
  const index = new HostIndex<R>()
  yield* index.buildSteps(matchers, slicer)
  const cacheSize = opts.cacheSize ?? DEFAULT_CACHE_SIZE
  return new CompiledRouter(
    matchers,
    index,
    errors,
    routeCount,
    Math.max(0, Math.floor(cacheSize)),
    portInKey,
  )
}

/**
 * The matchers of a previous router, for a rebuild: routes that compiled without errors, by
 * id. Unchanged routes get copies of their matchers pointing to the new route object; the
 * copies keep the previous evaluation order, which is merged with the newly compiled matchers.
 */
class MatcherReuse<R extends RouterRoute> {
  /** Copies handed out, at the rank of the previous matcher they copy (null: not reused). */
  private readonly slots: Array<Matcher<R> | null> = []

  private constructor(
    /** Previous matchers of each reusable route id: one, or several in path group order. */
    private readonly byId: Map<string, Matcher<R> | Matcher<R>[]>,
    private readonly version: ((route: R) => unknown) | null,
    count: number,
  ) {
    for (let i = 0; i < count; i++) this.slots.push(null)
  }

  static *steps<R extends RouterRoute>(
    previous: CompiledRouter<R>,
    version: ((route: R) => unknown) | null,
    slicer: Slicer,
  ): Steps<MatcherReuse<R>> {
    // A route with any error may have lost some of its path groups: compile it again.
    const failed = new Set<string>()
    for (const e of previous.errors) failed.add(e.routeId)
    const byId = new Map<string, Matcher<R> | Matcher<R>[]>()
    const matchers = previous.matchers
    for (let i = 0; i < matchers.length; i++) {
      const m = matchers[i]
      const id = m.route.id
      if (failed.has(id)) continue
      const found = byId.get(id)
      if (found === undefined) byId.set(id, m)
      else {
        const list = Array.isArray(found) ? found : [found]
        list.push(m)
        list.sort((a, b) => a.seq - b.seq)
        byId.set(id, list)
      }
      if ((i & 1023) === 1023 && slicer.due()) yield
    }
    return new MatcherReuse(byId, version, matchers.length)
  }

  /** Copies of the previous matchers of `route` if it is unchanged, else null. */
  take(route: R): Matcher<R>[] | null {
    const found = this.byId.get(route.id)
    if (found === undefined) return null
    const before = Array.isArray(found) ? found[0].route : found.route
    if (before !== route) {
      const version = this.version
      if (version === null) return null
      const v = version(route)
      if (v === undefined || v === null || v !== version(before)) return null
    }
    this.byId.delete(route.id)
    const old = Array.isArray(found) ? found : [found]
    const out: Matcher<R>[] = []
    for (const m of old) {
      const copy = m.withRoute(route)
      this.slots[m.rank] = copy
      out.push(copy)
    }
    return out
  }

  /**
   * Evaluation order of the new build: the copies in their previous order (still sorted unless
   * a full tie changed sides, which is checked) merged with the sorted new matchers.
   */
  *orderSteps(compiled: Matcher<R>[], slicer: Slicer): Steps<Matcher<R>[]> {
    let kept: Matcher<R>[] = []
    const slots = this.slots
    for (let i = 0; i < slots.length; i++) {
      const copy = slots[i]
      if (copy !== null) kept.push(copy)
      if ((i & 4095) === 4095 && slicer.due()) yield
    }
    for (let i = 1; i < kept.length; i++) {
      if (compareMatchers(kept[i - 1], kept[i]) >= 0) {
        kept = yield* sortSliced(kept, compareMatchers, slicer)
        break
      }
      if ((i & 1023) === 1023 && slicer.due()) yield
    }
    const fresh = yield* sortSliced(compiled, compareMatchers, slicer)
    const out: Matcher<R>[] = []
    yield* mergeInto(kept, 0, kept.length, fresh, 0, fresh.length, out, 0, compareMatchers, slicer)
    return out
  }
}
