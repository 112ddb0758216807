// rate-limiting (plugins.md §6.10): UTC calendar windows per period, counted by one of three
// policies: `local` node-wide by the primary process (kong.counters), so the limits hold across
// all workers of the node; `redis` in a Redis shared by the nodes (redis.ts); `cluster` in the
// store shared by the nodes (cluster.ts). With every policy each check-and-count is one atomic
// operation: a rejected request is not counted, and concurrent requests can never overshoot a
// limit. `window_type = sliding` (beyond Kong OSS) also weighs each window's predecessor
// (sliding.ts).
import { weightedCount } from '../../cluster/counters.js'
import type { CounterAnswer, ExitHeaders, Kong } from '../../pdk/types.js'
import { KONG_COMPAT_VERSION } from '../../version.js'
import { type ConfigOf, definePlugin } from '../definition.js'
import { type ClusterAnswer, type ClusterTake, take as clusterTake } from './cluster.js'
import { migrations } from './migrations.js'
import { RedisCounters, type RedisSettings } from './redis.js'
import schema, { PERIODS, type Period } from './schema.js'
import { previousWeight, slidingRetryMs } from './sliding.js'
import {
  EXPIRATION,
  previousStart,
  resetSeconds,
  SLIDING_EXPIRATION,
  type WindowStarts,
  windowEnd,
  windowStarts,
} from './windows.js'

const ZERO_UUID = '00000000-0000-0000-0000-000000000000'

const capitalized = (p: Period) => p[0].toUpperCase() + p.slice(1)

interface Limit {
  period: Period
  limit: number
  limitHeader: string
  remainingHeader: string
}

/** The windows around one second, for sliding windows. */
interface Bounds {
  ends: number[]
  nextEnds: number[]
  previousStarts: number[]
}

interface Conf {
  limits: Limit[]
  /** Per-limit arrays handed to the counters. */
  values: number[]
  ttls: number[]
  periods: Period[]
  sliding: boolean
  limitBy: string
  headerName: string | null
  path: string | null
  policy: string
  faultTolerant: boolean
  hideClientHeaders: boolean
  errorCode: number
  errorMessage: string
  routeId: string
  serviceId: string
  /** `<route_id>:<service_id>` of the instance's scope. */
  scope: string
  /** The counter keys of each identifier during the second `at` (see keysFor). */
  keys: { at: number; byId: Map<string, Keys>; bounds: Bounds | null }
  redis: RedisCounters | null
  /** How long a `cluster` check may take (ms), from the node's database timeout; 0 = not known yet. */
  clusterTimeout: number
}

interface Keys {
  current: readonly string[]
  /** Sliding windows: the counters of the previous windows. */
  previous: readonly string[] | null
}

/**
 * The counter keys of `id` now. Made once per identifier and second, not per request: the same
 * string objects come back, whose hashes the counters' maps have already computed (hashing a
 * fresh ~80-character key costs more than the rest of the lookup on a small machine).
 */
function keysFor(conf: Conf, id: string, now: number, starts: WindowStarts): Keys {
  const cache = conf.keys
  if (cache.at !== now) {
    cache.at = now
    cache.byId.clear()
    cache.bounds = null
  }
  let keys = cache.byId.get(id)
  if (keys === undefined) {
    const key = (period: Period, start: number) => `ratelimit:${conf.scope}:${id}:${start}:${period}`
    keys = {
      current: Object.freeze(conf.limits.map((l) => key(l.period, starts[l.period]))),
      previous: conf.sliding
        ? Object.freeze(conf.limits.map((l) => key(l.period, previousStart(l.period, starts[l.period]))))
        : null,
    }
    if (cache.byId.size < 10_000) cache.byId.set(id, keys)
  }
  return keys
}

/** Where the windows of this second end, and where their predecessors started (sliding windows). */
function boundsFor(conf: Conf, starts: WindowStarts): Bounds {
  let b = conf.keys.bounds
  if (b === null) {
    const ends = conf.periods.map((p) => windowEnd(p, starts[p]))
    b = {
      ends,
      nextEnds: conf.periods.map((p, i) => windowEnd(p, ends[i])),
      previousStarts: conf.periods.map((p) => previousStart(p, starts[p])),
    }
    conf.keys.bounds = b
  }
  return b
}

/** The weight of each previous window at `nowMs`. */
function weightsAt(conf: Conf, starts: WindowStarts, nowMs: number): number[] {
  const { ends } = boundsFor(conf, starts)
  return conf.periods.map((p, i) => previousWeight(starts[p], ends[i], nowMs))
}

