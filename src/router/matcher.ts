// Compilation of routes into matchers: one matcher per path group (router.md §4), with every
// condition precomputed so that matching allocates nothing for prefix and path-less routes.
import { parseRouteHost, parseRouteSni, type RouteHost, type RouteSni } from './host.js'
import { compileNetCondition, type NetCondition } from './net.js'
import { groupPaths, splitMatcherId } from './path-groups.js'
import { compareMatcherKeys, computePriority, type MatcherKey } from './priority.js'
import type { RegexCompiler } from './regex.js'
import type { RouteMatch, RouterBuildError, RouterRoute } from './types.js'

/** One header name of a route: the request must carry a value equal to `plain` or matching `regexes`. */
export interface HeaderCondition {
  /** Lower-case, `_` written as `-` (Kong looks `x_a` and `x-a` up as the same header). */
  readonly name: string
  /** Lower-cased plain values. */
  readonly plain: readonly string[]
  /** `~*` values, compiled from the lower-cased pattern; searched unanchored. */
  readonly regexes: readonly RegExp[]
}

/** Conditions of one matcher, checked after the index found it by host and path. */
export class Matcher<R extends RouterRoute> implements MatcherKey {
  /** Position in evaluation order, set once all matchers are sorted. */
  rank = 0
  /**
   * Position in compilation order (routes as given, then path groups), set by the build: the
   * last sort key, so that full ties (ids equal but for case) keep the order of the routes.
   */
  seq = 0
  /**
   * The outcome also depends on request headers, scheme/SNI or client addresses, which are
   * not part of the match cache key.
   */
  readonly dependent: boolean

  constructor(
    readonly id: string,
    /** Lower-cased id, the last sort key. */
    readonly idKey: string,
    readonly route: R,
    /** Priority (router.md §5.1) as two 32-bit halves, and the signed regex_priority. */
    readonly hi: number,
    readonly lo: number,
    readonly signedRegexPriority: number,
    readonly paths: readonly string[],
    readonly regexGroup: boolean,
    readonly methods: ReadonlySet<string> | null,
    /** null when the route has no hosts; otherwise every host (for indexing and port checks). */
    readonly hosts: readonly RouteHost[] | null,
    /** Some host carries a port: finding the matcher through the host index is not enough. */
    readonly hostPortCheck: boolean,
    readonly headers: readonly HeaderCondition[] | null,
    readonly snis: readonly RouteSni[] | null,
    readonly sources: readonly NetCondition[] | null,
    readonly destinations: readonly NetCondition[] | null,
    /** Compiled regex paths of the regex group (empty for prefix groups), in configured order. */
    readonly regexes: readonly RegExp[],
  ) {
    this.dependent = headers !== null || snis !== null || sources !== null || destinations !== null
  }

  /**
   * The same matcher for another route object with the same matching fields (a rebuild that
   * reuses compiled matchers). Compiled conditions are immutable and shared.
   */
  withRoute(route: R): Matcher<R> {
    return new Matcher(
      this.id,
      this.idKey,
      route,
      this.hi,
      this.lo,
      this.signedRegexPriority,
      this.paths,
      this.regexGroup,
      this.methods,
      this.hosts,
      this.hostPortCheck,
      this.headers,
      this.snis,
      this.sources,
      this.destinations,
      this.regexes,
    )
  }
}

/** Evaluation order of matchers: priority and id (router.md §5.3), then compilation order. */
export function compareMatchers<R extends RouterRoute>(a: Matcher<R>, b: Matcher<R>): number {
  return compareMatcherKeys(a, b) || a.seq - b.seq
}

function nonEmpty<T>(a: readonly T[] | null | undefined): a is readonly T[] {
  return a !== null && a !== undefined && a.length > 0
}

/** State shared by the compilation of all routes of one build. */
export class MatcherCompiler {
  /** Method sets are shared between routes with the same methods (memory at 100k routes). */
  private readonly methodSets = new Map<string, ReadonlySet<string>>()

  constructor(
    private readonly regexes: RegexCompiler,
    private readonly errors: RouterBuildError[],
  ) {}

  private methodSet(methods: readonly string[]): ReadonlySet<string> {
    const key = methods.join(' ')
    let set = this.methodSets.get(key)
    if (set === undefined) {
      set = new Set(methods)
      this.methodSets.set(key, set)
    }
    return set
  }

  private fail(route: RouterRoute, message: string): void {
    this.errors.push({ routeId: route.id, message })
  }

  private headerConditions(route: RouterRoute): HeaderCondition[] | null | undefined {
    const headers = route.headers
    if (headers === null || headers === undefined) return null
    const out: HeaderCondition[] = []
    for (const [name, values] of Object.entries(headers)) {
      if (!nonEmpty(values)) {
        this.fail(route, `header '${name}' has no values`)
        return undefined
      }
      const plain: string[] = []
      const regexes: RegExp[] = []
      for (const v of values) {
        if (v.startsWith('~*')) {
          const r = this.regexes.header(v.slice(2))
          if ('error' in r) {
            this.fail(route, `header '${name}': ${r.error}`)
            return undefined
          }
          regexes.push(r.regex)
        } else {
          plain.push(v.toLowerCase())
        }
      }
      out.push({ name: name.toLowerCase().replaceAll('_', '-'), plain, regexes })
    }
    return out.length > 0 ? out : null
  }