type Answer = CounterAnswer | ClusterAnswer

function take(conf: Conf, kong: Kong, id: string, keys: Keys, starts: WindowStarts, nowMs: number) {
  const weights = conf.sliding ? weightsAt(conf, starts, nowMs) : null
  const previous = weights !== null && keys.previous !== null ? { keys: keys.previous, weights } : undefined
  switch (conf.policy) {
    case 'local':
      return previous === undefined
        ? kong.counters.take(keys.current, conf.values, conf.ttls)
        : kong.counters.take(keys.current, conf.values, conf.ttls, previous)
    case 'redis': {
      const redis = conf.redis!
      const failure = redis.takeFailure()
      if (failure !== null) kong.log.err(failure)
      return redis.take({ keys: keys.current, limits: conf.values, ttls: conf.ttls, previous }, nowMs)
    }
    case 'cluster': {
      const args: ClusterTake = {
        route_id: conf.routeId,
        service_id: conf.serviceId,
        identifier: id,
        periods: conf.periods,
        dates: conf.periods.map((p) => starts[p]),
        limits: conf.values,
        ttls: conf.ttls,
      }
      if (weights !== null) args.previous = { dates: boundsFor(conf, starts).previousStarts, weights }
      return kong.primary.call('take', args, clusterTimeout(conf, kong)) as Promise<ClusterAnswer>
    }
    default:
      throw new Error(`unknown policy: ${conf.policy}`)
  }
}

/** The node's database timeout (pg_timeout), default 5 s: how long a worker waits for a count. */
function clusterTimeout(conf: Conf, kong: Kong): number {
  if (conf.clusterTimeout === 0) {
    const c = kong.configuration
    const pg = Number(c.pg_timeout)
    conf.clusterTimeout = c.database === 'postgres' && pg > 0 ? pg : 5000
  }
  return conf.clusterTimeout
}

function identifier(conf: Conf, kong: Kong): string {
  let id: unknown = null
  switch (conf.limitBy) {
    case 'service':
      id = kong.router.getService()?.id
      break
    case 'consumer':
      id = (kong.client.getConsumer() ?? kong.client.getCredential())?.id
      break
    case 'credential':
      id = kong.client.getCredential()?.id
      break
    case 'header':
      id = conf.headerName === null ? null : kong.request.getHeader(conf.headerName)
      break
    case 'path': {
      const path = kong.request.getPath()
      if (path === conf.path) id = path
      break
    }
  }
  return typeof id === 'string' && id !== '' ? id : kong.client.getForwardedIp()
}

function access(conf: Conf, kong: Kong): void | Promise<void> {
  const nowMs = Date.now()
  const now = Math.floor(nowMs / 1000) * 1000
  const starts = windowStarts(now)
  const id = identifier(conf, kong)
  const keys = keysFor(conf, id, now, starts)
  let answer: Answer | Promise<Answer>
  try {
    answer = take(conf, kong, id, keys, starts, nowMs)
  } catch (err) {
    return failed(conf, kong, err)
  }
  // most local takes are answered from the worker's lease, synchronously: no promise, no extra turn
  if (!(answer instanceof Promise)) return limit(conf, kong, answer, starts, now, nowMs)
  return answer.then(
    (a) => limit(conf, kong, a, starts, now, nowMs),
    (err: unknown) => failed(conf, kong, err),
  )
}

function failed(conf: Conf, kong: Kong, err: unknown): void {
  if (!conf.faultTolerant) throw err
  kong.log.err('failed to get usage: ', err instanceof Error ? err.message : String(err))
}

/**
 * Seconds until the most restrictive window lets a request through again: the end of the window
 * (fixed windows, Kong's rule), or with sliding windows, refused, the moment the weighted count
 * leaves room (when no other request is counted meanwhile).
 */
function resetOf(
  conf: Conf,
  i: number,
  answer: Answer,
  refused: boolean,
  starts: WindowStarts,
  now: number,
  nowMs: number,
): number {
  const l = conf.limits[i]
  const start = starts[l.period]
  const previous = answer.previous
  if (!conf.sliding || !refused || previous === undefined) return resetSeconds(l.period, start, now)
  const b = boundsFor(conf, starts)
  const weight = previousWeight(start, b.ends[i], nowMs)
  const current = answer.usage[i] - weightedCount(previous[i], weight)
  const ms = slidingRetryMs(l.limit, current, previous[i], start, b.ends[i], b.nextEnds[i], nowMs)
  return Math.max(1, Math.ceil(ms / 1000))
}

/** Sets the headers and refuses the request when a limit is exceeded. */
function limit(
  conf: Conf,
  kong: Kong,
  answer: Answer,
  starts: WindowStarts,
  now: number,
  nowMs: number,
): void {
  const usage = answer.usage
  // The period that stops the request (the longest exceeded one), if any.
  let stop = -1
  for (let i = 0; i < conf.limits.length; i++) if (conf.limits[i].limit - usage[i] <= 0) stop = i
  if (stop === -1 && !answer.allowed) {
    // refused by the counters without a usage showing it (cannot happen with the rules above, but
    // a refusal must never let the request through uncounted): the fullest window stops it
    stop = 0
    for (let i = 1; i < conf.limits.length; i++)
      if (conf.limits[i].limit - usage[i] <= conf.limits[stop].limit - usage[stop]) stop = i
  }

  let headers: ExitHeaders | null = null
  let reset = 1
  if (!conf.hideClientHeaders) {
    headers = {}
    let chosen = -1
    let chosenRemaining = 0
    for (let i = 0; i < conf.limits.length; i++) {
      const l = conf.limits[i]
      let remaining = l.limit - usage[i]
      if (stop === -1 || stop === i) remaining -= 1
      remaining = Math.max(0, remaining)
      // the most restrictive period: lowest remaining, ties to the longer window
      if (chosen === -1 || remaining < chosenRemaining || remaining === chosenRemaining) {
        chosen = i
        chosenRemaining = remaining
      }
      headers[l.limitHeader] = l.limit
      headers[l.remainingHeader] = remaining
    }
    const c = conf.limits[chosen]
    reset = resetOf(conf, chosen, answer, stop !== -1, starts, now, nowMs)
    headers['RateLimit-Limit'] = c.limit
    headers['RateLimit-Remaining'] = chosenRemaining
    headers['RateLimit-Reset'] = reset
  }

  if (stop !== -1) {
    if (headers !== null) headers['Retry-After'] = reset
    kong.response.error(conf.errorCode, conf.errorMessage, headers ?? undefined)
    return
  }
  if (headers !== null) kong.response.setHeaders(headers)
}

type Config = ConfigOf<typeof schema> & { route_id?: string | null; service_id?: string | null }

export default definePlugin(
  schema,
  {
    priority: 910,
    version: KONG_COMPAT_VERSION,
    prepare(config: Config): Conf {
      const limits: Limit[] = []
      for (const period of PERIODS) {
        const limit = config[period]
        if (typeof limit !== 'number') continue
        limits.push({
          period,
          limit,
          limitHeader: `X-RateLimit-Limit-${capitalized(period)}`,
          remainingHeader: `X-RateLimit-Remaining-${capitalized(period)}`,
        })
      }
      const sliding = config.window_type === 'sliding'
      const policy = config.policy ?? 'local'
      const routeId = config.route_id ?? ZERO_UUID
      const serviceId = config.service_id ?? ZERO_UUID
      return {
        limits,
        values: limits.map((l) => l.limit),
        ttls: limits.map((l) => (sliding ? SLIDING_EXPIRATION : EXPIRATION)[l.period]),
        periods: limits.map((l) => l.period),
        sliding,
        limitBy: config.limit_by ?? 'consumer',
        headerName: config.header_name ?? null,
        path: config.path ?? null,
        policy,
        faultTolerant: config.fault_tolerant !== false,
        hideClientHeaders: config.hide_client_headers === true,
        errorCode: config.error_code ?? 429,
        errorMessage: config.error_message ?? 'API rate limit exceeded',
        routeId,
        serviceId,
        scope: `${routeId}:${serviceId}`,
        keys: { at: 0, byId: new Map(), bounds: null },
        redis: policy === 'redis' ? new RedisCounters(redisSettings(config), config.sync_rate ?? -1) : null,
        clusterTimeout: 0,
      }
    },
    access,
  },
  { migrations, primary: { take: clusterTake } },
)

function redisSettings(config: Config): RedisSettings {
  const r = config.redis
  return {
    host: r?.host ?? '127.0.0.1',
    port: r?.port ?? 6379,
    database: r?.database ?? 0,
    username: r?.username ?? null,
    password: r?.password ?? null,
    ssl: r?.ssl === true,
    ssl_verify: r?.ssl_verify === true,
    server_name: r?.server_name ?? null,
    timeout: r?.timeout ?? 2000,
  }
}