  private netConditions(route: RouterRoute, list: RouterRoute['sources']): NetCondition[] | null | undefined {
    if (!nonEmpty(list)) return null
    const out: NetCondition[] = []
    for (const e of list) {
      const c = compileNetCondition(e)
      if (typeof c === 'string') {
        this.fail(route, c)
        return undefined
      }
      out.push(c)
    }
    return out
  }

  /**
   * The matchers of one route (several when its paths form several groups), or none when the
   * route cannot be loaded (the reason is recorded in `errors`, as Kong logs it and drops the
   * route). Regex groups that fail to compile are dropped alone, like Kong's add_matcher.
   */
  compile<R extends RouterRoute>(route: R): Matcher<R>[] {
    const methods = nonEmpty(route.methods) ? this.methodSet(route.methods) : null
    const hostList = route.hosts
    const hosts = nonEmpty(hostList) ? hostList.map(parseRouteHost) : null
    const headers = this.headerConditions(route)
    const snis = nonEmpty(route.snis) ? route.snis.map(parseRouteSni) : null
    const sources = this.netConditions(route, route.sources)
    const destinations = this.netConditions(route, route.destinations)
    if (headers === undefined || sources === undefined || destinations === undefined) return []
    const paths = nonEmpty(route.paths) ? route.paths : null

    const weight =
      (methods ? 1 : 0) +
      (hosts ? 1 : 0) +
      (headers ? 1 : 0) +
      (paths ? 1 : 0) +
      (snis ? 1 : 0) +
      (sources ? 1 : 0) +
      (destinations ? 1 : 0)
    if (weight === 0) {
      this.fail(route, 'route has no matching criteria (methods, hosts, headers, paths, snis)')
      return []
    }
    // Kong quirk (router.md §5.1): any `hosts` array, even an empty one, sets the flag.
    const plainHosts = Array.isArray(hostList) && hostList.every((h) => !h.includes('*'))
    const headerCount = route.headers ? Object.keys(route.headers).length : 0
    const hostPortCheck = hosts?.some((h) => h.port !== -1) === true

    const groups = paths ? groupPaths(paths) : [{ regex: false, length: 0, paths: [] as string[] }]
    const split = groups.length > 1
    const out: Matcher<R>[] = []
    groups.forEach((group, index) => {
      let regexes: RegExp[] = []
      if (group.regex) {
        for (const p of group.paths) {
          const r = this.regexes.path(p.slice(1))
          if ('error' in r) {
            this.fail(route, `path '${p}': ${r.error}`)
            return
          }
          regexes.push(r.regex)
        }
      } else {
        regexes = NO_REGEXES
      }
      const id = split ? splitMatcherId(route.id, index) : route.id
      const priority = computePriority({
        weight,
        plainHosts,
        headerCount,
        regex: group.regex,
        regexPriority: route.regex_priority ?? 0,
        prefixLength: group.length,
      })
      out.push(
        new Matcher(
          id,
          id.toLowerCase(),
          route,
          priority.hi,
          priority.lo,
          priority.signedRegexPriority,
          group.paths,
          group.regex,
          methods,
          hosts,
          hostPortCheck,
          headers,
          snis,
          sources,
          destinations,
          regexes,
        ),
      )
    })
    return out
  }
}

const NO_REGEXES: RegExp[] = []

/** Entry kinds in the index. */
export const ENTRY_PREFIX = 0
export const ENTRY_REGEX = 1
export const ENTRY_NO_PATH = 2

export type EntryKind = typeof ENTRY_PREFIX | typeof ENTRY_REGEX | typeof ENTRY_NO_PATH

/**
 * What the index stores: a matcher reachable at one node of a prefix tree. A prefix entry sits
 * at its path (reaching the node proves the path matched) and carries the precomputed result;
 * a regex entry sits at the literal prefix shared by its regexes; a no-path entry at the root.
 */
export class IndexEntry<R extends RouterRoute> {
  readonly rank: number
  /**
   * Reaching the entry proves the match (a prefix or path-less entry without methods, port
   * checks or header/SNI/address conditions): the matcher itself need not be read.
   */
  readonly certain: boolean

  constructor(
    readonly matcher: Matcher<R>,
    readonly kind: EntryKind,
    /** Result returned as is for prefix and no-path entries (frozen, shared by all requests). */
    readonly result: RouteMatch<R> | null,
  ) {
    this.rank = matcher.rank
    this.certain =
      kind !== ENTRY_REGEX && matcher.methods === null && !matcher.hostPortCheck && !matcher.dependent
  }
}

export function prefixResult<R extends RouterRoute>(route: R, path: string): RouteMatch<R> {
  return Object.freeze({ route, matchedPath: path, captures: undefined, prefixMatched: true })
}

export function noPathResult<R extends RouterRoute>(route: R): RouteMatch<R> {
  return Object.freeze({ route, matchedPath: undefined, captures: undefined, prefixMatched: false })
}
